// A throw-away server for a benchmark: on a new database on DATABASE_URL's server, or on a
// temporary embedded PGlite folder; both are removed afterwards, whatever happens.
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import pino from 'pino';
import { loadConfig, type Config } from '../../src/config.ts';
import { startServer } from '../../src/server.ts';

type Server = Awaited<ReturnType<typeof startServer>>;

export async function freshDatabaseEnv(env: Record<string, string>) {
  const serverUrl = process.env.DATABASE_URL;
  const admin = async (sql: string) => {
    const client = new pg.Client({ connectionString: serverUrl });
    await client.connect();
    try {
      await client.query(sql);
    } finally {
      await client.end();
    }
  };
  if (serverUrl) {
    const dbName = `bench_${Date.now()}`;
    await admin(`CREATE DATABASE ${dbName}`);
    const u = new URL(serverUrl);
    u.pathname = `/${dbName}`;
    return {
      env: { ...env, DATABASE_URL: u.toString(), DB_POOL_MAX: process.env.DB_POOL_MAX ?? '16' },
      cleanUp: () => admin(`DROP DATABASE IF EXISTS ${dbName} WITH (FORCE)`),
    };
  }
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'bench-pglite-'));
  return { env: { ...env, PGLITE_DATA_DIR: dataDir }, cleanUp: () => rm(dataDir, { recursive: true, force: true }) };
}

/** Runs fn against a migrated, empty, silent production server on a fresh database, then removes it. Exits 1 on failure. */
export function benchOnFreshServer(fn: (server: Server, config: Config) => Promise<void>) {
  const run = async () => {
    const fresh = await freshDatabaseEnv({ LOG_LEVEL: 'silent', PORT: '0', HOST: '127.0.0.1', AUTO_SEED: 'false', APP_ENV: 'production', ENABLE_MOCK_IDP: 'false' });
    const config = loadConfig(fresh.env);
    const server = await startServer(config, pino({ level: 'silent' }));
    try {
      await fn(server, config);
    } finally {
      await server.close();
      await fresh.cleanUp();
    }
  };
  run().catch((err) => {
    console.error(err);
    process.exit(1);
  });
}
