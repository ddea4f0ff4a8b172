// What the stored vectors are (the chunk column's width, the model each document was embedded
// with) against what the configured provider makes. The server refuses to start on a mismatch:
// comparing a query vector of one model with chunk vectors of another returns confident nonsense.
import type { PrismaClient } from '../generated/prisma/client.ts';
import type { Embedder } from './embedder.ts';
import { INGEST_METADATA_KEY } from './ingest.ts';

type RawClient = Pick<PrismaClient, '$queryRaw'>;

export interface StoredEmbeddingState {
  /** N of rag.document_chunk.embedding's type vector(N); null when the column has no fixed width. */
  columnDimensions: number | null;
  /** Documents per recorded embedding model (null: no model recorded). */
  models: { model: string | null; documents: number }[];
}

export async function storedEmbeddingState(prisma: RawClient): Promise<StoredEmbeddingState> {
  const [column] = await prisma.$queryRaw<{ type: string }[]>`
    SELECT format_type(a.atttypid, a.atttypmod) AS type
    FROM pg_attribute a
    WHERE a.attrelid = 'rag.document_chunk'::regclass AND a.attname = 'embedding' AND NOT a.attisdropped`;
  const width = /^vector\((\d+)\)$/.exec(column?.type ?? '');
  const models = await prisma.$queryRaw<{ model: string | null; documents: number }[]>`
    SELECT metadata -> ${INGEST_METADATA_KEY} ->> 'embeddingModel' AS model, count(*)::int AS documents
    FROM rag.document GROUP BY 1 ORDER BY 2 DESC`;
  return { columnDimensions: width ? Number(width[1]) : null, models };
}

export class EmbeddingMismatchError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'EmbeddingMismatchError';
  }
}

/** The problems that stop the configured embedder from serving the stored vectors; empty when it can. */
export function embeddingMismatches(state: StoredEmbeddingState, embedder: Pick<Embedder, 'model' | 'dimensions'>): string[] {
  const problems: string[] = [];
  if (state.columnDimensions !== null && state.columnDimensions !== embedder.dimensions) {
    problems.push(`rag.document_chunk.embedding is vector(${state.columnDimensions}), the provider makes ${embedder.dimensions}-dimensional vectors`);
  }
  for (const { model, documents } of state.models) {
    if (model !== embedder.model) {
      problems.push(`${documents} document(s) were embedded ${model === null ? 'with no recorded model' : `with ${model}`}`);
    }
  }
  return problems;
}

/**
 * Throws EmbeddingMismatchError, naming `npm run reembed`, when the configured embedder's model or
 * width differs from the stored vectors'. An empty knowledge base always matches (when the width does).
 */
export async function assertEmbeddingsMatch(db: { prisma: RawClient }, embedder: Pick<Embedder, 'model' | 'dimensions'>): Promise<void> {
  const problems = embeddingMismatches(await storedEmbeddingState(db.prisma), embedder);
  if (problems.length === 0) return;
  throw new EmbeddingMismatchError(
    `The configured embeddings (${embedder.model}, ${embedder.dimensions} dimensions) do not match the stored vectors: ` +
      `${problems.join('; ')}. Searching would compare vectors of different models. ` +
      'Run `npm run reembed` with the new EMBEDDINGS_* settings (it re-embeds every chunk and clears both search caches), ' +
      'or restore the previous settings.' +
      (problems.some((p) => p.startsWith('rag.document_chunk'))
        ? ' A new width also needs Unsupported("vector(N)") in prisma/schema.prisma, CHUNK_EMBEDDING_DIMENSIONS and a migration (README, "Changing the embedding model").'
        : ''),
  );
}
