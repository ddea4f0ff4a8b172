// npm run bench:api [-- --users 200 --conversations 5 --sessions 3 --connections 16 --duration 10]
// Loads a synthetic data set into a fresh database (a new database on DATABASE_URL's server, or
// a temporary embedded PGlite folder), starts the server, drives two 3-level read operations
// and one write (sendMessage: a transaction, then the message store) with autocannon (in its own
// process: scripts/bench/load.ts), and prints req/s, latency, server CPU per request, SQL
// statements per request and the load average. Not a test. `npm run bench:api` runs it with the
// production flags of `npm start` (NODE_ENV=production, --max-semi-space-size).
import { parseArgs } from 'node:util';
import os from 'node:os';
import { sqlTotals } from '../../src/db/instrument.ts';
import { benchOnFreshServer } from './fresh-database.ts';
import { runLoad } from './load.ts';
import { BENCH_LOAD_OPTIONS, benchHeaders, dataSize, loadBenchData, OPERATIONS } from './data.ts';

const { values } = parseArgs({
  options: {
    ...BENCH_LOAD_OPTIONS,
  },
});
const n = dataSize(values);

// The reads every benchmark shares, and a write: ownership check and conversation bump in one
// transaction, then the message store.
const operations = (chatSessionId: string): Record<string, { query: string; variables?: unknown }> => ({
  ...Object.fromEntries(Object.entries(OPERATIONS).map(([name, query]) => [name, { query }])),
  'sendMessage (write)': {
    query: `mutation($input: SendMessageInput!) { sendMessage(input: $input) { message { id } conversation { id messageCount } } }`,
    variables: { input: { chatSessionId: Buffer.from(`ChatSession:${chatSessionId}`).toString('base64'), text: 'Ils se moquent encore de moi dans le bus.' } },
  },
});

benchOnFreshServer(async (server) => {
  const data = await loadBenchData(server.db.prisma, n);
  console.log(`database: ${server.db.kind}; data: ${n.users} users x ${n.conversations} conversations x ${n.sessions} chat sessions (${data.rows} rows, loaded in ${data.seconds.toFixed(1)} s)`);
  console.log(`load: autocannon, ${values.connections} connections, ${values.duration} s per operation, in its own process; node ${process.version} (NODE_ENV=${process.env.NODE_ENV ?? ''}, ${process.execArgv.join(' ')}), ${os.cpus().length} cores (${os.cpus()[0]?.model.trim()})\n`);
  console.log('| operation | req/s | p50 ms | p99 ms | server CPU ms / request | SQL statements / request | errors |');
  console.log('|---|---|---|---|---|---|---|');
  const loads: string[] = [];
  for (const [name, operation] of Object.entries(operations(data.chatSessionId))) {
    const headers = benchHeaders(name.startsWith('operator') ? 'operator' : 'user', data);
    const body = JSON.stringify(operation);
    // One checked request first: it must succeed, and it warms the caches of the run.
    const check = await (await fetch(server.url, { method: 'POST', headers, body })).json();
    if (check.errors) throw new Error(`${name}: ${JSON.stringify(check.errors)}`);
    const before = sqlTotals.statements;
    const cpu = process.cpuUsage();
    const result = await runLoad({ url: server.url, headers, body, connections: +values.connections, duration: +values.duration });
    const used = process.cpuUsage(cpu);
    loads.push(os.loadavg()[0].toFixed(1));
    const requests = Math.max(result.requests, 1);
    const perRequest = (sqlTotals.statements - before) / requests;
    const cpuMs = (used.user + used.system) / 1000 / requests;
    console.log(`| ${name} | ${result.rps.toFixed(0)} | ${result.p50} | ${result.p99} | ${cpuMs.toFixed(2)} | ${perRequest.toFixed(2)} | ${result.errors} |`);
  }
  // What a stored message costs (docs/scaling.md sizes transcript storage from it): the sendMessage
  // run above wrote them, all with the same short text.
  // Row bytes (pg_column_size) do not depend on how full the pages are; the relation total does
  // (a few hundred rows sit in mostly empty index pages), so it is an upper bound here.
  const [stored] = await server.db.query<{ messages: number; bytes: string; row: number; text: number }>(
    `SELECT count(*)::int AS messages, pg_total_relation_size('app.message')::text AS bytes,
            coalesce(avg(pg_column_size(m.*)), 0)::int AS row, coalesce(avg(length(m.text)), 0)::int AS text FROM app.message m`,
  );
  if (stored.messages > 0) {
    console.log(
      `\nstored messages: ${stored.messages} (text of ${stored.text} characters): ${stored.row} bytes per row; ` +
        `app.message with its indexes and TOAST ${Math.round(Number(stored.bytes) / stored.messages)} bytes per message (upper bound at this size)`,
    );
  }
  // Figures only mean something next to how busy the machine was (other processes share its cores).
  console.log(`\nload average (1 min) after each operation: ${loads.join(', ')}; ${os.cpus().length} cores`);
});
