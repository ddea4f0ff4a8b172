// npm run profile:api [-- --operation operator|me --duration 10 --connections 16 --top 25]
// A CPU profile of this server under load: the benchmark data on a fresh PostgreSQL database
// (DATABASE_URL's server, default postgres://postgres@127.0.0.1:5432/postgres), the server in its
// own process under `node --cpu-prof` with npm start's flags, autocannon in another. Prints the
// self time grouped by package (node_modules/<package>, node's internals, garbage collection,
// this project's src/) and the top functions. The .cpuprofile is kept (path printed) for
// Chrome DevTools. Not a test.
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { loadConfig } from '../../src/config.ts';
import { openDatabase } from '../../src/db/database.ts';
import { applyMigrations } from '../../src/db/migrate/runner.ts';
import { freshDatabaseEnv } from './fresh-database.ts';
import { benchHeaders, loadBenchData, OPERATIONS } from './data.ts';
import { runLoad } from './load.ts';

const { values } = parseArgs({
  options: {
    operation: { type: 'string', default: 'operator' },
    duration: { type: 'string', default: '10' },
    connections: { type: 'string', default: '16' },
    top: { type: 'string', default: '25' },
  },
});
const root = fileURLToPath(new URL('../../', import.meta.url));

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
}
interface Profile {
  /** Monotonic clock, microseconds (CLOCK_MONOTONIC on Linux, as process.hrtime). */
  startTime: number;
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

/** Where a function's code lives: the package under node_modules, node, GC, or this project. */
function packageOf(url: string, name: string) {
  if (!url) return name.startsWith('(') ? name : '(native)';
  if (url.startsWith('node:')) return 'node (internals)';
  const parts = url.split('node_modules/');
  if (parts.length > 1) {
    const rest = parts.at(-1)!.split('/');
    return rest[0].startsWith('@') ? `${rest[0]}/${rest[1]}` : rest[0];
  }
  return url.includes('/src/') ? 'this project (src/)' : url.replace(/^file:\/\//, '');
}

/** Self time per function over the samples taken within `window` (monotonic microseconds): the load, not the start-up. */
function report(profile: Profile, top: number, window: [number, number]) {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const self = new Map<number, number>();
  let at = profile.startTime;
  profile.samples.forEach((id, i) => {
    at += profile.timeDeltas[i] ?? 0;
    if (at >= window[0] && at <= window[1]) self.set(id, (self.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0));
  });
  const total = [...self.values()].reduce((a, b) => a + b, 0);
  const idle = [...self].filter(([id]) => byId.get(id)!.callFrame.functionName === '(idle)').reduce((a, [, t]) => a + t, 0);
  const busy = total - idle;
  const packages = new Map<string, number>();
  const functions = new Map<string, number>();
  for (const [id, t] of self) {
    const { functionName, url, lineNumber } = byId.get(id)!.callFrame;
    if (functionName === '(idle)') continue;
    const pkg = packageOf(url, functionName);
    packages.set(pkg, (packages.get(pkg) ?? 0) + t);
    const fn = `${functionName || '(anonymous)'} ${pkg}${url ? `:${path.basename(url)}:${lineNumber + 1}` : ''}`;
    functions.set(fn, (functions.get(fn) ?? 0) + t);
  }
  const pct = (t: number) => `${((100 * t) / busy).toFixed(1)} %`;
  console.log(`busy CPU during the load: ${(busy / 1e6).toFixed(1)} s of ${(total / 1e6).toFixed(1)} s\n`);
  console.log('| package | self time (share of busy CPU) |\n|---|---|');
  for (const [p, t] of [...packages].sort((a, b) => b[1] - a[1]).slice(0, top)) console.log(`| ${p} | ${pct(t)} |`);
  console.log('\n| function | self time |\n|---|---|');
  for (const [f, t] of [...functions].sort((a, b) => b[1] - a[1]).slice(0, top)) console.log(`| ${f} | ${pct(t)} |`);
}

async function main() {
  const name = Object.keys(OPERATIONS).find((k) => k.startsWith(values.operation!));
  if (!name) throw new Error(`--operation: one of operator, me`);
  process.env.DATABASE_URL ??= 'postgres://postgres@127.0.0.1:5432/postgres';
  const fresh = await freshDatabaseEnv({});
  try {
    const env = { ...fresh.env, LOG_LEVEL: 'silent', HOST: '127.0.0.1', AUTO_SEED: 'false', APP_ENV: 'production', ENABLE_MOCK_IDP: 'false', NODE_ENV: 'production' };
    const db = await openDatabase(loadConfig(env).database);
    let data: Awaited<ReturnType<typeof loadBenchData>>;
    try {
      await applyMigrations(db, { log: () => {} });
      data = await loadBenchData(db.prisma, { users: 200, conversations: 5, sessions: 3 });
    } finally {
      await db.close();
    }
    const port = 20000 + Math.floor(Math.random() * 20000);
    const dir = mkdtempSync(path.join(os.tmpdir(), 'profile-api-'));
    const child = spawn(process.execPath, ['--cpu-prof', `--cpu-prof-dir=${dir}`, '--max-semi-space-size=64', '--import', 'tsx', 'src/main.ts'], {
      cwd: root,
      env: { ...process.env, ...env, PORT: String(port) },
      stdio: 'ignore',
    });
    const url = `http://127.0.0.1:${port}/graphql`;
    const headers = benchHeaders(values.operation === 'operator' ? 'operator' : 'user', data);
    const body = JSON.stringify({ query: OPERATIONS[name as keyof typeof OPERATIONS] });
    for (let i = 0; ; i++) {
      const r = await fetch(url, { method: 'POST', headers, body }).catch(() => null);
      if (r?.ok) break;
      if (i > 300) throw new Error('the server did not start');
      await new Promise((res) => setTimeout(res, 200));
    }
    const now = () => Number(process.hrtime.bigint() / 1000n);
    const from = now();
    const result = await runLoad({ url, headers, body, connections: +values.connections!, duration: +values.duration! });
    const to = now();
    const exited = new Promise((res) => child.once('exit', res));
    child.kill('SIGTERM');
    await exited;
    const file = path.join(dir, readdirSync(dir).find((f) => f.endsWith('.cpuprofile'))!);
    console.log(`${name}: ${result.rps.toFixed(0)} req/s, p50 ${result.p50} ms, p99 ${result.p99} ms under the profiler (slower than without); load average ${os.loadavg()[0].toFixed(1)}; profile: ${file}`);
    report(JSON.parse(readFileSync(file, 'utf8')) as Profile, +values.top!, [from, to]);
  } finally {
    await fresh.cleanUp();
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
