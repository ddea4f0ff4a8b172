// A throw-away PostgreSQL cluster of this test's own (initdb on a free port), which the test may
// stop and start: outages cannot be rehearsed on the shared server. Or a streaming replica of
// one (pg_basebackup -R, on another free port). As root, the server's programs run as the
// postgres user (runuser), as .ci/run does.
import { execFileSync } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import os from 'node:os';
import path from 'node:path';

/** The newest /usr/lib/postgresql/<n>/bin holding initdb, or undefined. */
export function postgresBin(): string | undefined {
  const root = '/usr/lib/postgresql';
  if (!existsSync(root)) return undefined;
  const versions = readdirSync(root)
    .filter((v) => existsSync(path.join(root, v, 'bin', 'initdb')))
    .sort((a, b) => Number(b) - Number(a));
  return versions.length ? path.join(root, versions[0], 'bin') : undefined;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

export interface PrivatePostgres {
  port: number;
  /** postgres://postgres@127.0.0.1:<port>/<database> */
  url(database?: string): string;
  /** immediate: like a crash (no checkpoint); fast: a clean shutdown. */
  stop(mode?: 'immediate' | 'fast'): void;
  start(): void;
  destroy(): void;
}

export interface PrivatePostgresOptions {
  /** Make this cluster a hot standby streaming from that one (pg_basebackup -R) instead of initdb. */
  replicaOf?: PrivatePostgres;
}

export async function startPrivatePostgres(options: PrivatePostgresOptions = {}): Promise<PrivatePostgres> {
  const bin = postgresBin();
  if (!bin) throw new Error('PostgreSQL server programs not found under /usr/lib/postgresql');
  const asRoot = process.getuid?.() === 0;
  const run = (program: string, args: string[]) => {
    const cmd = asRoot ? 'runuser' : path.join(bin, program);
    const argv = asRoot ? ['-u', 'postgres', '--', path.join(bin, program), ...args] : args;
    execFileSync(cmd, argv, { stdio: 'pipe', timeout: 60_000 });
  };
  const dir = mkdtempSync(path.join(os.tmpdir(), 'outage-pg-'));
  if (asRoot) {
    const uid = Number(execFileSync('id', ['-u', 'postgres']).toString().trim());
    const gid = Number(execFileSync('id', ['-g', 'postgres']).toString().trim());
    chownSync(dir, uid, gid);
  }
  const data = path.join(dir, 'data');
  const port = await freePort();
  if (options.replicaOf) {
    // initdb's default pg_hba.conf trusts local replication connections; -R writes
    // primary_conninfo and standby.signal; a fast checkpoint, not a spread one (minutes).
    run('pg_basebackup', ['-D', data, '-R', '-X', 'stream', '--checkpoint=fast', '-h', '127.0.0.1', '-p', String(options.replicaOf.port), '-U', 'postgres', '--no-sync']);
  } else {
    run('initdb', ['-D', data, '-U', 'postgres', '--auth=trust', '--no-sync']);
  }
  const start = () => run('pg_ctl', ['-D', data, '-o', `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1`, '-l', path.join(dir, 'log'), '-w', 'start']);
  const stop = (mode: 'immediate' | 'fast' = 'fast') => run('pg_ctl', ['-D', data, '-m', mode, '-w', 'stop']);
  start();
  return {
    port,
    url: (database = 'postgres') => `postgres://postgres@127.0.0.1:${port}/${database}`,
    stop,
    start,
    destroy() {
      try {
        stop('immediate');
      } catch {
        // already stopped
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
