// What a search query's text becomes before it reaches the database: the canonical form the
// level-2 cache keys on, and the terms the full-text half of a hybrid search ranks by.

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
 * The commonest function words of the six languages, left out before the database sees the query
 * (each language's configuration drops its own stop words anyway): they would only use up
 * MAX_TEXT_TERMS. Short on purpose: a longer list would drop content words of another language.
 */
const STOPWORDS = new Set(
  (
    // fr
    'a au aux avec ce ces cet cette c d dans de des du elle elles en est et eu il ils j je la le les leur leurs l lui ' +
    'm ma mais me mes moi mon n ne nos notre nous on ont ou par pas pour qu que qui s sa se ses si son sont sur t ta te ' +
    'tes toi ton tu un une vos votre vous y ete etre fait ca plus tres aussi comme tout tous ' +
    // en
    'an and are as at be been but by can do does for from had has have he her his how i if in into is it its me my no ' +
    'not of on or our she so than that the their them then there these they this to too was we were what when which who ' +
    'will with you your yours ' +
    // es, it, pt (overlaps above are harmless)
    'el los las lo del al por para con una unos unas es su sus se le les y o que como mas pero muy il gli di da e ' +
    'per non della delle dei nel nella sono um uma os as do da dos das em no na nos nas por com nao mais ' +
    // de
    'der die das den dem des ein eine einer eines einem einen und ist nicht mit zu von auf fur sich auch es ich du sie ' +
    'wir ihr im am bei'
  ).split(/\s+/),
);

/**
 * The words of a user's question the full-text ranking ORs together (see search.ts): common
 * function words and single letters left out (an AND of every word of a question almost never
 * matches a chunk). Words are split on what is not a letter or digit, so no tsquery operator can
 * get through; they are not lowercased, stemmed nor folded here: the query language's
 * configuration (rag.search_config) does that as it did for the chunks.
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
