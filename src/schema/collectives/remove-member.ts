import { afterCommit } from '../../events/after-commit.ts';
import { collectiveActivity } from '../../events/topics.ts';
import { builder } from '../../builder.ts';
import { forbidden } from '../../errors.ts';
import { CollectiveNode } from './collective.ts';
import { deleteMembership, lockMembershipWithActor, mayManage, MembershipRef } from './rules.ts';
import { changed, currentSession, signedIn } from '../../auth/caller.ts';
import { inTransaction } from '../../db/transaction.ts';
import { rowId } from '../../input/fields.ts';

const RemoveMemberInput = builder.inputType('RemoveMemberInput', {
  description: 'Input of removeMember: the membership to end.',
  fields: (t) => ({
    membershipId: t.globalID({ for: MembershipRef, required: true, validate: rowId('CollectiveMembership') }),
  }),
});

interface Result {
  removedMembershipId: string;
  /** null when the caller removed themselves and no longer sees the collective. */
  collectiveId: string | null;
  sessionId: string;
}

const RemoveMemberPayload = builder.objectRef<Result>('RemoveMemberPayload').implement({
  description: 'Result of removeMember.',
  fields: (t) => ({
    removedMembershipId: t.globalID({
      description: 'The id of the membership that no longer exists.',
      resolve: (p) => ({ type: 'CollectiveMembership', id: p.removedMembershipId }),
    }),
    // Not a prismaField: a planned query must be used, and here there is none to run when you left.
    // Relations selected beneath are loaded by the Prisma plugin's fallback, one statement each.
    collective: t.field({
      type: CollectiveNode,
      nullable: true,
      description: 'The collective, as you now see it; null when you removed yourself.',
      resolve: (p, _a, ctx) => (p.collectiveId ? ctx.prisma.collective.findUniqueOrThrow({ where: { id: p.collectiveId } }) : null),
    }),
    session: t.prismaField({
      type: 'AppSession',
      description: 'Your session: its scope changes when you removed yourself from a collective that granted your parental consent.',
      resolve: (query, p, _a, ctx) => ctx.prisma.appSession.findUniqueOrThrow({ ...query, where: { id: p.sessionId } }),
    }),
  }),
});

builder.mutationField('removeMember', (t) =>
  t.field({
    authScopes: { session: 'FULL' },
    type: RemoveMemberPayload,
    description:
      'Removes a member from a collective. Owners remove anyone, admins plain members only; anyone may remove themselves ' +
      '(like leaveCollective). The last owner cannot be removed: LAST_OWNER. A removed teenager who had parental consent ' +
      'only through this collective goes back to PENDING_CONSENT.',
    args: { input: t.arg({ type: RemoveMemberInput, required: true }) },
    resolve: async (_root, args, ctx) => {
      const { user } = signedIn(ctx);
      const input = { membershipId: args.input.membershipId.id };
      const { target, session } = await inTransaction(ctx, async (tx) => {
        const { me, target } = await lockMembershipWithActor(tx, input.membershipId, user.id);
        if (target.userId !== user.id && !mayManage(me.role, target.role)) {
          throw forbidden(me.role === 'ADMIN' ? 'Admins remove plain members only' : 'Only owners and admins remove members');
        }
        await deleteMembership(tx, target, me.parentalConsentGranted, ctx.requestTime);
        const kind = target.userId === user.id ? 'MEMBER_LEFT' : 'MEMBER_REMOVED';
        afterCommit(collectiveActivity({ collectiveId: target.collectiveId, kind, userId: target.userId, role: null, membershipId: target.id, occurredAt: ctx.requestTime }));
        return { target, session: await currentSession(ctx, tx) };
      });
      changed(ctx, { kind: 'role', userId: target.userId, collectiveId: target.collectiveId, role: null });
      changed(ctx, { kind: 'session', session });
      return {
        removedMembershipId: target.id,
        collectiveId: target.userId === user.id ? null : target.collectiveId,
        sessionId: session!.id,
      };
    },
  }),
);
