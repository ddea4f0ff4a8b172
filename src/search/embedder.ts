// The one seam between search and whatever turns text into vectors (local hashing, a remote
// OpenAI-compatible service, a cache in front of either).

export interface Embedder {
  /** Identifies the vector space: vectors from different models must never be compared or mixed. */
  readonly model: string;
  readonly dimensions: number;
  /** One vector per input text, in input order. */
  embed(texts: string[]): Promise<number[][]>;
}

/** The width of rag.document_chunk.embedding (`vector(384)` in prisma/schema.prisma). */
export const CHUNK_EMBEDDING_DIMENSIONS = 384;
