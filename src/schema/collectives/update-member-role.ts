import { afterCommit } from '../../events/after-commit.ts';
import { collectiveActivity } from '../../events/topics.ts';
import { builder } from '../../builder.ts';
import { forbidden } from '../../errors.ts';
import { MembershipRoleEnum } from '../enums.ts';
import { lastOwner, lockMembershipWithActor, mayManage, MembershipRef, ownerCount } from './rules.ts';
import { inTransaction } from '../../db/transaction.ts';
import { changed, signedIn } from '../../auth/caller.ts';
import { rowId } from '../../input/fields.ts';

const UpdateMemberRoleInput = builder.inputType('UpdateMemberRoleInput', {
  description: 'Input of updateMemberRole: the membership and its new role.',
  fields: (t) => ({
    membershipId: t.globalID({ for: MembershipRef, required: true, validate: rowId('CollectiveMembership') }),
    role: t.field({ type: MembershipRoleEnum, required: true }),
  }),
});

const UpdateMemberRolePayload = builder.objectRef<{ membershipId: string }>('UpdateMemberRolePayload').implement({
  description: 'Result of updateMemberRole: the membership with its new role.',
  fields: (t) => ({
    membership: t.prismaField({
      type: 'CollectiveMembership',
      resolve: (query, p, _a, ctx) => ctx.prisma.collectiveMembership.findUniqueOrThrow({ ...query, where: { id: p.membershipId } }),
    }),
  }),
});

builder.mutationField('updateMemberRole', (t) =>
  t.field({
    authScopes: { session: 'FULL' },
    type: UpdateMemberRolePayload,
    description:
      'Changes a member\'s role. Owners manage everyone; admins manage plain members only (they may make a member ADMIN, ' +
      'never OWNER, and may step down to MEMBER themselves). The last owner cannot be demoted: LAST_OWNER.',
    args: { input: t.arg({ type: UpdateMemberRoleInput, required: true }) },
    resolve: async (_root, args, ctx) => {
      const { user } = signedIn(ctx);
      // role is checked by its enum; nothing else in the input has a rule of its own.
      const input = { role: args.input.role, membershipId: args.input.membershipId.id };
      const target = await inTransaction(ctx, async (tx) => {
        const { me, target } = await lockMembershipWithActor(tx, input.membershipId, user.id);
        const self = target.userId === user.id;
        if (self && target.role === input.role) return target;
        const allowed =
          me.role === 'OWNER' ||
          (me.role === 'ADMIN' && input.role !== 'OWNER' && (mayManage(me.role, target.role) || (self && input.role === 'MEMBER')));
        if (!allowed) {
          throw forbidden(me.role === 'ADMIN' ? 'Admins manage plain members only and cannot make owners' : 'Only owners and admins manage roles');
        }
        if (target.role === input.role) return target;
        if (target.role === 'OWNER' && (await ownerCount(tx, target.collectiveId)) <= 1) {
          throw lastOwner();
        }
        const updated = await tx.collectiveMembership.update({
          where: { id: target.id },
          data: { role: input.role },
          select: { id: true, userId: true, collectiveId: true, role: true },
        });
        afterCommit(
          collectiveActivity({ collectiveId: updated.collectiveId, kind: 'ROLE_CHANGED', userId: updated.userId, role: updated.role, membershipId: updated.id, occurredAt: ctx.requestTime }),
        );
        return updated;
      });
      changed(ctx, { kind: 'role', userId: target.userId, collectiveId: target.collectiveId, role: target.role });
      return { membershipId: target.id };
    },
  }),
);
