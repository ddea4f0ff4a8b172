// A PgBouncer of the test's own (Debian's pgbouncer) on a free port, in transaction pooling mode,
// in front of one database. As root it runs as the postgres user (it refuses to run as root).
import { execFileSync } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { freePort } from './private-postgres.ts';

const CANDIDATES = ['/usr/sbin/pgbouncer', '/usr/bin/pgbouncer'];

/** The pgbouncer program, or undefined when it is not installed (.ci/run installs it). */
export function pgbouncerBin(): string | undefined {
  return CANDIDATES.find((p) => existsSync(p));
}

export interface PgBouncer {
  /** postgres://postgres@127.0.0.1:<port>/<database> through the pooler. */
  url: string;
  /** The admin console (SHOW POOLS, SHOW STATS...). */
  admin(command: string): Promise<Record<string, unknown>[]>;
  stop(): void;
}

export interface PgBouncerOptions {
  /** The server behind it. */
  host: string;
  port: number;
  database: string;
  /** Server connections per (database, user) pair: small, so requests share them. */
  poolSize: number;
}

export async function startPgBouncer(options: PgBouncerOptions): Promise<PgBouncer> {
  const bin = pgbouncerBin();
  if (!bin) throw new Error('pgbouncer is not installed');
  const asRoot = process.getuid?.() === 0;
  const dir = mkdtempSync(path.join(os.tmpdir(), 'pgbouncer-'));
  const port = await freePort();
  const file = (name: string) => path.join(dir, name);
  writeFileSync(file('users.txt'), '"postgres" ""\n');
  writeFileSync(
    file('pgbouncer.ini'),
    [
      '[databases]',
      `${options.database} = host=${options.host} port=${options.port} dbname=${options.database}`,
      '[pgbouncer]',
      'listen_addr = 127.0.0.1',
      `listen_port = ${port}`,
      'unix_socket_dir =',
      'auth_type = trust',
      `auth_file = ${file('users.txt')}`,
      'admin_users = postgres',
      'pool_mode = transaction',
      `default_pool_size = ${options.poolSize}`,
      'max_client_conn = 500',
      // node-postgres sends these as startup parameters; a pooler cannot apply per-client
      // session settings to shared server connections (statement_timeout belongs on the role
      // behind PgBouncer: README "Read replicas and PgBouncer").
      'ignore_startup_parameters = extra_float_digits,statement_timeout',
      // Reset nothing between transactions: transaction mode has no session state to reset.
      'server_reset_query =',
      `logfile = ${file('pgbouncer.log')}`,
      `pidfile = ${file('pgbouncer.pid')}`,
    ].join('\n') + '\n',
  );
  if (asRoot) {
    const uid = Number(execFileSync('id', ['-u', 'postgres']).toString().trim());
    const gid = Number(execFileSync('id', ['-g', 'postgres']).toString().trim());
    for (const f of ['', 'users.txt', 'pgbouncer.ini']) chownSync(path.join(dir, f), uid, gid);
  }
  // -d: daemon, its pid in the pidfile (stopped by that pid, nothing broader).
  const argv = ['-d', file('pgbouncer.ini')];
  execFileSync(asRoot ? 'runuser' : bin, asRoot ? ['-u', 'postgres', '--', bin, ...argv] : argv, { stdio: 'pipe', timeout: 30_000 });
  const url = `postgres://postgres@127.0.0.1:${port}/${options.database}`;
  for (let i = 0; ; i++) {
    const c = new pg.Client({ connectionString: url });
    try {
      await c.connect();
      await c.query('SELECT 1');
      await c.end();
      break;
    } catch (err) {
      await c.end().catch(() => {});
      if (i > 100) throw new Error(`pgbouncer did not answer: ${(err as Error).message}\n${readFileSync(file('pgbouncer.log'), 'utf8').slice(-2000)}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  return {
    url,
    async admin(command: string) {
      // The console speaks the simple query protocol only.
      const c = new pg.Client({ connectionString: `postgres://postgres@127.0.0.1:${port}/pgbouncer` });
      await c.connect();
      try {
        return (await c.query(command)).rows;
      } finally {
        await c.end();
      }
    },
    stop() {
      try {
        const pid = Number(readFileSync(file('pgbouncer.pid'), 'utf8').trim());
        if (pid > 0) process.kill(pid, 'SIGTERM');
      } catch {
        // already gone
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
