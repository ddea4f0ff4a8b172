// The word normalization the local `hash` embedder applies (hash-embedder.ts), the same steps as
// the full-text configurations of the language_full_text migration: lowercase, accents folded
// (as unaccent does), the language's stop words dropped, Snowball stemming, so that "harcelé",
// "harcèlement", "harcelement" and "harceler" become one word. Stemmers and stop-word lists come
// from Orama's packages (@orama/stemmers: the Snowball algorithms; @orama/stopwords), not our own.
//
// An embedder sees texts, not their language, so the language is recognised from the text: the
// one whose stop words it uses most (a chunk of ~800 characters has dozens). A text with none
// (a two-word query) is taken as French, the product's first language.
import { stemmer as stemDe } from '@orama/stemmers/german';
import { stemmer as stemEn } from '@orama/stemmers/english';
import { stemmer as stemEs } from '@orama/stemmers/spanish';
import { stemmer as stemFr } from '@orama/stemmers/french';
import { stemmer as stemIt } from '@orama/stemmers/italian';
import { stemmer as stemPt } from '@orama/stemmers/portuguese';
import { stopwords as stopDe } from '@orama/stopwords/german';
import { stopwords as stopEn } from '@orama/stopwords/english';
import { stopwords as stopEs } from '@orama/stopwords/spanish';
import { stopwords as stopFr } from '@orama/stopwords/french';
import { stopwords as stopIt } from '@orama/stopwords/italian';
import { stopwords as stopPt } from '@orama/stopwords/portuguese';

export type AnalyzedLanguage = 'fr' | 'en' | 'es' | 'it' | 'de' | 'pt';

/** Recognition order; the first one wins a tie, and a text with no stop word is French. */
export const ANALYZED_LANGUAGES: readonly AnalyzedLanguage[] = ['fr', 'en', 'es', 'it', 'de', 'pt'];

const LIGATURES: Record<string, string> = { œ: 'oe', æ: 'ae', ß: 'ss', ø: 'o', đ: 'd', ł: 'l', ı: 'i' };

/** Lowercase, NFKD with combining marks removed, ligatures spelled out (what unaccent does). */
export function foldAccents(text: string): string {
  return text
    .toLowerCase()
    .normalize('NFKD')
    .replace(/\p{M}+/gu, '')
    .replace(/[œæßøđłı]/g, (c) => LIGATURES[c]);
}

/** Folded words: split on whatever is not a letter or digit. */
export function tokenize(text: string): string[] {
  return foldAccents(text)
    .split(/[^\p{L}\p{N}]+/u)
    .filter((t) => t.length > 0);
}

const STEMMERS: Record<AnalyzedLanguage, (word: string) => string> = { fr: stemFr, en: stemEn, es: stemEs, it: stemIt, de: stemDe, pt: stemPt };
const STOP_LISTS: Record<AnalyzedLanguage, readonly string[]> = { fr: stopFr, en: stopEn, es: stopEs, it: stopIt, de: stopDe, pt: stopPt };
/** Folded stop words per language (the lists are spelled with accents; tokens are folded). */
const STOP: Record<AnalyzedLanguage, Set<string>> = Object.fromEntries(
  ANALYZED_LANGUAGES.map((l) => [l, new Set(STOP_LISTS[l].flatMap((w) => tokenize(w)))]),
) as Record<AnalyzedLanguage, Set<string>>;
/** How many languages list each stop word: "de" says less about the language than "und". */
const STOP_SPREAD = new Map<string, number>();
for (const l of ANALYZED_LANGUAGES) for (const w of STOP[l]) STOP_SPREAD.set(w, (STOP_SPREAD.get(w) ?? 0) + 1);

/** Whether a folded word is a stop word of any of the six languages. */
export const isAnyStopword = (word: string) => STOP_SPREAD.has(word);

/** The language whose stop words the folded tokens use most (each weighted by 1 / the languages listing it). */
export function recognizeLanguage(tokens: readonly string[]): AnalyzedLanguage {
  const score = new Map<AnalyzedLanguage, number>();
  for (const t of tokens) {
    const spread = STOP_SPREAD.get(t);
    if (!spread) continue;
    for (const l of ANALYZED_LANGUAGES) if (STOP[l].has(t)) score.set(l, (score.get(l) ?? 0) + 1 / spread);
  }
  let best: AnalyzedLanguage = ANALYZED_LANGUAGES[0];
  for (const l of ANALYZED_LANGUAGES) if ((score.get(l) ?? 0) > (score.get(best) ?? 0)) best = l;
  return best;
}

export interface AnalyzedText {
  language: AnalyzedLanguage;
  /** Stems of the words that are not stop words (nor single letters), in text order. */
  stems: string[];
  /** The same words folded but not stemmed (stems[i] is words[i]'s stem). */
  words: string[];
}

/** Stems already computed, per language: words repeat, and stemming is most of an embedding's cost. */
const STEM_CACHE: Record<AnalyzedLanguage, Map<string, string>> = Object.fromEntries(ANALYZED_LANGUAGES.map((l) => [l, new Map()])) as Record<
  AnalyzedLanguage,
  Map<string, string>
>;
/** Bounds each language's cache (it is simply emptied when full). */
const STEM_CACHE_SIZE = 50_000;

function stemOf(language: AnalyzedLanguage, word: string): string {
  const cache = STEM_CACHE[language];
  let stem = cache.get(word);
  if (stem === undefined) {
    if (cache.size >= STEM_CACHE_SIZE) cache.clear();
    stem = STEMMERS[language](word);
    cache.set(word, stem);
  }
  return stem;
}

/** Folds, recognises the language, drops its stop words and stems the rest. */
export function analyze(text: string): AnalyzedText {
  const tokens = tokenize(text);
  const language = recognizeLanguage(tokens);
  const stop = STOP[language];
  const stems: string[] = [];
  const words: string[] = [];
  for (const t of tokens) {
    if (t.length < 2 || stop.has(t)) continue;
    words.push(t);
    // Digits (3018) and very short words are kept as they are: stemmers only know words.
    stems.push(t.length < 4 || /\d/.test(t) ? t : stemOf(language, t));
  }
  return { language, stems, words };
}
