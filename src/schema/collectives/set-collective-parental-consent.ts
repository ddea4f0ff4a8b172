import { builder } from '../../builder.ts';
import { forbidden } from '../../errors.ts';
import { refreshSessionScopes } from '../../consent/rules.ts';
import { isVerifiedAdult } from '../../consent/verified-adult.ts';
import { CollectiveNode } from './collective.ts';
import { lockAsMember } from './rules.ts';
import { changed, currentSession, signedIn } from '../../auth/caller.ts';
import { inTransaction } from '../../db/transaction.ts';
import { rowId } from '../../input/fields.ts';

const SetCollectiveParentalConsentInput = builder.inputType('SetCollectiveParentalConsentInput', {
  description: 'Input of setCollectiveParentalConsent: the collective and whether it holds parental consent for its teenagers.',
  fields: (t) => ({
    collectiveId: t.globalID({ for: CollectiveNode, required: true, validate: rowId('Collective') }),
    granted: t.boolean({ required: true }),
  }),
});

const SetCollectiveParentalConsentPayload = builder
  .objectRef<{ collectiveId: string; sessionId: string }>('SetCollectiveParentalConsentPayload')
  .implement({
    description: 'Result of setCollectiveParentalConsent: the collective after the change.',
    fields: (t) => ({
      collective: t.prismaField({
        type: 'Collective',
        resolve: (query, p, _a, ctx) => ctx.prisma.collective.findUniqueOrThrow({ ...query, where: { id: p.collectiveId } }),
      }),
      session: t.prismaField({
        type: 'AppSession',
        resolve: (query, p, _a, ctx) => ctx.prisma.appSession.findUniqueOrThrow({ ...query, where: { id: p.sessionId } }),
      }),
    }),
  });

builder.mutationField('setCollectiveParentalConsent', (t) =>
  t.field({
    authScopes: { session: 'FULL' },
    type: SetCollectiveParentalConsentPayload,
    description:
      'Grants (or withdraws) parental consent for every minor of the collective: their live sessions move to FULL (or back ' +
      'to PENDING_CONSENT unless consent comes from elsewhere) in the same transaction. OWNER only; only a PARENT can grant.',
    args: { input: t.arg({ type: SetCollectiveParentalConsentInput, required: true }) },
    resolve: async (_root, args, ctx) => {
      const { user } = signedIn(ctx);
      const input = { granted: args.input.granted, collectiveId: args.input.collectiveId.id };
      const session = await inTransaction(ctx, async (tx) => {
        const me = await lockAsMember(tx, input.collectiveId, user.id);
        if (me.role !== 'OWNER') throw forbidden('Only an owner can change the parental consent of a collective');
        // A teenager who owns a collective must not be able to consent for other minors.
        if (input.granted && !isVerifiedAdult(user)) throw forbidden('Only a parent can grant parental consent');
        if (me.parentalConsentGranted !== input.granted) {
          await tx.collective.update({ where: { id: input.collectiveId }, data: { parentalConsentGranted: input.granted }, select: { id: true } });
          const members = await tx.collectiveMembership.findMany({ where: { collectiveId: input.collectiveId }, select: { userId: true } });
          await refreshSessionScopes(
            tx,
            members.map((m) => m.userId),
            ctx.requestTime,
          );
        }
        return currentSession(ctx, tx);
      });
      changed(ctx, { kind: 'session', session });
      return { collectiveId: input.collectiveId, sessionId: session!.id };
    },
  }),
);
