// npm run bench:api [-- --users 200 --conversations 5 --sessions 3 --connections 16 --duration 10]
// Loads a synthetic data set into a fresh database (a new database on DATABASE_URL's server, or
// a temporary embedded PGlite folder), starts the server, drives two 3-level read operations
// and one write (sendMessage: a transaction, then the message store) with autocannon, and prints
// req/s, latency and SQL statements per request, and the load average. Not a test.
import { parseArgs } from 'node:util';
import os from 'node:os';
import { randomUUID } from 'node:crypto';
import autocannon from 'autocannon';
import { sqlTotals } from '../../src/db/instrument.ts';
import { benchOnFreshServer } from './fresh-database.ts';
import { generateToken, hashToken } from '../../src/auth/tokens.ts';
import type { PrismaClient } from '../../src/generated/prisma/client.ts';

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

async function load(prisma: PrismaClient) {
  const start = performance.now();
  const base = Date.UTC(2026, 9, 1);
  const users = Array.from({ length: n.users }, (_, i) => ({ id: randomUUID(), userType: 'TEENAGER' as const, language: 'fr', createdAt: new Date(base + i * 1000) }));
  await prisma.user.createMany({ data: users });
  const conversations = users.flatMap((u, i) =>
    Array.from({ length: n.conversations }, (_, c) => ({
      id: randomUUID(),
      userId: u.id,
      title: `Conversation ${c + 1}`,
      conversationType: c % 2 ? ('INCIDENT' as const) : ('GENERAL' as const),
      updatedAt: new Date(base + (i * 100 + c) * 60_000),
    })),
  );
  for (let i = 0; i < conversations.length; i += 5000) await prisma.conversation.createMany({ data: conversations.slice(i, i + 5000) });
  const sessions = conversations.flatMap((c) => Array.from({ length: n.sessions }, () => ({ conversationId: c.id })));
  for (let i = 0; i < sessions.length; i += 5000) await prisma.chatSession.createMany({ data: sessions.slice(i, i + 5000) });
  const key = generateToken();
  await prisma.apiKey.create({ data: { name: 'bench', keyHash: hashToken(key), permissions: ['users:read', 'conversations:read'] } });
  const token = generateToken();
  await prisma.appSession.create({
    data: { userId: users[0].id, origin: 'bench', scope: 'FULL', tokenHash: hashToken(token), expiresAt: new Date(Date.now() + 3600_000) },
  });
  // The teenager's first chat session: where the write operation sends its messages.
  const chatSession = await prisma.chatSession.findFirstOrThrow({ where: { conversation: { userId: users[0].id } }, select: { id: true } });
  return { key, token, chatSessionId: chatSession.id, seconds: (performance.now() - start) / 1000, rows: users.length + conversations.length + sessions.length };
}

const CHAT_SESSIONS = 'chatSessions(first: 10) { totalCount edges { node { id createdAt } } }';
const OPERATIONS = (chatSessionId: string) => ({
  'operator: 20 users -> 5 newest conversations -> chat sessions': { query: `{ users(first: 20) { edges { node { id conversations(first: 5) { edges { node { id conversationType updatedAt ${CHAT_SESSIONS} } } } } } } }` },
  'me -> 5 newest conversations -> chat sessions': { query: `{ me { id conversations(first: 5) { totalCount edges { node { id title updatedAt ${CHAT_SESSIONS} } } } } }` },
  // A write: ownership check and conversation bump in one transaction, then the message store.
  'sendMessage (write)': {
    query: `mutation($input: SendMessageInput!) { sendMessage(input: $input) { message { id } conversation { id messageCount } } }`,
    variables: { input: { chatSessionId: Buffer.from(`ChatSession:${chatSessionId}`).toString('base64'), text: 'Ils se moquent encore de moi dans le bus.' } },
  },
});

benchOnFreshServer(async (server) => {
  const data = await load(server.db.prisma);
  console.log(`database: ${server.db.kind}; data: ${n.users} users x ${n.conversations} conversations x ${n.sessions} chat sessions (${data.rows} rows, loaded in ${data.seconds.toFixed(1)} s)`);
  console.log(`load: autocannon, ${values.connections} connections, ${values.duration} s per operation, in the same process as the server; node ${process.version}, ${os.cpus().length} cores (${os.cpus()[0]?.model.trim()})\n`);
  console.log('| operation | req/s | p50 ms | p99 ms | SQL statements / request | errors |');
  console.log('|---|---|---|---|---|---|');
  const loads: string[] = [];
  for (const [name, operation] of Object.entries(OPERATIONS(data.chatSessionId))) {
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    if (name.startsWith('operator')) headers['x-api-key'] = data.key;
    else headers.authorization = `Bearer ${data.token}`;
    const body = JSON.stringify(operation);
    // One checked request first: it must succeed, and it warms the caches of the run.
    const check = await (await fetch(server.url, { method: 'POST', headers, body })).json();
    if (check.errors) throw new Error(`${name}: ${JSON.stringify(check.errors)}`);
    const before = sqlTotals.statements;
    const result = await autocannon({
      url: server.url,
      method: 'POST',
      headers,
      body,
      connections: +values.connections,
      duration: +values.duration,
    });
    loads.push(os.loadavg()[0].toFixed(1));
    const requests = result.requests.total;
    const perRequest = (sqlTotals.statements - before) / Math.max(requests, 1);
    console.log(
      `| ${name} | ${result.requests.average.toFixed(0)} | ${result.latency.p50} | ${result.latency.p99} | ${perRequest.toFixed(2)} | ${result.errors + result.non2xx} |`,
    );
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
