// npm run bench:gc [-- --operation me|operator --semi 64,16 --rounds 3 --duration 10 --connections 16 --before <git revision>]
// The latency tail against garbage collection: on a fresh benchmark database, this server once per
// young-generation size (--max-semi-space-size, MB; npm start uses 64) and the single-SQL server
// (the yardstick: no GC to speak of), each under `node --trace-gc-nvp`, autocannon in its own
// process with 16 connections, interleaved rounds. Prints per round req/s, p50, p99, p99/p50, and
// the collections during the load: young-generation (scavenges: count, longest pause, and the
// mean MB each promoted to the old generation, which is what outlived two of them) and full
// (mark-compacts: count, longest pause). --connections 1 leaves nothing in flight: what is
// promoted then is only what finished requests left behind. --before runs that revision's server
// too (semi-space 64), in the same rounds. Not a test.
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { runLoad } from './load.ts';
import { benchHeaders } from './data.ts';
import { benchDatabase, OURS, startPeer, type OperationName } from './peer-servers.ts';
import { checkOutRevision } from './revision.ts';

const { values } = parseArgs({
  options: {
    operation: { type: 'string', default: 'me' },
    semi: { type: 'string', default: '64' },
    rounds: { type: 'string', default: '3' },
    duration: { type: 'string', default: '10' },
    connections: { type: 'string', default: '16' },
    before: { type: 'string' },
  },
});
const op = values.operation as OperationName;
if (!(op in OURS)) throw new Error(`--operation: one of ${Object.keys(OURS).join(', ')}`);
const sizes = values.semi.split(',').map(Number);
if (sizes.some((n) => !Number.isInteger(n) || n < 1)) throw new Error('--semi: comma-separated sizes in MB');

const here = fileURLToPath(new URL('./peers/', import.meta.url));
const bench = await benchDatabase({ users: 200, conversations: 5, sessions: 3 });
const servers: { name: string; url: string; child: { kill(): void }; gc: string[] }[] = [];
const cleanUps: (() => void)[] = [];
try {
  for (const size of sizes) {
    const gc: string[] = [];
    const s = await startPeer(`this server, semi-space ${size} MB`, process.execPath, [`--max-semi-space-size=${size}`, '--trace-gc-nvp', '--import', 'tsx', 'src/main.ts'], { ...bench.env, DB_POOL_MAX: '16' }, '/health', undefined, (c) => gc.push(c));
    servers.push({ name: `this server, --max-semi-space-size=${size}`, ...s, gc });
  }
  if (values.before) {
    const checkout = checkOutRevision(values.before, 'gc-before-');
    cleanUps.push(checkout.remove);
    const gc: string[] = [];
    const s = await startPeer(`this server at ${values.before}`, process.execPath, ['--max-semi-space-size=64', '--trace-gc-nvp', '--import', 'tsx', 'src/main.ts'], { ...bench.env, DB_POOL_MAX: '16' }, '/health', checkout.dir, (c) => gc.push(c));
    servers.push({ name: `this server at ${values.before} (${checkout.sha.slice(0, 7)}), --max-semi-space-size=64`, ...s, gc });
  }
  const sql = await startPeer('single SQL', process.execPath, [path.join(here, 'sql-server.mjs')], { DATABASE_URL: bench.env.DATABASE_URL, POOL_MAX: '16', NODE_ENV: 'production' }, '/ready');
  servers.push({ name: 'one hand-written SQL (pg)', ...sql, gc: [] });
  const headers = benchHeaders(op === 'operator' ? 'operator' : 'user', bench.data);
  // One --trace-gc-nvp line per collection: `pause=<ms> ... gc=s|mc ... promoted=<bytes> ...`.
  const field = (line: string, name: string) => Number(new RegExp(`\\b${name}=([\\d.]+)`).exec(line)?.[1] ?? 0);
  // Warm-up (JIT, caches, pool connections), not reported.
  for (const s of servers) await runLoad({ url: s.url, headers, body: JSON.stringify({ query: OURS[op] }), connections: +values.connections, duration: 2 });
  console.log(`${op}, ${values.connections} connections, ${values.rounds} interleaved rounds of ${values.duration} s; ${os.cpus().length} cores\n`);
  console.log('| round | server | req/s | p50 ms | p99 ms | p99/p50 | scavenges (longest ms) | promoted MB per scavenge | mark-compacts (longest ms) | load |\n|---|---|---|---|---|---|---|---|---|---|');
  for (let round = 1; round <= +values.rounds; round++) {
    for (const s of servers) {
      const seen = s.gc.join('').split('\n').length;
      const r = await runLoad({ url: s.url, headers, body: JSON.stringify({ query: OURS[op] }), connections: +values.connections, duration: +values.duration });
      const lines = s.gc.join('').split('\n').slice(seen);
      const scavenges = lines.filter((l) => l.includes(' gc=s '));
      const full = lines.filter((l) => l.includes(' gc=mc '));
      const longest = (ls: string[]) => Math.max(0, ...ls.map((l) => field(l, 'pause'))).toFixed(1);
      const promoted = scavenges.length ? (scavenges.reduce((sum, l) => sum + field(l, 'promoted'), 0) / scavenges.length / 1e6).toFixed(1) : '0';
      const gc = (text: string) => (s.name.startsWith('this server') ? text : '-');
      console.log(`| ${round} | ${s.name} | ${r.rps.toFixed(0)} | ${r.p50} | ${r.p99} | ${(r.p99 / r.p50).toFixed(1)} | ${gc(`${scavenges.length} (${longest(scavenges)})`)} | ${gc(promoted)} | ${gc(`${full.length} (${longest(full)})`)} | ${os.loadavg()[0].toFixed(1)} |`);
    }
  }
} finally {
  for (const s of servers) s.child.kill();
  for (const cleanUp of cleanUps) cleanUp();
  await bench.cleanUp();
}
