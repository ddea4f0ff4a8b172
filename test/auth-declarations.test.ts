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
import type { SessionScope } from '../src/generated/prisma/client.ts';

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
  const ctx = { viewer } as unknown as Context;
  const entry = type.name === 'Subscription' ? field.subscribe! : field.resolve!;
  try {
    return { value: await entry({}, {}, ctx, infoFor(type, field)) };
  } catch (error) {
    return { error };
  }
}

/** A signed-in user at this step of the consent pipeline, in no collective. */
const userAt = (scope: SessionScope): Viewer =>
  ({ kind: 'user', session: { scope }, user: { id: '00000000-0000-4000-8000-000000000001' }, roles: new Map(), consentedFor: new Set() }) as unknown as Viewer;
const STEPS: SessionScope[] = ['ONBOARDING', 'PENDING_CONSENT', 'FULL'];
const NEXT_STEP = { ONBOARDING: 'ACCEPT_TERMS', PENDING_CONSENT: 'PARENTAL_CONSENT', FULL: null } as const;
type Declared = { session?: SessionScope; operator?: string; public?: boolean; authenticated?: boolean; user?: boolean };
/** A root field's declared scopes, flattened from one level of $any (the only combinator root fields use). */
const declared = (field: AnyField): Declared => {
  const scopes = optionsOf(field).authScopes as Record<string, unknown>;
  return (scopes.$any ?? scopes) as Declared;
};

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

  it('a user short of a field\'s consent step gets CONSENT_REQUIRED naming both steps and the next one; on an operator field, a bare FORBIDDEN', async () => {
    let refusals = 0;
    for (const scope of STEPS) {
      for (const { type, field } of rootFields(schema)) {
        const name = `${type.name}.${field.name}`;
        const d = declared(field);
        const short = d.session !== undefined && STEPS.indexOf(scope) < STEPS.indexOf(d.session);
        const operatorOnly = d.operator !== undefined && d.session === undefined;
        if (!short && !operatorOnly) continue; // the resolver would run: the matrix and the flow suites cover those
        const r = await callAs(userAt(scope), type, field);
        const error = r.error as GraphQLError;
        expect(codeOf(r), `${name} at ${scope}`).toBe(short ? 'CONSENT_REQUIRED' : 'FORBIDDEN');
        if (short) {
          expect(error.message, name).toBe(`This needs a session in scope ${d.session}; yours is ${scope}`);
          expect(error.extensions, name).toMatchObject({ requiredScope: d.session, currentScope: scope, nextStep: NEXT_STEP[scope] });
        } else {
          expect(error.message, name).toBe('Not allowed');
        }
        refusals += 1;
      }
    }
    // A FULL session is short of nothing: only the operator fields refuse it.
    expect(refusals).toBeGreaterThan(40);
  });

  it('an operator key is told which permission it lacks, or that the field needs a user session', async () => {
    const operator: Viewer = { kind: 'operator', apiKey: { id: 'k', name: 'k' }, permissions: new Set() };
    const messages: Record<string, string> = {};
    for (const { type, field } of rootFields(schema)) {
      const d = declared(field);
      if (d.public || d.authenticated || optionsOf(field).unauthorizedResolver) continue;
      messages[`${type.name}.${field.name}`] = (await callAs(operator, type, field) as { error: GraphQLError }).error.message;
    }
    expect(messages['Query.users']).toBe('This API key lacks the users:read permission');
    // Under $any, the permission is the way an operator could have passed.
    expect(messages['Query.searchDocuments']).toBe('This API key lacks the search:diagnostics permission');
    expect(messages['Mutation.sendMessage']).toBe('This operation needs a user session, not an API key');
    expect(messages['Mutation.signOut']).toBe('This operation needs a user session, not an API key');
    for (const { type, field } of rootFields(schema)) {
      const name = `${type.name}.${field.name}`;
      if (!(name in messages)) continue;
      const d = declared(field);
      expect(messages[name], name).toBe(d.operator ? `This API key lacks the ${d.operator} permission` : 'This operation needs a user session, not an API key');
    }
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
