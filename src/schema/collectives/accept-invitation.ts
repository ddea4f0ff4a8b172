import { limitAttempt } from '../../rate-limit/limits.ts';
import { z } from 'zod';
import { builder } from '../../builder.ts';
import { hashToken, looksLikeToken } from '../../auth/tokens.ts';
import { refreshSessionScopes } from '../../consent/rules.ts';
import { forbidden, notFound } from '../../errors.ts';
import { ageClassFits, consumeUse, invitationGrant, unusableReason } from './invitations.ts';
import type { AgeClass, UserType } from '../../generated/prisma/client.ts';
import { afterCommit } from '../../events/after-commit.ts';
import { collectiveActivity } from '../../events/topics.ts';
import { changed, currentSession, signedIn } from '../../auth/caller.ts';
import { inTransaction } from '../../db/transaction.ts';
import { check } from '../../input/fields.ts';

const AcceptInvitationInput = builder.inputType('AcceptInvitationInput', {
  description: 'Input of acceptInvitation: the invitation token from the invitation link.',
  fields: (t) => ({
    token: t.string({ required: true, description: 'The token from the shared link.', validate: check(z.string().trim()) }),
  }),
});

interface Result {
  membershipId: string;
  invitationId: string;
  sessionId: string;
  alreadyMember: boolean;
}

const AcceptInvitationPayload = builder.objectRef<Result>('AcceptInvitationPayload').implement({
  description: 'Result of acceptInvitation: your membership of the collective (alreadyMember when you already were one) and your session.',
  fields: (t) => ({
    membership: t.prismaField({
      type: 'CollectiveMembership',
      description: 'Your membership in the invitation\'s collective (MEMBER when new).',
      resolve: (query, p, _a, ctx) => ctx.prisma.collectiveMembership.findUniqueOrThrow({ ...query, where: { id: p.membershipId } }),
    }),
    invitation: t.prismaField({
      type: 'Invitation',
      description: 'The invitation you accepted. Holding its token lets you read it here even though invitations are otherwise for owners, admins and the inviter.',
      // Honoured by the Invitation type's authScopes ($granted): this object only, through this field only.
      grantScopes: (p) => [invitationGrant(p.invitationId)],
      resolve: (query, p, _a, ctx) => ctx.prisma.invitation.findUniqueOrThrow({ ...query, where: { id: p.invitationId } }),
    }),
    session: t.prismaField({
      type: 'AppSession',
      description: 'Your session, FULL when the collective grants parental consent.',
      resolve: (query, p, _a, ctx) => ctx.prisma.appSession.findUniqueOrThrow({ ...query, where: { id: p.sessionId } }),
    }),
    alreadyMember: t.exposeBoolean('alreadyMember', {
      description: 'You were already a member: nothing changed and no use of the invitation was consumed.',
    }),
  }),
});

