// The default embedder: feature hashing, no model file, no network, deterministic.
//
// It is LEXICAL, not semantic: two texts are close when they share words, word pairs or
// spelling fragments, not when they mean the same thing ("harcèlement" and "intimidation" are
// unrelated to it). It exists so that search works offline and in tests; a real embedding model
// behind an OpenAI-compatible endpoint (openai-embedder.ts) is the production choice.
//
// Words are normalized first as the full-text side normalizes them (text-analysis.ts): accents
// folded, the text's language recognised, its stop words dropped, Snowball stems. Version 2 of the
// model name: vectors of v1 (surface forms, stop words damped) are another space.
import type { Embedder } from './embedder.ts';
import { analyze } from './text-analysis.ts';

export interface HashEmbedderOptions {
  dimensions?: number;
  /** Weights of the three feature kinds, applied after each kind is normalized on its own. */
  weights?: { words?: number; bigrams?: number; trigrams?: number };
}

/**
 * Defaults tuned for recall on short queries against ~800-character chunks: stems carry the most
 * signal; character trigrams of the stems catch typos and what stemming leaves apart; bigrams of
 * adjacent stems reward phrases without dominating.
 */
const DEFAULT_WEIGHTS = { words: 1, bigrams: 0.45, trigrams: 0.75 };

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

export { tokenize } from './text-analysis.ts';

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
    this.model = `hash-v2-${this.dimensions}${isDefault ? '' : `-w${w.words}-${w.bigrams}-${w.trigrams}`}`;
  }

  async embed(texts: string[]): Promise<number[][]> {
    return texts.map((t) => this.embedOne(t));
  }

  embedOne(text: string): number[] {
    const dims = this.dimensions;
    const { stems: tokens, words: surface } = analyze(text);

    // Term frequencies per kind, keyed by the feature's 32-bit hash (collisions at 2^-32 are noise).
    const words = new Map<number, number>();
    const bigrams = new Map<number, number>();
    const trigrams = new Map<number, number>();
    for (let i = 0; i < tokens.length; i++) {
      const tok = tokens[i];
      const hw = fnvString(SEED_WORD, tok);
      words.set(hw, (words.get(hw) ?? 0) + 1);
      if (i > 0) {
        const hb = fnvString(fnvChar(fnvString(SEED_BIGRAM, tokens[i - 1]), 32), tok);
        bigrams.set(hb, (bigrams.get(hb) ?? 0) + 1);
      }
      // Trigrams of " word " (folded, not stemmed): they catch typos, and shared parts of
      // compounds ("Klassenchat", "Gruppenchat") that stemming leaves apart.
      const w = surface[i];
      let a = 32;
      let b = w.charCodeAt(0);
      for (let j = 1; j <= w.length; j++) {
        const c = j < w.length ? w.charCodeAt(j) : 32;
        const ht = fnvChar(fnvChar(fnvChar(SEED_TRIGRAM, a), b), c);
        trigrams.set(ht, (trigrams.get(ht) ?? 0) + 1);
        a = b;
        b = c;
      }
    }

    const out = new Array<number>(dims).fill(0);
    const part = new Float64Array(dims);
    const addKind = (features: Map<number, number>, weight: number) => {
      if (features.size === 0 || weight === 0) return;
      part.fill(0);
      for (const [h, tf] of features) {
        const w = 1 + Math.log(tf);
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
    addKind(words, this.weights.words);
    addKind(bigrams, this.weights.bigrams);
    addKind(trigrams, this.weights.trigrams);

    let n = 0;
    for (let i = 0; i < dims; i++) n += out[i] * out[i];
    if (n > 0) {
      const inv = 1 / Math.sqrt(n);
      for (let i = 0; i < dims; i++) out[i] *= inv;
    }
    return out;
  }
}
