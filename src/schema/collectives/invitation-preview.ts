// What a landing page may show before sign-in: the invitation as the token's holder sees it,
// without any personal data (no ids, no inviter profile, no member list).
import { limitAttempt } from '../../rate-limit/limits.ts';
import { builder } from '../../builder.ts';
import { hashToken, looksLikeToken } from '../../auth/tokens.ts';
import type { AgeClass, CollectiveType, InvitationStatus } from '../../generated/prisma/client.ts';
import { AgeClassEnum, CollectiveTypeEnum, InvitationStatusEnum } from '../enums.ts';
import { effectiveStatus } from './invitation-status.ts';
import { viewerUserId } from '../../auth/caller.ts';

interface Preview {
  collectiveName: string;
  collectiveType: CollectiveType;
  inviterLabel: string;
  expiresAt: Date;
  status: InvitationStatus;
  ageClass: AgeClass | null;
  language: string;
}

const InvitationPreview = builder.objectRef<Preview>('InvitationPreview').implement({
  description: 'The public face of an invitation, for the page its link opens. Holds no personal data.',
  fields: (t) => ({
    collectiveName: t.exposeString('collectiveName'),
    collectiveType: t.expose('collectiveType', { type: CollectiveTypeEnum }),
    inviterLabel: t.exposeString('inviterLabel', {
      description: 'The label the inviter chose, or else the inviter\'s user type (PARENT or TEENAGER) for the client to render.',
    }),
    expiresAt: t.expose('expiresAt', { type: 'DateTime' }),
    status: t.expose('status', { type: InvitationStatusEnum, description: 'EXPIRED as soon as expiresAt has passed.' }),
    ageClass: t.expose('ageClass', { type: AgeClassEnum, nullable: true }),
    language: t.expose('language', { type: 'LanguageCode' }),
  }),
});

builder.queryField('invitationPreview', (t) =>
  t.field({
    authScopes: { public: true },
    type: InvitationPreview,
    nullable: true,
    description: 'Public (no sign-in). null for an unknown or malformed token, whatever the reason: nothing else is revealed.',
    args: { token: t.arg.string({ required: true }) },
    resolve: async (_root, { token }, ctx) => {
      // Before the token is looked at: malformed guesses count too.
      await limitAttempt(ctx, 'invitationPreview', viewerUserId(ctx));
      const trimmed = token.trim();
      if (!looksLikeToken(trimmed)) return null;
      const inv = await ctx.prisma.invitation.findUnique({
        where: { tokenHash: hashToken(trimmed) },
        select: {
          label: true,
          expiresAt: true,
          status: true,
          ageClass: true,
          language: true,
          collective: { select: { name: true, type: true } },
          inviter: { select: { userType: true } },
        },
      });
      if (!inv) return null;
      return {
        collectiveName: inv.collective.name,
        collectiveType: inv.collective.type,
        inviterLabel: inv.label ?? inv.inviter.userType,
        expiresAt: inv.expiresAt,
        status: effectiveStatus(inv, ctx.requestTime),
        ageClass: inv.ageClass,
        language: inv.language,
      };
    },
  }),
);
