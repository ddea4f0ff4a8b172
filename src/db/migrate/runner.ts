// Applies pending migrations: Prisma's layout and _prisma_migrations table (so a native
// `prisma migrate deploy` elsewhere sees the same history), each migration in its own
// transaction, all under an advisory lock so concurrent starters do not both migrate.
import { randomUUID } from 'node:crypto';
import type { Database, SqlSession } from '../database.ts';
import { readMigrations, type MigrationFile } from './files.ts';

/** The lock id Prisma Migrate itself takes, so our runner and Prisma's exclude each other. */
const MIGRATION_LOCK_ID = 72707369;

export class MigrationError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'MigrationError';
  }
}

const CREATE_TABLE = `
CREATE TABLE IF NOT EXISTS public._prisma_migrations (
  id                  VARCHAR(36) PRIMARY KEY NOT NULL,
  checksum            VARCHAR(64) NOT NULL,
  finished_at         TIMESTAMPTZ,
  migration_name      VARCHAR(255) NOT NULL,
  logs                TEXT,
  rolled_back_at      TIMESTAMPTZ,
  started_at          TIMESTAMPTZ NOT NULL DEFAULT now(),
  applied_steps_count INTEGER NOT NULL DEFAULT 0
)`;

interface AppliedRow {
  migration_name: string;
  checksum: string;
  finished_at: Date | null;
  rolled_back_at: Date | null;
}

async function appliedRows(session: SqlSession) {
  return session.query<AppliedRow>(
    'SELECT migration_name, checksum, finished_at, rolled_back_at FROM public._prisma_migrations ORDER BY started_at',
  );
}

/** Pending migrations, after checking that what was applied is what is on disk. */
function pendingOf(files: MigrationFile[], rows: AppliedRow[]) {
  const done = new Map<string, AppliedRow>();
  for (const row of rows) {
    if (row.rolled_back_at) continue;
    if (!row.finished_at) {
      throw new MigrationError(
        `Migration ${row.migration_name} started but did not finish. Inspect the database, then remove its row from _prisma_migrations.`,
      );
    }
    done.set(row.migration_name, row);
  }
  const byName = new Map(files.map((f) => [f.name, f]));
  for (const [name, row] of done) {
    const file = byName.get(name);
    if (!file) continue; // applied by a newer release; not ours to judge
    if (file.checksum !== row.checksum) {
      throw new MigrationError(
        `Migration ${name} was changed after it was applied (checksum ${row.checksum.slice(0, 12)}… in the database, ` +
          `${file.checksum.slice(0, 12)}… on disk). Restore the file and put the change in a new migration.`,
      );
    }
  }
  return files.filter((f) => !done.has(f.name));
}

export interface MigrateResult {
  applied: string[];
  total: number;
}

export async function applyMigrations(
  db: Database,
  options: { files?: MigrationFile[]; log?: (line: string) => void } = {},
): Promise<MigrateResult> {
  const files = options.files ?? (await readMigrations());
  const log = options.log ?? (() => {});
  const session = await db.session();
  try {
    await session.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK_ID]);
    try {
      await session.exec(CREATE_TABLE);
      const pending = pendingOf(files, await appliedRows(session));
      for (const file of pending) {
        await session.exec('BEGIN');
        try {
          const id = randomUUID();
          await session.query(
            'INSERT INTO public._prisma_migrations (id, checksum, migration_name, started_at) VALUES ($1, $2, $3, now())',
            [id, file.checksum, file.name],
          );
          await session.exec(file.sql);
          await session.query(
            'UPDATE public._prisma_migrations SET finished_at = now(), applied_steps_count = 1 WHERE id = $1',
            [id],
          );
          await session.exec('COMMIT');
          log(`applied ${file.name}`);
        } catch (err) {
          await session.exec('ROLLBACK');
          throw new MigrationError(`Migration ${file.name} failed and was rolled back: ${(err as Error).message}`);
        }
      }
      return { applied: pending.map((f) => f.name), total: files.length };
    } finally {
      await session.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK_ID]);
    }
  } finally {
    await session.release();
  }
}

export async function migrationStatus(db: Database, files?: MigrationFile[]) {
  const all = files ?? (await readMigrations());
  const session = await db.session();
  try {
    await session.exec(CREATE_TABLE);
    return { pending: pendingOf(all, await appliedRows(session)).map((f) => f.name), total: all.length };
  } finally {
    await session.release();
  }
}
