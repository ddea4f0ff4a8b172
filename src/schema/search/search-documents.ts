import { z } from 'zod';
import { builder } from '../../builder.ts';
import type { Context } from '../../context.ts';
import type { Document } from '../../generated/prisma/client.ts';
import { afterExecution, recordSearchTrace, responsePath } from '../../search/extensions.ts';
import { currentRequest } from '../../observability/request-scope.ts';
import { MAX_QUERY_LENGTH, MAX_RESULTS, MIN_QUERY_LENGTH } from '../../search/query-text.ts';
import type { SearchMode } from '../../search/search.ts';
import type { RankedResult } from '../../search/service.ts';
import { DocumentCollectionEnum } from '../enums.ts';
import { DocumentNode } from './document.ts';
import { searcherOf, showsCacheMarkers } from './searcher.ts';
import { parseInput } from '../arguments.ts';

export const SearchModeEnum = builder.enumType('SearchMode', {
  description: 'How searchDocuments ranks chunks.',
  values: {
    VECTOR: {
      description:
        "Nearest chunks by cosine distance of embeddings (pgvector HNSW). A document's authored questions are searched too and stand for its content chunk nearest the query. Score: cosine similarity (of the questions, when they are nearer).",
    },
    HYBRID: {
      description:
        'The vector ranking and PostgreSQL full-text ranking fused by weighted reciprocal rank fusion (k = 60, full text weighing 1.5) over documents: one result per document, its best chunk. Score: the fused score over its maximum, 1 for a document ranked first by both.',
    },
  } satisfies Record<SearchMode, unknown>,
});

/** The document of each result, for all results of a request in one query. */
async function loadDocuments(ids: string[], ctx: Context): Promise<(Document | Error)[]> {
  const rows = await ctx.prisma.document.findMany({ where: { id: { in: [...new Set(ids)] } } });
  const byId = new Map(rows.map((d) => [d.id, d]));
  return ids.map((id) => byId.get(id) ?? new Error('document not found'));
}

export const SearchResultRef = builder.objectRef<RankedResult>('SearchResult').implement({
  description: 'One chunk of a document that matches a search.',
  fields: (t) => ({
    rank: t.exposeInt('rank', { description: '1 for the best result.' }),
    score: t.exposeFloat('score', { description: 'In [0, 1], higher is better; its meaning depends on the mode (see SearchMode).' }),
    content: t.exposeString('content', { description: 'The chunk text (Markdown), prefixed with its section heading.' }),
    fromCache: t.exposeBoolean('fromCache', {
      description:
        'Whether this result came from the search result cache (a close enough query answered before). Always false for users: only operators holding search:diagnostics, and development servers, see it.',
    }),
    document: t.loadable({
      type: DocumentNode,
      load: (ids: string[], ctx: Context) => loadDocuments(ids, ctx),
      resolve: (r) => r.documentId,
    }),
  }),
});

/**
 * The arguments' rules, checked in the resolver rather than on the arguments: a user who may not
 * search the collection asked for (searcherOf: FORBIDDEN) must hear that before any input issue.
 */
const argsSchema = z.object({
  query: z
    .string()
    .transform((s) => s.trim())
    .pipe(z.string().min(MIN_QUERY_LENGTH, 'must not be empty').max(MAX_QUERY_LENGTH, `at most ${MAX_QUERY_LENGTH} characters`)),
  first: z.number().int().min(1).max(MAX_RESULTS, `at most ${MAX_RESULTS}`),
  minScore: z.number().min(0).max(1),
});

builder.queryField('searchDocuments', (t) =>
  t.field({
    authScopes: { $any: { session: 'FULL', operator: 'search:diagnostics' } },
    type: [SearchResultRef],
    description:
      'Searches the knowledge base, best chunks first. The collection defaults to the caller\'s (teenagers YOUTH, parents ADULT); teenagers can only search YOUTH. Needs a FULL session. ' +
      'For operators holding search:diagnostics (who may search any collection) and on development servers, the response\'s extensions.search.<field path> tells whether the query embedding and the results came from the caches; users never see it.',
    args: {
      query: t.arg.string({ required: true, description: `1 to ${MAX_QUERY_LENGTH} characters (trimmed).` }),
      first: t.arg.int({ required: false, defaultValue: 5, description: `1 to ${MAX_RESULTS}.` }),
      language: t.arg({ type: 'LanguageCode', required: false, description: 'Only documents in this language (every language when omitted). The full-text half parses the query in this language, else in the caller\'s, else in every language.' }),
      collection: t.arg({ type: DocumentCollectionEnum, required: false }),
      mode: t.arg({ type: SearchModeEnum, required: false, defaultValue: 'HYBRID' }),
      minScore: t.arg.float({ required: false, defaultValue: 0, description: 'Leave out results scoring below this (0 to 1).' }),
    },
    resolve: async (_root, args, ctx, info) => {
      const { userType, collection } = searcherOf(ctx, args.collection);
      const input = parseInput(argsSchema, { query: args.query, first: args.first ?? 5, minScore: args.minScore ?? 0 }, null);
      const mode: SearchMode = args.mode ?? 'HYBRID';
      const { results, trace } = await ctx.search.search(
        {
          text: input.query,
          userType,
          params: {
            collection,
            language: args.language ?? null,
            // The query's words are stemmed in the requested language, else the caller's, else every language.
            textLanguage: args.language ?? (ctx.viewer.kind === 'user' ? ctx.viewer.user.language : null) ?? null,
            mode,
            first: input.first,
            minScore: input.minScore,
          },
        },
        afterExecution(ctx),
      );
      currentRequest()?.searchTraces.push(trace); // metrics count every lookup, shown or not
      // A user must not learn that someone asked something close before (searcher.ts).
      if (!showsCacheMarkers(ctx)) return results.map((r) => ({ ...r, fromCache: false }));
      recordSearchTrace(ctx, responsePath(info.path), trace);
      return results;
    },
  }),
);
