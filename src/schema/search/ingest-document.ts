import { z } from 'zod';
import { builder } from '../../builder.ts';
import { atMostChars, boundedText, check, rowId } from '../../input/fields.ts';
import type { Document } from '../../generated/prisma/client.ts';
import { appError, badInput, ErrorCode } from '../../errors.ts';
import { deleteDocument, ingestDocument, IngestConflictError, IngestError, INGEST_METADATA_KEY, MAX_QUESTION_LENGTH, MAX_QUESTIONS } from '../../search/ingest.ts';
import { listBound } from '../../input/bounds.ts';
import { DocumentCollectionEnum } from '../enums.ts';

import { DocumentNode } from './document.ts';
import { operatorKey } from '../../auth/caller.ts';

/** Generous for Markdown guides, small enough to embed in one request's time. */
export const MAX_DOCUMENT_CHARACTERS = 500_000;
const MAX_METADATA_CHARACTERS = 20_000;

export const IngestStatusEnum = builder.enumType('IngestStatus', {
  description: 'What ingestDocument did with a document.',
  values: {
    CREATED: { description: 'A new document.' },
    UPDATED: { description: 'An existing document (same collection and source) changed; only its changed chunks were embedded.' },
    UNCHANGED: { description: 'Same content, questions, title, language and metadata: nothing was written.' },
  },
});

const IngestDocumentInput = builder.inputType('IngestDocumentInput', {
  description: 'Input of ingestDocument: one knowledge-base document, identified by its collection and source.',
  fields: (t) => ({
    collection: t.field({ type: DocumentCollectionEnum, required: true }),
    title: t.string({ required: true, description: '1 to 300 characters.', validate: check(boundedText(1, 300)) }),
    source: t.string({
      required: true,
      description: 'The document\'s identity within its collection (a path, a URL...): ingesting the same source again updates it. 1 to 500 characters.',
      validate: check(boundedText(1, 500)),
    }),
    language: t.field({ type: 'LanguageCode', required: true }),
    content: t.string({
      required: true,
      description: `Markdown or plain text, without front matter (at most ${MAX_DOCUMENT_CHARACTERS} characters).`,
      validate: check(z.string().refine(...atMostChars(MAX_DOCUMENT_CHARACTERS)).refine((s) => s.trim().length > 0, 'must not be blank')),
    }),
    questions: t.stringList({
      required: false,
      // maxItems is checked before execution; each question's rules (trimmed) by ingestDocument.
      extensions: listBound(MAX_QUESTIONS).extensions,
      description:
        `Questions the document answers, asked as its readers would ask them (at most ${MAX_QUESTIONS}, each 1 to ${MAX_QUESTION_LENGTH} characters after trimming). ` +
        'Searched with the document (full text and embedding), never shown as a search result. Omitted: none.',
    }),
    metadata: t.field({
      type: 'JSON',
      required: false,
      description: 'A JSON object kept with the document. The key _ingest is reserved.',
      validate: check(
        z
          .record(z.string(), z.unknown())
          .refine((m) => !Object.hasOwn(m, INGEST_METADATA_KEY), `the key ${INGEST_METADATA_KEY} is reserved`)
          .refine((m) => JSON.stringify(m).length <= MAX_METADATA_CHARACTERS, `at most ${MAX_METADATA_CHARACTERS} characters of JSON`),
      ),
    }),
  }),
});

interface IngestPayloadShape {
  document: Document;
  status: 'CREATED' | 'UPDATED' | 'UNCHANGED';
  chunksEmbedded: number;
  chunksKept: number;
  chunksDeleted: number;
}

const IngestDocumentPayload = builder.objectRef<IngestPayloadShape>('IngestDocumentPayload').implement({
  description:
    'Result of ingestDocument: the document, what happened to it (status), and how many of its chunks were embedded, kept and deleted. ' +
    'Its questions, when it has any, are one more (index-only) chunk in these counts: a one-chunk document with questions embeds 2.',
  fields: (t) => ({
    document: t.field({ type: DocumentNode, resolve: (p) => p.document }),
    status: t.expose('status', { type: IngestStatusEnum }),
    chunksEmbedded: t.exposeInt('chunksEmbedded', { description: 'New chunks whose text went to the embedder (the embedding cache may have answered).' }),
    chunksKept: t.exposeInt('chunksKept', { description: 'Stored chunks kept with their embedding.' }),
    chunksDeleted: t.exposeInt('chunksDeleted'),
  }),
});

builder.mutationField('ingestDocument', (t) =>
  t.field({
    authScopes: { operator: 'documents:write' },
    type: IngestDocumentPayload,
    description:
      'Creates or updates a knowledge-base document (identified by collection and source), chunks it and embeds the new chunks. Cached search results of the collection are invalidated. CONFLICT when concurrent ingests of the same document kept committing first: send it again. Operators with documents:write only.',
    args: { input: t.arg({ type: IngestDocumentInput, required: true }) },
    resolve: async (_root, args, ctx) => {
      const operator = operatorKey(ctx);
      // collection is an enum and language the LanguageCode scalar; the rest carry their rules.
      const input = { ...args.input, questions: args.input.questions ?? undefined, metadata: (args.input.metadata ?? {}) as Record<string, unknown> };
      const embedder = ctx.search.embedder;
      let result;
      try {
        result = await ingestDocument(ctx.prisma, embedder, input);
      } catch (err) {
        // Losing to concurrent ingests of the same document is no fault of the input: retry later.
        if (err instanceof IngestConflictError) throw appError(ErrorCode.CONFLICT, err.message);
        if (err instanceof IngestError) throw badInput(err.message);
        throw err;
      }
      const status = result.status.toUpperCase() as IngestPayloadShape['status'];
      if (status !== 'UNCHANGED') {
        ctx.log.info({ apiKey: operator.apiKey.name, document: result.document.id, collection: input.collection, status, chunksEmbedded: result.chunksEmbedded }, 'document ingested');
      }
      return { ...result, status };
    },
  }),
);

const DeleteDocumentInput = builder.inputType('DeleteDocumentInput', {
  description: 'Input of deleteDocument: the global ID of a knowledge-base document.',
  fields: (t) => ({
    id: t.globalID({ for: DocumentNode, required: true, validate: rowId('Document') }),
  }),
});

const DeleteDocumentPayload = builder.objectRef<{ id: string; deleted: boolean }>('DeleteDocumentPayload').implement({
  description: 'Result of deleteDocument (idempotent: deleting a missing document is not an error).',
  fields: (t) => ({
    deletedDocumentId: t.globalID({ resolve: (p) => ({ type: 'Document', id: p.id }) }),
    deleted: t.exposeBoolean('deleted', { description: 'False when there was no such document (deleting is idempotent).' }),
  }),
});

builder.mutationField('deleteDocument', (t) =>
  t.field({
    authScopes: { operator: 'documents:write' },
    type: DeleteDocumentPayload,
    description: 'Deletes a knowledge-base document and its chunks. Cached search results of its collection are invalidated. Operators with documents:write only.',
    args: { input: t.arg({ type: DeleteDocumentInput, required: true }) },
    resolve: async (_root, args, ctx) => {
      const operator = operatorKey(ctx);
      const { id } = args.input.id;
      const deleted = await deleteDocument(ctx.prisma, id);
      if (deleted) ctx.log.info({ apiKey: operator.apiKey.name, document: id }, 'document deleted');
      return { id, deleted };
    },
  }),
);
