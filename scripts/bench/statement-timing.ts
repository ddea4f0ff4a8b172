// npm run bench:statements [-- --runs 300 --save before.json --compare before.json --explain]
// The PostgreSQL side of bench:peers's two reads, statement by statement: on a fresh benchmark
// database (scripts/bench/peer-servers.ts), it captures the statements this server sends for the
// operator read and `me` (in process, through Database.queryOn) and the ones PostGraphile V5 sends
// for the same reads (its server started with SQL_LOG=1), then times each alone on ONE connection,
// interleaved (run i of every statement before run i+1 of any), round trip included, results
// left as text (no JSON parsing in the client), and prints the median and p90 in ms with the load
// average. --save writes this server's captured statements to a file (the viewer's id and key
// hash as placeholders), --compare times a saved set beside the current one: a before/after in
// the same run. --explain adds PostgreSQL's own planning and execution times (EXPLAIN ANALYZE,
// median of 20). Not a test.
import { readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { parseArgs } from 'node:util';
import pg from 'pg';
import pino from 'pino';
import { createApp } from '../../src/app.ts';
import { hashToken } from '../../src/auth/tokens.ts';
import { loadConfig } from '../../src/config.ts';
import { openDatabase } from '../../src/db/database.ts';
import { BENCH_LOAD_OPTIONS, benchHeaders, dataSize } from './data.ts';
import { benchDatabase, CACHE, ensurePeerPackages, OURS, postgraphileQueries, startPeer, type OperationName } from './peer-servers.ts';

const { values } = parseArgs({
  options: {
    ...BENCH_LOAD_OPTIONS,
    runs: { type: 'string', default: '300' },
    save: { type: 'string' },
    compare: { type: 'string' },
    explain: { type: 'boolean', default: false },
  },
});

interface Statement {
  label: string;
  text: string;
  values: unknown[];
}
const OPERATIONS: OperationName[] = ['operator', 'me'];

/** This server's statements for each read, in the order it sends them (background work excluded). */
async function ourStatements(env: Record<string, string>, data: { key: string; token: string }) {
  const config = loadConfig(env);
  const db = await openDatabase(config.database);
  const sent: { text: string; values: unknown[] }[] = [];
  const queryOn = db.queryOn.bind(db);
  db.queryOn = (client, text, params) => {
    sent.push({ text, values: params ?? [] });
    return queryOn(client, text, params);
  };
  const app = createApp({ config, db, log: pino({ level: 'silent' }) });
  const out: Statement[] = [];
  try {
    for (const op of OPERATIONS) {
      sent.length = 0;
      const headers = benchHeaders(op === 'operator' ? 'operator' : 'user', data);
      const res = await app.yoga.fetch('http://bench.local/graphql', { method: 'POST', headers, body: JSON.stringify({ query: OURS[op] }) }, { req: { socket: { remoteAddress: '127.0.0.1' } } });
      const body = (await res.json()) as { errors?: unknown };
      if (body.errors) throw new Error(`${op}: ${JSON.stringify(body.errors)}`);
      await app.drainBackground();
      sent.forEach((s, i) => out.push({ label: `ours ${op} #${i + 1}${s.text.includes('api_key') ? ' (API key)' : s.text.includes('app_session') ? ' (session)' : ''}`, ...s }));
    }
  } finally {
    await app.drainBackground();
    await db.close();
  }
  return out;
}

/** PostGraphile's statements for each read: what its pool sent while answering it. */
async function postgraphileStatements(env: Record<string, string>, meId: string) {
  const peer = ensurePeerPackages();
  let buffer = '';
  const server = await startPeer(`PostGraphile ${peer.version}`, peer.node22, [peer.postgraphile], { DATABASE_URL: env.DATABASE_URL, POOL_MAX: '4', SQL_LOG: '1' }, '/graphql', CACHE, (chunk) => (buffer += chunk));
  const out: Statement[] = [];
  try {
    const queries = postgraphileQueries(meId);
    for (const op of OPERATIONS) {
      // Twice: the first request also reads the schema's introspection; the second sends only the read.
      for (const pass of [1, 2]) {
        buffer = '';
        const res = await fetch(server.url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query: queries[op] }) });
        const body = (await res.json()) as { errors?: unknown };
        if (body.errors) throw new Error(`PostGraphile ${op}: ${JSON.stringify(body.errors)}`);
        await new Promise((r) => setTimeout(r, 100));
        if (pass === 2) {
          const lines = buffer.split('\n').filter((l) => l.startsWith('{'));
          lines.forEach((l, i) => out.push({ label: `PostGraphile ${op} #${i + 1}`, ...(JSON.parse(l) as { text: string; values: unknown[] }) }));
        }
      }
    }
  } finally {
    server.child.kill('SIGTERM');
  }
  return { statements: out, version: peer.version };
}

