// Deleting a conversation when the message store is down: the relational deletion commits, the
// request returns quickly, the deletion waits in the outbox, and the worker completes it (with
// backoff) once the store is back. The conversation is deleted here as deleteConversation does it
// (relational rows + enqueueMessageDeletion in one transaction, then deleteConversationMessages).
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from './helpers/db.ts';
import { dbKind } from './helpers/env.ts';
import { testConfig } from './helpers/app.ts';
import { flakyDeletes } from './helpers/message-stores.ts';
import { freePort, startCongoDb } from './helpers/mongo.ts';
import { createUser } from './factories/index.ts';
import { createPgMessageStore } from '../src/messages/pg-store.ts';
import { createMongoMessageStore } from '../src/messages/mongo-store.ts';
import {
  backoffMs,
  deleteConversationMessages,
  enqueueMessageDeletion,
  OUTBOX_LEASE_MS,
  processOutbox,
  startOutboxWorker,
  type OutboxDeps,
} from '../src/messages/outbox.ts';
import type { MessageStore } from '../src/messages/types.ts';

const TIMEOUT_MS = 250;
const RETRY_MS = 20;

function capturingLog() {
  const lines: { level: string; msg: string; obj: Record<string, unknown> }[] = [];
  const at = (level: string) => (obj: Record<string, unknown>, msg: string) => void lines.push({ level, msg, obj });
  return { lines, info: at('info'), warn: at('warn'), error: at('error') } as unknown as OutboxDeps['log'] & { lines: typeof lines };
}

async function until(check: () => Promise<boolean>, timeoutMs = 10_000, what = 'condition') {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error(`timed out waiting for ${what}`);
}

