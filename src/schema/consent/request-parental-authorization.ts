import { limitAttempt } from '../../rate-limit/limits.ts';
import { z } from 'zod';
import { builder } from '../../builder.ts';
import { appError, ErrorCode, forbidden } from '../../errors.ts';
import { deliverConsentCode, enqueueConsentCode } from '../../notifications/outbox.ts';
import { mailLanguage } from '../../notifications/templates.ts';
import { inTransaction } from '../../db/transaction.ts';
import { parseInput } from '../arguments.ts';
import { signedIn } from '../../auth/caller.ts';

const RequestParentalAuthorizationInput = builder.inputType('RequestParentalAuthorizationInput', {
  description: 'Input of requestParentalAuthorization: how to reach the parent to ask, and the language of the mail.',
  fields: (t) => ({
    parentContact: t.string({
      required: true,
      description: "A parent's e-mail address (at most 255 characters): the one-time consent code is mailed there.",
    }),
    language: t.field({
      type: 'LanguageCode',
      required: false,
      description: "The mail's language: fr, en, es, it, de or pt. Default: your profile's language; anything else is French.",
    }),
  }),
});

const RequestParentalAuthorizationPayload = builder.objectRef<{ requestId: string }>('RequestParentalAuthorizationPayload').implement({
  description: 'Result of requestParentalAuthorization: the open request (a code was mailed to the parent, or an earlier one still stands).',
  fields: (t) => ({
    authorizationRequest: t.prismaField({
      type: 'ParentalAuthorizationRequest',
      resolve: (q, p, _a, ctx) => ctx.prisma.parentalAuthorizationRequest.findUniqueOrThrow({ ...q, where: { id: p.requestId } }),
    }),
  }),
});

/** Open requests a teenager may have at once: each one mails a different address, and no one should be flooded. */
export const MAX_OPEN_REQUESTS = 3;

/**
 * The parent's address, checked in the resolver rather than on its field: a caller who may not ask
 * (not a teenager: FORBIDDEN) or who asks too often (the rate limit, which counts every attempt,
 * malformed ones included) must hear that first. The language is checked by its scalar.
 */
const schema = z.object({
  parentContact: z.string().trim().pipe(z.email('an e-mail address').max(255).transform((s) => s.toLowerCase())),
});

builder.mutationField('requestParentalAuthorization', (t) =>
  t.field({
    authScopes: { session: 'PENDING_CONSENT' },
    type: RequestParentalAuthorizationPayload,
    description:
      'A teenager asks a parent for consent: a one-time code is mailed to the parent, who grants with it (grantParentalConsent). ' +
      'One open request per parent contact: asking again returns it and sends nothing, unless its code expired; a LOCKED or EXPIRED request is replaced by a new one with a new code. ' +
      `At most ${MAX_OPEN_REQUESTS} open requests (to different contacts) at once: one more is CONFLICT (extensions.reason TOO_MANY_OPEN_REQUESTS).`,
    args: { input: t.arg({ type: RequestParentalAuthorizationInput, required: true }) },
    resolve: async (_root, args, ctx) => {
      const { user } = signedIn(ctx);
      if (user.userType !== 'TEENAGER') throw forbidden('Only teenagers ask for parental consent');
      await limitAttempt(ctx, 'requestParentalAuthorization', user.id);
      const { parentContact } = parseInput(schema, { parentContact: args.input.parentContact });
      const language = args.input.language;
      const now = ctx.requestTime;
      const open = { teenagerId: user.id, parentContact, status: 'PENDING' as const };
      // A concurrent twin may win the unique index on open requests: the transaction then runs
      // again and finds its row. A refusal (too many open requests) is final, never run again.
      const row = await inTransaction(
        ctx,
        async (tx) => {
          const existing = await tx.parentalAuthorizationRequest.findFirst({ where: open, select: { id: true, codeExpiresAt: true } });
          if (existing && !(existing.codeExpiresAt && existing.codeExpiresAt <= now)) return { id: existing.id, created: false };
          // Its code expired unused: that request ends, a new one (with a new code) replaces it.
          if (existing) await tx.parentalAuthorizationRequest.update({ where: { id: existing.id }, data: { status: 'EXPIRED', resolvedAt: now }, select: { id: true } });
          else if ((await tx.parentalAuthorizationRequest.count({ where: { teenagerId: user.id, status: 'PENDING' } })) >= MAX_OPEN_REQUESTS) {
            throw appError(ErrorCode.CONFLICT, `You already have ${MAX_OPEN_REQUESTS} open requests: wait for an answer, or until a code expires`, { reason: 'TOO_MANY_OPEN_REQUESTS' });
          }
          const row = await tx.parentalAuthorizationRequest.create({
            data: { ...open, language: mailLanguage(language ?? user.language) },
            select: { id: true },
          });
          // The mail is owed from the moment the request exists: same transaction.
          await enqueueConsentCode(tx, row.id, now);
          return { id: row.id, created: true };
        },
        { retryOnUniqueViolation: true },
      );
      // First attempt right after the response; the outbox worker retries if the mail server fails.
      if (row.created) ctx.background(() => deliverConsentCode(ctx, row.id));
      return { requestId: row.id };
    },
  }),
);
