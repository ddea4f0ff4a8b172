// The hot raw statements (queryOn: the fast read path's tree, the API key lookup) as named prepared
// statements on PostgreSQL: parsed and planned once per connection. Checked on the connection
// itself (pg_prepared_statements), with the switch off (what DIRECT_DATABASE_URL implies: a
// transaction pooler before PgBouncer 1.21 cannot keep them) and at the per-process cap.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pino from 'pino';
import { createApp } from '../src/app.ts';
import { createTestApp } from './helpers/app.ts';
import { createTestDatabase, type TestDatabase } from './helpers/db.ts';
import { fastCount, response } from './helpers/read-path.ts';
import { pgbouncerBin, startPgBouncer } from './helpers/pgbouncer.ts';
import { createApiKey, createUser, person } from './factories/index.ts';
import { loadConfig } from '../src/config.ts';
import { openDatabase, preparedName, type Database } from '../src/db/database.ts';
import { countSql } from '../src/db/instrument.ts';
import { FAST_SQL_TAG } from '../src/read-path/index.ts';

const OPERATOR_READ = '{ users(first: 3) { edges { node { id conversations(first: 2) { edges { node { id chatSessions(first: 2) { totalCount } } } } } } } }';

describe('DB_PREPARED_STATEMENTS (configuration)', () => {
  it('auto: on, unless DIRECT_DATABASE_URL says DATABASE_URL is a transaction pooler; on/off force it', () => {
    const url = 'postgres://u@127.0.0.1:5432/db';
    const prepared = (env: Record<string, string>) => {
      const d = loadConfig({ APP_ENV: 'test', DATABASE_URL: url, ...env }).database;
      return d.kind === 'postgres' ? d.preparedStatements : undefined;
    };
    expect(prepared({})).toBe(true);
    expect(prepared({ DIRECT_DATABASE_URL: 'postgres://u@127.0.0.1:5433/db' })).toBe(false);
    expect(prepared({ DIRECT_DATABASE_URL: 'postgres://u@127.0.0.1:5433/db', DB_PREPARED_STATEMENTS: 'on' })).toBe(true);
    expect(prepared({ DB_PREPARED_STATEMENTS: 'off' })).toBe(false);
    expect(() => loadConfig({ APP_ENV: 'test', DATABASE_URL: url, DB_PREPARED_STATEMENTS: 'yes' })).toThrow(/DB_PREPARED_STATEMENTS/);
  });
});

describe.skipIf(!process.env.DATABASE_URL)('named prepared statements on the connection (PostgreSQL)', () => {
  const dbs: TestDatabase[] = [];
  afterAll(async () => {
    await Promise.all(dbs.map((d) => d.destroy()));
  });

  async function run(preparedStatements: boolean) {
    // One connection: what the request prepared is what the next query on the pool sees.
    const db = await createTestDatabase({ poolMax: 1, preparedStatements });
    dbs.push(db);
    const { gql } = createTestApp(db);
    const user = await createUser(db.prisma);
    await db.prisma.conversation.create({ data: { userId: user.id, title: 'x', conversationType: 'GENERAL', chatSessions: { create: [{}] } } });
    const { key } = await createApiKey(db.prisma, ['users:read', 'conversations:read']);
    const first = await gql(OPERATOR_READ, undefined, { apiKey: key });
    const second = await gql(OPERATOR_READ, undefined, { apiKey: key });
    expect(first.errors).toBeUndefined();
    expect(second.data).toEqual(first.data);
    const rows = await db.pool!.query<{ name: string; statement: string }>('SELECT name, statement FROM pg_prepared_statements');
    return rows.rows;
  }

  let on: { name: string; statement: string }[];
  let off: { name: string; statement: string }[];
  beforeAll(async () => {
    on = await run(true);
    off = await run(false);
  }, 120_000);

  it('on: the API key lookup and the tree statement are prepared once, by the name of their text', () => {
    const names = on.filter((r) => r.name.startsWith('q_'));
    expect(names.some((r) => r.statement.includes('FROM app.api_key WHERE key_hash'))).toBe(true);
    expect(names.some((r) => r.statement.startsWith('/* fast read path */'))).toBe(true);
    for (const r of names) expect(r.name).toBe(preparedName(r.statement));
    // Two requests, the same texts: no second copy.
    expect(new Set(names.map((r) => r.statement)).size).toBe(names.length);
  });

  it('off: nothing named is left on the connection', () => {
    expect(off.filter((r) => r.name.startsWith('q_'))).toEqual([]);
  });
});

