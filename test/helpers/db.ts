// A fresh, migrated database for one test file: a copy of the run's template.
import { readFile } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { inject } from 'vitest';
import { openDatabase, type Database } from '../../src/db/database.ts';
import type { DatabaseConfig } from '../../src/config.ts';
import { serverUrl, withDatabaseName } from './env.ts';

export interface TestDatabase extends Database {
  config: DatabaseConfig;
  /** Drops the database (PostgreSQL) or discards it (PGlite). */
  destroy(): Promise<void>;
}

async function admin<T>(fn: (c: pg.Client) => Promise<T>) {
  const c = new pg.Client({ connectionString: serverUrl });
  await c.connect();
  try {
    return await fn(c);
  } finally {
    await c.end();
  }
}

export async function createTestDatabase(options: { poolMax?: number; preparedStatements?: boolean } = {}): Promise<TestDatabase> {
  if (serverUrl) {
    const name = `test_${randomBytes(6).toString('hex')}`;
    const template = inject('templateDatabase');
    await admin((c) => c.query(`CREATE DATABASE ${name} TEMPLATE ${template}`));
    const config: DatabaseConfig = {
      kind: 'postgres',
      url: withDatabaseName(serverUrl, name),
      poolMax: options.poolMax ?? 10,
      poolTimeoutMs: 10_000,
      statementTimeoutMs: 30_000,
      // TEST_READ_ONLY_REPLICA=1: the same database again as a "replica" whose transactions are
      // read-only, so any write a query operation sends to its replica fails the test that made it.
      replicaUrls: process.env.TEST_READ_ONLY_REPLICA === '1' ? [readOnly(withDatabaseName(serverUrl, name))] : [],
      readYourWritesMs: 5000,
      directUrl: undefined,
      preparedStatements: options.preparedStatements ?? true,
    };
    const db = await openDatabase(config);
    const close = once(db.close);
    return Object.assign(db, {
      config,
      close,
      async destroy() {
        await close();
        await admin((c) => c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`));
      },
    });
  }
  const snapshot = new Blob([await readFile(inject('templateSnapshot'))]);
  const config: DatabaseConfig = { kind: 'pglite', dataDir: 'memory://' };
  const db = await openDatabase(config, { loadDataDir: snapshot });
  const close = once(db.close);
  return Object.assign(db, { config, close, destroy: close });
}

function readOnly(url: string) {
  const u = new URL(url);
  u.searchParams.set('options', '-c default_transaction_read_only=on');
  return u.toString();
}

function once(fn: () => Promise<void>) {
  let done: Promise<void> | undefined;
  return () => (done ??= fn());
}

/**
 * Runs fn while the first row inserted into `app.<table>` also inserts its twin (the same row with
 * a new id), once: a concurrent writer that committed first, on one connection (PGlite has no
 * other). A sequence gates it, and a rollback does not undo `nextval`, so only the first run
 * collides and a retry goes through. The trigger, its function and the sequence are dropped after.
 */
export async function withTwinOnFirstInsert<T>(db: Pick<Database, 'query'>, table: string, fn: () => Promise<T>): Promise<T> {
  if (!/^\w+$/.test(table)) throw new Error(`withTwinOnFirstInsert: table ${table}`);
  await db.query(`CREATE SEQUENCE app.test_twin_${table}_seq`);
  await db.query(`CREATE OR REPLACE FUNCTION app.test_twin_${table}() RETURNS trigger LANGUAGE plpgsql AS $$
      DECLARE twin app.${table};
      BEGIN
        IF nextval('app.test_twin_${table}_seq') = 1 THEN
          twin := NEW; twin.id := gen_random_uuid();
          INSERT INTO app.${table} SELECT twin.*;
        END IF;
        RETURN NEW;
      END $$`);
  await db.query(`CREATE TRIGGER test_twin BEFORE INSERT ON app.${table} FOR EACH ROW EXECUTE FUNCTION app.test_twin_${table}()`);
  try {
    return await fn();
  } finally {
    await db.query(`DROP TRIGGER test_twin ON app.${table}`);
    await db.query(`DROP FUNCTION app.test_twin_${table}()`);
    await db.query(`DROP SEQUENCE app.test_twin_${table}_seq`);
  }
}
