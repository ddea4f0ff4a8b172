import { builder } from '../../builder.ts';
import { notFound } from '../../errors.ts';
import { InvitationRef } from './rules.ts';
import { inTransaction } from '../../db/transaction.ts';
import { MANAGER_ROLES, signedIn } from '../../auth/caller.ts';
import { rowId } from '../../input/fields.ts';

const RevokeInvitationInput = builder.inputType('RevokeInvitationInput', {
  description: 'Input of revokeInvitation.',
  fields: (t) => ({
    invitationId: t.globalID({ for: InvitationRef, required: true, validate: rowId('Invitation') }),
  }),
});

const RevokeInvitationPayload = builder.objectRef<{ invitationId: string }>('RevokeInvitationPayload').implement({
  description: 'Result of revokeInvitation: the invitation, now REVOKED.',
  fields: (t) => ({
    invitation: t.prismaField({
      type: 'Invitation',
      resolve: (query, p, _a, ctx) => ctx.prisma.invitation.findUniqueOrThrow({ ...query, where: { id: p.invitationId } }),
    }),
  }),
});

builder.mutationField('revokeInvitation', (t) =>
  t.field({
    authScopes: { session: 'FULL' },
    type: RevokeInvitationPayload,
    description:
      'Makes an invitation unusable: status REVOKED (also for an expired one). Idempotent: a revoked invitation stays as it ' +
      'is, and a fully used one (ACCEPTED) keeps its status since no use is left to revoke. Owners and admins of the ' +
      'collective, and the inviter.',
    args: { input: t.arg({ type: RevokeInvitationInput, required: true }) },
    resolve: async (_root, args, ctx) => {
      const { user } = signedIn(ctx);
      const input = { invitationId: args.input.invitationId.id };
      await inTransaction(ctx, async (tx) => {
        // Found only when it is yours to revoke (its inviter, or an OWNER or ADMIN of its collective):
        // plain members and strangers do not see invitations, and a hidden one costs the one
        // statement a missing one does.
        const inv = await tx.invitation.findFirst({
          where: {
            id: input.invitationId,
            OR: [{ inviterId: user.id }, { collective: { memberships: { some: { userId: user.id, role: { in: [...MANAGER_ROLES] } } } } }],
          },
          select: { id: true },
        });
        if (!inv) throw notFound();
        // Conditional: an accept that takes the last use concurrently wins, and ACCEPTED stays.
        await tx.invitation.updateMany({
          where: { id: input.invitationId, status: { in: ['PENDING', 'ACTIVE', 'EXPIRED'] } },
          data: { status: 'REVOKED' },
        });
      });
      return { invitationId: input.invitationId };
    },
  }),
);
