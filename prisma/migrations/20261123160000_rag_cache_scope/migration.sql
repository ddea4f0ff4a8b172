-- Level-2 search cache entries say what they answer for (collection and search parameters, the
-- embedding model) and which generation of their collection they were computed from.

-- Hand-written: existing entries carry none of that; the cache is disposable.
DELETE FROM "cache"."rag_cache";

-- AlterTable
ALTER TABLE "cache"."rag_cache" ADD COLUMN     "collection" "rag"."document_collection" NOT NULL,
ADD COLUMN     "generation" INTEGER NOT NULL,
ADD COLUMN     "model" VARCHAR(220) NOT NULL,
ADD COLUMN     "scope" VARCHAR(200) NOT NULL,
ADD COLUMN     "scores" DOUBLE PRECISION[];

-- CreateTable
CREATE TABLE "cache"."rag_cache_generation" (
    "collection" "rag"."document_collection" NOT NULL,
    "generation" INTEGER NOT NULL DEFAULT 0,

    CONSTRAINT "rag_cache_generation_pkey" PRIMARY KEY ("collection")
);

-- CreateIndex
CREATE INDEX "rag_cache_user_type_scope_model_generation_idx" ON "cache"."rag_cache"("user_type", "scope", "model", "generation");

-- CreateIndex
CREATE INDEX "rag_cache_collection_generation_idx" ON "cache"."rag_cache"("collection", "generation");

-- Hand-written (Prisma neither models nor diffs functions and triggers): every statement that
-- inserts, updates, deletes or truncates rag.document bumps the generation of each collection it
-- touched, in the same transaction. Cached results of that collection computed earlier stop
-- matching at once, whichever process (API, ingest script, seed, re-embed) wrote the documents,
-- and a search still running when the change commits stores its results under the old generation.
-- Statement-level with transition tables: a bulk write bumps each collection once.
INSERT INTO "cache"."rag_cache_generation" ("collection")
SELECT unnest(enum_range(NULL::"rag"."document_collection"))
ON CONFLICT DO NOTHING;

CREATE FUNCTION "cache"."bump_rag_cache_generation"() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'INSERT' THEN
    INSERT INTO "cache"."rag_cache_generation" AS g ("collection", "generation")
    SELECT DISTINCT "collection", 1 FROM new_rows
    ON CONFLICT ("collection") DO UPDATE SET "generation" = g."generation" + 1;
  ELSIF TG_OP = 'UPDATE' THEN
    INSERT INTO "cache"."rag_cache_generation" AS g ("collection", "generation")
    SELECT "collection", 1 FROM (SELECT "collection" FROM new_rows UNION SELECT "collection" FROM old_rows) AS t
    ON CONFLICT ("collection") DO UPDATE SET "generation" = g."generation" + 1;
  ELSIF TG_OP = 'DELETE' THEN
    INSERT INTO "cache"."rag_cache_generation" AS g ("collection", "generation")
    SELECT DISTINCT "collection", 1 FROM old_rows
    ON CONFLICT ("collection") DO UPDATE SET "generation" = g."generation" + 1;
  ELSE
    INSERT INTO "cache"."rag_cache_generation" AS g ("collection", "generation")
    SELECT unnest(enum_range(NULL::"rag"."document_collection")), 1
    ON CONFLICT ("collection") DO UPDATE SET "generation" = g."generation" + 1;
  END IF;
  RETURN NULL;
END
$$;

CREATE TRIGGER "document_insert_bumps_rag_cache" AFTER INSERT ON "rag"."document"
  REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION "cache"."bump_rag_cache_generation"();
CREATE TRIGGER "document_update_bumps_rag_cache" AFTER UPDATE ON "rag"."document"
  REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION "cache"."bump_rag_cache_generation"();
CREATE TRIGGER "document_delete_bumps_rag_cache" AFTER DELETE ON "rag"."document"
  REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION "cache"."bump_rag_cache_generation"();
CREATE TRIGGER "document_truncate_bumps_rag_cache" AFTER TRUNCATE ON "rag"."document"
  FOR EACH STATEMENT EXECUTE FUNCTION "cache"."bump_rag_cache_generation"();