builder.mutationField('acceptInvitation', (t) =>
  t.field({
    authScopes: { session: 'PENDING_CONSENT' },
    type: AcceptInvitationPayload,
    description:
      'Joins the invitation\'s collective as MEMBER, consuming one use. Allowed from PENDING_CONSENT: a teenager joining a ' +
      'collective that grants parental consent goes FULL at once. Errors: NOT_FOUND (unknown token), INVITATION_EXPIRED, ' +
      'INVITATION_REVOKED, INVITATION_EXHAUSTED, FORBIDDEN (the invitation\'s age class does not fit you: teenagers CHILD, PRETEEN or TEENAGER, ' +
      'parents ADULT, and your own age class when you have one). Accepting a collective ' +
      'you already belong to succeeds with alreadyMember and consumes nothing.',
    args: { input: t.arg({ type: AcceptInvitationInput, required: true }) },
    resolve: async (_root, args, ctx) => {
      const { user } = signedIn(ctx);
      // Trimmed on its field; a token of the wrong shape is NOT_FOUND below, after the rate limit.
      const { token } = args.input;
      await limitAttempt(ctx, 'acceptInvitation', user.id);
      // An unknown token and a malformed one are the same NOT_FOUND; junk costs no round trip.
      if (!looksLikeToken(token)) throw notFound();
      const now = ctx.requestTime;
      // A concurrent accept by the same user that commits first makes this run's insert a unique
      // violation: the run (and its consumed use) rolls back, and the next finds the membership.
      const result = await inTransaction(
        ctx,
        async (tx) => {
          const inv = await tx.invitation.findUnique({
            where: { tokenHash: hashToken(token) },
            select: { id: true, collectiveId: true, ageClass: true, language: true },
          });
          if (!inv) throw notFound();
          const existing = await tx.collectiveMembership.findUnique({
            where: { userId_collectiveId: { userId: user.id, collectiveId: inv.collectiveId } },
            select: { id: true, role: true },
          });
          if (existing) {
            // Idempotent: a retried or repeated accept finds the membership and consumes nothing.
            return { inv, membership: existing, alreadyMember: true, filled: {}, session: await currentSession(ctx, tx) };
          }
          // Locked: two accepts of invitations for different age classes must not both find no
          // age class and both join (the second waits, then sees the first one's).
          const [me] = await tx.$queryRaw<{ language: string | null; ageClass: AgeClass | null; userType: UserType }[]>`
            SELECT language, age_class::text AS "ageClass", user_type::text AS "userType"
            FROM app."user" WHERE id = ${user.id}::uuid FOR UPDATE`;
          if (!me) throw notFound();
          // Before any write: a refused accept consumes nothing.
          if (inv.ageClass && !ageClassFits(inv.ageClass, me)) {
            throw forbidden('This invitation is for someone of another age class');
          }
          // The consent flag cannot change until this transaction ends (setCollectiveParentalConsent
          // updates the row): the scope computed below is the one that holds at commit.
          const [collective] = await tx.$queryRaw<{ parentalConsentGranted: boolean }[]>`
            SELECT parental_consent_granted AS "parentalConsentGranted"
            FROM app.collective WHERE id = ${inv.collectiveId}::uuid FOR SHARE`;
          if (!(await consumeUse(tx, inv.id, user.id, now))) {
            const state = await tx.invitation.findUniqueOrThrow({
              where: { id: inv.id },
              select: { status: true, expiresAt: true, usageLimit: true, currentUses: true },
            });
            throw unusableReason(state, now) ?? notFound();
          }
          // A concurrent accept by the same user that committed first: unique violation (see above).
          const membership = await tx.collectiveMembership.create({
            data: { userId: user.id, collectiveId: inv.collectiveId, role: 'MEMBER' },
            select: { id: true, role: true },
          });
          // A profile without a language (or age class) takes the invitation's; never overwritten.
          const filled = {
            ...(me.language ? {} : { language: inv.language }),
            ...(!me.ageClass && inv.ageClass ? { ageClass: inv.ageClass } : {}),
          };
          if (Object.keys(filled).length > 0) await tx.user.update({ where: { id: user.id }, data: filled, select: { id: true } });
          if (collective?.parentalConsentGranted) await refreshSessionScopes(tx, [user.id], now);
          afterCommit(
            collectiveActivity({ collectiveId: inv.collectiveId, kind: 'MEMBER_JOINED', userId: user.id, role: membership.role, membershipId: membership.id, invitationId: inv.id, occurredAt: now }),
          );
          return { inv, membership, alreadyMember: false, filled, session: await currentSession(ctx, tx) };
        },
        { retryOnUniqueViolation: true },
      );
      changed(ctx, { kind: 'role', userId: user.id, collectiveId: result.inv.collectiveId, role: result.membership.role });
      changed(ctx, { kind: 'session', session: result.session });
      // The rest of this request sees the profile this transaction wrote.
      changed(ctx, { kind: 'profile', user: result.filled });
      return {
        membershipId: result.membership.id,
        invitationId: result.inv.id,
        sessionId: result.session!.id,
        alreadyMember: result.alreadyMember,
      };
    },
  }),
);