describe(`message deletion outbox (${dbKind})`, () => {
  let db: TestDatabase;
  let flaky: ReturnType<typeof flakyDeletes>;
  let deps: OutboxDeps;
  let userId: string;
  beforeAll(async () => {
    db = await createTestDatabase();
    flaky = flakyDeletes(createPgMessageStore(db.prisma));
    deps = {
      db,
      messages: flaky.store,
      log: capturingLog(),
      config: testConfig(db, { MESSAGE_STORE_TIMEOUT_MS: String(TIMEOUT_MS), OUTBOX_RETRY_INTERVAL_MS: String(RETRY_MS) }),
    };
    userId = (await createUser(db.prisma)).id;
  });
  afterAll(() => db.destroy());

  /** A conversation with two chat sessions and four messages in the store. */
  async function conversationWithMessages(store: MessageStore = flaky.store) {
    const c = await db.prisma.conversation.create({
      data: { userId, conversationType: 'INCIDENT', chatSessions: { create: [{}, {}] } },
      include: { chatSessions: true },
    });
    await store.append(
      c.chatSessions.flatMap((s) => [
        { conversationId: c.id, chatSessionId: s.id, userId, role: 'USER' as const, text: 'help' },
        { conversationId: c.id, chatSessionId: s.id, userId, role: 'ASSISTANT' as const, text: 'here' },
      ]),
    );
    return c.id;
  }

  /** What deleteConversation does: relational rows and the outbox row in one transaction, then the store. */
  async function deleteConversation(id: string, d: OutboxDeps = deps) {
    await db.prisma.$transaction(async (tx) => {
      await tx.conversation.delete({ where: { id } });
      await enqueueMessageDeletion(tx, id);
    });
    return deleteConversationMessages(d, id);
  }

  const messagesOf = async (id: string) => (await createPgMessageStore(db.prisma).countByConversation([id])).get(id) ?? 0;
  const outboxRow = (id: string) => db.prisma.messageDeletionOutbox.findUnique({ where: { conversationId: id } });

  it('with the store up, deletes the messages at once and leaves no outbox row', async () => {
    flaky.state.mode = 'ok';
    const id = await conversationWithMessages();
    expect(await deleteConversation(id)).toEqual({ status: 'deleted', deleted: 4 });
    expect(await messagesOf(id)).toBe(0);
    expect(await outboxRow(id)).toBeNull();
    expect(await db.prisma.chatSession.count({ where: { conversationId: id } })).toBe(0);
  });

  it('with the store down, the deletion succeeds quickly, waits in the outbox, and the worker retries with backoff until the store is back', async () => {
    const id = await conversationWithMessages();
    flaky.state.mode = 'reject';
    const started = Date.now();
    const outcome = await deleteConversation(id);
    expect(Date.now() - started).toBeLessThan(2000);
    expect(outcome).toEqual({ status: 'deferred', attempts: 1 });
    // The relational deletion is done; the transcript is not orphaned: its deletion is owed.
    expect(await db.prisma.conversation.findUnique({ where: { id } })).toBeNull();
    expect(await messagesOf(id)).toBe(4);
    const row = await outboxRow(id);
    expect(row).toMatchObject({ attempts: 1 });
    expect(row!.lastError).toMatch(/ECONNREFUSED/);
    expect(row!.nextAttemptAt.getTime()).toBeGreaterThan(started);

    const attemptsBefore = flaky.state.deleteAttempts;
    const worker = startOutboxWorker(deps, { intervalMs: RETRY_MS });
    try {
      await until(async () => ((await outboxRow(id))?.attempts ?? 0) >= 4, 10_000, 'four failed attempts');
      const failing = await outboxRow(id);
      // Every attempt was recorded, and the row stays while the store is down.
      const tried = flaky.state.deleteAttempts - attemptsBefore;
      expect(tried).toBeGreaterThanOrEqual(failing!.attempts - 1);
      expect(tried).toBeLessThanOrEqual(failing!.attempts); // one may be under way
      expect(await messagesOf(id)).toBe(4);

      flaky.state.mode = 'ok';
      await until(async () => (await outboxRow(id)) === null, 15_000, 'the outbox row to go');
      expect(await messagesOf(id)).toBe(0);
    } finally {
      await worker.stop();
    }
    expect((deps.log as unknown as { lines: { msg: string }[] }).lines.map((l) => l.msg)).toContain('deferred message deletion completed');
  });

  it('backs off exponentially: each retry waits between half and all of base * 2^(attempts-1), capped', () => {
    for (let attempts = 1; attempts <= 8; attempts++) {
      const full = RETRY_MS * 2 ** (attempts - 1);
      for (let i = 0; i < 20; i++) {
        const d = backoffMs(attempts, RETRY_MS);
        expect(d).toBeGreaterThanOrEqual(full / 2);
        expect(d).toBeLessThanOrEqual(full);
      }
    }
    expect(backoffMs(100, 5000)).toBeLessThanOrEqual(10 * 60_000);
  });

  it('a store that hangs does not hang the request: the attempt times out and is deferred', async () => {
    const id = await conversationWithMessages();
    flaky.state.mode = 'hang';
    const started = Date.now();
    const outcome = await deleteConversation(id);
    const elapsed = Date.now() - started;
    expect(outcome.status).toBe('deferred');
    expect(elapsed).toBeGreaterThanOrEqual(TIMEOUT_MS - 5);
    expect(elapsed).toBeLessThan(TIMEOUT_MS + 2000);
    expect((await outboxRow(id))!.lastError).toMatch(/did not answer within 250 ms/);

    flaky.state.mode = 'ok';
    // Due after its backoff: one pass later than that completes it.
    const run = await processOutbox(deps, 20, new Date(Date.now() + 60_000));
    expect(run).toMatchObject({ failed: 0 });
    expect(run.completed).toBeGreaterThanOrEqual(1);
    expect(await outboxRow(id)).toBeNull();
    expect(await messagesOf(id)).toBe(0);
  });

  it('a crash between the commit and the store call loses nothing: the worker takes the row once its lease has passed', async () => {
    flaky.state.mode = 'ok';
    const id = await conversationWithMessages();
    await db.prisma.$transaction(async (tx) => {
      await tx.conversation.delete({ where: { id } });
      await enqueueMessageDeletion(tx, id);
    });
    // ...and the process dies here, before deleteConversationMessages.
    expect(await processOutbox(deps)).toEqual({ claimed: 0, completed: 0, failed: 0 });
    expect(await messagesOf(id)).toBe(4);
    const later = new Date(Date.now() + OUTBOX_LEASE_MS + 1000);
    expect(await processOutbox(deps, 20, later)).toEqual({ claimed: 1, completed: 1, failed: 0 });
    expect(await outboxRow(id)).toBeNull();
    expect(await messagesOf(id)).toBe(0);
  });

  it('concurrent workers (two servers) claim each row once', async () => {
    flaky.state.mode = 'reject';
    const ids = [];
    for (let i = 0; i < 6; i++) {
      const id = await conversationWithMessages();
      await deleteConversation(id);
      ids.push(id);
    }
    flaky.state.mode = 'ok';
    const due = new Date(Date.now() + 60_000);
    const before = flaky.state.deleteAttempts;
    const runs = await Promise.all([processOutbox(deps, 20, due), processOutbox(deps, 20, due)]);
    expect(runs[0].claimed + runs[1].claimed).toBe(6);
    expect(flaky.state.deleteAttempts - before).toBe(6);
    for (const id of ids) expect(await messagesOf(id)).toBe(0);
    expect(await db.prisma.messageDeletionOutbox.count()).toBe(0);
  });

  it('the real MongoDB driver with no server reachable fails within the configured time, each retry a real attempt, and the deletion is deferred', async () => {
    // No MongoDB server here: this exercises only the driver's failure path (server selection).
    const mongo = createMongoMessageStore({ url: 'mongodb://127.0.0.1:9/?directConnection=true', database: 'unreachable', maxPoolSize: 2, timeoutMs: TIMEOUT_MS });
    try {
      const id = randomUUID();
      await db.prisma.$transaction((tx) => enqueueMessageDeletion(tx, id));
      for (const attempt of [1, 2]) {
        const started = Date.now();
        const outcome = await deleteConversationMessages({ ...deps, messages: mongo }, id);
        expect(outcome).toEqual({ status: 'deferred', attempts: attempt });
        expect(Date.now() - started).toBeLessThan(TIMEOUT_MS + 2000);
        // Not MongoTopologyClosedError: after a failed first connection the store connects again.
        expect((await outboxRow(id))!.lastError).toMatch(/^MongoServerSelectionError/);
      }
      await db.prisma.messageDeletionOutbox.deleteMany({ where: { conversationId: id } });
    } finally {
      await mongo.close();
    }
  });

  it('a MongoDB that comes up after the store failed to connect is reached by the next retry, which deletes the messages (over the wire, CongoDB)', async () => {
    // The store's first connection fails (nothing listens yet); the driver would then keep a
    // closed topology and fail every later call without trying. Then a server starts there.
    const port = await freePort();
    const url = `mongodb://127.0.0.1:${port}/?directConnection=true`;
    // Longer bounds than TIMEOUT_MS: server selection on a loaded machine can take over 250 ms.
    // The driver gives up (1 s) before the outbox's own deadline (3 s), so the error is the driver's.
    const options = { url, database: 'late_start', maxPoolSize: 2, timeoutMs: 1000 };
    const mongo = createMongoMessageStore(options);
    const d = { ...deps, messages: mongo, config: testConfig(db, { MESSAGE_STORE_TIMEOUT_MS: '3000' }) };
    let server: Awaited<ReturnType<typeof startCongoDb>> | undefined;
    try {
      const id = randomUUID();
      await db.prisma.$transaction((tx) => enqueueMessageDeletion(tx, id));
      expect(await deleteConversationMessages(d, id)).toEqual({ status: 'deferred', attempts: 1 });
      expect((await outboxRow(id))!.lastError).toMatch(/^MongoServerSelectionError/);

      server = await startCongoDb(port);
      const writer = createMongoMessageStore({ ...options, timeoutMs: 10_000 });
      await writer.append([1, 2, 3].map((n) => ({ conversationId: id, chatSessionId: randomUUID(), userId, role: 'USER' as const, text: `m${n}` })));
      await writer.close();
      expect(await deleteConversationMessages(d, id)).toEqual({ status: 'deleted', deleted: 3 });
      expect(await outboxRow(id)).toBeNull();
      expect((await mongo.countByConversation([id])).get(id) ?? 0).toBe(0);
    } finally {
      await mongo.close();
      await server?.stop();
    }
  });
});
