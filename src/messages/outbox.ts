// Deleting a conversation spans two databases: its relational rows (one transaction) and its
// messages (the message store, possibly MongoDB). The transaction also writes an outbox row, so
// the deletion owed to the store is durable before the conversation disappears; after the commit
// the store is tried once, with a short timeout. When the store is down the request still
// succeeds: the row stays, and the worker below retries with exponential backoff until the store
// has deleted the messages. No transcript is orphaned, no request waits for a dead store.
import type { Logger } from 'pino';
import type { Config } from '../config.ts';
import type { Database } from '../db/database.ts';
import { Prisma, type PrismaClient } from '../generated/prisma/client.ts';
import { ALERT_AFTER_ATTEMPTS, backoffMs, claimDue, errorText, OUTBOX_LEASE_MS, startPollingWorker, type OutboxRun, type OutboxWorker } from '../outbox/polling.ts';
import type { MessageStore } from './types.ts';

export interface OutboxDeps {
  db: Pick<Database, 'prisma'>;
  messages: MessageStore;
  log: Pick<Logger, 'info' | 'warn' | 'error'>;
  config: Pick<Config, 'messages'>;
}

export { backoffMs, OUTBOX_LEASE_MS, type OutboxRun, type OutboxWorker } from '../outbox/polling.ts';

export class StoreTimeoutError extends Error {
  constructor(what: string, ms: number) {
    super(`${what} did not answer within ${ms} ms`);
    this.name = 'StoreTimeoutError';
  }
}

/** Bounds a store call on a request's path. The call itself is not cancelled; deletions are idempotent. */
export function withTimeout<T>(work: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new StoreTimeoutError(what, ms)), ms);
  });
  work.catch(() => {}); // a late failure after the timeout must not be unhandled
  return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
}

/**
 * Records, inside the relational transaction that deletes the conversation, that its messages
 * must be deleted from the store. Use only `tx` here (PGlite: the root client would deadlock).
 */
export async function enqueueMessageDeletion(tx: Prisma.TransactionClient, conversationId: string, now = new Date()) {
  await tx.messageDeletionOutbox.upsert({
    where: { conversationId },
    create: { conversationId, nextAttemptAt: new Date(now.getTime() + OUTBOX_LEASE_MS) },
    update: {},
    select: { id: true },
  });
}

async function recordFailure(prisma: PrismaClient, conversationId: string, err: unknown, deps: OutboxDeps) {
  const now = Date.now();
  const row = await prisma.messageDeletionOutbox.upsert({
    where: { conversationId },
    create: { conversationId, attempts: 1, lastError: errorText(err), nextAttemptAt: new Date(now + OUTBOX_LEASE_MS) },
    update: { attempts: { increment: 1 }, lastError: errorText(err) },
    select: { id: true, attempts: true },
  });
  const delay = backoffMs(row.attempts, deps.config.messages.outboxRetryIntervalMs);
  await prisma.messageDeletionOutbox.update({ where: { id: row.id }, data: { nextAttemptAt: new Date(now + delay) }, select: { id: true } });
  const level = row.attempts >= ALERT_AFTER_ATTEMPTS ? 'error' : 'warn';
  deps.log[level]({ err, conversationId, attempts: row.attempts, retryInMs: delay }, 'message deletion deferred to the outbox');
  return row.attempts;
}

export type DeletionOutcome = { status: 'deleted'; deleted: number } | { status: 'deferred'; attempts: number };

/**
 * Deletes a conversation's messages from the store, after the relational deletion committed.
 * Never throws for a store failure: the deletion is then left (or put) in the outbox, with its
 * next attempt scheduled, and `deferred` is returned. Works whether or not the transaction
 * called enqueueMessageDeletion (without it, a crash before this call would lose the deletion).
 */
export async function deleteConversationMessages(deps: OutboxDeps, conversationId: string): Promise<DeletionOutcome> {
  const { prisma } = deps.db;
  let deleted: number;
  try {
    deleted = await withTimeout(deps.messages.deleteByConversation(conversationId), deps.config.messages.timeoutMs, 'the message store');
  } catch (err) {
    return { status: 'deferred', attempts: await recordFailure(prisma, conversationId, err, deps) };
  }
  await prisma.messageDeletionOutbox.deleteMany({ where: { conversationId } });
  return { status: 'deleted', deleted };
}

/** One pass: claims due rows (a lease, so concurrent servers skip them) and tries each once. */
export async function processOutbox(deps: OutboxDeps, batchSize = 20, now = new Date()): Promise<OutboxRun> {
  const { prisma } = deps.db;
  const claimed = await claimDue<{ id: string; conversationId: string }>(
    prisma,
    'app.message_deletion_outbox',
    Prisma.sql`id::text AS id, conversation_id::text AS "conversationId"`,
    now,
    batchSize,
  );
  const run: OutboxRun = { claimed: claimed.length, completed: 0, failed: 0 };
  for (const row of claimed) {
    try {
      await withTimeout(deps.messages.deleteByConversation(row.conversationId), deps.config.messages.timeoutMs, 'the message store');
    } catch (err) {
      run.failed++;
      await recordFailure(prisma, row.conversationId, err, deps);
      continue;
    }
    await prisma.messageDeletionOutbox.deleteMany({ where: { id: row.id } });
    run.completed++;
    deps.log.info({ conversationId: row.conversationId }, 'deferred message deletion completed');
  }
  return run;
}

/** Polls the outbox every intervalMs until stopped; started by startServer. */
export function startOutboxWorker(deps: OutboxDeps, options: { intervalMs?: number; batchSize?: number } = {}): OutboxWorker {
  return startPollingWorker({
    name: 'message deletion',
    intervalMs: options.intervalMs ?? deps.config.messages.outboxRetryIntervalMs,
    batchSize: options.batchSize ?? 20,
    pass: (batchSize) => processOutbox(deps, batchSize),
    log: deps.log,
  });
}
