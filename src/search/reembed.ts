// Re-embeds the knowledge base with the configured provider (`npm run reembed`), after a change of
// embedding model or width. Documents whose recorded model is not the configured one (or that have
// chunks without a vector) are re-embedded, a batch of documents at a time; each batch's vectors
// and its documents' metadata._ingest.embeddingModel are written in one transaction, so an
// interrupted run resumes where it stopped and a finished one is a no-op.
//
// A width change first turns the column into vector(N) (all vectors dropped: they cannot be cast),
// which also needs the HNSW index dropped and rebuilt. The index is also dropped during a large
// re-embed (rebuilding it once is far cheaper than updating it row by row). Both search caches are
// then cleared: level 2 entirely, level 1 of every entry the configured provider cannot use.
import type { Database } from '../db/database.ts';
import type { Embedder } from './embedder.ts';
import { CachedEmbedder } from './embedding-cache.ts';
import { storedEmbeddingState } from './embedding-state.ts';
import { INGEST_METADATA_KEY } from './ingest.ts';
import { toVectorLiteral } from './vector.ts';

export const HNSW_INDEX = 'rag.document_chunk_embedding_hnsw_idx';
/** The index exactly as prisma/migrations/*_search_indexes creates it. */
export const CREATE_HNSW_INDEX_SQL =
  'CREATE INDEX IF NOT EXISTS "document_chunk_embedding_hnsw_idx" ON "rag"."document_chunk" USING hnsw ("embedding" vector_cosine_ops) WITH (m = 16, ef_construction = 64)';
/** pgvector's HNSW limit for the vector type. */
export const HNSW_MAX_DIMENSIONS = 2000;

/**
 * DDL of a maintenance run: no statement timeout (the API's pool has one: DB_STATEMENT_TIMEOUT_MS),
 * and room for the HNSW graph in memory while it is built (with the default 64 MB, 100,000 chunks of
 * 384 dimensions no longer fit and the build slows down several times).
 */
const MAINTENANCE = ["SET LOCAL statement_timeout = 0", "SET LOCAL maintenance_work_mem = '512MB'"];
/** Prisma ends a transaction after 5 s unless told otherwise: an index build on 100,000 chunks takes minutes. */
const MAINTENANCE_TX = { maxWait: 60_000, timeout: 6 * 3600_000 };
/** One batch of re-embedded chunks: seconds at most, unless the database is very busy. */
const BATCH_TX = { maxWait: 60_000, timeout: 120_000 };

/** Builds the HNSW index (if missing), in one transaction with maintenance settings. */
export async function buildHnswIndex(prisma: Database['prisma']): Promise<void> {
  await prisma.$transaction([...MAINTENANCE.map((sql) => prisma.$executeRawUnsafe(sql)), prisma.$executeRawUnsafe(CREATE_HNSW_INDEX_SQL)], MAINTENANCE_TX);
}

export interface ReembedOptions {
  /** Chunks per provider call and per write transaction (default 256). */
  batchSize?: number;
  /** Also delete level-1 entries of the configured model (a self-hosted model changed under the same name). */
  clearEmbeddingCache?: boolean;
  /** Drop the HNSW index during the run when at least this share of chunks is re-embedded (default 0.2). */
  rebuildIndexAbove?: number;
  onProgress?: (p: { documents: number; totalDocuments: number; chunks: number; totalChunks: number }) => void;
  log?: (line: string) => void;
}

export interface ReembedResult {
  model: string;
  dimensions: { from: number | null; to: number } | null;
  documents: number;
  chunks: number;
  indexRebuilt: boolean;
  cleared: { embeddingCache: number; ragCache: number };
  elapsedMs: number;
}

interface StaleDocument {
  id: string;
  chunks: number;
}