const quantile = (xs: number[], q: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(xs.length * q))];
const identity = (v: string) => v;

async function main() {
  const n = dataSize(values);
  const bench = await benchDatabase(n);
  try {
    const keyHash = hashToken(bench.data.key);
    const ours = await ourStatements(bench.env, bench.data);
    const postgraphile = await postgraphileStatements(bench.env, bench.meId);
    const placeholders: [unknown, string][] = [
      [bench.meId, '$ME'],
      [keyHash, '$KEYHASH'],
    ];
    if (values.save) {
      const symbolic = ours.map((s) => ({ ...s, values: s.values.map((v) => placeholders.find(([x]) => x === v)?.[1] ?? v) }));
      writeFileSync(values.save, JSON.stringify(symbolic, null, 2));
      console.error(`saved ${ours.length} statements to ${values.save}`);
    }
    const compared: Statement[] = values.compare
      ? (JSON.parse(readFileSync(values.compare, 'utf8')) as Statement[]).map((s) => ({
          ...s,
          label: `${s.label} [${values.compare}]`,
          values: s.values.map((v) => placeholders.find(([, p]) => p === v)?.[0] ?? v),
        }))
      : [];
    const statements = [...ours, ...compared, ...postgraphile.statements];

    const client = new pg.Client({ connectionString: bench.env.DATABASE_URL, types: { getTypeParser: () => identity } });
    await client.connect();
    try {
      const runs = +values.runs;
      const times = statements.map(() => [] as number[]);
      const bytes = statements.map(() => 0);
      // Warm-up: caches, plans, the connection's catalog reads.
      for (const s of statements) for (let i = 0; i < 10; i++) await client.query({ text: s.text, values: s.values });
      const load = [os.loadavg()[0]];
      for (let run = 0; run < runs; run++) {
        // Rotated each run, so no statement always follows the same one.
        for (let k = 0; k < statements.length; k++) {
          const i = (k + run) % statements.length;
          const t0 = process.hrtime.bigint();
          const result = await client.query({ text: statements[i].text, values: statements[i].values, rowMode: 'array' });
          times[i].push(Number(process.hrtime.bigint() - t0) / 1e6);
          if (run === 0) bytes[i] = result.rows.reduce((a: number, r: unknown[]) => a + r.reduce((b: number, v) => b + String(v ?? '').length, 0), 0);
        }
      }
      load.push(os.loadavg()[0]);
      const explain = new Map<number, { planning: number; execution: number }>();
      if (values.explain) {
        for (const [i, s] of statements.entries()) {
          const planning: number[] = [];
          const execution: number[] = [];
          for (let r = 0; r < 20; r++) {
            const { rows } = await client.query({ text: `EXPLAIN (ANALYZE, TIMING OFF, FORMAT JSON) ${s.text}`, values: s.values });
            const [plan] = JSON.parse(rows[0]['QUERY PLAN']) as { 'Planning Time': number; 'Execution Time': number }[];
            planning.push(plan['Planning Time']);
            execution.push(plan['Execution Time']);
          }
          explain.set(i, { planning: quantile(planning, 0.5), execution: quantile(execution, 0.5) });
        }
      }
      console.log(`database: ${bench.env.DATABASE_URL.replace(/\/\/[^@]*@/, '//')}; data: ${n.users} users x ${n.conversations} conversations x ${n.sessions} chat sessions; PostGraphile ${postgraphile.version}`);
      console.log(`one connection, ${runs} interleaved runs per statement, round trip included; ${os.cpus().length} cores; load average (1 min) ${load.map((l) => l.toFixed(1)).join(' -> ')}\n`);
      console.log(`| statement | median ms | p90 ms | result characters |${values.explain ? ' planning ms | execution ms |' : ''}`);
      console.log(`|---|---|---|---|${values.explain ? '---|---|' : ''}`);
      for (const [i, s] of statements.entries()) {
        const e = explain.get(i);
        console.log(`| ${s.label} | ${quantile(times[i], 0.5).toFixed(2)} | ${quantile(times[i], 0.9).toFixed(2)} | ${bytes[i]} |${e ? ` ${e.planning.toFixed(2)} | ${e.execution.toFixed(2)} |` : ''}`);
      }
      console.log('\nstatements:');
      for (const s of statements) console.log(`-- ${s.label} ${JSON.stringify(s.values)}\n${s.text}\n`);
    } finally {
      await client.end();
    }
  } finally {
    await bench.cleanUp();
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
