// The multi-instance proof (issue 15): two real API server processes (src/main.ts in child
// processes) on one fresh PostgreSQL database and the real Redis, with a channel and key prefix of
// their own. A teenager subscribed on A hears, within a second, a message sent through B and the
// consent a parent grants through B, over SSE and over WebSocket; a rate limit reached on A holds
// on B; stopping A ends its subscribers' streams cleanly, and they resubscribe on B.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { Redis } from 'ioredis';
import { freshPostgresDatabase, redisReachable, REDIS_URL, startInstance, type Instance } from './helpers/instances.ts';
import { openSse } from './helpers/sse.ts';
import { connectWs, subscribeWs } from './helpers/ws.ts';
import { createCollective, createSession, createUser, gid } from './factories/index.ts';
import { loadConfig } from '../src/config.ts';
import { followChatSession } from '../examples/follow-chat-session.ts';
import { openDatabase, type Database } from '../src/db/database.ts';

const redisUp = await redisReachable();
if (!redisUp) console.warn(`SKIPPED test/subscriptions-cluster.test.ts: Redis does not answer at ${REDIS_URL} (start redis-server; .ci/run does)`);

const MESSAGE_ADDED = `subscription($id: ID!) { messageAdded(chatSessionId: $id) { text role } }`;
const SESSION_CHANGED = `subscription { sessionChanged { scope } }`;
const SEND = `mutation($input: SendMessageInput!) { sendMessage(input: $input) { message { id } } }`;
const GRANT = `mutation($input: GrantParentalConsentInput!) { grantParentalConsent(input: $input) { __typename } }`;
const PREVIEW = `query($token: String!) { invitationPreview(token: $token) { collectiveName } }`;

async function post(instance: Instance, query: string, variables: Record<string, unknown>, token?: string) {
  const res = await fetch(instance.url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/graphql-response+json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify({ query, variables }),
  });
  return { status: res.status, retryAfter: res.headers.get('retry-after'), body: (await res.json()) as { data?: any; errors?: { extensions?: Record<string, unknown> }[] } };
}

/**
 * Runs the write through B and waits for what the subscribers on A receive. B publishes after its
 * transaction commits and before it answers, so every delivery must arrive within one second of
 * B's answer (the budget is for the event's journey, not for B's own work on the mutation, which
 * this loaded 2-CPU machine can stretch past a second by itself; the total is printed).
 */
async function withinASecond<T>(write: () => Promise<{ body: { errors?: unknown } }>, receipts: Promise<T>[]): Promise<T[]> {
  const sentAt = performance.now();
  const timed = receipts.map((p) => p.then((value) => ({ value, at: performance.now() })));
  const answer = await write();
  const answeredAt = performance.now();
  expect(answer.body.errors).toBeUndefined();
  const got = await Promise.all(timed);
  const latest = Math.max(...got.map((g) => g.at));
  console.info(`delivered ${Math.max(0, latest - answeredAt).toFixed(0)} ms after B answered; ${(latest - sentAt).toFixed(0)} ms after the write was sent`);
  expect(latest - answeredAt).toBeLessThan(1000);
  return got.map((g) => g.value);
}