export async function reembed(db: Pick<Database, 'prisma'>, provider: Embedder, options: ReembedOptions = {}): Promise<ReembedResult> {
  const started = performance.now();
  const prisma = db.prisma;
  const log = options.log ?? (() => {});
  const batchSize = Math.max(1, options.batchSize ?? 256);
  const model = provider.model;
  const width = provider.dimensions;
  const state = await storedEmbeddingState(prisma);
  const widthChanged = state.columnDimensions !== width;
  if (widthChanged && width > HNSW_MAX_DIMENSIONS) {
    throw new Error(`${model} makes ${width}-dimensional vectors; pgvector's HNSW index takes at most ${HNSW_MAX_DIMENSIONS}`);
  }

  let indexDropped = false;
  if (widthChanged) {
    log(`rag.document_chunk.embedding: vector(${state.columnDimensions ?? '?'}) -> vector(${width}); every chunk will be re-embedded`);
    await prisma.$transaction([
      ...MAINTENANCE.map((sql) => prisma.$executeRawUnsafe(sql)),
      prisma.$executeRawUnsafe(`DROP INDEX IF EXISTS ${HNSW_INDEX}`),
      prisma.$executeRawUnsafe(`ALTER TABLE rag.document_chunk ALTER COLUMN embedding TYPE vector(${Number(width)}) USING NULL`),
    ], MAINTENANCE_TX);
    indexDropped = true;
  }

  const stale = await prisma.$queryRaw<StaleDocument[]>`
    SELECT d.id::text AS id, count(c.id)::int AS chunks
    FROM rag.document d LEFT JOIN rag.document_chunk c ON c.document_id = d.id
    GROUP BY d.id
    HAVING (d.metadata -> ${INGEST_METADATA_KEY} ->> 'embeddingModel') IS DISTINCT FROM ${model}
        OR bool_or(c.id IS NOT NULL AND c.embedding IS NULL)
    ORDER BY d.id`;
  const totalChunks = stale.reduce((n, d) => n + d.chunks, 0);
  const [{ all }] = await prisma.$queryRaw<{ all: number }[]>`SELECT count(*)::int AS all FROM rag.document_chunk`;
  log(`${stale.length} document(s), ${totalChunks} of ${all} chunk(s) to embed with ${model}`);

  if (!indexDropped && totalChunks > 0 && totalChunks >= (options.rebuildIndexAbove ?? 0.2) * all) {
    await prisma.$executeRawUnsafe(`DROP INDEX IF EXISTS ${HNSW_INDEX}`);
    indexDropped = true;
  }

  // Level 1 first: entries of other models (or widths) can never answer the configured provider.
  const embeddingCache = options.clearEmbeddingCache
    ? await prisma.$executeRaw`DELETE FROM cache.embedding_cache`
    : await prisma.$executeRaw`DELETE FROM cache.embedding_cache WHERE model <> ${model} OR embedding IS NULL OR vector_dims(embedding) <> ${width}`;
  const embedder = new CachedEmbedder(prisma, provider);

  let doneDocuments = 0;
  let doneChunks = 0;
  for (let i = 0; i < stale.length; ) {
    // A batch: whole documents, about batchSize chunks (one document may exceed it alone).
    const batch: string[] = [];
    let chunks = 0;
    while (i < stale.length && (batch.length === 0 || chunks + stale[i].chunks <= batchSize)) {
      chunks += stale[i].chunks;
      batch.push(stale[i++].id);
    }
    const rows = await prisma.$queryRaw<{ id: string; content: string }[]>`
      SELECT id::text AS id, content FROM rag.document_chunk WHERE document_id = ANY(${batch}::uuid[]) ORDER BY id`;
    const vectors: number[][] = [];
    for (let j = 0; j < rows.length; j += batchSize) vectors.push(...(await embedder.embed(rows.slice(j, j + batchSize).map((r) => r.content))));
    const literals = vectors.map((v) => {
      if (v.length !== width) throw new Error(`${model} returned a ${v.length}-dimensional vector, ${width} expected`);
      return toVectorLiteral(v);
    });
    await prisma.$transaction([
      prisma.$executeRaw`
        UPDATE rag.document_chunk AS c SET embedding = t.e::vector
        FROM unnest(${rows.map((r) => r.id)}::uuid[], ${literals}::text[]) AS t(id, e)
        WHERE c.id = t.id`,
      prisma.$executeRaw`
        UPDATE rag.document
        SET metadata = metadata || jsonb_build_object(${INGEST_METADATA_KEY}::text,
          COALESCE(metadata -> ${INGEST_METADATA_KEY}, '{}'::jsonb) || jsonb_build_object('embeddingModel', ${model}::text))
        WHERE id = ANY(${batch}::uuid[])`,
    ], BATCH_TX);
    doneDocuments += batch.length;
    doneChunks += rows.length;
    options.onProgress?.({ documents: doneDocuments, totalDocuments: stale.length, chunks: doneChunks, totalChunks });
  }

  if (indexDropped) {
    log('building the HNSW index');
    await buildHnswIndex(prisma);
  }
  // Level 2 last: nothing answered before the run (or during it) may answer after it.
  const ragCache = await prisma.$executeRaw`DELETE FROM cache.rag_cache`;

  return {
    model,
    dimensions: widthChanged ? { from: state.columnDimensions, to: width } : null,
    documents: doneDocuments,
    chunks: doneChunks,
    indexRebuilt: indexDropped,
    cleared: { embeddingCache, ragCache },
    elapsedMs: Math.round(performance.now() - started),
  };
}
