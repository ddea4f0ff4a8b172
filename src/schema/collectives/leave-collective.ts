import { afterCommit } from '../../events/after-commit.ts';
import { collectiveActivity } from '../../events/topics.ts';
import { builder } from '../../builder.ts';
import { CollectiveNode } from './collective.ts';
import { deleteMembership, lockAsMember } from './rules.ts';
import { changed, currentSession, signedIn } from '../../auth/caller.ts';
import { inTransaction } from '../../db/transaction.ts';
import { rowId } from '../../input/fields.ts';

const LeaveCollectiveInput = builder.inputType('LeaveCollectiveInput', {
  description: 'Input of leaveCollective.',
  fields: (t) => ({
    collectiveId: t.globalID({ for: CollectiveNode, required: true, validate: rowId('Collective') }),
  }),
});

interface Result {
  collectiveId: string;
  removedMembershipId: string;
  sessionId: string;
}

const LeaveCollectivePayload = builder.objectRef<Result>('LeaveCollectivePayload').implement({
  description: 'Result of leaveCollective.',
  fields: (t) => ({
    collectiveId: t.globalID({
      description: 'The collective you left (you no longer see it).',
      resolve: (p) => ({ type: 'Collective', id: p.collectiveId }),
    }),
    removedMembershipId: t.globalID({
      description: 'The id of your former membership.',
      resolve: (p) => ({ type: 'CollectiveMembership', id: p.removedMembershipId }),
    }),
    session: t.prismaField({
      type: 'AppSession',
      description: 'Your session: a teenager whose parental consent came from this collective is back to PENDING_CONSENT.',
      resolve: (query, p, _a, ctx) => ctx.prisma.appSession.findUniqueOrThrow({ ...query, where: { id: p.sessionId } }),
    }),
  }),
});

builder.mutationField('leaveCollective', (t) =>
  t.field({
    authScopes: { session: 'FULL' },
    type: LeaveCollectivePayload,
    description: 'Leaves a collective. Its last owner cannot leave (LAST_OWNER): make someone else OWNER first.',
    args: { input: t.arg({ type: LeaveCollectiveInput, required: true }) },
    resolve: async (_root, args, ctx) => {
      const { user } = signedIn(ctx);
      const input = { collectiveId: args.input.collectiveId.id };
      const { membershipId, session } = await inTransaction(ctx, async (tx) => {
        const me = await lockAsMember(tx, input.collectiveId, user.id);
        await deleteMembership(
          tx,
          { id: me.membershipId, userId: user.id, collectiveId: input.collectiveId, role: me.role },
          me.parentalConsentGranted,
          ctx.requestTime,
        );
        afterCommit(
          collectiveActivity({ collectiveId: input.collectiveId, kind: 'MEMBER_LEFT', userId: user.id, role: null, membershipId: me.membershipId, occurredAt: ctx.requestTime }),
        );
        return { membershipId: me.membershipId, session: await currentSession(ctx, tx) };
      });
      changed(ctx, { kind: 'role', userId: user.id, collectiveId: input.collectiveId, role: null });
      changed(ctx, { kind: 'session', session });
      return { collectiveId: input.collectiveId, removedMembershipId: membershipId, sessionId: session!.id };
    },
  }),
);
