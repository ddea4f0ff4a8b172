// Database objects the Prisma schema cannot express, created in hand-written migrations.
// The engine sees them as drift and proposes to drop them; drift checks and migration
// generation ignore exactly these, and nothing else.
export const handManagedIndexes = [
  'rag.document_chunk_embedding_hnsw_idx',
  'rag.document_chunk_content_fts_idx',
  'app.parental_authorization_request_open_key',
] as const;

/**
 * Other hand-written objects, which the engine neither introspects nor diffs (listed so that a
 * reader knows where they come from; nothing filters them): the unaccent extension, the text
 * search configurations and triggers of the language_full_text migration, and the cache
 * generation trigger of rag_cache_scope.
 */
export const handManagedObjects = [
  'extension vector',
  'extension unaccent',
  'text search configurations rag.search_fr, _en, _es, _it, _de, _pt, _simple',
  'function rag.search_config(text)',
  'trigger rag.document_chunk.document_chunk_content_tsv (function rag.chunk_content_tsv)',
  'trigger rag.document.document_language_tsv (function rag.document_language_tsv)',
  'trigger on rag.document (function cache.bump_rag_cache_generation)',
] as const;

const dropPattern = /^(?:-- DropIndex\s+)?DROP INDEX "([^"]+)"\."([^"]+)";?$/;

export function isHandManagedStatement(statement: string) {
  const match = dropPattern.exec(statement.trim());
  return !!match && (handManagedIndexes as readonly string[]).includes(`${match[1]}.${match[2]}`);
}
