import { limitAttempt } from '../../rate-limit/limits.ts';
import { builder } from '../../builder.ts';
import { appError, badInput, ErrorCode, forbidden, notFound } from '../../errors.ts';
import { refreshSessionScopes } from '../../consent/rules.ts';
import { checkConsentCode, type CodeCheck } from '../../consent/grant-with-code.ts';
import { isVerifiedAdult } from '../../consent/verified-adult.ts';
import { rowId } from '../../input/fields.ts';
import { AuthorizationRequestNode } from './authorization-request.ts';
import { UserNode } from '../users/user.ts';
import { isVisible } from '../../visibility.ts';
import { changed, signedIn } from '../../auth/caller.ts';
import { managesMemberOf } from '../collectives/rules.ts';
import { inTransaction } from '../../db/transaction.ts';

const GrantParentalConsentInput = builder.inputType('GrantParentalConsentInput', {
  description: 'Input of grantParentalConsent: the teenager, the request and the one-time code the parent received by mail.',
  fields: (t) => ({
    teenagerId: t.globalID({ required: true, for: UserNode, validate: rowId('User') }),
    requestId: t.globalID({
      required: false,
      for: AuthorizationRequestNode,
      validate: rowId('ParentalAuthorizationRequest'),
      description: "The teenager's open request, when you do not manage a collective they belong to (from the link in the mail).",
    }),
    code: t.string({
      required: false,
      description:
        'With requestId: the one-time code mailed to the parent contact (10 characters; case, spaces and hyphens ignored). Five wrong codes lock the request.',
      validate: { maxLength: [64, { message: 'at most 64 characters' }] },
    }),
  }),
});

const GrantParentalConsentPayload = builder.objectRef<{ parentId: string; teenagerId: string }>('GrantParentalConsentPayload').implement({
  description: 'Result of grantParentalConsent: the consent given and the teenager it unblocks.',
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
  description: 'Input of revokeParentalConsent: the teenager whose consent you withdraw.',
  fields: (t) => ({ teenagerId: t.globalID({ required: true, for: UserNode, validate: rowId('User') }) }),
});

const RevokeParentalConsentPayload = builder.objectRef<{ teenagerId: string; revoked: boolean }>('RevokeParentalConsentPayload').implement({
  description: 'Result of revokeParentalConsent: whether a consent was revoked, and the teenager for client caches.',
  fields: (t) => ({
    teenagerId: t.globalID({ resolve: (p) => ({ type: 'User', id: p.teenagerId }) }),
    teenager: t.prismaField({
      type: 'User',
      nullable: true,
      description:
        'The teenager after the change, so a client cache updates without a refetch; null when you can no longer see them (no collective shared with them).',
      resolve: async (q, p, _a, ctx) => {
        const row = await ctx.prisma.user.findUnique({ ...q, where: { id: p.teenagerId } });
        return row && (await isVisible('User', row, ctx)) ? row : null;
      },
    }),
    revoked: t.exposeBoolean('revoked', { description: 'False when there was no consent of yours to revoke.' }),
  }),
});

builder.mutationFields((t) => ({
  grantParentalConsent: t.field({
    authScopes: { session: 'FULL' },
    type: GrantParentalConsentPayload,
    description:
      "A parent consents for a teenager: as OWNER or ADMIN of a collective the teenager belongs to, or with the teenager's open request and the one-time code mailed for it. Idempotent. The teenager's live sessions move to FULL. " +
      'Errors: NOT_FOUND (no such teenager or request for you), BAD_USER_INPUT (requestId without code), CONSENT_CODE_INVALID (extensions.attemptsLeft), ' +
      'CONSENT_REQUEST_LOCKED (five wrong codes), CONSENT_CODE_EXPIRED; after the last two the teenager asks again.',
    args: { input: t.arg({ type: GrantParentalConsentInput, required: true }) },
    resolve: async (_root, args, ctx) => {
      const { user: parent } = signedIn(ctx);
      if (!isVerifiedAdult(parent)) throw forbidden('Only parents give parental consent');
      const input = args.input;
      const teenagerId = input.teenagerId.id;
      // Code attempts (a request id given) are budgeted per parent and per address, on top of the
      // request's own lock after five wrong codes: guessing across many requests is slowed too.
      if (input.requestId) await limitAttempt(ctx, 'consentCode', parent.id);
      // A wrong code must be counted even though the grant fails: the transaction returns the
      // refusal, commits the count, and the error is raised after it.
      const refusal = await inTransaction(ctx, async (tx): Promise<CodeCheck | null> => {
        const teen = await tx.user.findUnique({ where: { id: teenagerId }, select: { userType: true } });
        // What entitles this parent, read here rather than from the caller's facts loaded when the
        // request began: a demotion, removal or revocation that committed since then counts, and
        // one racing this grant waits for its commit (rows held FOR SHARE).
        const manages = await managesMemberOf(tx, parent.id, teenagerId);
        const already = (await tx.parentalConsent.count({ where: { parentId: parent.id, teenagerId } })) > 0;
        const isTeen = teen?.userType === 'TEENAGER';
        if (!isTeen || (!manages && !already)) {
          // Through a request: knowing its id (the teenager has it) is not enough, the mailed code is.
          if (!input.requestId) throw notFound();
          // Checked whoever the id names: only a teenager has requests, so a missing user or a
          // non-teenager finds none ('missing'), after the statements an unrelated teenager costs.
          // A teenager the parent may not act for looks exactly like one that does not exist.
          const check = await checkConsentCode(tx, { requestId: input.requestId.id, teenagerId, parentId: parent.id, code: input.code ?? null, now: ctx.requestTime });
          if (check.outcome === 'missing' || !isTeen) throw notFound();
          if (check.outcome === 'noCode') throw badInput('input.code: the code from the mail sent to the parent is required', { issues: [{ path: 'input.code', message: 'required with requestId' }] });
          if (check.outcome !== 'valid') return check;
        }
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
        return null;
      });
      if (refusal?.outcome === 'wrong') {
        throw appError(ErrorCode.CONSENT_CODE_INVALID, 'That is not the code mailed for this request', { attemptsLeft: refusal.attemptsLeft });
      }
      if (refusal?.outcome === 'locked') {
        throw appError(ErrorCode.CONSENT_REQUEST_LOCKED, 'Too many wrong codes: this request is locked. The teenager can ask again for a new code.', { nextStep: 'REQUEST_AGAIN' });
      }
      if (refusal?.outcome === 'expired') {
        throw appError(ErrorCode.CONSENT_CODE_EXPIRED, 'This code has expired. The teenager can ask again for a new code.', { nextStep: 'REQUEST_AGAIN' });
      }
      changed(ctx, { kind: 'parentalConsent', teenagerId, given: true });
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
      const teenagerId = args.input.teenagerId.id;
      const revoked = await inTransaction(ctx, async (tx) => {
        const { count } = await tx.parentalConsent.deleteMany({ where: { parentId: parent.id, teenagerId } });
        if (count) await refreshSessionScopes(tx, [teenagerId], ctx.requestTime);
        return count > 0;
      });
      changed(ctx, { kind: 'parentalConsent', teenagerId, given: false });
      return { teenagerId, revoked };
    },
  }),
}));
