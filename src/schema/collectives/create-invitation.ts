import { z } from 'zod';
import { builder } from '../../builder.ts';
import { generateToken, hashToken } from '../../auth/tokens.ts';
import { forbidden, notFound } from '../../errors.ts';
import { AgeClassEnum } from '../enums.ts';
import { CollectiveNode } from './collective.ts';
import { displayName } from './rules.ts';
import { check, rowId } from '../../input/fields.ts';
import { MAX_INVITATION_TTL_MS, MAX_USAGE_LIMIT, shareUrlFor, usageLimitFor } from './invitations.ts';
import { inTransaction } from '../../db/transaction.ts';
import { parseInput } from '../arguments.ts';
import { isManagerRole, signedIn } from '../../auth/caller.ts';

const CreateInvitationInput = builder.inputType('CreateInvitationInput', {
  description: 'Input of createInvitation: the collective, the age class it admits, its label and language, its usage limit and expiry.',
  fields: (t) => ({
    collectiveId: t.globalID({ for: CollectiveNode, required: true, validate: rowId('Collective') }),
    ageClass: t.field({
      type: AgeClassEnum,
      required: false,
      description: 'Only a user of this age class (or of none yet, who then gets it) can accept. Such an invitation is for one child: usageLimit defaults to 1.',
    }),
    language: t.field({ type: 'LanguageCode', required: true, description: 'Becomes the language of an accepting user who has none.' }),
    label: t.string({ required: false, description: 'Shown on the invitation\'s landing page instead of a generic label, e.g. "Mum". Trimmed; 1 to 120 characters.', validate: check(displayName) }),
    usageLimit: t.int({
      required: false,
      description: `How many people can accept: 1 to ${MAX_USAGE_LIMIT}; null means unlimited. Omitted: unlimited, or 1 with an ageClass.`,
      validate: { min: 1, max: MAX_USAGE_LIMIT },
    }),
    expiresAt: t.field({
      type: 'DateTime',
      required: false,
      description: 'In the future and at most 90 days away. Default: the configured invitation lifetime (7 days).',
    }),
  }),
});

/**
 * The one rule of this input that depends on the clock (the request's time), so it stays here; the
 * fields' own rules (label, usageLimit) ran before the resolver, ageClass and language are typed.
 */
const expiresAtSchema = (now: Date) =>
  z.object({
    expiresAt: z
      .date()
      .min(new Date(now.getTime() + 1), 'must be in the future')
      .max(new Date(now.getTime() + MAX_INVITATION_TTL_MS), 'must be at most 90 days away')
      .nullish(),
  });

interface Result {
  invitationId: string;
  token: string;
  shareUrl: string;
}

const CreateInvitationPayload = builder.objectRef<Result>('CreateInvitationPayload').implement({
  description: 'Result of createInvitation: the invitation, its token (shown this once: only its hash is stored) and the link to share.',
  fields: (t) => ({
    invitation: t.prismaField({
      type: 'Invitation',
      resolve: (query, p, _a, ctx) => ctx.prisma.invitation.findUniqueOrThrow({ ...query, where: { id: p.invitationId } }),
    }),
    token: t.exposeString('token', { description: 'The invitation token. Shown once: only its hash is stored.' }),
    shareUrl: t.exposeString('shareUrl', { description: 'The link to share: PUBLIC_BASE_URL/invitations/<token>.' }),
  }),
});

builder.mutationField('createInvitation', (t) =>
  t.field({
    authScopes: { session: 'FULL' },
    type: CreateInvitationPayload,
    description: 'Creates an invitation to a collective you own or administer, and returns its token once.',
    args: { input: t.arg({ type: CreateInvitationInput, required: true }) },
    resolve: async (_root, args, ctx) => {
      const { user } = signedIn(ctx);
      const now = ctx.requestTime;
      const { expiresAt } = parseInput(expiresAtSchema(now), { expiresAt: args.input.expiresAt });
      const input = { ...args.input, expiresAt, collectiveId: args.input.collectiveId.id };
      const token = generateToken();
      const invitation = await inTransaction(ctx, async (tx) => {
        const mine = await tx.collectiveMembership.findUnique({
          where: { userId_collectiveId: { userId: user.id, collectiveId: input.collectiveId } },
          select: { role: true },
        });
        if (!mine) throw notFound();
        if (!isManagerRole(mine.role)) throw forbidden('Only owners and admins can invite');
        return tx.invitation.create({
          data: {
            collectiveId: input.collectiveId,
            inviterId: user.id,
            tokenHash: hashToken(token),
            ageClass: input.ageClass ?? null,
            language: input.language,
            label: input.label ?? null,
            // Omitted and null differ here: see usageLimitFor.
            usageLimit: usageLimitFor(input.ageClass, input.usageLimit),
            status: 'PENDING',
            expiresAt: input.expiresAt ?? new Date(now.getTime() + ctx.config.invitationTtlMs),
          },
          select: { id: true },
        });
      });
      return { invitationId: invitation.id, token, shareUrl: shareUrlFor(ctx.config, token) };
    },
  }),
);
