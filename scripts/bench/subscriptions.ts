// npm run bench:subscriptions: event fan-out across instances. Two API server processes (A and B,
// `tsx src/main.ts`) on a fresh PostgreSQL database and the Redis at REDIS_URL (default
// 127.0.0.1:6379, a unique channel prefix per run). This process is the load generator: it opens
// N messageAdded subscriptions on A (SSE, or WebSocket with --transport ws), sends messages through
// B (sendMessage), and times each delivery from the moment the send was issued. Prints fan-out
// latency p50/p99 (per delivery, and until the last subscriber has the event), A's memory per open
// subscription (RSS and V8 heap, before and after opening them), and the load average.
//
//   npm run bench:subscriptions -- [--subscriptions 1000] [--sessions 1] [--events 20] [--interval 250] [--transport sse|ws]
import { parseArgs } from 'node:util';
import os from 'node:os';
import { readFile } from 'node:fs/promises';
import { performance } from 'node:perf_hooks';
import { randomUUID } from 'node:crypto';
import WebSocket from 'ws';
import { createClient as createWsClient } from 'graphql-ws';
import { loadConfig } from '../../src/config.ts';
import { openDatabase } from '../../src/db/database.ts';
import { generateToken, hashToken } from '../../src/auth/tokens.ts';
import { freshPostgresDatabase, redisReachable, REDIS_URL, startInstance, type Instance } from '../../test/helpers/instances.ts';
import { openSse } from '../../test/helpers/sse.ts';

const { values: opts } = parseArgs({
  options: {
    subscriptions: { type: 'string', default: '1000' },
    sessions: { type: 'string', default: '1' },
    events: { type: 'string', default: '20' },
    interval: { type: 'string', default: '250' },
    transport: { type: 'string', default: 'sse' },
  },
});
const N = Number(opts.subscriptions);
const SESSIONS = Math.max(1, Math.min(N, Number(opts.sessions)));
const EVENTS = Number(opts.events);
const INTERVAL_MS = Number(opts.interval);
const TRANSPORT = opts.transport === 'ws' ? 'ws' : 'sse';

const SUBSCRIBE = `subscription($id: ID!) { messageAdded(chatSessionId: $id) { id text } }`;
const SEND = `mutation($input: SendMessageInput!) { sendMessage(input: $input) { message { id } } }`;
const gid = (type: string, id: string) => Buffer.from(`${type}:${id}`).toString('base64');

const pct = (sorted: number[], p: number) => (sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] : NaN);
const fmt = (ms: number) => `${ms.toFixed(1)} ms`;
const load = () => os.loadavg().map((l) => l.toFixed(2)).join(' ');

async function memoryOf(instance: Instance) {
  const status = await readFile(`/proc/${instance.pid}/status`, 'utf8').catch(() => '');
  const rssKb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? NaN);
  const metrics = await fetch(instance.url.replace('/graphql', '/metrics')).then((r) => r.text()).catch(() => '');
  const heap = Number(/^nodejs_heap_size_used_bytes (\S+)/m.exec(metrics)?.[1] ?? NaN);
  return { rss: rssKb * 1024, heap };
}

