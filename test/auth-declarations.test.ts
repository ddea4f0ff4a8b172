// Deny by default: every root field (Query, Mutation, Subscription) declares who may call it with
// scope-auth `authScopes`, and the declaration is what refuses the caller, before the resolver.
import { describe, expect, it } from 'vitest';
import SchemaBuilder from '@pothos/core';
import ScopeAuthPlugin from '@pothos/plugin-scope-auth';
import { GraphQLError, type GraphQLField, type GraphQLObjectType, type GraphQLResolveInfo, type GraphQLSchema } from 'graphql';
import { schema } from '../src/schema/index.ts';
import { anonymous, type Viewer } from '../src/auth/viewer.ts';
import { scopesFor } from '../src/auth/scopes.ts';
import type { Context } from '../src/context.ts';

/** The fields anyone may call, anonymous included. Adding one here is a reviewed decision. */
const PUBLIC_ROOT_FIELDS = ['Query.health', 'Query.featureFlags', 'Query.localizedContent', 'Query.invitationPreview', 'Mutation.signIn'];

const SCOPE_NAMES = new Set(Object.keys(scopesFor({ viewer: anonymous } as Context)));

type AnyField = GraphQLField<unknown, unknown>;
const rootTypes = (s: GraphQLSchema) => [s.getQueryType(), s.getMutationType(), s.getSubscriptionType()].filter((t): t is GraphQLObjectType => !!t);
const rootFields = (s: GraphQLSchema) => rootTypes(s).flatMap((type) => Object.values(type.getFields()).map((field) => ({ type, field: field as AnyField })));
/** What Pothos keeps of a field's options on the built field: scope-auth reads `authScopes` from there. */
const optionsOf = (field: AnyField) => (field.extensions as { pothosOptions?: Record<string, unknown> }).pothosOptions ?? {};

/** Root fields without a usable rule: none, an empty map, or a scope name the builder does not define. */
export function undeclaredRootFields(s: GraphQLSchema, known: ReadonlySet<string>) {
  const problems: string[] = [];
  for (const { type, field } of rootFields(s)) {
    const scopes = optionsOf(field).authScopes;
    const name = `${type.name}.${field.name}`;
    if (scopes === undefined || scopes === null) problems.push(`${name}: no authScopes`);
    else if (typeof scopes === 'object') {
      const keys = Object.keys(scopes);
      if (keys.length === 0) problems.push(`${name}: empty authScopes`);
      for (const key of keys) if (!known.has(key) && !key.startsWith('$')) problems.push(`${name}: unknown scope ${key}`);
    } else if (typeof scopes !== 'function') problems.push(`${name}: authScopes is a ${typeof scopes}`);
  }
  return problems;
}

function infoFor(type: GraphQLObjectType, field: AnyField): GraphQLResolveInfo {
  return { fieldName: field.name, parentType: type, returnType: field.type, path: { key: field.name, prev: undefined, typename: type.name }, schema } as unknown as GraphQLResolveInfo;
}

/**
 * Calls a root field's built resolver as this viewer, with no arguments: only its declaration can
 * answer. A Subscription field is authorized when subscribing (scopeAuth authorizeOnSubscribe), so
 * its built subscribe function is the one called.
 */
async function callAs(viewer: Viewer, type: GraphQLObjectType, field: AnyField) {
  const ctx = { viewer, loaders: { rolesByUser: { load: async () => new Map() } } } as unknown as Context;
  const entry = type.name === 'Subscription' ? field.subscribe! : field.resolve!;
  try {
    return { value: await entry({}, {}, ctx, infoFor(type, field)) };
  } catch (error) {
    return { error };
  }
}

const codeOf = (r: { error?: unknown }) => (r.error instanceof GraphQLError ? r.error.extensions.code : r.error ? `not a GraphQLError: ${String(r.error)}` : undefined);

describe('authorization declared on every root field', () => {
  it('every Query, Mutation and Subscription field declares authScopes with known scope names', () => {
    expect(rootFields(schema).length).toBeGreaterThan(30);
    expect(undeclaredRootFields(schema, SCOPE_NAMES)).toEqual([]);
  });

  it('public is declared exactly on the reviewed public fields', () => {
    const declaredPublic = rootFields(schema)
      .filter(({ field }) => (optionsOf(field).authScopes as Record<string, unknown>)?.public === true)
      .map(({ type, field }) => `${type.name}.${field.name}`);
    expect(declaredPublic.sort()).toEqual([...PUBLIC_ROOT_FIELDS].sort());
  });

  it('the walk catches a root field without a rule (the check itself bites)', () => {
    const probe = new SchemaBuilder<{ AuthScopes: { public: boolean } }>({ plugins: [ScopeAuthPlugin], scopeAuth: { authScopes: () => ({ public: true }) } } as never);
    // (cast: the Prisma plugin's global option types ask every builder for a client)
    probe.queryType({});
    probe.queryField('declared', (t) => t.string({ authScopes: { public: true }, resolve: () => 'x' }));
    probe.queryField('forgotten', (t) => t.string({ resolve: () => 'x' }));
    probe.queryField('empty', (t) => t.string({ authScopes: {}, resolve: () => 'x' }));
    probe.mutationType({});
    probe.mutationField('alsoForgotten', (t) => t.string({ resolve: () => 'x' }));
    probe.subscriptionType({});
    probe.subscriptionField('ticks', (t) => t.string({ subscribe: async function* () {}, resolve: () => 'x' }));
    expect(undeclaredRootFields(probe.toSchema(), new Set(['public'])).sort()).toEqual([
      'Mutation.alsoForgotten: no authScopes',
      'Query.empty: empty authScopes',
      'Query.forgotten: no authScopes',
      'Subscription.ticks: no authScopes',
    ]);
  });

  it('every non-public root field refuses an anonymous caller with UNAUTHENTICATED before its resolver runs', async () => {
    const answers: Record<string, unknown> = {};
    for (const { type, field } of rootFields(schema)) {
      const name = `${type.name}.${field.name}`;
      if (PUBLIC_ROOT_FIELDS.includes(name)) continue;
      const r = await callAs(anonymous, type, field);
      // `me` declares null for anyone who is not a user instead of an error.
      answers[name] = optionsOf(field).unauthorizedResolver ? r.value : codeOf(r);
    }
    for (const [name, answer] of Object.entries(answers)) expect(answer, name).toBe(name === 'Query.me' ? null : 'UNAUTHENTICATED');
  });

  it('an operator key without permissions is refused FORBIDDEN by every field that is not public', async () => {
    const operator: Viewer = { kind: 'operator', apiKey: { id: 'k', name: 'k' }, permissions: new Set() };
    for (const { type, field } of rootFields(schema)) {
      const name = `${type.name}.${field.name}`;
      const scopes = optionsOf(field).authScopes as Record<string, unknown>;
      if (scopes.public || scopes.authenticated || name === 'Query.me') continue;
      expect(codeOf(await callAs(operator, type, field)), name).toBe('FORBIDDEN');
    }
  });
});
