// A throw-away database for a benchmark: a new database on DATABASE_URL's server, or a temporary
// embedded PGlite folder. Returns the env that points the server at it, and its clean-up.
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';

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
