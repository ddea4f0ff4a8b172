// What a search query's text becomes before it reaches the database: the canonical form the
// level-2 cache keys on, and the terms the full-text half of a hybrid search ranks by.
import { STOPWORDS } from './hash-embedder.ts';

/** Query length bounds, in characters after trimming (BAD_USER_INPUT outside them). */
export const MIN_QUERY_LENGTH = 1;
export const MAX_QUERY_LENGTH = 500;
/** Results per search (`first`). */
export const MAX_RESULTS = 20;
/** Terms kept in the full-text query: beyond this, a long question only adds noise and cost. */
const MAX_TEXT_TERMS = 32;

/**
 * NFC, trimmed, inner whitespace collapsed to one space. Case and accents are kept: an embedding
 * model may care, and near-identical spellings are what the semantic cache is for.
 */
export function normalizeQuery(text: string): string {
  return text.normalize('NFC').trim().replace(/\s+/gu, ' ');
}

const fold = (word: string) => word.toLowerCase().normalize('NFKD').replace(/\p{M}+/gu, '');

/**
 * The words of a user's question the full-text ranking ORs together (see search.ts): function words
 * and single letters left out (with the `simple` configuration nothing else removes them, and an
 * AND of every word of a question almost never matches a chunk). Words are split on what is not a
 * letter or digit, so no tsquery operator can get through; they are not lowercased here:
 * to_tsquery('simple') lowercases them with the rules to_tsvector applied to the chunks.
 */
export function fullTextTerms(text: string): string[] {
  const seen = new Set<string>();
  const terms: string[] = [];
  for (const word of text.normalize('NFC').split(/[^\p{L}\p{N}]+/u)) {
    if (word.length < 2) continue;
    const lower = word.toLowerCase();
    if (STOPWORDS.has(fold(word)) || seen.has(lower)) continue;
    seen.add(lower);
    terms.push(word);
    if (terms.length === MAX_TEXT_TERMS) break;
  }
  return terms;
}
