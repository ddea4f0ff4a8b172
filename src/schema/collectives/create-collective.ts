import { builder } from '../../builder.ts';
import { forbidden, notFound } from '../../errors.ts';
import { CollectiveTypeEnum } from '../enums.ts';
import { CollectiveNode } from './collective.ts';
import { displayName } from './rules.ts';
import { inTransaction } from '../../db/transaction.ts';
import { changed, isManagerRole, signedIn } from '../../auth/caller.ts';
import { check, rowId } from '../../input/fields.ts';

const CreateCollectiveInput = builder.inputType('CreateCollectiveInput', {
  description: 'Input of createCollective: its name, type and optional parent collective.',
  fields: (t) => ({
    name: t.string({ required: true, description: 'Trimmed; 1 to 120 characters.', validate: check(displayName) }),
    type: t.field({ type: CollectiveTypeEnum, required: true }),
    parentId: t.globalID({
      validate: rowId('Collective'),
      for: CollectiveNode,
      required: false,
      description: 'Makes the new collective a child of this one (e.g. a class in a school): you must be its OWNER or ADMIN.',
    }),
  }),
});

interface Result {
  collectiveId: string;
  membershipId: string;
}

const CreateCollectivePayload = builder.objectRef<Result>('CreateCollectivePayload').implement({
  description: 'Result of createCollective: the new collective, with you as its OWNER.',
  fields: (t) => ({
    collective: t.prismaField({
      type: 'Collective',
      resolve: (query, p, _a, ctx) => ctx.prisma.collective.findUniqueOrThrow({ ...query, where: { id: p.collectiveId } }),
    }),
    membership: t.prismaField({
      type: 'CollectiveMembership',
      description: 'Your membership: OWNER.',
      resolve: (query, p, _a, ctx) => ctx.prisma.collectiveMembership.findUniqueOrThrow({ ...query, where: { id: p.membershipId } }),
    }),
  }),
});

builder.mutationField('createCollective', (t) =>
  t.field({
    authScopes: { session: 'FULL' },
    type: CreateCollectivePayload,
    description: 'Creates a collective (a family, a class...) owned by you. A FULL session is required.',
    args: { input: t.arg({ type: CreateCollectiveInput, required: true }) },
    resolve: async (_root, args, ctx) => {
      const { user } = signedIn(ctx);
      // name was trimmed and checked on its field, type by its enum, parentId decoded by Pothos.
      const input = { name: args.input.name, type: args.input.type, parentId: args.input.parentId?.id ?? null };
      const result = await inTransaction(ctx, async (tx) => {
        if (input.parentId) {
          const mine = await tx.collectiveMembership.findUnique({
            where: { userId_collectiveId: { userId: user.id, collectiveId: input.parentId } },
            select: { role: true },
          });
          // A parent you cannot see is answered exactly like a missing one.
          if (!mine) throw notFound();
          if (!isManagerRole(mine.role)) throw forbidden('Only an owner or admin of the parent collective can add a collective under it');
        }
        const collective = await tx.collective.create({
          data: {
            name: input.name,
            type: input.type,
            parentId: input.parentId ?? null,
            memberships: { create: { userId: user.id, role: 'OWNER' } },
          },
          select: { id: true, memberships: { select: { id: true } } },
        });
        return { collectiveId: collective.id, membershipId: collective.memberships[0].id };
      });
      changed(ctx, { kind: 'role', userId: user.id, collectiveId: result.collectiveId, role: 'OWNER' });
      return result;
    },
  }),
);
