// npm run bench:allocations [-- --operation me|operator --duration 5 --survivors --top 30]
// Memory allocated per request, by package and by function: the benchmark data on a fresh
// PostgreSQL database (scripts/bench/peer-servers.ts), the server in its own process with npm
// start's flags and V8's sampling heap profiler (scripts/bench/heap-sampler.mjs), autocannon in
// another under 16 connections: 3 s of warm-up, then the sampled window. --survivors counts only
// what outlived a young-generation collection (what those collections copy, and so their pauses).
// Sampled every 4 KB: figures per request are estimates, steady from run to run. Not a test.
import { mkdtempSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { runLoad } from './load.ts';
import { benchHeaders } from './data.ts';
import { benchDatabase, OURS, startPeer, type OperationName } from './peer-servers.ts';

const { values } = parseArgs({
  options: {
    operation: { type: 'string', default: 'me' },
    duration: { type: 'string', default: '5' },
    connections: { type: 'string', default: '16' },
    survivors: { type: 'boolean', default: false },
    top: { type: 'string', default: '30' },
  },
});
const op = values.operation as OperationName;
if (!(op in OURS)) throw new Error(`--operation: one of ${Object.keys(OURS).join(', ')}`);

interface ProfileNode {
  callFrame: { functionName: string; url: string; lineNumber: number };
  selfSize: number;
  children: ProfileNode[];
}
const packageOf = (url: string) => /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url)?.[1] ?? (url.includes('/src/') ? `src/${url.split('/src/')[1]}` : url || '(native)');

const bench = await benchDatabase({ users: 200, conversations: 5, sessions: 3 });
const out = path.join(mkdtempSync(path.join(os.tmpdir(), 'allocations-')), 'server.heapprofile');
const server = await startPeer(
  'this server',
  process.execPath,
  ['--max-semi-space-size=64', '--import', './scripts/bench/heap-sampler.mjs', '--import', 'tsx', 'src/main.ts'],
  { ...bench.env, DB_POOL_MAX: '16', HEAP_OUT: out, HEAP_SURVIVORS: values.survivors ? '1' : '0' },
  '/health',
);
try {
  const load = { url: server.url, headers: benchHeaders(op === 'operator' ? 'operator' : 'user', bench.data), body: JSON.stringify({ query: OURS[op] }), connections: +values.connections };
  await runLoad({ ...load, duration: 3 });
  server.child.kill('SIGUSR1');
  await new Promise((r) => setTimeout(r, 300));
  const result = await runLoad({ ...load, duration: +values.duration });
  server.child.kill('SIGUSR2');
  for (let i = 0; i < 50; i++) {
    try {
      readFileSync(out);
      break;
    } catch {
      await new Promise((r) => setTimeout(r, 200));
    }
  }
  const profile = JSON.parse(readFileSync(out, 'utf8')) as { head: ProfileNode };
  const byPackage = new Map<string, number>();
  const byFunction = new Map<string, number>();
  let total = 0;
  const walk = (node: ProfileNode) => {
    const pkg = packageOf(node.callFrame.url);
    const fn = `${node.callFrame.functionName || '(anonymous)'} ${pkg}:${node.callFrame.lineNumber + 1}`;
    byPackage.set(pkg, (byPackage.get(pkg) ?? 0) + node.selfSize);
    byFunction.set(fn, (byFunction.get(fn) ?? 0) + node.selfSize);
    total += node.selfSize;
    node.children.forEach(walk);
  };
  walk(profile.head);
  const kb = (bytes: number) => `${(bytes / result.requests / 1024).toFixed(1)} KB`;
  console.log(`${op}: ${result.requests} requests in ${values.duration} s (${result.rps.toFixed(0)} req/s, ${values.connections} connections), load average ${os.loadavg()[0].toFixed(1)}`);
  console.log(`${values.survivors ? 'outlived a young-generation GC' : 'allocated'} per request: ${kb(total)}\n`);
  console.log('| package | per request |\n|---|---|');
  for (const [name, bytes] of [...byPackage].sort((a, b) => b[1] - a[1]).slice(0, +values.top)) console.log(`| ${name} | ${kb(bytes)} |`);
  console.log('\n| function | per request |\n|---|---|');
  for (const [name, bytes] of [...byFunction].sort((a, b) => b[1] - a[1]).slice(0, +values.top)) console.log(`| ${name} | ${kb(bytes)} |`);
} finally {
  server.child.kill();
  await bench.cleanUp();
}