async function main() {
  if (!(await redisReachable())) throw new Error(`Redis does not answer at ${REDIS_URL}: start redis-server first`);
  console.log(`bench:subscriptions: ${N} ${TRANSPORT.toUpperCase()} subscriptions on A over ${SESSIONS} chat session(s), ${EVENTS} events sent through B every ${INTERVAL_MS} ms`);
  console.log(`load average before: ${load()} (${os.cpus().length} CPUs)`);
  const database = await freshPostgresDatabase('bench_subs');
  const env = { DATABASE_URL: database.url, REDIS_URL, REDIS_KEY_PREFIX: `bench-${randomUUID().slice(0, 8)}`, LOG_LEVEL: 'warn', DB_POOL_MAX: '10', DB_POOL_TIMEOUT_MS: '30000' };
  const instances: Instance[] = [];
  try {
    // A migrates the empty database; B starts once it is done.
    const a = await startInstance('A', { ...env, LOG_LEVEL: 'info' });
    instances.push(a);
    const b = await startInstance('B', { ...env, LOG_LEVEL: 'info', AUTO_MIGRATE: 'false' });
    instances.push(b);

    // The subscribers' world, written straight to the database: SESSIONS teenagers in FULL sessions, one chat session each.
    const db = await openDatabase(loadConfig({ DATABASE_URL: database.url }).database);
    const owners: { token: string; chatSessionId: string }[] = [];
    for (let i = 0; i < SESSIONS; i++) {
      const user = await db.prisma.user.create({ data: { userType: 'TEENAGER', language: 'fr', country: 'FR', ageClass: 'PRETEEN' } });
      const token = generateToken();
      await db.prisma.appSession.create({ data: { userId: user.id, origin: 'bench', scope: 'FULL', tokenHash: hashToken(token), expiresAt: new Date(Date.now() + 3600_000) } });
      const conv = await db.prisma.conversation.create({ data: { userId: user.id, conversationType: 'GENERAL', chatSessions: { create: [{}] } }, include: { chatSessions: true } });
      owners.push({ token, chatSessionId: gid('ChatSession', conv.chatSessions[0].id) });
    }
    await db.close();

    const before = await memoryOf(a);
    const sent = new Map<string, number>();
    const deliveries: number[] = [];
    const lastByEvent = new Map<string, number>();
    const received = new Map<string, number>();
    const onMessage = (text: string) => {
      const t0 = sent.get(text);
      if (t0 === undefined) return;
      const ms = performance.now() - t0;
      deliveries.push(ms);
      received.set(text, (received.get(text) ?? 0) + 1);
      lastByEvent.set(text, Math.max(lastByEvent.get(text) ?? 0, ms));
    };

    const closers: (() => void)[] = [];
    const opening = performance.now();
    const BATCH = 20;
    for (let i = 0; i < N; i += BATCH) {
      await Promise.all(
        Array.from({ length: Math.min(BATCH, N - i) }, async (_, j) => {
          const owner = owners[(i + j) % SESSIONS];
          if (TRANSPORT === 'sse') {
            const stream = await openSse(fetch, a.url, SUBSCRIBE, { id: owner.chatSessionId }, { authorization: `Bearer ${owner.token}` });
            if (stream.status !== 200) throw new Error(`subscription refused: HTTP ${stream.status} ${JSON.stringify(await stream.next().catch(() => null))}`);
            closers.push(() => stream.close());
            void (async () => {
              for (let r = await stream.next(600_000).catch(() => null); r; r = await stream.next(600_000).catch(() => null)) {
                if (r.errors) throw new Error(JSON.stringify(r.errors));
                onMessage(r.data.messageAdded.text);
              }
            })();
          } else {
            const client = createWsClient({ url: a.wsUrl, webSocketImpl: WebSocket, connectionParams: { authorization: `Bearer ${owner.token}` }, lazy: false, retryAttempts: 0 });
            closers.push(() => void client.dispose());
            await new Promise<void>((resolve, reject) => {
              client.subscribe({ query: SUBSCRIBE, variables: { id: owner.chatSessionId } }, { next: (r: any) => (r.errors ? reject(new Error(JSON.stringify(r.errors))) : onMessage(r.data.messageAdded.text)), error: reject, complete: () => undefined });
              // graphql-ws has no per-subscription acknowledgement: the socket being open is close to it.
              client.on('connected', () => resolve());
            });
          }
        }),
      );
    }
    console.log(`opened ${N} subscriptions on A in ${((performance.now() - opening) / 1000).toFixed(1)} s`);
    // Let A settle (SUBSCRIBE acknowledged, allocations done) before reading its memory.
    await new Promise((r) => setTimeout(r, 2000));
    const after = await memoryOf(a);

    for (let e = 0; e < EVENTS; e++) {
      const owner = owners[e % SESSIONS];
      const text = `bench ${e}`;
      sent.set(text, performance.now());
      const res = await fetch(b.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${owner.token}` },
        body: JSON.stringify({ query: SEND, variables: { input: { chatSessionId: owner.chatSessionId, text } } }),
      });
      const body = (await res.json()) as { errors?: unknown };
      if (body.errors) throw new Error(`sendMessage through B failed: ${JSON.stringify(body.errors)}`);
      await new Promise((r) => setTimeout(r, INTERVAL_MS));
    }
    // Wait for stragglers (up to 120 s): a delivery that never came would bias p99 low.
    const expected = EVENTS * Math.round(N / SESSIONS);
    const deadline = Date.now() + 120_000;
    while (deliveries.length < expected && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));

    const sorted = [...deliveries].sort((x, y) => x - y);
    const lasts = [...lastByEvent.values()].sort((x, y) => x - y);
    console.log(`deliveries: ${deliveries.length} of ${expected} expected (${EVENTS} events x ~${Math.round(N / SESSIONS)} subscribers each)`);
    console.log(`fan-out latency per delivery (send issued on B -> received from A): p50 ${fmt(pct(sorted, 50))}, p99 ${fmt(pct(sorted, 99))}, max ${fmt(sorted.at(-1) ?? NaN)}`);
    console.log(`until the last subscriber of an event has it:                 p50 ${fmt(pct(lasts, 50))}, p99 ${fmt(pct(lasts, 99))}`);
    const perSub = (k: 'rss' | 'heap') => ((after[k] - before[k]) / N / 1024).toFixed(1);
    console.log(`A memory: RSS ${(before.rss / 2 ** 20).toFixed(0)} -> ${(after.rss / 2 ** 20).toFixed(0)} MiB, heap ${(before.heap / 2 ** 20).toFixed(0)} -> ${(after.heap / 2 ** 20).toFixed(0)} MiB`);
    console.log(`memory per open subscription on A: ${perSub('rss')} KiB RSS, ${perSub('heap')} KiB heap (${TRANSPORT}, no forced GC)`);
    console.log(`load average after: ${load()}`);
    for (const close of closers) close();
  } finally {
    await Promise.all(instances.map((i) => i.stop('SIGTERM')));
    await database.drop();
  }
}

main().then(
  () => process.exit(0),
  (err) => {
    console.error(err);
    process.exit(1);
  },
);
