// The default embedder: feature hashing, no model file, no network, deterministic.
//
// It is LEXICAL, not semantic: two texts are close when they share words, word pairs or
// spelling fragments, not when they mean the same thing ("harcèlement" and "intimidation" are
// unrelated to it). It exists so that search works offline and in tests; a real embedding model
// behind an OpenAI-compatible endpoint (openai-embedder.ts) is the production choice.
import type { Embedder } from './embedder.ts';

export interface HashEmbedderOptions {
  dimensions?: number;
  /** Weights of the three feature kinds, applied after each kind is normalized on its own. */
  weights?: { words?: number; bigrams?: number; trigrams?: number };
}

/**
 * Defaults tuned for recall on short queries against ~800-character chunks: whole words carry the
 * most signal; character trigrams catch inflections and typos (harceler / harcèlement /
 * harcelé); bigrams reward phrases without dominating.
 */
const DEFAULT_WEIGHTS = { words: 1, bigrams: 0.45, trigrams: 0.75 };

/**
 * Function words of the six likeliest languages (fr, en, es, de, it, pt). They are not dropped,
 * only damped: without IDF they would make every two texts of one language look alike.
 */
export const STOPWORDS = new Set(
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
const STOPWORD_FACTOR = 0.15;

const FNV_OFFSET = 0x811c9dc5;
const FNV_PRIME = 0x01000193;
/** Different seeds keep the feature kinds apart: the word "ami" and the trigram "ami" differ. */
const SEED_WORD = FNV_OFFSET;
const SEED_BIGRAM = 0x050c5d1f;
const SEED_TRIGRAM = 0x2c9277b5;

function fnvString(h: number, s: string): number {
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), FNV_PRIME);
  return h;
}

function fnvChar(h: number, code: number): number {
  return Math.imul(h ^ code, FNV_PRIME);
}

/** murmur3's finalizer: an independent-looking bit for the sign, so collisions cancel on average. */
function signOf(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h & 1 ? -1 : 1;
}

const LIGATURES: Record<string, string> = { œ: 'oe', æ: 'ae', ß: 'ss', ø: 'o', đ: 'd', ł: 'l', ı: 'i' };

/** Lowercase, NFKD with combining marks removed (accent-insensitive), split on non-letters/digits. */
export function tokenize(text: string): string[] {
  const folded = text
    .toLowerCase()
    .normalize('NFKD')
    .replace(/\p{M}+/gu, '')
    .replace(/[œæßøđłı]/g, (c) => LIGATURES[c]);
  return folded.split(/[^\p{L}\p{N}]+/u).filter((t) => t.length > 0);
}

export class HashEmbedder implements Embedder {
  readonly model: string;
  readonly dimensions: number;
  private readonly weights: { words: number; bigrams: number; trigrams: number };

  constructor(options: HashEmbedderOptions = {}) {
    this.dimensions = options.dimensions ?? 384;
    if (!Number.isInteger(this.dimensions) || this.dimensions < 8) throw new RangeError('dimensions must be an integer >= 8');
    this.weights = { ...DEFAULT_WEIGHTS, ...options.weights };
    const w = this.weights;
    const isDefault = w.words === DEFAULT_WEIGHTS.words && w.bigrams === DEFAULT_WEIGHTS.bigrams && w.trigrams === DEFAULT_WEIGHTS.trigrams;
    // The name identifies the vector space (cache keys, stored chunks): other weights, other space.
    this.model = `hash-v1-${this.dimensions}${isDefault ? '' : `-w${w.words}-${w.bigrams}-${w.trigrams}`}`;
  }

  async embed(texts: string[]): Promise<number[][]> {
    return texts.map((t) => this.embedOne(t));
  }

  embedOne(text: string): number[] {
    const dims = this.dimensions;
    const tokens = tokenize(text);
    const stop = tokens.map((t) => t.length === 1 || STOPWORDS.has(t));

    // Term frequencies per kind, keyed by the feature's 32-bit hash (collisions at 2^-32 are noise).
    const words = new Map<number, number>();
    const bigrams = new Map<number, number>();
    const trigrams = new Map<number, number>();
    const wordFactor = new Map<number, number>();
    const bigramFactor = new Map<number, number>();
    for (let i = 0; i < tokens.length; i++) {
      const tok = tokens[i];
      const hw = fnvString(SEED_WORD, tok);
      words.set(hw, (words.get(hw) ?? 0) + 1);
      if (stop[i]) wordFactor.set(hw, STOPWORD_FACTOR);
      if (i > 0) {
        const hb = fnvString(fnvChar(fnvString(SEED_BIGRAM, tokens[i - 1]), 32), tok);
        bigrams.set(hb, (bigrams.get(hb) ?? 0) + 1);
        if (stop[i] && stop[i - 1]) bigramFactor.set(hb, STOPWORD_FACTOR);
      }
      // Trigrams of " word ": function words already count as words; their fragments would only add noise.
      if (!stop[i]) {
        let a = 32;
        let b = tok.charCodeAt(0);
        for (let j = 1; j <= tok.length; j++) {
          const c = j < tok.length ? tok.charCodeAt(j) : 32;
          const ht = fnvChar(fnvChar(fnvChar(SEED_TRIGRAM, a), b), c);
          trigrams.set(ht, (trigrams.get(ht) ?? 0) + 1);
          a = b;
          b = c;
        }
      }
    }

    const out = new Array<number>(dims).fill(0);
    const part = new Float64Array(dims);
    const addKind = (features: Map<number, number>, factors: Map<number, number> | undefined, weight: number) => {
      if (features.size === 0 || weight === 0) return;
      part.fill(0);
      for (const [h, tf] of features) {
        const w = (1 + Math.log(tf)) * (factors?.get(h) ?? 1);
        part[(h >>> 0) % dims] += signOf(h) * w;
      }
      // Each kind is normalized alone so that its weight means the same for short and long texts
      // (a long text has far more trigrams than words).
      let n = 0;
      for (let i = 0; i < dims; i++) n += part[i] * part[i];
      if (n === 0) return;
      const scale = weight / Math.sqrt(n);
      for (let i = 0; i < dims; i++) out[i] += part[i] * scale;
    };
    addKind(words, wordFactor, this.weights.words);
    addKind(bigrams, bigramFactor, this.weights.bigrams);
    addKind(trigrams, undefined, this.weights.trigrams);

    let n = 0;
    for (let i = 0; i < dims; i++) n += out[i] * out[i];
    if (n > 0) {
      const inv = 1 / Math.sqrt(n);
      for (let i = 0; i < dims; i++) out[i] *= inv;
    }
    return out;
  }
}
