// Attacks on the subscription surface with real servers: an HTTP server with graphql-ws on it
// (src/http/websocket.ts), a Redis of this file's own that is stopped mid-run, and events that
// name rows deleted before delivery.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { spawn, type ChildProcess } from 'node:child_process';
import WebSocket from 'ws';
import pino from 'pino';
import { createTestDatabase, type TestDatabase } from './helpers/db.ts';
import { dbKind } from './helpers/env.ts';
import { testConfig, useTestApp } from './helpers/app.ts';
import { openSse } from './helpers/sse.ts';
import { connectWs, subscribeWs } from './helpers/ws.ts';
import { freePort, redisReachable } from './helpers/instances.ts';
import { createCollective, createSession, createUser, gid } from './factories/index.ts';
import { attachWebSocket, MAX_SUBSCRIPTIONS_PER_CONNECTION } from '../src/http/websocket.ts';
import { loadManifest, persistedDocumentResolver } from '../src/http/persisted-operations.ts';
import { createApp } from '../src/app.ts';
import { connectRedis } from '../src/redis.ts';
import { collectiveActivity } from '../src/events/topics.ts';

const codesOf = (r: { errors?: readonly { extensions?: Record<string, unknown> }[] }) => (r.errors ?? []).map((e) => e.extensions?.code);
const MESSAGE_ADDED = `subscription($id: ID!) { messageAdded(chatSessionId: $id) { text } }`;
const SESSION_CHANGED = `subscription { sessionChanged { scope } }`;
const ACTIVITY = `subscription($id: ID!) { collectiveActivity(collectiveId: $id) { kind member { id } } }`;
const SEND = `mutation($input: SendMessageInput!) { sendMessage(input: $input) { message { id } } }`;

