// The schema builder: plugins, scalars and the names of auth scopes. It defines no domain types.
import SchemaBuilder from '@pothos/core';
import PrismaPlugin from '@pothos/plugin-prisma';
import RelayPlugin from '@pothos/plugin-relay';
import ScopeAuthPlugin from '@pothos/plugin-scope-auth';
import DataloaderPlugin from '@pothos/plugin-dataloader';
import ComplexityPlugin from '@pothos/plugin-complexity';
import ZodPlugin from '@pothos/plugin-zod';
import GlobalIdInputsPlugin from './input/global-ids.ts';
import { GraphQLError, GraphQLScalarType, Kind } from 'graphql';
import { CountryCodeResolver, DateTimeResolver, JSONResolver, UUIDResolver } from 'graphql-scalars';
import { INPUT_BOUNDS } from './input/bounds.ts';
import { appEnv } from './config.ts';
import { ISO_639_1 } from './input/fields.ts';
import type PrismaTypes from './generated/pothos-types.ts';
import { getDatamodel } from './generated/pothos-types.ts';
import type { Context } from './context.ts';
import { refusal, ROOT_TYPES, scopesFor, type Scopes } from './auth/scopes.ts';
import { appError, badInput, ErrorCode, fromZod } from './errors.ts';
import { CURSOR_FORMAT_DESCRIPTION } from './schema/pagination.ts';

/**
 * The cost of a connection field: its page size, clamped to 1..MAX_PAGE_SIZE. Out-of-range sizes
 * are refused by the field itself (pagination.ts pageRequest, BAD_USER_INPUT at its path, before
 * it reads anything); throwing here would fail every root field of the operation, at a wrong path.
 */
function connectionComplexity(args: { first?: number | null; last?: number | null }) {
  const size = args.first ?? args.last ?? DEFAULT_PAGE_SIZE;
  return { field: 1, multiplier: Math.min(Math.max(size, 1), MAX_PAGE_SIZE) };
}

export const DEFAULT_PAGE_SIZE = 20;
export const MAX_PAGE_SIZE = 100;

/** The one check of a language code: every LanguageCode input, argument or input field, passes it. */
function languageCode(value: unknown): string {
  if (typeof value !== 'string' || !ISO_639_1.has(value)) throw badInput('LanguageCode must be an ISO 639-1 code in lower case, e.g. "fr"');
  return value;
}

const LanguageCode = new GraphQLScalarType<string, string>({
  name: 'LanguageCode',
  description: 'An ISO 639-1 language code, one of its 184: two lowercase letters, e.g. "fr". Any other value ("xx", "FR", "fra") is BAD_USER_INPUT.',
  serialize: (value) => String(value),
  parseValue: languageCode,
  // graphql-js reports a literal's GraphQLError as it is: the node gives it the literal's location.
  parseLiteral: (ast) => {
    try {
      return languageCode(ast.kind === Kind.STRING ? ast.value : undefined);
    } catch (err) {
      const e = err as GraphQLError;
      throw new GraphQLError(e.message, { nodes: ast, extensions: e.extensions });
    }
  },
});

