// The hot raw statements (queryOn: the fast read path's tree, the API key lookup) as named prepared
// statements on PostgreSQL: parsed and planned once per connection. Checked on the connection
// itself (pg_prepared_statements), with the switch off (what DIRECT_DATABASE_URL implies: a
// transaction pooler before PgBouncer 1.21 cannot keep them) and at the per-process cap.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp } from './helpers/app.ts';
import { createTestDatabase, type TestDatabase } from './helpers/db.ts';
import { createApiKey, createUser } from './factories/index.ts';
import { loadConfig } from '../src/config.ts';
import { preparedName } from '../src/db/database.ts';

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

// Last: it fills the process's names.
describe('the per-process cap', () => {
  it('names at most 64 distinct texts per process, each always by the same name', () => {
    const names = Array.from({ length: 80 }, (_, i) => preparedName(`SELECT ${i} /* cap test */`));
    const named = names.filter(Boolean);
    expect(named.length).toBeLessThanOrEqual(64);
    expect(new Set(named).size).toBe(named.length);
    expect(names.slice(named.length).every((n) => n === undefined)).toBe(true);
    expect(preparedName('SELECT 0 /* cap test */')).toBe(names[0]);
    expect(names[0]).toMatch(/^q_[0-9a-f]{32}$/);
  });
});
