// Trusted documents: the SDK's operations run by hash (the manifest codegen writes), and in
// PERSISTED_OPERATIONS=require mode nothing else runs, except for API-key callers when allowed.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHash } from 'node:crypto';
import { parse, type DocumentNode, type OperationDefinitionNode } from 'graphql';
import { createTestDatabase, type TestDatabase } from './helpers/db.ts';
import { dbKind } from './helpers/env.ts';
import { createTestApp } from './helpers/app.ts';
import { countSql } from '../src/db/instrument.ts';
import { createApiKey, createSession, createUser } from './factories/index.ts';
import * as sdk from '../src/client/generated/graphql.ts';
import { loadManifest } from '../src/http/persisted-operations.ts';

type Body = { data?: any; errors?: { message: string; extensions?: { code?: string } }[] };

function client(db: TestDatabase, env: Record<string, string> = {}) {
  const { app } = createTestApp(db, env);
  return async (body: Record<string, unknown>, headers: Record<string, string> = {}) => {
    const { result, counter } = await countSql(async () => {
      const res = await app.yoga.fetch('http://test.local/graphql', {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: 'application/graphql-response+json', ...headers },
        body: JSON.stringify(body),
      });
      return { status: res.status, body: (await res.json()) as Body };
    });
    await app.drainBackground();
    return { ...result, sql: counter.statements, codes: (result.body.errors ?? []).map((e) => e.extensions?.code) };
  };
}

/** The hash codegen embeds in each typed document (`__meta__.hash`, not in its TypeScript type). */
const hashOf = (doc: object) => (doc as { __meta__: { hash: string } }).__meta__.hash;
const byHash = (doc: object, variables: Record<string, unknown> = {}) => ({
  variables,
  extensions: { persistedQuery: { version: 1, sha256Hash: hashOf(doc).replace(/^sha256:/, '') } },
});

describe(`persisted operations (${dbKind})`, () => {
  let db: TestDatabase;
  let token: string;
  let apiKey: string;
  const manifest = loadManifest();
  beforeAll(async () => {
    db = await createTestDatabase();
    const user = await createUser(db.prisma);
    token = (await createSession(db.prisma, user.id)).token;
    apiKey = (await createApiKey(db.prisma, ['users:read'])).key;
  });
  afterAll(() => db.destroy());

  it('the manifest holds every SDK operation under the hash its typed document carries', () => {
    const documents = Object.entries(sdk).filter(([name]) => name.endsWith('Document')) as [string, any][];
    expect(documents.length).toBeGreaterThan(10);
    for (const [name, doc] of documents) {
      const hash = hashOf(doc);
      expect(hash, name).toMatch(/^sha256:[0-9a-f]{64}$/);
      // The manifest holds codegen's normalized text (fields sorted); its hash is of that text.
      expect(hash, name).toBe(`sha256:${createHash('sha256').update(manifest[hash]).digest('hex')}`);
      const op = (d: DocumentNode) => d.definitions.find((x) => x.kind === 'OperationDefinition') as OperationDefinitionNode;
      expect(op(parse(manifest[hash])).name?.value, name).toBe(op(doc).name?.value);
    }
    expect(Object.keys(manifest)).toHaveLength(documents.length);
  });

  for (const mode of ['allow', 'require'] as const) {
    it(`${mode}: the SDK runs its operations by hash, as Apollo's sha256Hash or as documentId`, async () => {
      const post = client(db, { PERSISTED_OPERATIONS: mode });
      const me = await post(byHash(sdk.MeDocument), { authorization: `Bearer ${token}` });
      expect(me.body.errors).toBeUndefined();
      expect(me.body.data.me.userType).toBe('TEENAGER');
      const flags = await post({ documentId: hashOf(sdk.FeatureFlagsDocument), variables: {} });
      expect(flags.body.errors).toBeUndefined();
      expect(Array.isArray(flags.body.data.featureFlags)).toBe(true);
    });
  }

  it('require: an ad-hoc document is refused with PERSISTED_QUERY_ONLY before anything runs', async () => {
    const post = client(db, { PERSISTED_OPERATIONS: 'require' });
    const r = await post({ query: '{ me { id } }' }, { authorization: `Bearer ${token}` });
    expect(r.status).toBe(400);
    expect(r.codes).toEqual(['PERSISTED_QUERY_ONLY']);
    expect(r.body.data ?? null).toBeNull();
    expect(r.sql).toBe(0);
    // The SDK's own text, sent as a document rather than by hash, is still ad hoc.
    expect((await post({ query: manifest[hashOf(sdk.FeatureFlagsDocument)] })).codes).toEqual(['PERSISTED_QUERY_ONLY']);
  });

  it('an unknown or malformed hash is PERSISTED_QUERY_NOT_FOUND in both modes', async () => {
    for (const mode of ['allow', 'require']) {
      const post = client(db, { PERSISTED_OPERATIONS: mode });
      for (const sha256Hash of ['0'.repeat(64), '__proto__', 'constructor', 'sha256:zz', 'x'.repeat(10_000)]) {
        const r = await post({ extensions: { persistedQuery: { version: 1, sha256Hash } } });
        expect(r.codes, `${mode} ${sha256Hash.slice(0, 20)}`).toEqual(['PERSISTED_QUERY_NOT_FOUND']);
      }
    }
  });

  it('require: API keys may send any document (PERSISTED_OPERATIONS_API_KEYS), a forged key runs nothing', async () => {
    const post = client(db, { PERSISTED_OPERATIONS: 'require' });
    const ok = await post({ query: '{ users(first: 1) { totalCount } }' }, { 'x-api-key': apiKey });
    expect(ok.body.errors).toBeUndefined();
    expect(ok.body.data.users.totalCount).toBeGreaterThan(0);
    const forged = await post({ query: '{ users(first: 1) { totalCount } }' }, { 'x-api-key': 'ysk_forged_0000000000000000000000' });
    expect(forged.codes).toEqual(['UNAUTHENTICATED']);
    expect(forged.body.data ?? null).toBeNull();
    // An empty X-Api-Key is no key: it authenticates as nobody, so it must unlock nothing either.
    const empty = await post({ query: '{ health { status } }' }, { 'x-api-key': '' });
    expect(empty.codes).toEqual(['PERSISTED_QUERY_ONLY']);
    expect(empty.body.data ?? null).toBeNull();
    const strict = client(db, { PERSISTED_OPERATIONS: 'require', PERSISTED_OPERATIONS_API_KEYS: 'false' });
    expect((await strict({ query: '{ users(first: 1) { totalCount } }' }, { 'x-api-key': apiKey })).codes).toEqual(['PERSISTED_QUERY_ONLY']);
  });

  it('off: hashes are not understood, documents run', async () => {
    const post = client(db, { PERSISTED_OPERATIONS: 'off' });
    expect((await post(byHash(sdk.FeatureFlagsDocument))).body.errors?.length).toBeGreaterThan(0);
    expect((await post({ query: '{ health { status } }' })).body.data.health.status).toBe('ok');
  });
});
