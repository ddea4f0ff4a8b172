// How teenagers and parents write, mapped to the words the knowledge base uses: texting
// abbreviations ("jsp", "qq1"), slang ("ils me clashent", "se faire afficher") and everyday words
// for what the articles name otherwise ("le midi" for the canteen). A lexical search cannot guess
// that "clasher" means mocking; this list tells it. The expansions are appended to the query (the
// caller's words stay and still count), before it is embedded and before the full-text terms are
// taken, in the query's language (every language's list when it has none).
//
// Written for this project from the way the labelled questions' *tuning* half is phrased, and
// general texting usage; the held-out half (test/fixtures/search-questions.json) measures whether
// it generalizes. Keys are folded (lowercase, no accents) single words; keep entries general
// (a register of speech), never a question's exact wording.
import { foldAccents } from './text-analysis.ts';

type Lexicon = Record<string, string>;

const LEXICONS: Record<string, Lexicon> = {
  fr: {
    // texting
    jsp: 'je ne sais pas',
    jsuis: 'je suis',
    chui: 'je suis',
    jai: "j'ai",
    qq1: "quelqu'un",
    qqn: "quelqu'un",
    pk: 'pourquoi',
    pcq: 'parce que',
    // slang for mocking and insulting
    clash: 'moquer insulter',
    clashe: 'moquer insulter',
    clashent: 'moquer insulter',
    clasher: 'moquer insulter',
    charrier: 'moquer',
    charrient: 'moquer',
    vanner: 'moquer',
    pote: 'ami',
    potes: 'amis',
  },
  en: {
    ppl: 'people',
    bc: 'because',
    pic: 'photo',
    pics: 'photos',
  },
};

/** Every lexicon's keys folded once (the tables above are written for reading). */
const FOLDED: Record<string, Map<string, string>> = Object.fromEntries(
  Object.entries(LEXICONS).map(([language, lexicon]) => [language, new Map(Object.entries(lexicon).map(([k, v]) => [foldAccents(k), v]))]),
);

/** Languages that have a lexicon. */
export const EXPANDED_LANGUAGES = Object.keys(LEXICONS);

/**
 * The query with the expansions of its words appended (each expansion once), in the given
 * language's lexicon, or in every lexicon when the language is null. Unchanged when nothing matches.
 */
export function expandQuery(text: string, language: string | null): string {
  const lexicons = language ? [FOLDED[language]].filter(Boolean) : Object.values(FOLDED);
  if (lexicons.length === 0) return text;
  const added: string[] = [];
  const seen = new Set<string>();
  for (const word of foldAccents(text).split(/[^\p{L}\p{N}]+/u)) {
    for (const lexicon of lexicons) {
      const expansion = lexicon.get(word);
      if (expansion && !seen.has(expansion)) {
        seen.add(expansion);
        added.push(expansion);
      }
    }
  }
  return added.length ? `${text} ${added.join(' ')}` : text;
}
