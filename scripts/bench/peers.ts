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
import type { ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { BENCH_LOAD_OPTIONS, benchHeaders, dataSize } from './data.ts';
import { runLoad } from './load.ts';
import { benchDatabase, CACHE, ensurePeerPackages, OURS, postgraphileQueries, startPeer, type OperationName } from './peer-servers.ts';

const { values } = parseArgs({
  options: {
    ...BENCH_LOAD_OPTIONS,
    rounds: { type: 'string', default: '3' },
  },
});
const n = dataSize(values);
const here = fileURLToPath(new URL('./peers/', import.meta.url));
const POOL_MAX = '16';

interface Peer {
  name: string;
  url: string;
  child: ChildProcess;
  /** The request body of each operation (each peer names its fields its own way). */
  queries: Record<OperationName, string>;
}

/** user+system CPU milliseconds the process has used (Linux /proc; clock ticks of 10 ms). */
function cpuMs(pid: number) {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return (Number(fields[11]) + Number(fields[12])) * 10;
}

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
  const bench = await benchDatabase(n);
  const children: ChildProcess[] = [];
  try {
    const { env, data, meId } = bench;
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
    const headersFor = (op: OperationName) => benchHeaders(op === 'operator' ? 'operator' : 'user', data);

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
    await bench.cleanUp();
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
