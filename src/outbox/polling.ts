// The outbox mechanism shared by every kind of owed work (message deletions, notifications): a
// row written in the transaction that creates the obligation; after the commit the request tries
// once; a worker claims due rows under a lease (so concurrent servers skip them) and retries with
// exponential backoff until the work is done. Each kind keeps its own table and its own handler.
import { Prisma, type PrismaClient } from '../generated/prisma/client.ts';

/**
 * How long a claimed row is left alone: by the worker that claimed it, or by the request that
 * wrote it (and tries the work right after its commit). After a crash, the worker takes it up
 * once the lease has passed.
 */
export const OUTBOX_LEASE_MS = 60_000;
const MAX_BACKOFF_MS = 10 * 60_000;
/** From this many failed attempts on, failures are logged as errors (someone should look). */
export const ALERT_AFTER_ATTEMPTS = 5;

/** Exponential backoff with jitter: base, 2 base, 4 base... (each between half and all of it), capped at 10 min. */
export function backoffMs(attempts: number, baseMs: number) {
  const full = Math.min(MAX_BACKOFF_MS, baseMs * 2 ** Math.max(0, Math.min(attempts - 1, 30)));
  return Math.round(full / 2 + (Math.random() * full) / 2);
}

/** An error as stored in an outbox row's last_error (at most 1000 characters). */
export const errorText = (err: unknown) => (err instanceof Error ? `${err.name}: ${err.message}` : String(err)).slice(0, 1000);

/** The outbox tables (schema-qualified); a fixed list, never caller input. */
export type OutboxTable = 'app.message_deletion_outbox' | 'app.notification_outbox';

/**
 * Claims up to batchSize due rows of one outbox table: pushes their next attempt a lease away and
 * returns the columns asked for. Rows claimed by a concurrent server are skipped, not waited for.
 */
export function claimDue<Row>(prisma: PrismaClient, table: OutboxTable, returning: Prisma.Sql, now: Date, batchSize: number) {
  const leaseUntil = new Date(now.getTime() + OUTBOX_LEASE_MS);
  const t = Prisma.raw(table);
  return prisma.$queryRaw<Row[]>`
    UPDATE ${t} SET next_attempt_at = ${leaseUntil}
    WHERE id IN (
      SELECT id FROM ${t}
      WHERE next_attempt_at <= ${now}
      ORDER BY next_attempt_at
      LIMIT ${batchSize}::int
      FOR UPDATE SKIP LOCKED
    )
    RETURNING ${returning}`;
}

export interface OutboxRun {
  claimed: number;
  completed: number;
  failed: number;
}

export interface OutboxWorker {
  /** Runs one pass now (tests, or after an outage ends). */
  runOnce(): Promise<OutboxRun>;
  /** Stops polling and waits for the pass in progress. */
  stop(): Promise<void>;
}

/** Polls with `pass` every intervalMs until stopped; a full batch without failures goes on at once. */
export function startPollingWorker(options: {
  name: string;
  intervalMs: number;
  batchSize: number;
  pass: (batchSize: number) => Promise<OutboxRun>;
  log: { warn(obj: object, msg: string): void };
}): OutboxWorker {
  const { intervalMs, batchSize } = options;
  let timer: NodeJS.Timeout | undefined;
  let stopped = false;
  let current: Promise<OutboxRun> | undefined;

  const runOnce = () =>
    (current ??= options.pass(batchSize).finally(() => {
      current = undefined;
    }));

  const schedule = (delay: number) => {
    if (stopped) return;
    timer = setTimeout(async () => {
      let next = intervalMs;
      try {
        const run = await runOnce();
        if (run.claimed === batchSize && run.failed === 0) next = 0;
      } catch (err) {
        options.log.warn({ err }, `${options.name} outbox pass failed`);
      }
      schedule(next);
    }, delay);
    timer.unref();
  };
  schedule(intervalMs);

  return {
    runOnce,
    async stop() {
      stopped = true;
      clearTimeout(timer);
      await current?.catch(() => {});
    },
  };
}
