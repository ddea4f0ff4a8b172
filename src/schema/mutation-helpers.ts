// Conventions every mutation follows: one `input` argument validated with zod, the caller
// checked against the consent pipeline, one transaction, a stable error code on failure.
import { z } from 'zod';
import type { Context } from '../context.ts';
import type { AppSession, Prisma, SessionScope, User } from '../generated/prisma/client.ts';
import { appError, ErrorCode, forbidden, fromZod, isAppError, unauthenticated } from '../errors.ts';
import { nextStep } from '../consent/pipeline.ts';

/**
 * A global ID input (`t.globalID`) as Pothos decodes it, of this type and naming a UUID row.
 * Decoding already refused malformed ids; this refuses ids of another type or shape.
 */
export const decodedGlobalId = <T extends string>(typename: T) => z.object({ typename: z.literal(typename), id: z.string().uuid() });

export function parseInput<S extends z.ZodType>(schema: S, input: unknown): z.output<S> {
  const parsed = schema.safeParse(input);
  if (!parsed.success) throw fromZod(parsed.error);
  return parsed.data;
}

const order: Record<SessionScope, number> = { ONBOARDING: 0, PENDING_CONSENT: 1, FULL: 2 };

/**
 * The signed-in user, whose session has reached at least `minimum` in the consent pipeline.
 * Short of it: CONSENT_REQUIRED, with the step that is missing.
 */
export function requireUser(ctx: Context, minimum: SessionScope = 'ONBOARDING'): { user: User; session: AppSession } {
  if (ctx.viewer.kind !== 'user') {
    throw ctx.viewer.kind === 'operator' ? forbidden('This operation needs a user session, not an API key') : unauthenticated();
  }
  const { user, session } = ctx.viewer;
  if (order[session.scope] < order[minimum]) {
    throw appError(ErrorCode.CONSENT_REQUIRED, `This needs a session in scope ${minimum}; yours is ${session.scope}`, {
      requiredScope: minimum,
      currentScope: session.scope,
      nextStep: nextStep(session.scope),
    });
  }
  return { user, session };
}

/** An operator API key holding this permission. */
export function requireOperator(ctx: Context, permission: string) {
  if (ctx.viewer.kind !== 'operator') throw ctx.viewer.kind === 'anonymous' ? unauthenticated() : forbidden();
  if (!ctx.viewer.permissions.has(permission) && !ctx.viewer.permissions.has('*')) throw forbidden(`This API key lacks the ${permission} permission`);
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
 * (on PGlite the root client would wait for the transaction to end: a deadlock).
 */
export async function inTransaction<T>(ctx: Context, fn: (tx: Prisma.TransactionClient) => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await ctx.prisma.$transaction(fn, { timeout: 15_000, maxWait: 10_000 });
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
