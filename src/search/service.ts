// Document search as the API runs it: the query embedded through level 1 (cache.embedding_cache),
// answered by level 2 (cache.rag_cache) when a close enough query was answered before, else
// searched (search.ts); both caches are written after the response through the app's background
// queue. One service per process, built by factory.ts in the composition root: the provider
// client and its connection reuse live as long as the process.
import type { Config } from '../config.ts';
import type { PrismaClient } from '../generated/prisma/client.ts';
import type { Embedder } from './embedder.ts';
import { CachedEmbedder } from './embedding-cache.ts';
import { expandQuery } from './query-expansion.ts';
import { fullTextTerms, normalizeQuery } from './query-text.ts';
import { lookupRagCache, modelKey, pruneRagCache, recordRagCacheHit, writeRagCache } from './rag-cache.ts';
import { searchChunks, type ChunkResult, type SearchParams } from './search.ts';
import { norm } from './vector.ts';

export type CacheOutcome = 'hit' | 'miss';

/** What a search took from the caches; reported in the response's extensions.search. */
export interface SearchTrace {
  embeddingCache: CacheOutcome;
  /** `disabled` when RAG_CACHE_ENABLED=false. */
  resultCache: CacheOutcome | 'disabled';
}

export interface RankedResult extends ChunkResult {
  /** 1 for the best result. */
  rank: number;
  fromCache: boolean;
}

export interface SearchRequest {
  /** The caller's text, as typed (validated by the caller: 1-500 characters after trimming). */
  text: string;
  /** The caller's user type: cache entries are never shared across user types (seed 001). */
  userType: string;
  params: SearchParams;
}

/** Runs a task after the response (the request never waits for it). */
type Defer = (task: () => Promise<unknown>) => void;

/** The search configuration (config.search). */
export type SearchConfig = Config['search'];

/** Prune a collection's dead cache entries at most this often, per process. */
const PRUNE_INTERVAL_MS = 60_000;

export class SearchService {
  /** The provider behind the level-1 cache (what stored vectors must have been made with). */
  readonly embedder: CachedEmbedder;
  readonly #lastPrune = new Map<string, number>();

  constructor(
    private readonly prisma: PrismaClient,
    provider: Embedder,
    private readonly config: SearchConfig,
  ) {
    this.embedder = new CachedEmbedder(prisma, provider);
  }

  async search(request: SearchRequest, defer: Defer): Promise<{ results: RankedResult[]; trace: SearchTrace }> {
    const { params, userType } = request;
    const text = normalizeQuery(request.text);
    // What is searched: the caller's words plus what its slang and abbreviations mean (query-expansion.ts).
    const searched = expandQuery(text, params.textLanguage);
    const embedded = await this.embedder.embedTraced([searched], { deferWrite: defer });
    const vector = embedded.vectors[0];
    const embeddingCache: CacheOutcome = embedded.misses === 0 ? 'hit' : 'miss';
    const model = modelKey(this.embedder);
    const cache = this.config.ragCache;
    // A text with nothing to embed (punctuation only) has a zero vector: nothing to compare, nothing worth caching.
    const cacheable = cache.enabled && norm(vector) > 0;

    let generation = 0;
    if (cacheable) {
      const found = await lookupRagCache(this.prisma, { userType, params, model, vector, maxDistance: cache.maxDistance, ttlSeconds: cache.ttlSeconds });
      generation = found.generation;
      if (found.hit) {
        const id = found.hit.id;
        defer(() => recordRagCacheHit(this.prisma, id));
        return { results: ranked(found.hit.results, true), trace: { embeddingCache, resultCache: 'hit' } };
      }
    }

    const results = await searchChunks(this.prisma, {
      params,
      vector,
      textTerms: params.mode === 'HYBRID' ? fullTextTerms(searched) : [],
      efSearch: this.config.efSearch,
    });

    if (cacheable) {
      defer(async () => {
        await writeRagCache(this.prisma, { userType, params, normalizedText: text, model, vector, results, generation });
        const last = this.#lastPrune.get(params.collection) ?? 0;
        if (Date.now() - last >= PRUNE_INTERVAL_MS) {
          this.#lastPrune.set(params.collection, Date.now());
          await pruneRagCache(this.prisma, params.collection, generation, cache.ttlSeconds);
        }
      });
    }
    return { results: ranked(results, false), trace: { embeddingCache, resultCache: cache.enabled ? 'miss' : 'disabled' } };
  }
}

const ranked = (results: readonly ChunkResult[], fromCache: boolean): RankedResult[] =>
  results.map((r, i) => ({ ...r, rank: i + 1, fromCache }));
