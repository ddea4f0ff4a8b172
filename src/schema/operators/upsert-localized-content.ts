import { builder } from '../../builder.ts';
import type { Prisma } from '../../generated/prisma/client.ts';
import { ContentCategoryEnum, FlagVariantEnum } from '../enums.ts';
import { contentKey } from './validation.ts';
import { inTransaction } from '../../db/transaction.ts';
import { operatorKey } from '../../auth/caller.ts';

const UpsertLocalizedContentInput = builder.inputType('UpsertLocalizedContentInput', {
  description: 'Input of upsertLocalizedContent: one entry, identified by category, language, variant and key.',
  fields: (t) => ({
    category: t.field({ type: ContentCategoryEnum, required: true }),
    language: t.field({ type: 'LanguageCode', required: true, description: 'An ISO 639-1 code.' }),
    variant: t.field({ type: FlagVariantEnum, required: true, description: 'TEENAGER, PARENT or ALL (the fallback of both).' }),
    key: t.string({ required: true, description: '1 to 200 letters, digits, _ . or -.', validate: { schema: contentKey } }),
    value: t.field({ type: 'JSON', required: true, description: 'Any JSON value but null, at most 64 KB serialized.' }),
  }),
});

type Id = Prisma.LocalizedContentCategoryLanguageVariantKeyCompoundUniqueInput;

const UpsertLocalizedContentPayload = builder.objectRef<{ id: Id; created: boolean }>('UpsertLocalizedContentPayload').implement({
  description: 'Result of upsertLocalizedContent: the entry as stored.',
  fields: (t) => ({
    localizedContent: t.prismaField({
      type: 'LocalizedContent',
      resolve: (query, p, _a, ctx) =>
        ctx.prisma.localizedContent.findUniqueOrThrow({ ...query, where: { category_language_variant_key: p.id } }),
    }),
    created: t.exposeBoolean('created', { description: 'Whether this (category, language, variant, key) had no value before.' }),
  }),
});

builder.mutationField('upsertLocalizedContent', (t) =>
  t.field({
    authScopes: { operator: 'content:write' },
    type: UpsertLocalizedContentPayload,
    description: 'Sets one localized value, creating or replacing it. Operators with content:write only.',
    args: { input: t.arg({ type: UpsertLocalizedContentInput, required: true }) },
    resolve: async (_root, args, ctx) => {
      const operator = operatorKey(ctx);
      // Enums and the LanguageCode scalar checked their fields, the key its rule; the JSON value
      // is non-null by type and bounded before execution (src/input/rules.ts).
      const input = args.input;
      const id: Id = { category: input.category, language: input.language, variant: input.variant, key: input.key };
      const value = input.value as Prisma.InputJsonValue;
      const created = await inTransaction(ctx, async (tx) => {
        const existing = await tx.localizedContent.findUnique({ where: { category_language_variant_key: id }, select: { key: true } });
        // One statement either way (INSERT ... ON CONFLICT): a concurrent first write cannot conflict.
        await tx.localizedContent.upsert({
          where: { category_language_variant_key: id },
          create: { ...id, value },
          update: { value },
          select: { key: true },
        });
        return !existing;
      });
      ctx.log.info({ apiKey: operator.apiKey.name, ...id, created }, 'localized content upserted');
      return { id, created };
    },
  }),
);
