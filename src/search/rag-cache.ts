// Level 2 of the search cache (seed 001's PostgresRAGCache), in cache.rag_cache.
//
// An entry is a query embedding and the results it produced. A new search reuses the results of
// the nearest cached query of the same user type, the same search parameters (`scope`) and the
// same embedding model when that query's embedding is within `maxDistance` (cosine) of its own;
// the vector and full-text searches are then skipped.
//
// What is stored: the ordered result CHUNK ids and their scores (the column keeps seed 001's name
// `document_ids`; results are chunks, and a hit must answer exactly what the original search did,
// scores included, which a re-ranking of documents could not promise for HYBRID).
//
// Keys: id = md5(query || '|' || user_type) as in seed 001, where `query` is the canonical key text
// `scope|normalized text` (see keyText), so that the same words asked with other parameters are
// other entries.
//
// Validity: an entry answers only while its collection's generation is the one it was computed
// from (a trigger on rag.document bumps cache.rag_cache_generation on every write, see the
// rag_cache_scope migration) and for ttlSeconds after it was written. The generation is read in
// the same statement as the lookup, before the search runs: a document change committing while a
// search runs leaves that search's entry under the old generation, never served.
import type { PrismaClient } from '../generated/prisma/client.ts';
import type { ChunkResult, SearchParams } from './search.ts';
import { toVectorLiteral } from './vector.ts';

type RawClient = Pick<PrismaClient, '$queryRaw' | '$executeRaw'>;

/** The parameters an entry answers for, canonical: `collection|language|mode|first|minScore`. */
export function scopeOf(params: SearchParams): string {
  return [params.collection, params.language ?? '*', params.mode, params.first, params.minScore, params.textLanguage ?? '*'].join('|');
}

/** The `query` column: scope, then the normalized query text. */
export const keyText = (params: SearchParams, normalizedText: string) => `${scopeOf(params)}|${normalizedText}`;

/** Identifies an embedding space in the cache: vectors of two models (or widths) are never compared. */
export const modelKey = (embedder: { model: string; dimensions: number }) => `${embedder.model}@${embedder.dimensions}`;

export interface RagCacheLookup {
  userType: string;
  params: SearchParams;
  model: string;
  vector: readonly number[];
  maxDistance: number;
  ttlSeconds: number;
}

export interface RagCacheHit {
  id: string;
  /** Cosine distance between the cached query's embedding and this one's (0: the same). */
  distance: number;
  results: ChunkResult[];
}

interface LookupRow {
  generation: number;
  id: string | null;
  distance: number | null;
  ord: number | null;
  chunkId: string | null;
  score: number | null;
  documentId: string | null;
  content: string | null;
}

/**
 * The collection's current generation and the nearest valid entry, with its chunks, in one
 * statement. A hit whose chunks are not all there any more (deleted while the lookup ran) is
 * reported as a miss.
 */
export async function lookupRagCache(prisma: RawClient, q: RagCacheLookup): Promise<{ generation: number; hit: RagCacheHit | null }> {
  const literal = toVectorLiteral(q.vector);
  const rows = await prisma.$queryRaw<LookupRow[]>`
    WITH gen AS (
      SELECT COALESCE((SELECT generation FROM cache.rag_cache_generation WHERE collection = ${q.params.collection}::rag.document_collection), 0) AS generation
    ), hit AS (
      SELECT r.id, r.document_ids, r.scores, r.embedding <=> ${literal}::vector AS distance
      FROM cache.rag_cache r, gen
      WHERE r.user_type = ${q.userType} AND r.scope = ${scopeOf(q.params)} AND r.model = ${q.model}
        AND r.generation = gen.generation
        AND r.created_at > now() - ${q.ttlSeconds} * interval '1 second'
        AND r.embedding <=> ${literal}::vector <= ${q.maxDistance}
      ORDER BY r.embedding <=> ${literal}::vector, r.created_at DESC
      LIMIT 1
    )
    SELECT gen.generation, hit.id, hit.distance::float8 AS distance, u.ord::int AS ord, u.chunk_id AS "chunkId",
           u.score::float8 AS score, c.document_id::text AS "documentId", c.content
    FROM gen
    LEFT JOIN hit ON true
    LEFT JOIN LATERAL unnest(hit.document_ids, hit.scores) WITH ORDINALITY AS u(chunk_id, score, ord) ON true
    LEFT JOIN rag.document_chunk c ON c.id = u.chunk_id::uuid
    ORDER BY u.ord`;
  const generation = Number(rows[0]?.generation ?? 0);
  const first = rows[0];
  if (!first?.id) return { generation, hit: null };
  const results: ChunkResult[] = [];
  for (const row of rows) {
    if (row.ord === null) continue; // an entry with no results
    if (row.documentId === null || row.content === null || row.score === null) return { generation, hit: null };
    results.push({ chunkId: row.chunkId!, documentId: row.documentId, content: row.content, score: Number(row.score) });
  }
  return { generation, hit: { id: first.id, distance: Number(first.distance), results } };
}

export interface RagCacheEntry {
  userType: string;
  params: SearchParams;
  normalizedText: string;
  model: string;
  vector: readonly number[];
  results: readonly ChunkResult[];
  /** The generation lookupRagCache returned before the search ran. */
  generation: number;
}

/** Stores (or refreshes) an entry. An entry of a newer generation is never overwritten by an older one. */
export async function writeRagCache(prisma: RawClient, e: RagCacheEntry): Promise<void> {
  const query = keyText(e.params, e.normalizedText);
  await prisma.$executeRaw`
    INSERT INTO cache.rag_cache AS r (id, query, user_type, embedding, document_ids, scores, collection, scope, model, generation, created_at, hit_count)
    VALUES (md5(${query} || '|' || ${e.userType}), ${query}, ${e.userType}, ${toVectorLiteral(e.vector)}::vector,
            ${e.results.map((r) => r.chunkId)}::text[], ${e.results.map((r) => r.score)}::float8[],
            ${e.params.collection}::rag.document_collection, ${scopeOf(e.params)}, ${e.model}, ${e.generation}, now(), 0)
    ON CONFLICT (id) DO UPDATE SET
      embedding = EXCLUDED.embedding, document_ids = EXCLUDED.document_ids, scores = EXCLUDED.scores,
      collection = EXCLUDED.collection, scope = EXCLUDED.scope, model = EXCLUDED.model,
      generation = EXCLUDED.generation, created_at = EXCLUDED.created_at, hit_count = 0
    WHERE r.generation <= EXCLUDED.generation`;
}

export async function recordRagCacheHit(prisma: RawClient, id: string): Promise<void> {
  await prisma.$executeRaw`UPDATE cache.rag_cache SET hit_count = hit_count + 1 WHERE id = ${id}`;
}

/** Deletes the collection's entries that can no longer answer: older generations, expired. */
export async function pruneRagCache(prisma: RawClient, collection: string, generation: number, ttlSeconds: number): Promise<number> {
  return prisma.$executeRaw`
    DELETE FROM cache.rag_cache
    WHERE collection = ${collection}::rag.document_collection
      AND (generation < ${generation} OR created_at <= now() - ${ttlSeconds} * interval '1 second')`;
}
