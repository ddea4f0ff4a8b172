import { z } from 'zod';
import { builder } from '../../builder.ts';
import { refreshSessionScopes } from '../../consent/rules.ts';
import { check } from '../../input/fields.ts';
import { sessionField } from './payload.ts';
import { changed, signedIn } from '../../auth/caller.ts';
import { inTransaction } from '../../db/transaction.ts';

interface AcceptTermsResult {
  sessionId: string;
  userId: string;
}

const AcceptTermsInput = builder.inputType('AcceptTermsInput', {
  description: 'Input of acceptTerms.',
  fields: (t) => ({
    accepted: t.boolean({ required: true, description: 'Must be true: the user read and accepts the terms.', validate: check(z.literal(true, { message: 'the terms must be accepted' })) }),
  }),
});

const AcceptTermsPayload = builder.objectRef<AcceptTermsResult>('AcceptTermsPayload').implement({
  description: 'Result of acceptTerms: your session with its new scope (FULL, or PENDING_CONSENT for a teenager still waiting for a parent) and you.',
  fields: (t) => ({
    user: t.prismaField({ type: 'User', resolve: (q, p, _a, ctx) => ctx.prisma.user.findUniqueOrThrow({ ...q, where: { id: p.userId } }) }),
  }),
});
sessionField(AcceptTermsPayload);

builder.mutationField('acceptTerms', (t) =>
  t.field({
    authScopes: { user: true },
    type: AcceptTermsPayload,
    description:
      'Records the terms consent (with the client address) and moves every live session on: a parent to FULL, a teenager to FULL with parental consent, otherwise PENDING_CONSENT. Idempotent.',
    args: { input: t.arg({ type: AcceptTermsInput, required: true }) },
    resolve: async (_root, args, ctx) => {
      const { user, session } = signedIn(ctx);
      const scope = await inTransaction(ctx, async (tx) => {
        const existing = await tx.userConsent.findFirst({ where: { userId: user.id }, select: { id: true } });
        if (!existing) await tx.userConsent.create({ data: { userId: user.id, consentIp: ctx.clientIp } });
        return (await refreshSessionScopes(tx, [user.id], ctx.requestTime)).get(user.id)!;
      });
      changed(ctx, { kind: 'session', session: { ...session, scope } });
      changed(ctx, { kind: 'termsAccepted', userId: user.id });
      return { sessionId: session.id, userId: user.id };
    },
  }),
);