export const builder = new SchemaBuilder<{
  Context: Context;
  PrismaTypes: PrismaTypes;
  DefaultFieldNullability: false;
  DefaultEdgesNullability: false;
  DefaultNodeNullability: false;
  Scalars: {
    DateTime: { Input: Date; Output: Date | string };
    JSON: { Input: unknown; Output: unknown };
    UUID: { Input: string; Output: string };
    CountryCode: { Input: string; Output: string };
    LanguageCode: { Input: string; Output: string };
  };
  /** Named and evaluated in src/auth/scopes.ts; every root field declares one (test/auth-declarations.test.ts). */
  AuthScopes: Scopes;
}>({
  defaultFieldNullability: false,
  // Order matters: scope auth wraps field validation (zod), so a caller who may not call a field
  // is refused before its input is checked. Global IDs are decoded by relay before any plugin's
  // wrapper runs; GlobalIdInputsPlugin gives its refusals the product's error.
  plugins: [ScopeAuthPlugin, ComplexityPlugin, ZodPlugin, GlobalIdInputsPlugin, PrismaPlugin, RelayPlugin, DataloaderPlugin],
  // Each input field's own rule (`validate: { schema }`, shared rules in src/input/fields.ts):
  // BAD_USER_INPUT naming each issue from the argument on (`input.title`), like every input error.
  zod: { validationError: (error) => fromZod(error, null) },
  scopeAuth: {
    // One error per refusal (src/auth/scopes.ts): below the root it never says why.
    unauthorizedError: (_parent, ctx, info, result) => refusal(ctx, result.failure, ROOT_TYPES.has(info.parentType.name)),
    authScopes: scopesFor,
    // Subscription fields are authorized when subscribing (their resolvers re-check the caller per event).
    authorizeOnSubscribe: true,
  },
  complexity: {
    // Fields cost 1 and lists 10 times what they select, set per field so that no argument is
    // decoded while the operation is measured: a malformed global ID must fail only the field it
    // was passed to, not every root field at once. Connections price themselves (relay below).
    defaultComplexity: 1,
    defaultListMultiplier: 10,
    limit: (ctx) => ({ complexity: ctx.config.maxQueryComplexity, depth: ctx.config.maxQueryDepth, breadth: 500 }),
    complexityError: (kind, result) => {
      const measure = kind.toLowerCase() as 'depth' | 'breadth' | 'complexity';
      const limit = { depth: result.maxDepth, breadth: result.maxBreadth, complexity: result.maxComplexity }[measure];
      return appError(ErrorCode.QUERY_TOO_COMPLEX, `Query ${measure} ${result[measure]} exceeds the limit of ${limit}`, { measure, limit });
    },
  },
  prisma: {
    client: (ctx) => ctx.prisma,
    dmmf: getDatamodel(),
    exposeDescriptions: false,
    filterConnectionTotalCount: true,
    // A resolver that ignores the planned query would silently cause N+1: fail loudly in tests.
    onUnusedQuery: appEnv() === 'production' ? null : 'error',
    defaultConnectionSize: DEFAULT_PAGE_SIZE,
    maxConnectionSize: MAX_PAGE_SIZE,
  },
  relay: {
    clientMutationId: 'omit',
    cursorType: 'String',
    pageInfoTypeOptions: { description: CURSOR_FORMAT_DESCRIPTION },
    nodeTypeOptions: {
      description:
        'An object with a global ID (base64 of "Type:key"): node(id:) and nodes(ids:) refetch it, and client caches key it by that id. Two objects of different types never share an id.',
    },
    defaultConnectionTypeOptions: {
      description: 'A page of a list (Relay connection): its edges in order, pageInfo to page on, and totalCount where the list offers it.',
    },
    defaultEdgeTypeOptions: {
      description: 'One item of a page: the node, and its cursor (pass it as after or before to page from this item).',
    },
    // A connection costs what it may return: its page size multiplies what is selected under it
    // (its edges list adds no second multiplier).
    defaultConnectionFieldOptions: { complexity: connectionComplexity },
    edgesFieldOptions: { nullable: false, complexity: { field: 1, multiplier: 1 } },
    nodeFieldOptions: { nullable: false },
    // node(id:) and nodes(ids:) are declared in schema/system/nodes.ts: a missing row, a
    // malformed key and an unknown type must all answer like a hidden object, item by item.
    nodeQueryOptions: false,
    nodesQueryOptions: false,
  },
});

builder.addScalarType('DateTime', DateTimeResolver);
builder.addScalarType('JSON', JSONResolver, {
  description: `Any JSON value. As an input: at most ${INPUT_BOUNDS.jsonMaxDepth} levels deep and ${INPUT_BOUNDS.jsonMaxBytes / 1024} KiB serialized, with no NUL character or lone UTF-16 surrogate in any key or string (BAD_USER_INPUT before anything runs). String inputs (not ID, not JSON) are normalized to NFC, and every length limit counts the characters of that normalized text.`,
});
builder.addScalarType('UUID', UUIDResolver);
builder.addScalarType('CountryCode', CountryCodeResolver);
builder.addScalarType('LanguageCode', LanguageCode);

builder.queryType({
  description:
    'Reads. Each field states who may call it (signed-in users by session, operators by API key) and what it answers when the object is missing or hidden (NOT_FOUND alike).',
});
builder.mutationType({
  description:
    'Writes. Each states who may call it; a refused or failed write changes nothing, and its payload returns what a client cache needs to stay true without a refetch.',
});
