// Database objects the Prisma schema cannot express, created in hand-written migrations.
// The engine sees them as drift and proposes to drop them; drift checks and migration
// generation ignore exactly these, and nothing else.
export const handManagedIndexes = [
  'rag.document_chunk_embedding_hnsw_idx',
  'rag.document_chunk_content_fts_idx',
  'app.parental_authorization_request_open_key',
] as const;

const dropPattern = /^(?:-- DropIndex\s+)?DROP INDEX "([^"]+)"\."([^"]+)";?$/;

export function isHandManagedStatement(statement: string) {
  const match = dropPattern.exec(statement.trim());
  return !!match && (handManagedIndexes as readonly string[]).includes(`${match[1]}.${match[2]}`);
}
