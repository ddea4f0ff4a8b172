// Read replicas on a real streaming replica: a private primary (initdb) and a hot standby made
// with `pg_basebackup -R`, both on free ports. Replication lag is made certain by pausing replay
// on the standby (pg_wal_replay_pause()): whatever a request reads after that shows which server
// answered it. Rules under test (src/db/routing.ts): mutations on the primary; a viewer's reads
// on the primary for READ_YOUR_WRITES_MS after its own write (in-process, or on any instance that
// is sent the X-Primary-Until deadline back); every other query on the replica; a query's
// background writes on the primary.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pg from 'pg';
import pino from 'pino';
import { createApp, type App } from '../src/app.ts';
import { loadConfig, type Config } from '../src/config.ts';
import { openDatabase, type Database } from '../src/db/database.ts';
import { applyMigrations } from '../src/db/migrate/runner.ts';
import { PRIMARY_UNTIL_HEADER, ReadYourWrites } from '../src/db/routing.ts';
import { createApiKey, createSession, createUser } from './factories/index.ts';
import { INGEST, SEARCH } from './helpers/search.ts';
import { postgresBin, startPrivatePostgres, type PrivatePostgres } from './helpers/private-postgres.ts';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { attachWebSocket } from '../src/http/websocket.ts';
import { connectWs, subscribeWs } from './helpers/ws.ts';

const WINDOW_MS = 1500;
const START = `mutation($input: StartConversationInput!) { startConversation(input: $input) { conversation { id title } chatSession { id } } }`;
const MY_TITLES = `{ me { conversations(first: 50) { edges { node { title } } } } }`;
const SEND = `mutation($input: SendMessageInput!) { sendMessage(input: $input) { message { id } } }`;
const TRANSCRIPT = `query($id: ID!) { conversation(id: $id) { messages(first: 10) { edges { node { text } } } } }`;
const SIGN_IN = `mutation($input: SignInInput!) { signIn(input: $input) { token user { id } } }`;

interface Answer {
  status: number;
  body: { data?: any; errors?: { extensions?: { code?: string } }[] };
  primaryUntil: string | null;
}

