// npm run bench:api [-- --users 200 --conversations 5 --sessions 3 --connections 16 --duration 10]
// Loads a synthetic data set into a fresh database (a new database on DATABASE_URL's server, or
// a temporary embedded PGlite folder), starts the server, drives two 3-level read operations
// with autocannon (in its own process: scripts/bench/load.ts), and prints req/s, latency, server
// CPU per request and SQL statements per request. Not a test. `npm run bench:api` runs it with the
// production flags of `npm start` (NODE_ENV=production, --max-semi-space-size).
import { parseArgs } from 'node:util';
import os from 'node:os';
import { sqlTotals } from '../../src/db/instrument.ts';
import { benchOnFreshServer } from './fresh-database.ts';
import { runLoad } from './load.ts';
import { loadBenchData, OPERATIONS } from './data.ts';

const { values } = parseArgs({
  options: {
    users: { type: 'string', default: '200' },
    conversations: { type: 'string', default: '5' },
    sessions: { type: 'string', default: '3' },
    connections: { type: 'string', default: '16' },
    duration: { type: 'string', default: '10' },
  },
});
const n = { users: +values.users, conversations: +values.conversations, sessions: +values.sessions };

benchOnFreshServer(async (server) => {
  const data = await loadBenchData(server.db.prisma, n);
  console.log(`database: ${server.db.kind}; data: ${n.users} users x ${n.conversations} conversations x ${n.sessions} chat sessions (${data.rows} rows, loaded in ${data.seconds.toFixed(1)} s)`);
  console.log(`load: autocannon, ${values.connections} connections, ${values.duration} s per operation, in its own process; node ${process.version} (NODE_ENV=${process.env.NODE_ENV ?? ''}, ${process.execArgv.join(' ')}), ${os.cpus().length} cores (${os.cpus()[0]?.model.trim()})\n`);
  console.log('| operation | req/s | p50 ms | p99 ms | server CPU ms / request | SQL statements / request | errors |');
  console.log('|---|---|---|---|---|---|---|');
  for (const [name, query] of Object.entries(OPERATIONS)) {
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    if (name.startsWith('operator')) headers['x-api-key'] = data.key;
    else headers.authorization = `Bearer ${data.token}`;
    const body = JSON.stringify({ query });
    // One checked request first: it must succeed, and it warms the caches of the run.
    const check = await (await fetch(server.url, { method: 'POST', headers, body })).json();
    if (check.errors) throw new Error(`${name}: ${JSON.stringify(check.errors)}`);
    const before = sqlTotals.statements;
    const cpu = process.cpuUsage();
    const result = await runLoad({ url: server.url, headers, body, connections: +values.connections, duration: +values.duration });
    const used = process.cpuUsage(cpu);
    const requests = Math.max(result.requests, 1);
    const perRequest = (sqlTotals.statements - before) / requests;
    const cpuMs = (used.user + used.system) / 1000 / requests;
    console.log(`| ${name} | ${result.rps.toFixed(0)} | ${result.p50} | ${result.p99} | ${cpuMs.toFixed(2)} | ${perRequest.toFixed(2)} | ${result.errors} |`);
  }
});
