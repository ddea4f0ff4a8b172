import { builder } from '../../builder.ts';
import { MembershipRoleEnum } from '../enums.ts';
import { canSeeMembership } from './auth.ts';

builder.prismaNode('CollectiveMembership', {
  description: 'One user\'s membership of one collective, with their role. Seen by the member, fellow members and operators holding collectives:read.',
  id: { field: 'id' },
  authScopes: (membership, ctx) => canSeeMembership(membership, ctx),
  fields: (t) => ({
    role: t.expose('role', { type: MembershipRoleEnum }),
    createdAt: t.expose('createdAt', { type: 'DateTime' }),
    // The member's profile follows the User rules: owners and admins see it, plain members do not.
    user: t.relation('user'),
    collective: t.relation('collective'),
  }),
});
