import { builder } from '../../builder.ts';
import { MembershipRoleEnum } from '../enums.ts';
import { canSeeMembership } from './auth.ts';
import { canSeeUser } from '../users/auth.ts';

builder.prismaNode('CollectiveMembership', {
  description: 'One user\'s membership of one collective, with their role. Seen by the member, fellow members and operators holding collectives:read.',
  id: { field: 'id' },
  authScopes: (membership, ctx) => canSeeMembership(membership, ctx),
  fields: (t) => ({
    role: t.expose('role', { type: MembershipRoleEnum }),
    createdAt: t.expose('createdAt', { type: 'DateTime' }),
    // A plain member sees the whole member list (role, since when) but not every member's
    // profile: null there, rather than a FORBIDDEN that would null the whole list.
    user: t.relation('user', {
      nullable: true,
      description:
        "The member's profile, or null when you may not see it (User's rules): yourself, every member for the collective's OWNER and ADMIN, a teenager you gave parental consent for, everyone with users:read. A plain MEMBER sees the other members' role and createdAt only.",
      authScopes: (membership, _args, ctx) => canSeeUser({ id: membership.userId }, ctx),
      unauthorizedResolver: () => null,
    }),
    collective: t.relation('collective'),
  }),
});
