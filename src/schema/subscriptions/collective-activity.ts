// collectiveActivity: membership changes of one collective (a member joined through an invitation,
// left, was removed, changed role), for its OWNERs and ADMINs. The event names ids; each field
// below reads its object as the subscriber, through that type's own rules.
import { builder } from '../../builder.ts';
import type { CollectiveActivity } from '../../events/topics.ts';
import { MembershipRoleEnum } from '../enums.ts';
import { isManagerOf, MANAGER_ROLES, refreshCaller, signedIn } from '../../auth/caller.ts';
import { CollectiveNode } from '../collectives/collective.ts';
import { rowId } from '../../input/fields.ts';
import { isUuid } from '../../visibility.ts';

const CollectiveActivityKindEnum = builder.enumType('CollectiveActivityKind', {
  description: 'What changed in a collective membership (collectiveActivity events).',
  values: {
    MEMBER_JOINED: { description: 'Someone joined by accepting an invitation (`invitation` is set).' },
    MEMBER_LEFT: { description: 'A member left (leaveCollective, or removed themselves).' },
    MEMBER_REMOVED: { description: 'An owner or admin removed a member.' },
    ROLE_CHANGED: { description: "A member's role changed (`role` is the new one)." },
  } as const,
});

const CollectiveActivityRef = builder.objectRef<CollectiveActivity>('CollectiveActivity').implement({
  description: "One change in a collective's membership.",
  fields: (t) => ({
    kind: t.field({ type: CollectiveActivityKindEnum, resolve: (a) => a.kind }),
    occurredAt: t.field({ type: 'DateTime', resolve: (a) => new Date(a.occurredAt) }),
    collective: t.prismaField({
      type: 'Collective',
      resolve: (query, a, _args, ctx) => ctx.prisma.collective.findUniqueOrThrow({ ...query, where: { id: a.collectiveId } }),
    }),
    member: t.prismaField({
      type: 'User',
      nullable: true,
      description: 'The member concerned, as you may see them; null once their account is gone (deleted before the event reached you).',
      resolve: (query, a, _args, ctx) => ctx.prisma.user.findUnique({ ...query, where: { id: a.userId } }),
    }),
    role: t.field({ type: MembershipRoleEnum, nullable: true, description: 'Their role after the change; null once they are no longer a member.', resolve: (a) => a.role }),
    membership: t.prismaField({
      type: 'CollectiveMembership',
      nullable: true,
      description: 'The membership as it is now; null once it is gone (left, removed).',
      resolve: (query, a, _args, ctx) => ctx.prisma.collectiveMembership.findUnique({ ...query, where: { id: a.membershipId } }),
    }),
    invitation: t.prismaField({
      type: 'Invitation',
      nullable: true,
      description: 'The invitation accepted (MEMBER_JOINED); null otherwise.',
      resolve: (query, a, _args, ctx) => (a.invitationId ? ctx.prisma.invitation.findUnique({ ...query, where: { id: a.invitationId } }) : null),
    }),
  }),
});


/**
 * The collective's raw id from the argument (decoded and type-checked by relay; the scope is
 * evaluated before the argument's own rule): '' (no collective) when it is not a UUID, so the
 * scope refuses it like any collective the caller does not manage.
 */
const collectiveIdOf = (args: { collectiveId?: { id?: unknown } | null }) => {
  const id = args?.collectiveId?.id;
  return typeof id === 'string' && isUuid(id) ? id.toLowerCase() : '';
};

builder.subscriptionField('collectiveActivity', (t) =>
  t.field({
    type: CollectiveActivityRef,
    description:
      "Membership changes of a collective you are OWNER or ADMIN of, from now on, whichever instance made them. FORBIDDEN " +
      'for anyone else (a missing collective answers the same). Checked again before every event: the subscription ' +
      'completes when you stop being OWNER or ADMIN there or your session ends.',
    args: { collectiveId: t.arg.globalID({ for: CollectiveNode, required: true, validate: rowId('Collective') }) },
    authScopes: (_root, rawArgs) => ({ collectiveRole: { collectiveId: collectiveIdOf(rawArgs), roles: MANAGER_ROLES } }),
    subscribe: async (_root, { collectiveId }, ctx) => {
      const { user } = signedIn(ctx);
      return ctx.events.stream<CollectiveActivity>(
        [
          { topic: 'collectiveActivity', id: collectiveId.id },
          { topic: 'sessionsChanged', id: user.id },
        ],
        async (delivery) => {
          if (!(await refreshCaller(ctx)) || !isManagerOf(ctx, collectiveId.id)) return 'end';
          return delivery.topic === 'collectiveActivity' ? [delivery.payload] : [];
        },
      );
    },
    resolve: (activity) => activity,
  }),
);
