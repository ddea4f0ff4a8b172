import { builder } from '../../builder.ts';
import { AgeClassEnum, InvitationStatusEnum } from '../enums.ts';
import { canSeeInvitation } from './auth.ts';
import { effectiveStatus } from './invitation-status.ts';
import { invitationGrant } from './invitations.ts';

builder.prismaNode('Invitation', {
  description: 'A link that admits new members to a collective with a given role and age class, until it expires, is revoked or is used up. Only the hash of its token is stored.',
  id: { field: 'id' },
  // Also readable where a field granted it: acceptInvitation's payload shows the accepted invitation to its acceptor.
  authScopes: async (invitation, ctx) => (await canSeeInvitation(invitation, ctx)) || { $granted: invitationGrant(invitation.id) },
  fields: (t) => ({
    ageClass: t.expose('ageClass', { type: AgeClassEnum, nullable: true }),
    language: t.expose('language', { type: 'LanguageCode' }),
    label: t.exposeString('label', { nullable: true }),
    usageLimit: t.exposeInt('usageLimit', { nullable: true, description: 'null means unlimited.' }),
    currentUses: t.exposeInt('currentUses'),
    status: t.field({
      type: InvitationStatusEnum,
      description: 'EXPIRED as soon as expiresAt has passed, even before a write records it.',
      resolve: (inv, _args, ctx) => effectiveStatus(inv, ctx.requestTime),
    }),
    createdAt: t.expose('createdAt', { type: 'DateTime' }),
    expiresAt: t.expose('expiresAt', { type: 'DateTime' }),
    acceptedAt: t.expose('acceptedAt', { type: 'DateTime', nullable: true }),
    collective: t.relation('collective'),
    inviter: t.relation('inviter'),
    acceptedBy: t.relation('acceptedBy', { nullable: true }),
  }),
});