describe.skipIf(!redisUp)('two API instances on one PostgreSQL and Redis', () => {
  const prefix = `test-${randomUUID().slice(0, 8)}`;
  let database: Awaited<ReturnType<typeof freshPostgresDatabase>>;
  let a: Instance;
  let b: Instance;
  let db: Database;
  let redis: Redis;

  /** Until instance A has SUBSCRIBEd to this topic's channel (graphql-ws acknowledges no single subscription). */
  async function subscribedOnRedis(topic: string) {
    const channel = `${prefix}:events:${topic}`;
    for (const until = Date.now() + 10_000; Date.now() < until; await new Promise((r) => setTimeout(r, 20))) {
      const [, count] = (await redis.pubsub('NUMSUB', channel)) as [string, number];
      if (Number(count) > 0) return;
    }
    throw new Error(`nobody subscribed to ${channel}`);
  }

  async function teenager(scope: 'FULL' | 'PENDING_CONSENT') {
    const user = await createUser(db.prisma);
    await db.prisma.userConsent.create({ data: { userId: user.id } });
    const { token } = await createSession(db.prisma, user.id, scope);
    const conv = await db.prisma.conversation.create({ data: { userId: user.id, conversationType: 'GENERAL', chatSessions: { create: [{}] } }, include: { chatSessions: true } });
    return { user, token, rawChatSessionId: conv.chatSessions[0].id, chatSessionId: gid('ChatSession', conv.chatSessions[0].id) };
  }

  beforeAll(async () => {
    database = await freshPostgresDatabase('cluster');
    const env = {
      DATABASE_URL: database.url,
      REDIS_URL,
      REDIS_KEY_PREFIX: prefix,
      RATE_LIMIT_INVITATION_PREVIEW_PER_IP: '3',
      RATE_LIMIT_WINDOW_SECONDS: '600',
    };
    // A migrates the new database; B starts on it afterwards.
    a = await startInstance('A', env);
    b = await startInstance('B', { ...env, AUTO_MIGRATE: 'false' });
    db = await openDatabase(loadConfig({ DATABASE_URL: database.url }).database);
    redis = new Redis(REDIS_URL);
    // A fresh process answers its first requests slowly (modules, JIT, first connections): warm
    // both up with the operations timed below, so the one-second budget measures delivery.
    const warm = await teenager('FULL');
    for (const instance of [a, b]) {
      const stream = await openSse(fetch, instance.url, MESSAGE_ADDED, { id: warm.chatSessionId }, { authorization: `Bearer ${warm.token}` });
      await post(instance, SEND, { input: { chatSessionId: warm.chatSessionId, text: 'warm-up' } }, warm.token);
      await stream.next(30_000);
      stream.close();
      await post(instance, GRANT, { input: { teenagerId: gid('User', warm.user.id) } });
    }
  }, 400_000);

  afterAll(async () => {
    await Promise.all([a?.stop(), b?.stop()]);
    await db?.close();
    redis?.disconnect();
    await database?.drop();
  }, 60_000);

  it('a teenager on A learns within a second that a parent granted consent through B (SSE and WebSocket)', async () => {
    const teen = await teenager('PENDING_CONSENT');
    const parent = await createUser(db.prisma, { userType: 'PARENT' });
    const { token: parentToken } = await createSession(db.prisma, parent.id, 'FULL');
    await createCollective(db.prisma, [{ userId: parent.id, role: 'OWNER' }, { userId: teen.user.id, role: 'MEMBER' }]);
    const overSse = await openSse(fetch, a.url, SESSION_CHANGED, {}, { authorization: `Bearer ${teen.token}` });
    const ws = connectWs(a.wsUrl, { authorization: `Bearer ${teen.token}` });
    const overWs = subscribeWs(ws, SESSION_CHANGED);
    // Each stream starts with the session as it is (sent once the subscription is in place).
    expect((await overSse.next(10_000))!.data.sessionChanged.scope).toBe('PENDING_CONSENT');
    expect((await overWs.next(10_000))!.data.sessionChanged.scope).toBe('PENDING_CONSENT');
    const [viaSse, viaWs] = await withinASecond(
      () => post(b, GRANT, { input: { teenagerId: gid('User', teen.user.id) } }, parentToken),
      [overSse.next(10_000), overWs.next(10_000)],
    );
    expect(viaSse!.data.sessionChanged.scope).toBe('FULL');
    expect(viaWs!.data.sessionChanged.scope).toBe('FULL');
    overSse.close();
    await ws.client.dispose();
  });

  it('a message sent through B reaches the teenager subscribed on A within a second (SSE and WebSocket)', async () => {
    const teen = await teenager('FULL');
    const ws = connectWs(a.wsUrl, { authorization: `Bearer ${teen.token}` });
    const overWs = subscribeWs(ws, MESSAGE_ADDED, { id: teen.chatSessionId });
    await subscribedOnRedis(`messagesAdded:${teen.rawChatSessionId}`);
    const overSse = await openSse(fetch, a.url, MESSAGE_ADDED, { id: teen.chatSessionId }, { authorization: `Bearer ${teen.token}` });
    expect(overSse.status).toBe(200);
    const [viaSse, viaWs] = await withinASecond(
      () => post(b, SEND, { input: { chatSessionId: teen.chatSessionId, text: 'coucou depuis B' } }, teen.token),
      [overSse.next(10_000), overWs.next(10_000)],
    );
    expect(viaSse!.data.messageAdded).toEqual({ text: 'coucou depuis B', role: 'USER' });
    expect(viaWs!.data.messageAdded).toEqual({ text: 'coucou depuis B', role: 'USER' });
    overSse.close();
    await ws.client.dispose();
  });

  it('a rate limit reached on A holds on B: RATE_LIMITED, HTTP 429 with Retry-After', async () => {
    const token = 'x'.repeat(32);
    for (let i = 0; i < 3; i++) expect((await post(a, PREVIEW, { token })).body).toEqual({ data: { invitationPreview: null } });
    const refused = await post(b, PREVIEW, { token });
    expect(refused.status).toBe(429);
    expect(refused.body.errors?.map((e) => e.extensions?.code)).toEqual(['RATE_LIMITED']);
    const retryAfter = refused.body.errors![0].extensions!.retryAfterSeconds as number;
    expect(retryAfter).toBeGreaterThan(0);
    expect(retryAfter).toBeLessThanOrEqual(600);
    expect(refused.retryAfter).toBe(String(retryAfter));
    // And back on A: the budget is the same one.
    expect((await post(a, PREVIEW, { token })).status).toBe(429);
  });

  it('examples/follow-chat-session.ts follows a chat session over SSE (graphql-sse) and WebSocket (graphql-ws)', async () => {
    const teen = await teenager('FULL');
    const got: Record<string, string[]> = { sse: [], ws: [] };
    const follows = (['ws', 'sse'] as const).map((transport) =>
      followChatSession({ url: b.url, token: teen.token, chatSessionId: teen.chatSessionId, transport, onMessage: (m) => got[transport].push(`${m.role}: ${m.text}`) }),
    );
    await subscribedOnRedis(`messagesAdded:${teen.rawChatSessionId}`);
    // Neither client library reports a subscription as in place: give the second one a moment.
    await new Promise((r) => setTimeout(r, 500));
    await post(a, SEND, { input: { chatSessionId: teen.chatSessionId, text: 'suivi' } }, teen.token);
    for (let until = Date.now() + 5000; (got.sse.length === 0 || got.ws.length === 0) && Date.now() < until; ) await new Promise((r) => setTimeout(r, 20));
    expect(got).toEqual({ sse: ['USER: suivi'], ws: ['USER: suivi'] });
    await Promise.all(follows.map((f) => f.stop()));
  });

  it('stopping A mid-stream ends its subscriptions cleanly; the clients resubscribe on B and keep receiving', async () => {
    const teen = await teenager('FULL');
    const ws = connectWs(a.wsUrl, { authorization: `Bearer ${teen.token}` });
    const overWs = subscribeWs(ws, MESSAGE_ADDED, { id: teen.chatSessionId });
    await subscribedOnRedis(`messagesAdded:${teen.rawChatSessionId}`);
    const overSse = await openSse(fetch, a.url, MESSAGE_ADDED, { id: teen.chatSessionId }, { authorization: `Bearer ${teen.token}` });
    await post(b, SEND, { input: { chatSessionId: teen.chatSessionId, text: 'avant' } }, teen.token);
    expect((await overSse.next(2000))!.data.messageAdded.text).toBe('avant');
    expect((await overWs.next(2000))!.data.messageAdded.text).toBe('avant');

    const exitCode = a.stop('SIGTERM');
    // SSE: a `complete` event, then the response ends. WebSocket: Complete, then close 1001 (going away).
    expect(await overSse.ended).toBe('complete');
    expect(await overWs.ended).toBe('complete');
    expect(await ws.closed).toBe(1001);
    expect(await exitCode).toBe(0);

    const sseAgain = await openSse(fetch, b.url, MESSAGE_ADDED, { id: teen.chatSessionId }, { authorization: `Bearer ${teen.token}` });
    const wsAgain = connectWs(b.wsUrl, { authorization: `Bearer ${teen.token}` });
    const overWsAgain = subscribeWs(wsAgain, MESSAGE_ADDED, { id: teen.chatSessionId });
    // B already listens on this channel for the SSE stream: give the WebSocket subscription a moment of its own.
    await new Promise((r) => setTimeout(r, 300));
    await post(b, SEND, { input: { chatSessionId: teen.chatSessionId, text: 'après' } }, teen.token);
    expect((await sseAgain.next(2000))!.data.messageAdded.text).toBe('après');
    expect((await overWsAgain.next(2000))!.data.messageAdded.text).toBe('après');
    sseAgain.close();
    await wsAgain.client.dispose();
  });
});
