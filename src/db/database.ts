// One Database per process: a Prisma client over the configured driver adapter, plus a raw SQL
// session for the few things Prisma does not model (vectors, advisory locks, migrations).
import pg from 'pg';
import { PrismaPg } from '@prisma/adapter-pg';
import { PrismaPGlite } from 'pglite-prisma-adapter';
import type { SqlMigrationAwareDriverAdapterFactory } from '@prisma/driver-adapter-utils';
import type { PGlite } from '@electric-sql/pglite';
import { PrismaClient } from '../generated/prisma/client.ts';
import type { DatabaseConfig } from '../config.ts';
import { openPglite } from './pglite.ts';
import { instrumentAdapterFactory } from './instrument.ts';

export interface SqlSession {
  query<T = Record<string, unknown>>(sql: string, params?: unknown[]): Promise<T[]>;
  /** Runs a script of several statements. */
  exec(script: string): Promise<void>;
  release(): Promise<void>;
}

export interface Database {
  kind: 'pglite' | 'postgres';
  prisma: PrismaClient;
  /** A dedicated connection (the only one, on PGlite). */
  session(): Promise<SqlSession>;
  /** Single raw query on any connection. */
  query<T = Record<string, unknown>>(sql: string, params?: unknown[]): Promise<T[]>;
  /** True when the embedded folder was empty before this process opened it. */
  freshlyCreated: boolean;
  pglite?: PGlite;
  pool?: pg.Pool;
  close(): Promise<void>;
}

export interface OpenOptions {
  /** Snapshot of a PGlite data folder to start from (tests). */
  loadDataDir?: Blob;
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

export function createPgPool(config: Extract<DatabaseConfig, { kind: 'postgres' }>) {
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

export async function openDatabase(config: DatabaseConfig, options: OpenOptions = {}): Promise<Database> {
  let factory: SqlMigrationAwareDriverAdapterFactory;
  if (config.kind === 'postgres') {
    const pool = createPgPool(config);
    factory = new PrismaPg(pool);
    const prisma = new PrismaClient({ adapter: instrumentAdapterFactory(factory) });
    return {
      kind: 'postgres',
      prisma,
      pool,
      freshlyCreated: false,
      async session() {
        return poolSession(await pool.connect());
      },
      async query<T>(sql: string, params?: unknown[]) {
        return (await pool.query(sql, params)).rows as T[];
      },
      async close() {
        await prisma.$disconnect();
        await pool.end();
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
    pglite: opened.db,
    freshlyCreated: opened.created,
    async session() {
      return session;
    },
    query: session.query,
    async close() {
      await prisma.$disconnect();
      await opened.close();
    },
  };
}
