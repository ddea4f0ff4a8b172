// Issue 11, kind 6: while PostgreSQL is unreachable every request is HTTP 503
// SERVICE_UNAVAILABLE with Retry-After (never 200 INTERNAL_SERVER_ERROR), `health` answers with
// the database DOWN, /ready names the failed check without the driver's message, the server
// recovers on its own, and no acknowledged write is lost. Runs against a private cluster the
// test creates, crashes (pg_ctl -m immediate) and starts again.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pino from 'pino';
import { decodeGlobalID } from '@pothos/plugin-relay';
import { openDatabase, type Database } from '../src/db/database.ts';
import { applyMigrations } from '../src/db/migrate/runner.ts';
import { createApp, type App } from '../src/app.ts';
import { loadConfig } from '../src/config.ts';
import { createSession, createUser } from './factories/index.ts';
import { postgresBin, startPrivatePostgres, type PrivatePostgres } from './helpers/private-postgres.ts';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe.skipIf(!postgresBin())('database outage (private PostgreSQL cluster)', () => {
  let pg: PrivatePostgres;
  let db: Database;
  let app: App;
  let token: string;

  beforeAll(async () => {
    pg = await startPrivatePostgres();
    const database = { kind: 'postgres' as const, url: pg.url(), poolMax: 4, poolTimeoutMs: 1000, statementTimeoutMs: 5000, replicaUrls: [], readYourWritesMs: 0, directUrl: undefined, preparedStatements: true };
    db = await openDatabase(database);
    await applyMigrations(db);
    const config = Object.freeze({ ...loadConfig({ APP_ENV: 'test', LOG_LEVEL: 'silent' }), database });
    app = createApp({ config, db, log: pino({ level: 'silent' }) });
    const teen = await createUser(db.prisma, { userType: 'TEENAGER' });
    token = (await createSession(db.prisma, teen.id, 'FULL')).token;
  }, 120_000);
  afterAll(async () => {
    await db?.close().catch(() => {});
    pg?.destroy();
  });

  const post = (query: string, auth = true) =>
    app.yoga.fetch('http://test.local/graphql', {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/graphql-response+json', ...(auth ? { authorization: `Bearer ${token}` } : {}) },
      body: JSON.stringify({ query }),
    });
  const startConversation = 'mutation { startConversation(input: { conversationType: GENERAL, title: "outage" }) { conversation { id } } }';

  it('answers 503 SERVICE_UNAVAILABLE with Retry-After while down, reports it, recovers, and loses no acknowledged write', async () => {
    const acked: string[] = [];
    const failures: { status: number; codes: unknown[]; retryAfter: string | null; text: string }[] = [];
    let writing = true;
    const writer = async () => {
      while (writing) {
        const res = await post(startConversation);
        const text = await res.text();
        const body = JSON.parse(text);
        if (res.status === 200 && !body.errors) acked.push(body.data.startConversation.conversation.id);
        else failures.push({ status: res.status, codes: body.errors.map((e: { extensions?: { code?: string } }) => e.extensions?.code), retryAfter: res.headers.get('retry-after'), text });
        await sleep(20);
      }
    };
    const writers = [writer(), writer(), writer()];
    // Writes flow before the outage (the first requests of a cold process are slow).
    for (const until = Date.now() + 20_000; acked.length < 5 && Date.now() < until; ) await sleep(50);
    expect(acked.length).toBeGreaterThanOrEqual(5);
    expect(failures).toEqual([]);

    pg.stop('immediate');
    try {
      await sleep(300);
      const me = await post('{ me { id } }');
      expect(me.status).toBe(503);
      expect(me.headers.get('retry-after')).toBe('5');
      const meBody = await me.json();
      expect(meBody.errors.map((e: { extensions: { code: string } }) => e.extensions.code)).toEqual(['SERVICE_UNAVAILABLE']);

      const health = await post('{ health { status database databaseStatus } }', false);
      expect(health.status).toBe(200);
      expect((await health.json()).data.health).toEqual({ status: 'degraded', database: 'postgres', databaseStatus: 'DOWN' });

      const ready = await app.yoga.fetch('http://test.local/ready');
      expect(ready.status).toBe(503);
      expect(ready.headers.get('retry-after')).toBe('5');
      const readyText = await ready.text();
      expect(JSON.parse(readyText)).toEqual({ status: 'unavailable', failed: ['database'] });
      expect(readyText).not.toMatch(/ECONNREFUSED|127\.0\.0\.1|connect/i);

      await sleep(2000);
    } finally {
      pg.start();
    }
    // Recovery: the pool replaces its dead connections without a restart of the server.
    const deadline = Date.now() + 15_000;
    let recovered = false;
    while (!recovered && Date.now() < deadline) {
      const r = await post('{ me { id } }');
      recovered = r.status === 200 && !(await r.json()).errors;
      if (!recovered) await sleep(200);
    }
    expect(recovered).toBe(true);
    const afterRecovery = acked.length;
    await sleep(500);
    writing = false;
    await Promise.all(writers);
    expect(acked.length).toBeGreaterThan(afterRecovery);

    // Every failure during the outage was the documented 503, nothing else.
    expect(failures.length).toBeGreaterThan(0);
    for (const f of failures) {
      expect(f.status, f.text).toBe(503);
      expect(f.codes, f.text).toEqual(['SERVICE_UNAVAILABLE']);
      expect(f.retryAfter).toBe('5');
      expect(f.text).not.toMatch(/ECONNREFUSED|prisma|terminat|127\.0\.0\.1/i);
    }
    if (process.env.OUTAGE_REPORT) console.info(`outage: ${acked.length} writes acknowledged, ${failures.length} refused with 503 during the outage`);
    // Durability: every acknowledged write survived the crash.
    const ids = acked.map((g) => decodeGlobalID(g).id);
    const stored = await db.prisma.conversation.count({ where: { id: { in: ids } } });
    expect(stored).toBe(ids.length);

    const health = await post('{ health { status databaseStatus } }', false);
    expect((await health.json()).data.health).toEqual({ status: 'ok', databaseStatus: 'UP' });
    expect((await app.yoga.fetch('http://test.local/ready')).status).toBe(200);
  });
});
