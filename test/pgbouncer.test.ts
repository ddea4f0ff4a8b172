// The API behind PgBouncer in transaction pooling mode (Debian's pgbouncer, started here on a free
// port in front of a private cluster, two server connections for the whole app): migrations take
// their advisory lock on DIRECT_DATABASE_URL, and the main GraphQL paths (sign-in, me ->
// conversations, a mutation's transaction, messages on the PostgreSQL store, ingestion and
// search with its SET LOCALs) work with no session state carried between transactions. Nothing
// uses named prepared statements (adapter-pg sends unnamed ones unless given a
// statementNameGenerator; so PgBouncer 1.18, without max_prepared_statements, is enough).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pg from 'pg';
import pino from 'pino';
import { createApp, type App } from '../src/app.ts';
import { loadConfig } from '../src/config.ts';
import { openDatabase, type Database } from '../src/db/database.ts';
import { applyMigrations } from '../src/db/migrate/runner.ts';
import { createApiKey } from './factories/index.ts';
import { INGEST, SEARCH } from './helpers/search.ts';
import { postgresBin, startPrivatePostgres, type PrivatePostgres } from './helpers/private-postgres.ts';
import { pgbouncerBin, startPgBouncer, type PgBouncer } from './helpers/pgbouncer.ts';

const POOL_SIZE = 2;
const EF_SEARCH = '77';

// Skipped without the programs, except under CI (.ci/run installs them), where that fails.
describe.skipIf(!process.env.CI && (!postgresBin() || !pgbouncerBin()))('behind PgBouncer (transaction pooling)', () => {
  let server: PrivatePostgres;
  let bouncer: PgBouncer;
  let db: Database;
  let app: App;

  beforeAll(async () => {
    server = await startPrivatePostgres();
    const admin = new pg.Client({ connectionString: server.url() });
    await admin.connect();
    await admin.query('CREATE DATABASE app');
    await admin.end();
    bouncer = await startPgBouncer({ host: '127.0.0.1', port: server.port, database: 'app', poolSize: POOL_SIZE });
    const env = { APP_ENV: 'test', LOG_LEVEL: 'silent', DATABASE_URL: bouncer.url, DIRECT_DATABASE_URL: server.url('app'), HNSW_EF_SEARCH: EF_SEARCH };
    const config = loadConfig(env);
    if (config.database.kind !== 'postgres') throw new Error('expected PostgreSQL');
    db = await openDatabase(config.database);
    app = createApp({ config, db, log: pino({ level: 'silent' }) });
  }, 120_000);

  afterAll(async () => {
    await db?.close().catch(() => {});
    bouncer?.stop();
    server?.destroy();
  });

  async function post(query: string, variables: Record<string, unknown> = {}, headers: Record<string, string> = {}) {
    const res = await app.yoga.fetch('http://test.local/graphql', {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/graphql-response+json', ...headers },
      body: JSON.stringify({ query, variables }),
    });
    const body = (await res.json()) as { data?: any; errors?: unknown[] };
    await app.drainBackground();
    expect(body.errors).toBeUndefined();
    return body.data;
  }

  it('migrates over DIRECT_DATABASE_URL (its advisory lock needs a session), twice in parallel without harm', async () => {
    const [a, b] = await Promise.all([applyMigrations(db), applyMigrations(db)]);
    expect(a.applied.length + b.applied.length).toBe(a.total);
    const count = await db.query<{ n: number }>('SELECT count(*)::int AS n FROM public._prisma_migrations WHERE finished_at IS NOT NULL');
    expect(count[0].n).toBe(a.total);
  });

  it('runs the main paths through the pooler, with no session state across transactions', async () => {
    const signed = await post(`mutation($input: SignInInput!) { signIn(input: $input) { token } }`, {
      input: { idp: 'MOCK_IDP', loginId: 'pooled-teen', origin: 'web_react' },
    });
    const auth = { authorization: `Bearer ${signed.signIn.token}` };
    // A mutation with an interactive transaction (consent row, session scopes).
    const accepted = await post(`mutation { acceptTerms(input: { accepted: true }) { user { id } session { scope } } }`, {}, auth);
    expect(accepted.acceptTerms.session.scope).not.toBe('ONBOARDING');
    // The rest needs a FULL session, which a teenager gets with parental consent (tested elsewhere): granted here directly.
    await db.query(`UPDATE app.app_session SET scope = 'FULL' WHERE token_hash IS NOT NULL AND user_id IN (SELECT user_id FROM app.user_consent)`);

    // Another transaction (conversation + first chat session), then a message on the PostgreSQL store.
    const started = await post(
      `mutation($input: StartConversationInput!) { startConversation(input: $input) { conversation { id } chatSession { id } } }`,
      { input: { conversationType: 'INCIDENT', title: 'Par le pooler' } },
      auth,
    );
    await post(`mutation($input: SendMessageInput!) { sendMessage(input: $input) { message { id } } }`, {
      input: { chatSessionId: started.startConversation.chatSession.id, text: 'Bonjour' },
    }, auth);

    // me -> conversations -> counts and last message, thirty at once over two server connections.
    const reads = await Promise.all(
      Array.from({ length: 30 }, () => post(`{ me { conversations(first: 10) { edges { node { title messageCount lastMessage { text } } } } } }`, {}, auth)),
    );
    for (const r of reads) expect(r.me.conversations.edges).toEqual([{ node: { title: 'Par le pooler', messageCount: 1, lastMessage: { text: 'Bonjour' } } }]);

    // Ingestion (a transaction with raw vector writes) and search (SET LOCAL ef_search in a batch transaction).
    const writer = (await createApiKey(db.prisma, ['documents:write'])).key;
    await post(INGEST, { input: { collection: 'YOUTH', source: 'youth/pool.md', title: 'Le bus', language: 'fr', content: '# Le bus\n\nSi on se moque de toi dans le bus, parles-en à un adulte.' } }, { 'x-api-key': writer });
    const found = await Promise.all(Array.from({ length: 10 }, (_, i) => post(SEARCH, { query: `moqueries dans le bus ${i}`, first: 3 }, auth)));
    for (const r of found) expect(r.searchDocuments.length).toBeGreaterThan(0);

    // The SET LOCALs ended with their transactions: no server connection kept ef_search = 77.
    const settings = await Promise.all(Array.from({ length: 10 }, () => db.query<{ ef: string | null }>(`SELECT current_setting('hnsw.ef_search', true) AS ef`)));
    for (const [row] of settings) expect(row.ef).not.toBe(EF_SEARCH);

    // It all went through PgBouncer, in transaction mode, on at most POOL_SIZE server connections.
    const pools = (await bouncer.admin('SHOW POOLS')).filter((p) => p.database === 'app');
    expect(pools.map((p) => p.pool_mode)).toEqual(['transaction']);
    const servers = (await bouncer.admin('SHOW SERVERS')).filter((s) => s.database === 'app');
    expect(servers.length).toBeLessThanOrEqual(POOL_SIZE);
    const stats = (await bouncer.admin('SHOW STATS')).find((s) => s.database === 'app');
    expect(Number(stats?.total_xact_count)).toBeGreaterThan(50);
  });
});
