import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtemp, cp, appendFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { createTestDatabase, type TestDatabase } from './helpers/db.ts';
import { dbKind } from './helpers/env.ts';
import { applyMigrations, MigrationError } from '../src/db/migrate/runner.ts';
import { diffDatabaseToSchema, openEngine } from '../src/db/migrate/engine.ts';
import { migrationsDir, readMigrations } from '../src/db/migrate/files.ts';
import { openDatabase } from '../src/db/database.ts';

describe(`migrations (${dbKind})`, () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase();
  });
  afterAll(() => db.destroy());

  it('leaves no drift between prisma/schema.prisma and the migrated database (zero-diff)', async () => {
    const engine = await openEngine(db);
    try {
      expect(await diffDatabaseToSchema(engine)).toEqual([]);
    } finally {
      await engine.close();
    }
  });

  it('detects drift when the database departs from the schema', async () => {
    await db.query('ALTER TABLE app.feedback ADD COLUMN stray integer');
    const engine = await openEngine(db);
    try {
      const drift = await diffDatabaseToSchema(engine);
      expect(drift.join('\n')).toMatch(/DROP COLUMN "stray"/);
    } finally {
      await engine.close();
      await db.query('ALTER TABLE app.feedback DROP COLUMN stray');
    }
  });

  it('records every migration in _prisma_migrations with its sha256 checksum', async () => {
    const files = await readMigrations();
    const rows = await db.query<{ migration_name: string; checksum: string; finished_at: Date | null }>(
      'SELECT migration_name, checksum, finished_at FROM public._prisma_migrations ORDER BY migration_name',
    );
    expect(rows.map((r) => [r.migration_name, r.checksum])).toEqual(files.map((f) => [f.name, f.checksum]));
    expect(rows.every((r) => r.finished_at)).toBe(true);
  });

  it('is idempotent: applying again applies nothing and changes nothing', async () => {
    const before = await db.query('SELECT id FROM public._prisma_migrations ORDER BY id');
    const result = await applyMigrations(db);
    expect(result.applied).toEqual([]);
    expect(await db.query('SELECT id FROM public._prisma_migrations ORDER BY id')).toEqual(before);
  });

  it('refuses a migration that was changed after it was applied', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'migrations-'));
    try {
      await cp(migrationsDir, dir, { recursive: true });
      const [first] = await readMigrations(dir);
      await appendFile(path.join(dir, first.name, 'migration.sql'), '\n-- edited\n');
      await expect(applyMigrations(db, { files: await readMigrations(dir) })).rejects.toThrow(MigrationError);
      await expect(applyMigrations(db, { files: await readMigrations(dir) })).rejects.toThrow(/was changed after it was applied/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('rolls back a failing migration whole and records nothing for it', async () => {
    const files = await readMigrations();
    const broken = { name: '99999999999999_broken', sql: 'CREATE TABLE app.half_done (id int);\nSELECT no_such_function();', checksum: 'x'.repeat(64) };
    await expect(applyMigrations(db, { files: [...files, broken] })).rejects.toThrow(/99999999999999_broken failed/);
    expect(await db.query(`SELECT to_regclass('app.half_done') AS t`)).toEqual([{ t: null }]);
    expect(await db.query(`SELECT 1 FROM public._prisma_migrations WHERE migration_name = $1`, [broken.name])).toEqual([]);
  });
});

describe.skipIf(dbKind !== 'postgres')('concurrent migration (postgres)', () => {
  it('two starters migrating one empty database at once: each migration is applied exactly once', async () => {
    const { serverUrl, withDatabaseName } = await import('./helpers/env.ts');
    const pg = (await import('pg')).default;
    const name = `test_concurrent_${Date.now()}`;
    const admin = new pg.Client({ connectionString: serverUrl });
    await admin.connect();
    await admin.query(`CREATE DATABASE ${name}`);
    try {
      const config = { kind: 'postgres' as const, url: withDatabaseName(serverUrl!, name), poolMax: 2, poolTimeoutMs: 10_000, statementTimeoutMs: 0 };
      const [a, b] = await Promise.all([openDatabase(config), openDatabase(config)]);
      const results = await Promise.all([applyMigrations(a), applyMigrations(b)]);
      const files = await readMigrations();
      expect(results.map((r) => r.applied.length).sort()).toEqual([0, files.length]);
      const rows = await a.query<{ n: number }>('SELECT count(*)::int AS n FROM public._prisma_migrations');
      expect(rows[0].n).toBe(files.length);
      await Promise.all([a.close(), b.close()]);
    } finally {
      await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await admin.end();
    }
  });
});
