// One Database per process: a Prisma client over the configured driver adapter, plus a raw SQL
// session for the few things Prisma does not model (vectors, advisory locks, migrations). On
// PostgreSQL it may also hold one client per streaming read replica (routing.ts decides, per
// GraphQL operation, which client serves it) and a direct pool for session-level work when the
// main URL is a transaction pooler.
import { createHash } from 'node:crypto';
import pg from 'pg';
import { PrismaPg } from '@prisma/adapter-pg';
import { PrismaPGlite } from 'pglite-prisma-adapter';
import type { SqlMigrationAwareDriverAdapterFactory } from '@prisma/driver-adapter-utils';
import type { PGlite } from '@electric-sql/pglite';
import { PrismaClient } from '../generated/prisma/client.ts';
import { preparesStatements, type DatabaseConfig } from '../config.ts';
import { openPglite } from './pglite.ts';
import { countStatement, instrumentAdapterFactory, traced } from './instrument.ts';
import { routedClient } from './routing.ts';

export interface SqlSession {
  query<T = Record<string, unknown>>(sql: string, params?: unknown[]): Promise<T[]>;
  /** Runs a script of several statements. */
  exec(script: string): Promise<void>;
  release(): Promise<void>;
}

export interface Database {
  kind: 'pglite' | 'postgres';
  /** The primary: every write, mutations, workers, migrations, seeds. */
  prisma: PrismaClient;
  /** True when DATABASE_REPLICA_URLS named at least one replica. */
  hasReplicas: boolean;
  /** The next read replica's client (round robin, skipping those marked unreachable), or the primary's when there is none left. */
  replica(): PrismaClient;
  /**
   * Marks the replica behind `client` unreachable (a connection failure) for REPLICA_RETRY_MS:
   * replica() skips it, so reads fall back to the other replicas, then to the primary. No-op for
   * any other client.
   */
  replicaUnavailable(client: PrismaClient): void;
  /**
   * The client of the GraphQL operation running now (the one routing.ts chose for it), the
   * primary outside one. For process-wide services on the request path (message store, search),
   * so a request's statements all go to one server. Never for writes in a query's background work.
   */
  routed: PrismaClient;
  /** A dedicated connection (the only one, on PGlite); on DIRECT_DATABASE_URL when set (session state, advisory locks). */
  session(): Promise<SqlSession>;
  /** Single raw query on any connection of the primary. */
  query<T = Record<string, unknown>>(sql: string, params?: unknown[]): Promise<T[]>;
  /**
   * Single raw query on the server behind `client` (the primary's, or a replica's from replica()):
   * raw SQL on the request path goes where the operation was routed (ctx.prisma).
   */
  queryOn<T = Record<string, unknown>>(client: PrismaClient, sql: string, params?: unknown[]): Promise<T[]>;
  /** True when the embedded folder was empty before this process opened it. */
  freshlyCreated: boolean;
  pglite?: PGlite;
  pool?: pg.Pool;
  close(): Promise<void>;
}

export interface OpenOptions {
  /** Snapshot of a PGlite data folder to start from (tests). */
  loadDataDir?: Blob;
  /** Warnings about the database's behaviour (named statements turned off behind a pooler that shares server connections). */
  log?: (line: string) => void;
}

// queryOn's statements (the fast read path's tree, the session and API key lookups: the hot path) run as named
// prepared statements when the configuration allows it: each connection parses and plans a text
// once and is not sent it again. A name is a hash of the text. At most PREPARED_MAX distinct texts
// per process are named, so a connection never holds more (it keeps them until it closes); any
// further text runs unnamed, as before.
const PREPARED_MAX = 64;
const preparedNames = new Map<string, string>();
/** The statement name of `sql`, or undefined once PREPARED_MAX texts are named. */
export function preparedName(sql: string): string | undefined {
  let name = preparedNames.get(sql);
  if (name || preparedNames.size >= PREPARED_MAX) return name;
  name = `q_${createHash('sha256').update(sql).digest('hex').slice(0, 32)}`;
  preparedNames.set(sql, name);
  return name;
}

// PostgreSQL's answers when a connection does not hold a named statement as node-postgres believes
// it does. 0A000: a schema change altered the statement's result columns ("cached plan must not
// change result type"; that connection's copy stays broken). 26000: the server has no such
// statement (a reset such as DISCARD ALL, or a transaction pooler's other server connection).
// 42P05: it already has one by that name, though this client never prepared it there: the server
// session is shared, a transaction pooler without prepared-statement support.
const STALE_PREPARED = new Set(['0A000', '26000', '42P05']);
/** Pools whose server sessions are shared (42P05 seen): their statements go unnamed. */
const sharedSessions = new WeakSet<pg.Pool>();

/**
 * `text` on `pool`, as the named statement `name` when given. A connection whose copy is stale or
 * missing is answered with the text unnamed, once, and is dropped (pool.query drops a connection
 * whose query failed), so a fresh connection prepares it again; the caller never sees the error.
 * A pool whose server sessions are shared (42P05) stops naming statements.
 */
async function preparedQuery(pool: pg.Pool, text: string, values: unknown[] | undefined, name: string | undefined, log?: (line: string) => void) {
  if (!name || sharedSessions.has(pool)) return pool.query({ text, values });
  try {
    return await pool.query({ text, values, name });
  } catch (err) {
    const code = (err as { code?: unknown }).code;
    if (typeof code !== 'string' || !STALE_PREPARED.has(code)) throw err;
    if (code === '42P05' && !sharedSessions.has(pool)) {
      sharedSessions.add(pool);
      log?.('DB_PREPARED_STATEMENTS: server connections are shared (SQLSTATE 42P05: a transaction pooler without prepared-statement support); named statements turned off for this pool. Set DB_PREPARED_STATEMENTS=off, or auto with DIRECT_DATABASE_URL.');
    }
    // A second round trip: counted like the first.
    countStatement(text);
    return pool.query({ text, values });
  }
}

