-- Hand-written: indexes the Prisma schema cannot express (listed in src/db/migrate/hand-managed.ts
-- so that drift checks and generated migrations leave them alone).

-- Approximate nearest neighbours by cosine distance over chunk embeddings.
CREATE INDEX IF NOT EXISTS "document_chunk_embedding_hnsw_idx"
  ON "rag"."document_chunk" USING hnsw ("embedding" vector_cosine_ops) WITH (m = 16, ef_construction = 64);

-- Full-text ranking for hybrid search; 'simple' because chunks are in six languages.
CREATE INDEX IF NOT EXISTS "document_chunk_content_fts_idx"
  ON "rag"."document_chunk" USING gin (to_tsvector('simple', "content"));
