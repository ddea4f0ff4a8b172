// Knowledge-base documents (rag.document): who may see which collection, and the Document node.
import { builder } from '../../builder.ts';
import type { Context } from '../../context.ts';
import type { DocumentCollection, UserType } from '../../generated/prisma/client.ts';
import { INGEST_METADATA_KEY } from '../../search/ingest.ts';
import { visibleTo } from '../../visibility.ts';
import { DocumentCollectionEnum } from '../enums.ts';
import { hasPermission } from '../../auth/caller.ts';

/** The collection a user's searches default to (seed 001: docs_youth for teenagers, docs_adult for parents). */
export const defaultCollectionOf = (userType: UserType): DocumentCollection => (userType === 'PARENT' ? 'ADULT' : 'YOUTH');

/**
 * The collections a user may read: teenagers YOUTH only; parents ADULT and also YOUTH (a parent
 * may read what their child is given).
 */
export const collectionsOf = (userType: UserType): readonly DocumentCollection[] => (userType === 'PARENT' ? ['ADULT', 'YOUTH'] : ['YOUTH']);

/** Users with a FULL session see the collections of their user type; operators holding documents:write, documents:read or search:diagnostics see all. */
export const canSeeDocument = visibleTo<{ collection: DocumentCollection }>('Document', (doc, ctx: Context) => {
  if (hasPermission(ctx, 'documents:write') || hasPermission(ctx, 'documents:read') || hasPermission(ctx, 'search:diagnostics')) return true;
  if (ctx.viewer.kind !== 'user' || ctx.viewer.session.scope !== 'FULL') return false;
  return collectionsOf(ctx.viewer.user.userType).includes(doc.collection);
});

/** Metadata as clients see it: the ingest bookkeeping key is internal. */
export function publicMetadata(metadata: unknown): Record<string, unknown> {
  if (!metadata || typeof metadata !== 'object' || Array.isArray(metadata)) return {};
  const { [INGEST_METADATA_KEY]: _ingest, ...rest } = metadata as Record<string, unknown>;
  return rest;
}

export const DocumentNode = builder.prismaNode('Document', {
  id: { field: 'id' },
  description: 'A knowledge-base document: YOUTH for teenagers, ADULT (parenting guides) for parents. Its text is searched chunk by chunk.',
  authScopes: (doc, ctx) => canSeeDocument(doc, ctx),
  fields: (t) => ({
    title: t.exposeString('title'),
    source: t.exposeString('source', { description: 'Identifies the document within its collection (a path, a URL...).' }),
    collection: t.expose('collection', { type: DocumentCollectionEnum }),
    language: t.expose('language', { type: 'LanguageCode' }),
    metadata: t.field({
      type: 'JSON',
      description: 'Free-form metadata given at ingestion (front matter), as a JSON object.',
      resolve: (doc) => publicMetadata(doc.metadata),
    }),
    createdAt: t.expose('createdAt', { type: 'DateTime' }),
    updatedAt: t.expose('updatedAt', { type: 'DateTime' }),
  }),
});