function pgliteSession(db: PGlite): SqlSession {
  return {
    async query<T>(sql: string, params?: unknown[]) {
      return (await db.query<T>(sql, params)).rows;
    },
    async exec(script: string) {
      await db.exec(script);
    },
    async release() {},
  };
}

function poolSession(client: pg.PoolClient): SqlSession {
  return {
    async query<T>(sql: string, params?: unknown[]) {
      return (await client.query(sql, params)).rows as T[];
    },
    async exec(script: string) {
      await client.query(script);
    },
    async release() {
      client.release();
    },
  };
}

/** How long a replica that failed to connect is left out of replica() before it is tried again, in ms. */
export const REPLICA_RETRY_MS = 5000;

type PgConfig = Extract<DatabaseConfig, { kind: 'postgres' }>;
/** What openDatabase needs: scripts and tests may leave out the scale-out settings (none, then). */
export type OpenConfig =
  | Extract<DatabaseConfig, { kind: 'pglite' }>
  | (Omit<PgConfig, 'replicaUrls' | 'readYourWritesMs' | 'directUrl' | 'preparedStatements'> & Partial<Pick<PgConfig, 'replicaUrls' | 'directUrl' | 'preparedStatements'>>);

export function createPgPool(config: Pick<PgConfig, 'url' | 'poolMax' | 'poolTimeoutMs' | 'statementTimeoutMs'>) {
  const pool = new pg.Pool({
    connectionString: config.url,
    max: config.poolMax,
    // adapter-pg waits forever for a free connection unless told otherwise.
    connectionTimeoutMillis: config.poolTimeoutMs,
    statement_timeout: config.statementTimeoutMs || undefined,
    application_name: 'youth-safety-graphql-api',
  });
  // An idle client's error (server restart) must not crash the process; the pool replaces it.
  pool.on('error', () => {});
  return pool;
}

export async function openDatabase(config: OpenConfig, options: OpenOptions = {}): Promise<Database> {
  let factory: SqlMigrationAwareDriverAdapterFactory;
  if (config.kind === 'postgres') {
    const pool = createPgPool(config);
    factory = new PrismaPg(pool);
    const prisma = new PrismaClient({ adapter: instrumentAdapterFactory(factory) });
    // One pool and client per replica, sized like the primary's.
    const replicas = (config.replicaUrls ?? []).map((url) => {
      const replicaPool = createPgPool({ ...config, url });
      return { pool: replicaPool, prisma: new PrismaClient({ adapter: instrumentAdapterFactory(new PrismaPg(replicaPool)) }), downUntil: 0 };
    });
    // Session-level work cannot go through a transaction pooler: a small pool on the direct URL,
    // opened on first use (migrations at start-up; nothing on the request path).
    let direct: pg.Pool | undefined;
    // Decided once; callers that leave it out (scripts, tests) get the `auto` rule.
    const prepared = config.preparedStatements ?? preparesStatements('auto', config.directUrl);
    const sessionPool = () => (config.directUrl ? (direct ??= createPgPool({ ...config, url: config.directUrl, poolMax: 2 })) : pool);
    let next = 0;
    return {
      kind: 'postgres',
      prisma,
      hasReplicas: replicas.length > 0,
      replica() {
        const now = Date.now();
        for (let i = 0; i < replicas.length; i++) {
          const r = replicas[next++ % replicas.length];
          if (r.downUntil <= now) return r.prisma;
        }
        return prisma;
      },
      replicaUnavailable(client) {
        const r = replicas.find((x) => x.prisma === client);
        if (r) r.downUntil = Date.now() + REPLICA_RETRY_MS;
      },
      routed: routedClient(prisma),
      pool,
      freshlyCreated: false,
      async session() {
        return poolSession(await sessionPool().connect());
      },
      async query<T>(sql: string, params?: unknown[]) {
        return (await pool.query(sql, params)).rows as T[];
      },
      async queryOn<T>(client: PrismaClient, sql: string, params?: unknown[]) {
        const on = replicas.find((r) => r.prisma === client)?.pool ?? pool;
        countStatement(sql);
        const name = prepared ? preparedName(sql) : undefined;
        return traced(sql, async () => (await preparedQuery(on, sql, params, name, options.log)).rows as T[]);
      },
      async close() {
        await Promise.all([prisma, ...replicas.map((r) => r.prisma)].map((c) => c.$disconnect()));
        await Promise.all([pool, ...replicas.map((r) => r.pool), ...(direct ? [direct] : [])].map((p) => p.end()));
      },
    };
  }
  const opened = await openPglite(config.dataDir, options.loadDataDir);
  factory = new PrismaPGlite(opened.db);
  const prisma = new PrismaClient({ adapter: instrumentAdapterFactory(factory) });
  const session = pgliteSession(opened.db);
  return {
    kind: 'pglite',
    prisma,
    hasReplicas: false,
    replica: () => prisma,
    replicaUnavailable() {},
    routed: prisma,
    pglite: opened.db,
    freshlyCreated: opened.created,
    async session() {
      return session;
    },
    query: session.query,
    queryOn: (_client, sql, params) => {
      countStatement(sql);
      return traced(sql, () => session.query(sql, params));
    },
    async close() {
      await prisma.$disconnect();
      await opened.close();
    },
  };
}