describe.skipIf(!process.env.DATABASE_URL)('a connection whose named statement is stale or missing (PostgreSQL)', () => {
  let db: TestDatabase;
  let gql: ReturnType<typeof createTestApp>['gql'];
  let key: string;
  let expected: unknown;
  beforeAll(async () => {
    // One connection: the statement it prepared is the one the next request meets.
    db = await createTestDatabase({ poolMax: 1, preparedStatements: true });
    ({ gql } = createTestApp(db));
    const user = await createUser(db.prisma);
    await db.prisma.conversation.create({ data: { userId: user.id, title: 'x', conversationType: 'GENERAL', chatSessions: { create: [{}] } } });
    ({ key } = await createApiKey(db.prisma, ['users:read', 'conversations:read']));
    expected = response(await gql(OPERATOR_READ, undefined, { apiKey: key }));
  }, 120_000);
  afterAll(() => db?.destroy());

  const pid = async () => (await db.query<{ pid: number }>('SELECT pg_backend_pid() AS pid'))[0].pid;
  const keyLookupPrepared = async () =>
    (await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM pg_prepared_statements WHERE name LIKE 'q\\_%' AND statement LIKE '%FROM app.api_key WHERE key_hash%'`))[0].n;

  // The request that meets it pays one more round trip (the text again, unnamed); the connection
  // is replaced, and the next request prepares on the new one.
  async function meetsStaleStatement(change: string) {
    const before = await pid();
    expect(await keyLookupPrepared()).toBe(1);
    await db.query(change);
    const first = await gql(OPERATOR_READ, undefined, { apiKey: key });
    expect(response(first)).toEqual(expected);
    expect(first.sql).toBe(3);
    expect(await pid()).not.toBe(before);
    const next = await gql(OPERATOR_READ, undefined, { apiKey: key });
    expect(response(next)).toEqual(expected);
    expect(next.sql).toBe(2);
    expect(await keyLookupPrepared()).toBe(1);
  }

  it('a migration changes a selected column\'s type (0A000 "cached plan must not change result type"): answered, not INTERNAL_SERVER_ERROR', async () => {
    await meetsStaleStatement('ALTER TABLE app.api_key ALTER COLUMN name TYPE text');
  });

  it('the connection was reset (DEALLOCATE ALL, as a pooler\'s server_reset_query does; 26000): answered, and statements stay named', async () => {
    await meetsStaleStatement('DEALLOCATE ALL');
  });
});

// DB_PREPARED_STATEMENTS=on behind a pooler that shares server connections and keeps no named
// statements (PgBouncer 1.18 in transaction mode): config cannot tell it from PgBouncer 1.21+ with
// max_prepared_statements (where `on` is right), so the pool finds out (42P05), answers every
// request anyway, and stops naming statements.
describe.skipIf(!process.env.DATABASE_URL || (!process.env.CI && !pgbouncerBin()))('DB_PREPARED_STATEMENTS=on behind PgBouncer 1.18, transaction mode', () => {
  let db: TestDatabase;
  let bouncer: Awaited<ReturnType<typeof startPgBouncer>> | undefined;
  let pooled: Database | undefined;
  afterAll(async () => {
    await pooled?.close();
    bouncer?.stop();
    await db?.destroy();
  });

  it('answers every request, warns once, then sends statements unnamed', async () => {
    db = await createTestDatabase({ poolMax: 1 });
    const user = await createUser(db.prisma);
    await db.prisma.conversation.create({ data: { userId: user.id, title: 'x', conversationType: 'GENERAL', chatSessions: { create: [{}] } } });
    const { key } = await createApiKey(db.prisma, ['users:read', 'conversations:read']);
    if (db.config.kind !== 'postgres') throw new Error('expected PostgreSQL');
    const direct = new URL(db.config.url);
    bouncer = await startPgBouncer({ host: direct.hostname, port: Number(direct.port || 5432), database: direct.pathname.slice(1), poolSize: 2 });
    const config = loadConfig({ APP_ENV: 'test', LOG_LEVEL: 'silent', DATABASE_URL: bouncer.url, DIRECT_DATABASE_URL: direct.toString(), DB_PREPARED_STATEMENTS: 'on', DB_POOL_MAX: '6' });
    if (config.database.kind !== 'postgres' || !config.database.preparedStatements) throw new Error('expected prepared statements on');
    const warnings: string[] = [];
    pooled = await openDatabase(config.database, { log: (line) => warnings.push(line) });
    const app = createApp({ config, db: pooled, log: pino({ level: 'silent' }) });
    const read = async () => {
      const { result, counter } = await countSql(async () => {
        const res = await app.yoga.fetch('http://test.local/graphql', { method: 'POST', headers: { 'content-type': 'application/json', 'x-api-key': key }, body: JSON.stringify({ query: OPERATOR_READ }) });
        return (await res.json()) as { data?: unknown; errors?: unknown };
      });
      return { ...result, sql: counter.statements };
    };
    // Before: about nine requests in ten were INTERNAL_SERVER_ERROR (26000 or 42P05), for as long as it ran.
    for (let round = 0; round < 5; round++) {
      for (const r of await Promise.all(Array.from({ length: 10 }, read))) expect(r.errors).toBeUndefined();
    }
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/DB_PREPARED_STATEMENTS.*42P05/);
    const after = await Promise.all(Array.from({ length: 10 }, read));
    expect(after.map((r) => r.sql)).toEqual(Array(10).fill(2));
  }, 120_000);
});

// More distinct texts than the cap (the page size is part of a statement's text), on the same
// data through a second pool with the switch off: the same answers, and no more than 64 names on
// the connection, each the name of its text.
describe.skipIf(!process.env.DATABASE_URL)('past the cap, prepared and unnamed answer alike (PostgreSQL)', () => {
  let db: TestDatabase;
  let off: Database | undefined;
  afterAll(async () => {
    await off?.close();
    await db?.destroy();
  });

  it('70 page sizes over unicode titles, up to the largest page', async () => {
    db = await createTestDatabase({ poolMax: 1, preparedStatements: true });
    if (db.config.kind !== 'postgres') throw new Error('expected PostgreSQL');
    const offConfig = { ...db.config, preparedStatements: false };
    off = await openDatabase(offConfig);
    const { user, token } = await person(db.prisma, 'TEENAGER');
    const titles = ['Ça va 🙂', 'עברית', 'e\u0301 combining', 'quote \' " \\ back', '\u2028 line sep', '日本語', ''];
    await db.prisma.conversation.createMany({ data: Array.from({ length: 110 }, (_, i) => ({ userId: user.id, title: `${titles[i % titles.length]} ${i}`, conversationType: 'GENERAL' as const })) });
    const on = createTestApp(db);
    const unnamed = createTestApp(Object.assign(off, { config: offConfig, destroy: async () => {} }));
    const query = (n: number) => `{ me { id conversations(first: ${n}) { totalCount edges { cursor node { id title conversationType } } pageInfo { hasNextPage endCursor } } } }`;
    const texts = new Set<string>();
    for (let n = 31; n <= 100; n++) {
      const [a, b] = [await on.gql(query(n), undefined, { token }), await unnamed.gql(query(n), undefined, { token })];
      expect(a.errors).toBeUndefined();
      expect(response(a)).toEqual(response(b));
      expect(a.data.me.conversations.edges).toHaveLength(n);
      for (const sql of a.sqlLog) if (sql.startsWith(FAST_SQL_TAG)) texts.add(sql);
    }
    expect(await fastCount(on.app, 'me')).toBe(70);
    expect(texts.size).toBe(70);
    // The cap was reached: some of the 70 ran unnamed; the named ones, and only they, are on the connection.
    const named = [...texts].filter((t) => preparedName(t) !== undefined);
    expect(named.length).toBeLessThan(70);
    const names = await db.query<{ name: string; statement: string }>(`SELECT name, statement FROM pg_prepared_statements WHERE name LIKE 'q\\_%'`);
    expect(names.length).toBeLessThanOrEqual(64);
    // Besides the trees: the session lookup of each request (src/auth/viewer.ts), named once.
    const trees = names.filter((r) => r.statement.startsWith(FAST_SQL_TAG));
    expect(names.filter((r) => !r.statement.startsWith(FAST_SQL_TAG)).map((r) => r.statement)).toEqual([expect.stringMatching(/FROM app\.app_session s JOIN app\."user" u .*WHERE s\.token_hash = \$1$/s)]);
    expect(trees.map((r) => r.statement).sort()).toEqual(named.sort());
    for (const r of names) expect(r.name).toBe(preparedName(r.statement));
    for (const r of names) expect(r.name).toMatch(/^q_[0-9a-f]{32}$/);
  }, 120_000);
});

// Last: it fills the process's names (the PostgreSQL tests above named some already).
describe('the per-process cap', () => {
  it('names at most 64 distinct texts per process, each always by the same name', () => {
    const texts = Array.from({ length: 80 }, (_, i) => `SELECT ${i} /* cap test */`);
    const names = texts.map(preparedName);
    const named = names.filter(Boolean);
    expect(named.length).toBeLessThanOrEqual(64);
    expect(new Set(named).size).toBe(named.length);
    expect(names.slice(named.length).every((n) => n === undefined)).toBe(true);
    // Full now, whatever ran before: a new text runs unnamed, a named one keeps its name.
    expect(preparedName('SELECT 80 /* cap test */')).toBeUndefined();
    expect(texts.map(preparedName)).toEqual(names);
    for (const n of named) expect(n).toMatch(/^q_[0-9a-f]{32}$/);
  });
});