describe(`subscription attacks (${dbKind})`, () => {
  const api = useTestApp();
  let server: Server;
  let ws: ReturnType<typeof attachWebSocket>;
  let wsUrl: string;

  beforeAll(async () => {
    server = createServer(api.app.yoga);
    ws = attachWebSocket(server, api.app.yoga, '/graphql');
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    wsUrl = `ws://127.0.0.1:${(server.address() as AddressInfo).port}/graphql`;
  });
  // Runs before useTestApp drops the database (after-hooks run last-registered first).
  afterAll(async () => {
    await api.app.events.close();
    await ws?.close();
    await new Promise((resolve) => server?.close(resolve));
  });

  async function teenWithChat() {
    const user = await createUser(api.prisma);
    const { token } = await createSession(api.prisma, user.id, 'FULL');
    const conv = await api.prisma.conversation.create({ data: { userId: user.id, conversationType: 'GENERAL', chatSessions: { create: [{}] } }, include: { chatSessions: true } });
    return { user, token, chatSessionId: gid('ChatSession', conv.chatSessions[0].id) };
  }

  it('junk connectionParams, a token in the wrong field, a malformed or NUL-laden id: stable codes, the socket stays up', async () => {
    const teen = await teenWithChat();
    const cases: [Record<string, any>, Record<string, unknown>, string][] = [
      [{ authorization: 42, 'x-api-key': { nested: true } }, { id: teen.chatSessionId }, 'UNAUTHENTICATED'],
      [{ token: teen.token }, { id: teen.chatSessionId }, 'UNAUTHENTICATED'],
    ];
    for (const [params, variables, code] of cases) {
      const connection = connectWs(wsUrl, params);
      const sub = subscribeWs(connection, MESSAGE_ADDED, variables);
      expect(codesOf((await sub.next())!), JSON.stringify(params)).toEqual([code]);
      await connection.client.dispose();
    }
    // Credentials no HTTP header could carry (NUL, a line break, characters past U+00FF): refused
    // as a malformed header or a junk key is, as this operation's error; the socket stays up.
    const MALFORMED = 'Malformed Authorization header: expected "Bearer <token>"';
    const unheaderable: [Record<string, string>, string][] = [
      [{ authorization: `Bearer ${teen.token}\u0000` }, MALFORMED],
      [{ authorization: `Bearer ${teen.token.slice(0, 20)}🧒` }, MALFORMED],
      [{ authorization: `Bearer ${teen.token}\nx` }, MALFORMED],
      [{ 'x-api-key': `${'k'.repeat(30)}\u0000` }, 'Invalid API key'],
      [{ authorization: `Bearer ${teen.token}`, 'x-api-key': 'k\u0000' }, 'Send either a bearer token or an API key, not both'],
    ];
    for (const [params, message] of unheaderable) {
      const connection = connectWs(wsUrl, params);
      for (let i = 0; i < 2; i++) {
        const r = (await subscribeWs(connection, MESSAGE_ADDED, { id: teen.chatSessionId }).next())!;
        expect([codesOf(r), r.errors?.[0]?.message], JSON.stringify(params)).toEqual([['UNAUTHENTICATED'], message]);
      }
      await connection.client.dispose();
    }
    // On one signed-in connection, each refused operation is its own error; the live one goes on.
    const connection = connectWs(wsUrl, { authorization: `Bearer ${teen.token}` });
    const live = subscribeWs(connection, MESSAGE_ADDED, { id: teen.chatSessionId });
    const refusals: [string, Record<string, unknown>, string][] = [
      [MESSAGE_ADDED, { id: 'not base64 \u0000' }, 'BAD_USER_INPUT'],
      [MESSAGE_ADDED, { id: gid('Collective', '00000000-0000-4000-8000-000000000000') }, 'BAD_USER_INPUT'],
      [MESSAGE_ADDED, { id: gid('ChatSession', 'x\u0000y') }, 'BAD_USER_INPUT'],
      [MESSAGE_ADDED, { id: gid('ChatSession', '00000000-0000-4000-8000-000000000000') }, 'NOT_FOUND'],
      ['subscription { messageAdded(', {}, 'GRAPHQL_PARSE_FAILED'],
      ['subscription { nope }', {}, 'GRAPHQL_VALIDATION_FAILED'],
    ];
    for (const [query, variables, code] of refusals) {
      const sub = subscribeWs(connection, query, variables);
      const got = (await sub.next())!;
      expect(got.errors?.length, query + JSON.stringify(variables)).toBeGreaterThan(0);
      expect(codesOf(got).every((c) => c === code), `${query} ${JSON.stringify(variables)}: ${JSON.stringify(codesOf(got))}`).toBe(true);
    }
    await new Promise((r) => setTimeout(r, 200));
    expect(codesOf(await api.gql(SEND, { input: { chatSessionId: teen.chatSessionId, text: 'toujours là' } }, { token: teen.token }))).toEqual([]);
    expect((await live.next())!.data.messageAdded.text).toBe('toujours là');
    await connection.client.dispose();
  });

  it(`a connection holds at most ${MAX_SUBSCRIPTIONS_PER_CONNECTION} subscriptions; the next is refused with TOO_MANY_SUBSCRIPTIONS`, async () => {
    const teen = await teenWithChat();
    const connection = connectWs(wsUrl, { authorization: `Bearer ${teen.token}` });
    const open = Array.from({ length: MAX_SUBSCRIPTIONS_PER_CONNECTION }, () => subscribeWs(connection, SESSION_CHANGED));
    for (const sub of open) expect((await sub.next(15_000))!.data.sessionChanged.scope).toBe('FULL');
    const refused = subscribeWs(connection, SESSION_CHANGED);
    expect(codesOf((await refused.next())!)).toEqual(['TOO_MANY_SUBSCRIPTIONS']);
    // Closing one frees a place.
    open[0].close();
    await new Promise((r) => setTimeout(r, 100));
    const again = subscribeWs(connection, SESSION_CHANGED);
    expect((await again.next())!.data.sessionChanged.scope).toBe('FULL');
    await connection.client.dispose();
  });

  it('an event naming a member deleted before delivery reaches the owner with member null, not INTERNAL_SERVER_ERROR', async () => {
    const owner = await createUser(api.prisma, { userType: 'PARENT' });
    const { token } = await createSession(api.prisma, owner.id, 'FULL');
    const collective = await createCollective(api.prisma, [{ userId: owner.id, role: 'OWNER' }]);
    const stream = await openSse(
      (url, init) => api.app.yoga.fetch(url, init, { req: { socket: { remoteAddress: '127.0.0.1' } } }),
      'http://test.local/graphql',
      ACTIVITY,
      { id: gid('Collective', collective.id) },
      { authorization: `Bearer ${token}` },
    );
    api.app.events.publish(
      collectiveActivity({ collectiveId: collective.id, kind: 'MEMBER_LEFT', userId: '00000000-0000-4000-8000-000000000001', role: null, membershipId: '00000000-0000-4000-8000-000000000002', occurredAt: new Date() }),
    );
    const got = await stream.next();
    expect(got!.errors).toBeUndefined();
    expect(got!.data.collectiveActivity).toEqual({ kind: 'MEMBER_LEFT', member: null });
    stream.close();
  });
});

describe(`WebSocket under PERSISTED_OPERATIONS=require (${dbKind})`, () => {
  const api = useTestApp({ env: { PERSISTED_OPERATIONS: 'require' } });
  let server: Server;
  let ws: ReturnType<typeof attachWebSocket>;
  let wsUrl: string;

  beforeAll(async () => {
    server = createServer(api.app.yoga);
    ws = attachWebSocket(server, api.app.yoga, '/graphql', persistedDocumentResolver(api.app.services.config));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    wsUrl = `ws://127.0.0.1:${(server.address() as AddressInfo).port}/graphql`;
  });
  // Runs before useTestApp drops the database (after-hooks run last-registered first).
  afterAll(async () => {
    await api.app.events.close();
    await ws?.close();
    await new Promise((resolve) => server?.close(resolve));
  });

  it('a full document is refused as over HTTP; a manifest hash runs; an unknown hash is PERSISTED_QUERY_NOT_FOUND', async () => {
    const user = await createUser(api.prisma);
    const { token } = await createSession(api.prisma, user.id, 'FULL');
    const [hash] = Object.entries(loadManifest()).find(([, doc]) => doc.startsWith('subscription SessionChanged'))!;
    const connection = connectWs(wsUrl, { authorization: `Bearer ${token}` });
    expect(codesOf((await subscribeWs(connection, SESSION_CHANGED).next())!)).toEqual(['PERSISTED_QUERY_ONLY']);
    expect(codesOf((await subscribeWs(connection, `{ __typename }`).next())!)).toEqual(['PERSISTED_QUERY_ONLY']);
    const unknown = subscribeWs(connection, '', {}, { persistedQuery: { version: 1, sha256Hash: 'f'.repeat(64) } });
    expect(codesOf((await unknown.next())!)).toEqual(['PERSISTED_QUERY_NOT_FOUND']);
    const trusted = subscribeWs(connection, '', {}, { persistedQuery: { version: 1, sha256Hash: hash.slice(7) } });
    expect((await trusted.next())!.data.sessionChanged.scope).toBe('FULL');
    await connection.client.dispose();
  });
});

