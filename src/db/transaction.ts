// The one way a mutation writes: one interactive transaction that commits whole or not at all,
// runs again when PostgreSQL reports a conflict it rolled back, publishes its events only after
// commit, and turns the client's own Prisma errors into stable GraphQL errors.
import type { Context } from '../context.ts';
import type { Prisma } from '../generated/prisma/client.ts';
import { appError, ErrorCode, isAppError } from '../errors.ts';
import { collectingEvents } from '../events/after-commit.ts';

export type Tx = Prisma.TransactionClient;

/** Runs of fn in all, at most, when conflicts keep rolling it back. */
export const MAX_TRANSACTION_ATTEMPTS = 3;

/**
 * Before a run after a serialization failure or deadlock: a random 10 to 30 ms times the runs so
 * far. Run again at once, the rolled-back transaction can take its first row back before the one
 * that won finishes, and the same deadlock repeats (seen on PostgreSQL under load).
 */
const conflictDelayMs = (attempt: number) => attempt * (10 + Math.random() * 20);

export interface TransactionOptions {
  /**
   * Also run fn again when it failed on a unique violation (Prisma P2002), within the same
   * MAX_TRANSACTION_ATTEMPTS. For find-or-create writes: a concurrent twin that committed first
   * makes this run's insert collide, and the next run finds the row. Off by default: elsewhere a
   * unique violation is the client's CONFLICT.
   */
  retryOnUniqueViolation?: boolean;
}

const errorCode = (err: unknown) => (err as { code?: unknown })?.code;

type DriverCause = { cause?: { kind?: unknown; originalCode?: unknown } };
/**
 * What the driver adapter said: on a raw query's failure (Prisma's P2010) under meta, on a failed
 * COMMIT on the error itself.
 */
const driverCause = (err: unknown) =>
  (err as { meta?: { driverAdapterError?: DriverCause } })?.meta?.driverAdapterError?.cause ?? (err as DriverCause)?.cause;

/** A serialization failure (40001) or deadlock (40P01): PostgreSQL rolled everything back, so running it again is safe. */
function isConflict(err: unknown) {
  if (errorCode(err) === 'P2034') return true;
  const cause = driverCause(err);
  return cause?.kind === 'TransactionWriteConflict' || cause?.originalCode === '40001' || cause?.originalCode === '40P01';
}

/** Prisma's error codes that are the client's doing, as stable GraphQL errors. */
function translatePrismaError(err: unknown): unknown {
  // Still conflicting after the last run: the client's retry is what is left, not a masked error.
  if (isConflict(err)) return appError(ErrorCode.CONFLICT, 'A concurrent change kept getting in the way: try again');
  const code = errorCode(err);
  if (code === 'P2002') return appError(ErrorCode.CONFLICT, 'That already exists');
  if (code === 'P2025') return appError(ErrorCode.NOT_FOUND, 'Not found');
  if (code === 'P2003') return appError(ErrorCode.BAD_USER_INPUT, 'A referenced object does not exist');
  return err;
}

/**
 * Runs fn in one interactive transaction (timeout 15 s, 10 s to start): it commits whole or not at
 * all. Inside, use only `tx` (on PGlite the root client would wait for the transaction to end: a
 * deadlock). fn runs again from the start, up to MAX_TRANSACTION_ATTEMPTS runs in all, when the
 * transaction failed on a serialization failure or deadlock (after a short random delay) and, with
 * `retryOnUniqueViolation`, on a unique violation; so fn must do nothing outside `tx` that a
 * rollback would not undo. The events fn queued (events/after-commit.ts) are published once it has
 * committed, never for a rollback. Errors: an AppError thrown by fn as is; unique violation
 * CONFLICT, a serialization failure or deadlock still there after the last run CONFLICT, missing row
 * NOT_FOUND, missing referenced row BAD_USER_INPUT; anything else as thrown.
 */
export async function inTransaction<T>(
  ctx: Pick<Context, 'prisma' | 'events'>,
  fn: (tx: Tx) => Promise<T>,
  options: TransactionOptions = {},
): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      const { result, events } = await collectingEvents(() => ctx.prisma.$transaction(fn, { timeout: 15_000, maxWait: 10_000 }));
      for (const event of events) ctx.events.publish(event);
      return result;
    } catch (err) {
      if (isAppError(err)) throw err;
      if (attempt >= MAX_TRANSACTION_ATTEMPTS) throw translatePrismaError(err);
      if (isConflict(err)) {
        await new Promise((resolve) => setTimeout(resolve, conflictDelayMs(attempt)));
        continue;
      }
      // The twin that made this one collide has committed: the next run finds its row at once.
      if (options.retryOnUniqueViolation === true && errorCode(err) === 'P2002') continue;
      throw translatePrismaError(err);
    }
  }
}
