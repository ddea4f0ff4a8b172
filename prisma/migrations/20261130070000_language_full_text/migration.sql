-- Hand-written (Prisma models neither text search configurations, functions nor triggers; the
-- objects are listed in src/db/migrate/hand-managed.ts): language-aware full text.
--
-- Each chunk's tsvector is built with its document's language: Snowball stemming and stop words
-- of french, english, spanish, italian, german or portuguese, and accents folded by unaccent, so
-- "harcelé", "harcèlement" and "harcelement" meet. Other languages get `simple` plus unaccent.
-- A generated column cannot read the document's language, so a trigger fills content_tsv.

CREATE EXTENSION IF NOT EXISTS unaccent;

-- rag.search_<code>: a copy of the language's configuration whose words go through unaccent first
-- (a filtering dictionary: it hands the folded word on) and then the language's Snowball stemmer.
DO $$
DECLARE l record;
BEGIN
  FOR l IN SELECT * FROM (VALUES ('fr', 'french'), ('en', 'english'), ('es', 'spanish'), ('it', 'italian'),
                                 ('de', 'german'), ('pt', 'portuguese')) AS t(code, name) LOOP
    EXECUTE format('CREATE TEXT SEARCH CONFIGURATION "rag".%I (COPY = pg_catalog.%I)', 'search_' || l.code, l.name);
    EXECUTE format('ALTER TEXT SEARCH CONFIGURATION "rag".%I ALTER MAPPING FOR hword, hword_part, word WITH unaccent, %I',
                   'search_' || l.code, l.name || '_stem');
  END LOOP;
END
$$;
CREATE TEXT SEARCH CONFIGURATION "rag"."search_simple" (COPY = pg_catalog.simple);
ALTER TEXT SEARCH CONFIGURATION "rag"."search_simple" ALTER MAPPING FOR hword, hword_part, word WITH unaccent, simple;

-- The configuration of a language code (ISO 639-1); src/search/search.ts parses queries with it.
CREATE FUNCTION "rag"."search_config"(language text) RETURNS regconfig
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT CASE language
    WHEN 'fr' THEN 'rag.search_fr'::regconfig
    WHEN 'en' THEN 'rag.search_en'::regconfig
    WHEN 'es' THEN 'rag.search_es'::regconfig
    WHEN 'it' THEN 'rag.search_it'::regconfig
    WHEN 'de' THEN 'rag.search_de'::regconfig
    WHEN 'pt' THEN 'rag.search_pt'::regconfig
    ELSE 'rag.search_simple'::regconfig
  END
$$;

-- The stored column: no longer generated (it depends on another table), filled by triggers.
DROP INDEX IF EXISTS "rag"."document_chunk_content_fts_idx";
ALTER TABLE "rag"."document_chunk" DROP COLUMN "content_tsv";
ALTER TABLE "rag"."document_chunk" ADD COLUMN "content_tsv" tsvector;

-- A chunk written (inserted, or its text or document changed): its tsvector in its document's language.
CREATE FUNCTION "rag"."chunk_content_tsv"() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  NEW."content_tsv" := to_tsvector(
    "rag"."search_config"((SELECT d."language" FROM "rag"."document" d WHERE d."id" = NEW."document_id")),
    NEW."content");
  RETURN NEW;
END
$$;
CREATE TRIGGER "document_chunk_content_tsv"
  BEFORE INSERT OR UPDATE OF "content", "document_id", "content_tsv" ON "rag"."document_chunk"
  FOR EACH ROW EXECUTE FUNCTION "rag"."chunk_content_tsv"();

-- A document whose language changes: its chunks are parsed again in the new language.
CREATE FUNCTION "rag"."document_language_tsv"() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  UPDATE "rag"."document_chunk" SET "content_tsv" = NULL WHERE "document_id" = NEW."id";
  RETURN NULL;
END
$$;
CREATE TRIGGER "document_language_tsv"
  AFTER UPDATE OF "language" ON "rag"."document"
  FOR EACH ROW WHEN (OLD."language" IS DISTINCT FROM NEW."language")
  EXECUTE FUNCTION "rag"."document_language_tsv"();

-- Rebuild every stored tsvector (the UPDATE fires the chunk trigger), then the GIN index.
UPDATE "rag"."document_chunk" SET "content_tsv" = NULL;
CREATE INDEX "document_chunk_content_fts_idx" ON "rag"."document_chunk" USING gin ("content_tsv");
