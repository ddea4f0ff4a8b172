// Level-1 embedding cache (cache.embedding_cache): the same text under the same model is never
// sent to the provider twice, across documents, re-ingests and processes. Remote providers cost
// money and time; this wrapper makes re-ingesting a corpus nearly free.
import { createHash } from 'node:crypto';
import type { PrismaClient } from '../generated/prisma/client.ts';
import type { Embedder } from './embedder.ts';
import { parseVector, toVectorLiteral } from './vector.ts';

/** Anything that runs raw SQL: the root client or a transaction client. */
export type RawSqlClient = Pick<PrismaClient, '$queryRaw' | '$executeRaw'>;

/** sha256 hex of `${model}\n${text}`: the model is part of the key, vectors of two models never mix. */
export function embeddingCacheKey(model: string, text: string): string {
  return createHash('sha256').update(`${model}\n${text}`).digest('hex');
}

/** Rows per INSERT; one statement for any ordinary batch, bounded for a huge one. */
const WRITE_BATCH = 1000;

export interface CacheStats {
  hits: number;
  misses: number;
}

export class CachedEmbedder implements Embedder {
  readonly model: string;
  readonly dimensions: number;
  readonly stats: CacheStats = { hits: 0, misses: 0 };

  constructor(
    private readonly prisma: RawSqlClient,
    readonly inner: Embedder,
  ) {
    this.model = inner.model;
    this.dimensions = inner.dimensions;
  }

  async embed(texts: string[]): Promise<number[][]> {
    return (await this.embedTraced(texts)).vectors;
  }

  /**
   * embed, also telling how many distinct texts the cache answered (`hits`) and how many went to
   * the provider (`misses`). With `deferWrite`, new vectors are stored through it (e.g. the app's
   * background queue, after the response) instead of before returning.
   */
  async embedTraced(
    texts: string[],
    options: { deferWrite?: (task: () => Promise<unknown>) => void } = {},
  ): Promise<{ vectors: number[][]; hits: number; misses: number }> {
    if (texts.length === 0) return { vectors: [], hits: 0, misses: 0 };
    // Duplicates in one call (repeated boilerplate) are looked up and embedded once.
    const keyOf = texts.map((t) => embeddingCacheKey(this.model, t));
    const unique = new Map<string, string>();
    keyOf.forEach((k, i) => unique.has(k) || unique.set(k, texts[i]));
    const keys = [...unique.keys()];

    const rows = await this.prisma.$queryRaw<{ key: string; embedding: string | null }[]>`
      SELECT key, embedding::text AS embedding
      FROM cache.embedding_cache
      WHERE key = ANY(${keys}::text[]) AND model = ${this.model}`;
    const found = new Map<string, number[]>();
    for (const row of rows) {
      if (row.embedding === null) continue;
      const v = parseVector(row.embedding);
      if (v.length === this.dimensions) found.set(row.key, v);
    }

    const missKeys = keys.filter((k) => !found.has(k));
    this.stats.hits += keys.length - missKeys.length;
    this.stats.misses += missKeys.length;
    if (missKeys.length > 0) {
      const vectors = await this.inner.embed(missKeys.map((k) => unique.get(k)!));
      if (vectors.length !== missKeys.length) throw new Error(`embedder ${this.model} returned ${vectors.length} vectors for ${missKeys.length} texts`);
      const literals = vectors.map((v) => {
        if (v.length !== this.dimensions) throw new Error(`embedder ${this.model} returned a ${v.length}-dimensional vector, ${this.dimensions} expected`);
        return toVectorLiteral(v);
      });
      missKeys.forEach((k, i) => found.set(k, vectors[i]));
      const write = async () => {
        for (let i = 0; i < missKeys.length; i += WRITE_BATCH) {
          // unnest: one statement and three parameters whatever the number of rows.
          await this.prisma.$executeRaw`
            INSERT INTO cache.embedding_cache (key, model, embedding)
            SELECT k, ${this.model}, e::vector
            FROM unnest(${missKeys.slice(i, i + WRITE_BATCH)}::text[], ${literals.slice(i, i + WRITE_BATCH)}::text[]) AS t(k, e)
            ON CONFLICT (key) DO NOTHING`;
        }
      };
      if (options.deferWrite) options.deferWrite(write);
      else await write();
    }
    return { vectors: keyOf.map((k) => found.get(k)!), hits: keys.length - missKeys.length, misses: missKeys.length };
  }
}
