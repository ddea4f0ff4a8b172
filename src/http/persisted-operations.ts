// Trusted documents (persisted operations): the SDK's operations, known by their sha256, from the
// manifest GraphQL Code Generator's client preset writes (src/client/generated/persisted-documents.json).
// A client sends `extensions.persistedQuery.sha256Hash` (Apollo's shape) or `documentId`
// ("sha256:<hex>", the GraphQL-over-HTTP draft's shape) instead of the document.
// PERSISTED_OPERATIONS:
//   off      hashes are not understood; documents run as before
//   allow    hashes and documents both run (the default)
//   require  only hashes run; any other document is refused with PERSISTED_QUERY_ONLY, except
//            for callers presenting an API key when PERSISTED_OPERATIONS_API_KEYS=true (the key
//            itself is checked before anything executes: a forged header gets UNAUTHENTICATED)
import { readFileSync } from 'node:fs';
import { usePersistedOperations } from '@graphql-yoga/plugin-persisted-operations';
import type { GraphQLParams, Plugin } from 'graphql-yoga';
import type { Config } from '../config.ts';
import { GraphQLError } from 'graphql';
import { presentedApiKey } from '../auth/viewer.ts';

export const manifestUrl = new URL('../client/generated/persisted-documents.json', import.meta.url);

export type PersistedManifest = Readonly<Record<string, string>>;

/** hash ("sha256:<hex>") → document text; read once at start-up. */
export function loadManifest(url: URL = manifestUrl): PersistedManifest {
  return Object.freeze(JSON.parse(readFileSync(url, 'utf8')) as Record<string, string>);
}

const HEX = /^[0-9a-f]{64}$/;

/** The operation's hash as the manifest keys it, or null when the request carries none. */
export function persistedOperationId(params: GraphQLParams & { documentId?: unknown }): string | null {
  const fromExtensions = (params.extensions?.persistedQuery as { sha256Hash?: unknown } | undefined)?.sha256Hash;
  const raw = typeof fromExtensions === 'string' ? fromExtensions : typeof params.documentId === 'string' ? params.documentId : null;
  if (raw === null) return null;
  const hex = raw.startsWith('sha256:') ? raw.slice(7) : raw;
  // Anything else is kept as given, so it is reported as not found rather than crashing.
  return HEX.test(hex) ? `sha256:${hex}` : raw.slice(0, 80);
}

export function usePersistedDocuments(config: Pick<Config, 'persistedOperations'>, manifest: PersistedManifest = loadManifest()): Plugin[] {
  const { mode, apiKeysMayRunAnyDocument } = config.persistedOperations;
  if (mode === 'off') return [];
  return [
    usePersistedOperations({
      getPersistedOperation: (key) => (Object.hasOwn(manifest, key) ? manifest[key] : null),
      extractPersistedOperationId: (params) => persistedOperationId(params),
      allowArbitraryOperations: (request) => mode === 'allow' || (apiKeysMayRunAnyDocument && presentedApiKey(request.headers) !== null),
      // The manifest's documents were validated by codegen against this schema, but the schema
      // may have moved since: validate anyway (cheap, and cached by yoga's parser cache).
      skipDocumentValidation: false,
      customErrors: {
        notFound: {
          message: 'Unknown persisted operation: this hash is not in the server’s manifest (regenerate the SDK, or send the document)',
          extensions: { code: 'PERSISTED_QUERY_NOT_FOUND', http: { status: 400 } },
        },
        persistedQueryOnly: {
          message: 'This server runs only persisted operations: send extensions.persistedQuery.sha256Hash of a document from the SDK manifest',
          extensions: { code: 'PERSISTED_QUERY_ONLY', http: { status: 400 } },
        },
        keyNotFound: {
          message: 'This server runs only persisted operations: send extensions.persistedQuery.sha256Hash of a document from the SDK manifest',
          extensions: { code: 'PERSISTED_QUERY_ONLY', http: { status: 400 } },
        },
      },
    }),
  ];
}

/** What decides a WebSocket operation's document: the text to run, or the refusal. */
export type DocumentResolver = (params: { query: string; extensions?: Record<string, unknown> | null }, headers: Headers) => string | GraphQLError;

/**
 * The same rules for WebSocket operations (graphql-ws), which yoga's plugin never sees: under
 * `require`, only a manifest hash in `extensions.persistedQuery.sha256Hash` runs (PERSISTED_QUERY_ONLY
 * otherwise, PERSISTED_QUERY_NOT_FOUND for an unknown hash), except for an API key when
 * PERSISTED_OPERATIONS_API_KEYS=true; under `allow`, a known hash runs its document and a full
 * document runs as sent; under `off`, the document as sent.
 */
export function persistedDocumentResolver(config: Pick<Config, 'persistedOperations'>, manifest: PersistedManifest = loadManifest()): DocumentResolver {
  const { mode, apiKeysMayRunAnyDocument } = config.persistedOperations;
  const refusal = (code: 'PERSISTED_QUERY_ONLY' | 'PERSISTED_QUERY_NOT_FOUND') =>
    new GraphQLError(
      code === 'PERSISTED_QUERY_ONLY'
        ? 'This server runs only persisted operations: send extensions.persistedQuery.sha256Hash of a document from the SDK manifest'
        : 'Unknown persisted operation: this hash is not in the server’s manifest (regenerate the SDK, or send the document)',
      { extensions: { code } },
    );
  return (params, headers) => {
    if (mode === 'off') return params.query;
    const id = persistedOperationId({ query: params.query, extensions: params.extensions ?? undefined });
    if (id !== null) return Object.hasOwn(manifest, id) ? manifest[id] : refusal('PERSISTED_QUERY_NOT_FOUND');
    if (mode === 'allow' || (apiKeysMayRunAnyDocument && presentedApiKey(headers) !== null)) return params.query;
    return refusal('PERSISTED_QUERY_ONLY');
  };
}
