// Conventions every mutation follows: one `input` argument whose fields carry their rules (validate,
// src/input/fields.ts), the caller declared on the field (authScopes), one transaction, a stable error code on failure.
import { z } from 'zod';
import type { Context } from '../context.ts';
import type { AppSession, Prisma, User } from '../generated/prisma/client.ts';
import { appError, ErrorCode, fromZod, isAppError } from '../errors.ts';
import { collectingEvents } from '../events/after-commit.ts';

/** Validates an argument with zod; BAD_USER_INPUT names each issue from `argument` (null: top-level arguments). */
export function parseInput<S extends z.ZodType>(schema: S, input: unknown, argument: string | null = 'input'): z.output<S> {
  const parsed = schema.safeParse(input);
  if (!parsed.success) throw fromZod(parsed.error, argument);
  return parsed.data;
}

/**
 * The signed-in caller. The field's `authScopes` (user or session scope) already refused anyone
 * else with UNAUTHENTICATED, FORBIDDEN or CONSENT_REQUIRED; arriving here without a user means
 * the declaration is missing, and the request fails closed.
 */
export function signedIn(ctx: Context): { user: User; session: AppSession } {
  if (ctx.viewer.kind !== 'user') throw new Error('A user-only resolver ran without a user: declare authScopes on its field');
  return ctx.viewer;
}

/** The operator key calling. Its field's `authScopes` (operator scope) already checked the permission. */
export function operatorKey(ctx: Context) {
  if (ctx.viewer.kind !== 'operator') throw new Error('An operator-only resolver ran without an API key: declare authScopes on its field');
  return ctx.viewer;
}

/** Prisma's error codes that are the client's doing, as stable GraphQL errors. */
function translatePrismaError(err: unknown): unknown {
  const code = (err as { code?: unknown })?.code;
  if (code === 'P2002') return appError(ErrorCode.CONFLICT, 'That already exists');
  if (code === 'P2025') return appError(ErrorCode.NOT_FOUND, 'Not found');
  if (code === 'P2003') return appError(ErrorCode.BAD_USER_INPUT, 'A referenced object does not exist');
  return err;
}

/**
 * Runs fn in one interactive transaction: it commits whole or not at all. Inside, use only `tx`
 * (on PGlite the root client would wait for the transaction to end: a deadlock). The events fn
 * queued (events/after-commit.ts) are published once it has committed, never for a rollback.
 */
export async function inTransaction<T>(ctx: Context, fn: (tx: Prisma.TransactionClient) => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      const { result, events } = await collectingEvents(() => ctx.prisma.$transaction(fn, { timeout: 15_000, maxWait: 10_000 }));
      for (const event of events) ctx.events.publish(event);
      return result;
    } catch (err) {
      if (isAppError(err)) throw err;
      // A write conflict or deadlock rolled everything back: running it again is safe.
      if ((err as { code?: unknown })?.code === 'P2034' && attempt < 3) continue;
      throw translatePrismaError(err);
    }
  }
}

/** Refreshes the viewer's session after a write changed its scope, for the payload. */
export async function currentSession(ctx: Context, tx: Prisma.TransactionClient) {
  if (ctx.viewer.kind !== 'user') return null;
  return tx.appSession.findUniqueOrThrow({ where: { id: ctx.viewer.session.id } });
}
