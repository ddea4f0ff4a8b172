-- A document's authored questions (front matter `questions`) are indexed as one index-only row per
-- document: searched on both sides, never shown (src/search/search.ts maps a match to one of the
-- document's content chunks). Existing rows are content chunks.
-- AlterTable
ALTER TABLE "rag"."document_chunk" ADD COLUMN     "index_only" BOOLEAN NOT NULL DEFAULT false;
