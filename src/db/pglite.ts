// Embedded PostgreSQL (PGlite) with pgvector and unaccent (accent-folding full text), persisted in a folder that one process owns at a time.
import { mkdirSync, openSync, closeSync, readFileSync, unlinkSync, writeFileSync, existsSync } from 'node:fs';
import path from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { vector } from '@electric-sql/pglite/vector';
import { unaccent } from '@electric-sql/pglite/contrib/unaccent';

export const inMemory = (dataDir: string) => dataDir.startsWith('memory://');

export class DataDirLockedError extends Error {
  constructor(dir: string, pid: number) {
    super(
      `The embedded database in ${dir} is in use by process ${pid}. ` +
        'A PGlite folder belongs to one process: stop the server first, or talk to it over GraphQL ' +
        '(operator mutations), or set DATABASE_URL to use a PostgreSQL server.',
    );
    this.name = 'DataDirLockedError';
  }
}

function processAlive(pid: number) {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Takes the folder's lock file (created exclusively), reclaiming it when its owner is gone. */
function lockDataDir(dir: string): () => void {
  const lockPath = path.join(dir, '.owner.pid');
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(lockPath, 'wx');
      writeFileSync(fd, String(process.pid));
      closeSync(fd);
      return () => {
        try {
          if (readFileSync(lockPath, 'utf8') === String(process.pid)) unlinkSync(lockPath);
        } catch {
          /* already gone */
        }
      };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const owner = Number.parseInt(readFileSync(lockPath, 'utf8'), 10);
      if (Number.isFinite(owner) && owner !== process.pid && processAlive(owner)) {
        throw new DataDirLockedError(dir, owner);
      }
      unlinkSync(lockPath); // stale: its process has exited
    }
  }
  throw new Error(`Could not lock ${dir}`);
}

export interface OpenedPglite {
  db: PGlite;
  /** True when the folder held no database before this call. */
  created: boolean;
  close(): Promise<void>;
}

export async function openPglite(dataDir: string, loadDataDir?: Blob): Promise<OpenedPglite> {
  let release = () => {};
  let created = true;
  let target: string | undefined;
  if (!inMemory(dataDir)) {
    target = path.resolve(dataDir);
    mkdirSync(target, { recursive: true });
    created = !existsSync(path.join(target, 'PG_VERSION'));
    release = lockDataDir(target);
  }
  try {
    const db = await PGlite.create({
      dataDir: target,
      extensions: { vector, unaccent },
      ...(loadDataDir ? { loadDataDir } : {}),
    });
    await db.exec('CREATE EXTENSION IF NOT EXISTS vector');
    return {
      db,
      created,
      async close() {
        try {
          await db.close();
        } finally {
          release();
        }
      },
    };
  } catch (err) {
    release();
    throw err;
  }
}