// Skipped without PostgreSQL's server programs, except under CI, where that fails.
describe.skipIf(!process.env.CI && !postgresBin())('read replicas (private primary + pg_basebackup standby, replay paused)', () => {
  let primary: PrivatePostgres;
  let standby: PrivatePostgres;
  let db: Database;
  let config: Config;
  let app: App;
  /** A second instance over the same servers: its in-process read-your-writes map is empty. */
  let other: App;
  let admin: pg.Client;
  let replicaAdmin: pg.Client;
  let teen: { id: string; token: string };
  let reader: string;
  let writer: string;

  beforeAll(async () => {
    primary = await startPrivatePostgres();
    admin = new pg.Client({ connectionString: primary.url() });
    await admin.connect();
    await admin.query('CREATE DATABASE app');
    const setup = await openDatabase({ kind: 'postgres', url: primary.url('app'), poolMax: 2, poolTimeoutMs: 5000, statementTimeoutMs: 0 });
    await applyMigrations(setup);
    const t = await createUser(setup.prisma, { userType: 'TEENAGER' });
    teen = { id: t.id, token: (await createSession(setup.prisma, t.id, 'FULL')).token };
    reader = (await createApiKey(setup.prisma, ['conversations:read'])).key;
    writer = (await createApiKey(setup.prisma, ['documents:write'])).key;
    await setup.close();

    standby = await startPrivatePostgres({ replicaOf: primary });
    replicaAdmin = new pg.Client({ connectionString: standby.url('app') });
    await replicaAdmin.connect();
    // The last test stops the standby: its termination must not be an uncaught error.
    replicaAdmin.on('error', () => {});
    const env = { APP_ENV: 'test', LOG_LEVEL: 'silent', RAG_CACHE_ENABLED: 'true' };
    const database = {
      kind: 'postgres' as const,
      url: primary.url('app'),
      poolMax: 4,
      poolTimeoutMs: 5000,
      statementTimeoutMs: 10_000,
      replicaUrls: [standby.url('app')],
      readYourWritesMs: WINDOW_MS,
      directUrl: undefined,
      preparedStatements: true,
    };
    config = Object.freeze({ ...loadConfig(env), database });
    db = await openDatabase(database);
    app = createApp({ config, db, log: pino({ level: 'silent' }) });
    other = createApp({ config, db, log: pino({ level: 'silent' }) });
    const ingested = await post(app, INGEST, {
      input: { collection: 'YOUTH', source: 'youth/bus.md', title: 'Le bus', language: 'fr', content: '# Le bus\n\nSi on se moque de toi dans le bus, parles-en à un adulte de confiance.' },
    }, { 'x-api-key': writer });
    expect(ingested.body.errors).toBeUndefined();
    await caughtUp();
  }, 180_000);

  afterAll(async () => {
    await admin?.end().catch(() => {});
    await replicaAdmin?.end().catch(() => {});
    await db?.close().catch(() => {});
    standby?.destroy();
    primary?.destroy();
  });

  async function post(on: App, query: string, variables: Record<string, unknown> = {}, headers: Record<string, string> = {}): Promise<Answer> {
    const res = await on.yoga.fetch('http://test.local/graphql', {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/graphql-response+json', ...headers },
      body: JSON.stringify({ query, variables }),
    });
    const body = await res.json();
    await on.drainBackground();
    return { status: res.status, body, primaryUntil: res.headers.get(PRIMARY_UNTIL_HEADER) };
  }
  const asTeen = (extra: Record<string, string> = {}) => ({ authorization: `Bearer ${teen.token}`, ...extra });
  const titles = (a: Answer): string[] => a.body.data.me.conversations.edges.map((e: { node: { title: string } }) => e.node.title);

  /** Waits until the standby has replayed everything the primary has written so far. */
  async function caughtUp() {
    const [{ lsn }] = (await admin.query(`SELECT pg_current_wal_lsn()::text AS lsn`)).rows;
    for (let i = 0; i < 200; i++) {
      const [{ done }] = (await replicaAdmin.query(`SELECT pg_last_wal_replay_lsn() >= $1::pg_lsn AS done`, [lsn])).rows;
      if (done) return;
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error('the standby did not catch up');
  }
  const pause = () => replicaAdmin.query('SELECT pg_wal_replay_pause()');
  const resume = async () => {
    await replicaAdmin.query('SELECT pg_wal_replay_resume()');
    await caughtUp();
  };

  it('is a real hot standby: read-only, streaming from the primary', async () => {
    expect((await replicaAdmin.query('SELECT pg_is_in_recovery() AS r')).rows[0].r).toBe(true);
    const senders = await admin.query(`SELECT state FROM pg_stat_replication`);
    expect(senders.rows.map((r) => r.state)).toEqual(['streaming']);
  });

  it('with replay paused: the writer reads its write (primary), another instance without the deadline does not (replica), with it does', async () => {
    await pause();
    try {
      const started = await post(app, START, { input: { conversationType: 'INCIDENT', title: 'Après la pause' } }, asTeen());
      expect(started.body.errors).toBeUndefined();
      const until = Number(started.primaryUntil);
      expect(until).toBeGreaterThan(Date.now());
      expect(until).toBeLessThanOrEqual(Date.now() + WINDOW_MS);

      // Same instance: the viewer's own window (in-process, keyed by user id).
      expect(titles(await post(app, MY_TITLES, {}, asTeen()))).toContain('Après la pause');
      // Another instance knows nothing of the write: the replica answers, and it has not replayed it.
      expect(titles(await post(other, MY_TITLES, {}, asTeen()))).not.toContain('Après la pause');
      // Unless the client sends the deadline back: the scale-out form of read-your-writes.
      expect(titles(await post(other, MY_TITLES, {}, asTeen({ [PRIMARY_UNTIL_HEADER]: String(until) })))).toContain('Après la pause');
      // A deadline further ahead than one window is not honoured (nor is garbage).
      expect(titles(await post(other, MY_TITLES, {}, asTeen({ [PRIMARY_UNTIL_HEADER]: String(Date.now() + 60_000) })))).not.toContain('Après la pause');
      expect(titles(await post(other, MY_TITLES, {}, asTeen({ [PRIMARY_UNTIL_HEADER]: 'soon' })))).not.toContain('Après la pause');

      // Another viewer (an operator key) reads the replica: the conversation is not there yet.
      const id = started.body.data.startConversation.conversation.id;
      const byOperator = await post(app, `query($id: ID!) { conversation(id: $id) { id } }`, { id }, { 'x-api-key': reader });
      expect(byOperator.body.data?.conversation ?? null).toBeNull();

      // Once the window has passed, the writer reads the replica too: still without its write.
      await new Promise((r) => setTimeout(r, WINDOW_MS + 100));
      expect(titles(await post(app, MY_TITLES, {}, asTeen()))).not.toContain('Après la pause');

      // Replay resumes: everyone sees it, from the replica.
      await resume();
      expect(titles(await post(other, MY_TITLES, {}, asTeen()))).toContain('Après la pause');
      const later = await post(app, `query($id: ID!) { conversation(id: $id) { id } }`, { id }, { 'x-api-key': reader });
      expect(later.body.data.conversation.id).toBe(id);
    } finally {
      await replicaAdmin.query('SELECT pg_wal_replay_resume()');
    }
  });

  it('a mutation over WebSocket opens the same window: the writer\'s next reads over HTTP are on the primary', async () => {
    // WebSocket operations have no Fetch Request: the mutation's hooks must still answer and note
    // the write (they used to throw on request.headers, which failed the operation and closed the socket).
    const server = createServer(app.yoga);
    const ws = attachWebSocket(server, app.yoga, '/graphql');
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const connection = connectWs(`ws://127.0.0.1:${(server.address() as AddressInfo).port}/graphql`, asTeen());
    await pause();
    try {
      const started = subscribeWs(connection, START, { input: { conversationType: 'INCIDENT', title: 'Par la socket' } });
      expect((await started.next())?.data?.startConversation.conversation.title).toBe('Par la socket');
      expect(titles(await post(app, MY_TITLES, {}, asTeen()))).toContain('Par la socket');
    } finally {
      await replicaAdmin.query('SELECT pg_wal_replay_resume()');
      await connection.client.dispose();
      await ws.close();
      await new Promise((resolve) => server.close(resolve));
    }
  });

  it('a mutation reads the primary: writing into a conversation the replica does not have yet works', async () => {
    await pause();
    try {
      const started = await post(app, START, { input: { conversationType: 'INCIDENT', title: 'Messages' } }, asTeen());
      const chatSessionId = started.body.data.startConversation.chatSession.id;
      // On another instance too (no window there): mutations never read a replica.
      const sent = await post(other, SEND, { input: { chatSessionId, text: 'Encore dans le bus' } }, asTeen());
      expect(sent.body.errors).toBeUndefined();
      // The PostgreSQL message store follows the operation's route: the writer reads its message...
      const id = started.body.data.startConversation.conversation.id;
      const mine = await post(other, TRANSCRIPT, { id }, asTeen({ [PRIMARY_UNTIL_HEADER]: sent.primaryUntil! }));
      expect(mine.body.data.conversation.messages.edges.map((e: { node: { text: string } }) => e.node.text)).toEqual(['Encore dans le bus']);
      // ...an operator reading the replica cannot see the conversation yet.
      const op = await post(other, TRANSCRIPT, { id }, { 'x-api-key': reader });
      expect(op.body.data?.conversation ?? null).toBeNull();
    } finally {
      await resume();
    }
  });

  it('a sign-in the replica has not replayed: the new token is found on the primary, and its first reads stay there', async () => {
    await pause();
    try {
      const signed = await post(app, SIGN_IN, { input: { idp: 'MOCK_IDP', loginId: 'replica-newcomer', origin: 'web_react' } });
      expect(signed.body.errors).toBeUndefined();
      const auth = { authorization: `Bearer ${signed.body.data.signIn.token}` };
      // On another instance: the replica does not know the token, the primary does, and the
      // whole request (the user row `me` reads) then goes there.
      const me = await post(other, `{ me { id } }`, {}, auth);
      expect(me.body.errors).toBeUndefined();
      expect(me.body.data.me.id).toBe(signed.body.data.signIn.user.id);
      // A token nobody issued is still refused (asked of both servers).
      const forged = await post(other, `{ me { id } }`, {}, { authorization: `Bearer ${'x'.repeat(43)}` });
      expect(forged.body.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
    } finally {
      await resume();
    }
  });

  it('search runs on the replica (raw SQL, SET LOCAL in a read-only transaction); its cache writes go to the primary', async () => {
    await pause();
    try {
      const before = Number((await replicaAdmin.query('SELECT count(*) AS n FROM cache.rag_cache')).rows[0].n);
      const r = await post(other, SEARCH, { query: 'moqueries dans le bus', first: 3 }, asTeen());
      expect(r.body.errors).toBeUndefined();
      expect(r.body.data.searchDocuments.length).toBeGreaterThan(0);
      // The result-cache entry was written after the response (background), on the primary: the
      // paused standby does not have it, and no write failed on a read-only server.
      const onPrimary = await new pg.Client({ connectionString: primary.url('app') });
      await onPrimary.connect();
      const cached = Number((await onPrimary.query('SELECT count(*) AS n FROM cache.rag_cache')).rows[0].n);
      // The session's activity timestamp (a query's other background write) reached the primary too.
      const touched = (await onPrimary.query('SELECT last_active_at FROM app.app_session WHERE user_id = $1', [teen.id])).rows;
      await onPrimary.end();
      expect(cached).toBeGreaterThan(before);
      expect(touched.some((row) => row.last_active_at)).toBe(true);
      expect(Number((await replicaAdmin.query('SELECT count(*) AS n FROM cache.rag_cache')).rows[0].n)).toBe(before);
    } finally {
      await resume();
    }
  });

  it('a forged X-Primary-Until (far future, negative, NaN, huge, not a number) is ignored; a valid one pins only its own request', async () => {
    // The teenager's own earlier writes on `other` must be out of their window first.
    await new Promise((r) => setTimeout(r, WINDOW_MS + 100));
    await pause();
    try {
      const started = await post(app, START, { input: { conversationType: 'INCIDENT', title: 'Falsifié' } }, asTeen());
      expect(started.body.errors).toBeUndefined();
      for (const forged of ['99999999999999999', '9999999999999999', '-1', `-${Date.now() + 500}`, 'NaN', 'Infinity', '1e13', ` ${Date.now() + 500}x`, '0x1', '']) {
        const r = await post(other, MY_TITLES, {}, asTeen({ [PRIMARY_UNTIL_HEADER]: forged }));
        expect(r.status, forged).toBe(200);
        expect(r.body.errors, forged).toBeUndefined();
        expect(titles(r), forged).not.toContain('Falsifié');
      }
      // A valid deadline sent by an operator's request moves that request only: the teenager's
      // next request on the same instance still reads the replica.
      const id = started.body.data.startConversation.conversation.id;
      const pinned = await post(other, `query($id: ID!) { conversation(id: $id) { id } }`, { id }, { 'x-api-key': reader, [PRIMARY_UNTIL_HEADER]: started.primaryUntil! });
      expect(pinned.body.data.conversation.id).toBe(id);
      expect(titles(await post(other, MY_TITLES, {}, asTeen()))).not.toContain('Falsifié');
    } finally {
      await resume();
    }
  });

  it('names a bad replica list in one line', () => {
    expect(() => loadConfig({ DATABASE_URL: 'postgres://a/b', DATABASE_REPLICA_URLS: 'postgres://r1/b, http://r2' })).toThrow(/^Invalid configuration: DATABASE_REPLICA_URLS/);
    expect(() => loadConfig({ DATABASE_REPLICA_URLS: 'postgres://r1/b' })).toThrow(/^Invalid configuration: DATABASE_REPLICA_URLS: needs DATABASE_URL/);
    const ok = loadConfig({ DATABASE_URL: 'postgres://a/b', DATABASE_REPLICA_URLS: 'postgres://r1/b,postgresql://r2/b', READ_YOUR_WRITES_MS: '250' });
    expect(ok.database).toMatchObject({ replicaUrls: ['postgres://r1/b', 'postgresql://r2/b'], readYourWritesMs: 250 });
  });

  // Last: it stops the standby.
  it('a replica that is down: 503 SERVICE_UNAVAILABLE at most once, then queries fall back to the primary; /ready stays up, mutations are unaffected', async () => {
    standby.stop('immediate');
    // An anonymous caller is resolved without SQL, so its query meets the dead replica mid-operation:
    // a clear 503 SERVICE_UNAVAILABLE (no stack), and the replica is left out for the retry.
    const CONTENT = `{ localizedContent(category: PROMPTS) { key } }`;
    const failed = await post(other, CONTENT);
    expect(failed.status).toBe(503);
    expect(failed.body.errors?.map((e) => e.extensions?.code)).toEqual(['SERVICE_UNAVAILABLE']);
    expect(JSON.stringify(failed.body)).not.toMatch(/ECONNREFUSED|at .*\.ts:|127\.0\.0\.1/);
    const retried = await post(other, CONTENT);
    expect(retried.body.errors).toBeUndefined();
    expect(Array.isArray(retried.body.data.localizedContent)).toBe(true);
    // The viewer is resolved on the replica first: the refused connection sends it, and the
    // operation, to the primary, and leaves the replica out of the next requests.
    const mine = await post(other, MY_TITLES, {}, asTeen());
    expect(mine.status).toBe(200);
    expect(mine.body.errors).toBeUndefined();
    expect(titles(mine)).toContain('Après la pause');
    const id = (await post(app, START, { input: { conversationType: 'INCIDENT', title: 'Opérateur' } }, asTeen())).body.data.startConversation.conversation.id;
    const byKey = await post(app, `query($id: ID!) { conversation(id: $id) { id } }`, { id }, { 'x-api-key': reader });
    expect(byKey.body.errors).toBeUndefined();
    expect(byKey.body.data.conversation.id).toBe(id);
    const sent = await post(other, START, { input: { conversationType: 'INCIDENT', title: 'Sans réplique' } }, asTeen());
    expect(sent.body.errors).toBeUndefined();
    const ready = await app.yoga.fetch('http://test.local/ready');
    expect(ready.status).toBe(200);
  });
});

describe('ReadYourWrites bookkeeping', () => {
  it('forgets expired viewers as it goes and never holds more than MAX_VIEWERS, keeping the newest', () => {
    let now = 1_000_000;
    const writes = new ReadYourWrites(1000, () => now);
    for (let i = 0; i < 10; i++) writes.noteWrite([`user:${i}`]);
    now += 1001;
    writes.noteWrite(['user:new']);
    expect(writes.size).toBe(1);
    // Many distinct writers inside one window (credential hashes of many clients): bounded.
    for (let i = 0; i < ReadYourWrites.MAX_VIEWERS + 5000; i++) writes.noteWrite([`key:${i}`]);
    expect(writes.size).toBeLessThanOrEqual(ReadYourWrites.MAX_VIEWERS);
    expect(writes.pinned(`key:${ReadYourWrites.MAX_VIEWERS + 4999}`)).toBe(true);
    expect(writes.pinned('key:0')).toBe(false);
  });
});