const REDIS_BIN = '/usr/bin/redis-server';
const canRunRedis = await redisReachable().then(async () => (await import('node:fs')).existsSync(REDIS_BIN));

describe.skipIf(!canRunRedis)(`Redis stopped mid-run (${dbKind})`, () => {
  let db: TestDatabase;
  let redisProcess: ChildProcess;
  let app: ReturnType<typeof createApp>;
  let redis: ReturnType<typeof connectRedis>;
  const unhandled: unknown[] = [];
  const onUnhandled = (err: unknown) => unhandled.push(err);

  beforeAll(async () => {
    process.on('unhandledRejection', onUnhandled);
    const port = await freePort();
    redisProcess = spawn(REDIS_BIN, ['--port', String(port), '--save', '', '--appendonly', 'no'], { stdio: 'ignore' });
    const url = `redis://127.0.0.1:${port}`;
    for (let i = 0; i < 100 && !(await redisReachable(url)); i++) await new Promise((r) => setTimeout(r, 50));
    db = await createTestDatabase();
    const config = testConfig(db, { REDIS_URL: url, RATE_LIMIT_INVITATION_PREVIEW_PER_IP: '2' });
    const log = pino({ level: 'silent' });
    redis = connectRedis(config, log);
    app = createApp({ config, db, log, redis });
  });
  afterAll(async () => {
    process.off('unhandledRejection', onUnhandled);
    await app?.events.close();
    await redis?.close();
    redisProcess?.kill('SIGKILL');
    await db?.close();
  });

  const post = async (query: string, variables: Record<string, unknown>, token?: string) => {
    const res = await app.yoga.fetch(
      'http://test.local/graphql',
      { method: 'POST', headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) }, body: JSON.stringify({ query, variables }) },
      { req: { socket: { remoteAddress: '198.51.100.77' } } },
    );
    return { status: res.status, body: (await res.json()) as { data?: any; errors?: { extensions?: { code?: string } }[] } };
  };

  it('writes still succeed, rate limits fall back to memory, a new subscription gets SERVICE_UNAVAILABLE, nothing crashes', async () => {
    const user = await createUser(db.prisma);
    const { token } = await createSession(db.prisma, user.id, 'FULL');
    const conv = await db.prisma.conversation.create({ data: { userId: user.id, conversationType: 'GENERAL', chatSessions: { create: [{}] } }, include: { chatSessions: true } });
    const chatSessionId = gid('ChatSession', conv.chatSessions[0].id);
    const sse = (query: string, variables: Record<string, unknown>) =>
      openSse((url, init) => app.yoga.fetch(url, init, { req: { socket: { remoteAddress: '127.0.0.1' } } }), 'http://test.local/graphql', query, variables, { authorization: `Bearer ${token}` });
    const live = await sse(MESSAGE_ADDED, { id: chatSessionId });
    expect((await post(SEND, { input: { chatSessionId, text: 'avant' } }, token)).body.errors).toBeUndefined();
    expect((await live.next())!.data.messageAdded.text).toBe('avant');

    redisProcess.kill('SIGKILL');
    await new Promise((resolve) => redisProcess.once('exit', resolve));

    // The message is stored and answered; its event is lost (logged), not a crash.
    const sent = await post(SEND, { input: { chatSessionId, text: 'pendant' } }, token);
    expect(sent.body.errors).toBeUndefined();
    // The limiter's memory insurance keeps counting.
    const PREVIEW = `query($token: String!) { invitationPreview(token: $token) { collectiveName } }`;
    const codes = [];
    for (let i = 0; i < 3; i++) codes.push((await post(PREVIEW, { token: 'q'.repeat(32) })).body.errors?.map((e) => e.extensions?.code) ?? []);
    expect(codes).toEqual([[], [], ['RATE_LIMITED']]);
    // A new subscription cannot be put in place: a clear code, not INTERNAL_SERVER_ERROR.
    const refused = await sse(SESSION_CHANGED, {});
    expect(codesOf((await refused.next(15_000))!)).toEqual(['SERVICE_UNAVAILABLE']);
    live.close();
    await new Promise((r) => setTimeout(r, 1500));
    expect(unhandled).toEqual([]);
  }, 30_000);
});
