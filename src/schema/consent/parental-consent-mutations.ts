import { z } from 'zod';
import { builder } from '../../builder.ts';
import { actAs } from '../../context.ts';
import { forbidden, notFound } from '../../errors.ts';
import { refreshSessionScopes } from '../../consent/pipeline.ts';
import { decodedGlobalId, inTransaction, parseInput, signedIn } from '../mutation-helpers.ts';
import { AuthorizationRequestNode } from './authorization-request.ts';
import { UserNode } from '../users/user.ts';

const GrantParentalConsentInput = builder.inputType('GrantParentalConsentInput', {
  fields: (t) => ({
    teenagerId: t.globalID({ required: true, for: UserNode }),
    requestId: t.globalID({
      required: false,
      for: AuthorizationRequestNode,
      description: "The teenager's open request, when you do not manage a collective they belong to.",
    }),
  }),
});
const grantSchema = z.object({ teenagerId: decodedGlobalId('User'), requestId: decodedGlobalId('ParentalAuthorizationRequest').nullish() });

const GrantParentalConsentPayload = builder.objectRef<{ parentId: string; teenagerId: string }>('GrantParentalConsentPayload').implement({
  fields: (t) => ({
    parentalConsent: t.prismaField({
      type: 'ParentalConsent',
      resolve: (q, p, _a, ctx) =>
        ctx.prisma.parentalConsent.findUniqueOrThrow({ ...q, where: { parentId_teenagerId: { parentId: p.parentId, teenagerId: p.teenagerId } } }),
    }),
    teenager: t.prismaField({ type: 'User', resolve: (q, p, _a, ctx) => ctx.prisma.user.findUniqueOrThrow({ ...q, where: { id: p.teenagerId } }) }),
  }),
});

const RevokeParentalConsentInput = builder.inputType('RevokeParentalConsentInput', {
  fields: (t) => ({ teenagerId: t.globalID({ required: true, for: UserNode }) }),
});
const revokeSchema = z.object({ teenagerId: decodedGlobalId('User') });

const RevokeParentalConsentPayload = builder.objectRef<{ teenagerId: string; revoked: boolean }>('RevokeParentalConsentPayload').implement({
  fields: (t) => ({
    teenagerId: t.globalID({ resolve: (p) => ({ type: 'User', id: p.teenagerId }) }),
    revoked: t.exposeBoolean('revoked', { description: 'False when there was no consent of yours to revoke.' }),
  }),
});

builder.mutationFields((t) => ({
  grantParentalConsent: t.field({
    authScopes: { session: 'FULL' },
    type: GrantParentalConsentPayload,
    description:
      "A parent consents for a teenager: as OWNER or ADMIN of a collective the teenager belongs to, or by resolving the teenager's open request. Idempotent. The teenager's live sessions move to FULL.",
    args: { input: t.arg({ type: GrantParentalConsentInput, required: true }) },
    resolve: async (_root, args, ctx) => {
      const { user: parent } = signedIn(ctx);
      if (parent.userType !== 'PARENT') throw forbidden('Only parents give parental consent');
      const input = parseInput(grantSchema, args.input);
      const teenagerId = input.teenagerId.id;
      await inTransaction(ctx, async (tx) => {
        const teen = await tx.user.findUnique({ where: { id: teenagerId }, select: { userType: true, memberships: { select: { collectiveId: true } } } });
        const manages = !!teen && teen.memberships.some((m) => ['OWNER', 'ADMIN'].includes(ctx.viewer.kind === 'user' ? (ctx.viewer.roles.get(m.collectiveId) ?? '') : ''));
        const request = input.requestId
          ? await tx.parentalAuthorizationRequest.findFirst({
              where: { id: input.requestId.id, teenagerId, status: 'PENDING', OR: [{ parentId: null }, { parentId: parent.id }] },
              select: { id: true },
            })
          : null;
        const already = ctx.viewer.kind === 'user' && ctx.viewer.consentedFor.has(teenagerId);
        // A teenager the parent may not act for looks exactly like one that does not exist.
        if (!teen || teen.userType !== 'TEENAGER' || (!manages && !request && !already)) throw notFound();
        await tx.parentalConsent.upsert({
          where: { parentId_teenagerId: { parentId: parent.id, teenagerId } },
          create: { parentId: parent.id, teenagerId, consentIp: ctx.clientIp },
          update: {},
        });
        // The teenager's open requests are answered: consent now exists.
        await tx.parentalAuthorizationRequest.updateMany({
          where: { teenagerId, status: 'PENDING' },
          data: { status: 'GRANTED', resolvedAt: ctx.requestTime, parentId: parent.id },
        });
        await refreshSessionScopes(tx, [teenagerId], ctx.requestTime);
      });
      if (ctx.viewer.kind === 'user') actAs(ctx, { ...ctx.viewer, consentedFor: new Set([...ctx.viewer.consentedFor, teenagerId]) });
      return { parentId: parent.id, teenagerId };
    },
  }),
  revokeParentalConsent: t.field({
    authScopes: { session: 'FULL' },
    type: RevokeParentalConsentPayload,
    description:
      "Withdraws your consent for a teenager. Their live sessions go back to PENDING_CONSENT unless another consent or a collective that grants it remains.",
    args: { input: t.arg({ type: RevokeParentalConsentInput, required: true }) },
    resolve: async (_root, args, ctx) => {
      const { user: parent } = signedIn(ctx);
      const teenagerId = parseInput(revokeSchema, args.input).teenagerId.id;
      const revoked = await inTransaction(ctx, async (tx) => {
        const { count } = await tx.parentalConsent.deleteMany({ where: { parentId: parent.id, teenagerId } });
        if (count) await refreshSessionScopes(tx, [teenagerId], ctx.requestTime);
        return count > 0;
      });
      if (ctx.viewer.kind === 'user') {
        const consentedFor = new Set(ctx.viewer.consentedFor);
        consentedFor.delete(teenagerId);
        actAs(ctx, { ...ctx.viewer, consentedFor });
      }
      return { teenagerId, revoked };
    },
  }),
}));
