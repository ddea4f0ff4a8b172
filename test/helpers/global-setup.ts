// Migrates one template per run: a PostgreSQL template database, or a PGlite data-folder
// snapshot. Every test database is a copy of it, so no test depends on another's leftovers.
// With MONGODB_TEST_SERVER=congodb and no MONGODB_URL, also starts CongoDB for the run.
import { writeFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import type { TestProject } from 'vitest/node';
import { openDatabase } from '../../src/db/database.ts';
import { applyMigrations } from '../../src/db/migrate/runner.ts';
import { serverUrl, withDatabaseName } from './env.ts';
import { mongoTestServer, startCongoDb } from './mongo.ts';

export default async function setup(project: TestProject) {
  const stopMongo = await startMongoTestServer(project);
  const stopDatabase = await setupDatabase(project);
  return async () => {
    await stopDatabase();
    await stopMongo();
  };
}

async function startMongoTestServer(project: TestProject): Promise<() => Promise<void>> {
  project.provide('congoDbUrl', '');
  // A MONGODB_URL wins: the tests then run against that server.
  if (process.env.MONGODB_URL || !mongoTestServer()) return async () => {};
  const started = Date.now();
  const congo = await startCongoDb();
  console.log(`[mongodb] CongoDB (@push.rocks/smartmongo 2.2.0) at ${congo.url}, started in ${Date.now() - started} ms`);
  project.provide('congoDbUrl', congo.url);
  return congo.stop;
}

async function setupDatabase(project: TestProject): Promise<() => Promise<void>> {
  const runId = randomBytes(4).toString('hex');
  if (serverUrl) {
    const template = `tmpl_${runId}`;
    const admin = new pg.Client({ connectionString: serverUrl });
    await admin.connect();
    await admin.query(`CREATE DATABASE ${template}`);
    await admin.end();
    const db = await openDatabase({
      kind: 'postgres',
      url: withDatabaseName(serverUrl, template),
      poolMax: 2,
      poolTimeoutMs: 10_000,
      statementTimeoutMs: 0,
    });
    await applyMigrations(db);
    await db.close();
    project.provide('templateDatabase', template);
    return async () => {
      const c = new pg.Client({ connectionString: serverUrl });
      await c.connect();
      await c.query(`DROP DATABASE IF EXISTS ${template} WITH (FORCE)`);
      await c.end();
    };
  }
  const db = await openDatabase({ kind: 'pglite', dataDir: 'memory://' });
  await applyMigrations(db);
  const snapshot = await db.pglite!.dumpDataDir('none');
  await db.close();
  const file = path.join(os.tmpdir(), `pglite-template-${runId}.tar`);
  await writeFile(file, Buffer.from(await snapshot.arrayBuffer()));
  project.provide('templateSnapshot', file);
  return () => rm(file, { force: true });
}

declare module 'vitest' {
  export interface ProvidedContext {
    templateDatabase: string;
    templateSnapshot: string;
  }
}
