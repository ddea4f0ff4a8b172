import { builder } from '../../builder.ts';
import { Prisma } from '../../generated/prisma/client.ts';
import { FlagEnvironmentEnum, FlagVariantEnum, FlagVisibilityEnum } from '../enums.ts';
import { boundedText, check } from '../../input/fields.ts';
import { flagName, targetingRules } from './validation.ts';
import { inTransaction } from '../../db/transaction.ts';
import { operatorKey } from '../../auth/caller.ts';

const UpsertFeatureFlagInput = builder.inputType('UpsertFeatureFlagInput', {
  description:
    'Creates the flag named `name` or updates it. On update, absent fields keep their value; null resets a field to its default (description "", ALL, no targeting rules).',
  fields: (t) => ({
    name: t.string({ required: true, description: 'Lower case, digits and _, starting with a letter; 2 to 100 characters.', validate: check(flagName) }),
    description: t.string({ required: false, description: 'At most 1000 characters.', validate: check(boundedText(0, 1000)) }),
    isEnabled: t.boolean({ required: true }),
    environment: t.field({ type: FlagEnvironmentEnum, required: false, description: 'Default ALL.' }),
    visibility: t.field({ type: FlagVisibilityEnum, required: false, description: 'Default ALL. BACKEND flags are never listed to clients.' }),
    variant: t.field({ type: FlagVariantEnum, required: false, description: 'Default ALL.' }),
    targetingRules: t.field({
      type: 'JSON',
      required: false,
      description:
        'All must match: language, country, ageClass, userType (each a value or {"in": [values]}) and rollout {"percentage": 0-100}. Default none (everyone).',
      validate: check(targetingRules),
    }),
  }),
});

interface Result {
  name: string;
  created: boolean;
}

const UpsertFeatureFlagPayload = builder.objectRef<Result>('UpsertFeatureFlagPayload').implement({
  description: 'Result of upsertFeatureFlag: the flag as stored.',
  fields: (t) => ({
    featureFlag: t.prismaField({
      type: 'FeatureFlag',
      description: 'The flag as stored (backend-only flags included); `enabled` is evaluated for the caller.',
      resolve: (query, p, _a, ctx) => ctx.prisma.featureFlag.findUniqueOrThrow({ ...query, where: { name: p.name } }),
    }),
    created: t.exposeBoolean('created', { description: 'Whether the flag did not exist before.' }),
  }),
});

/** undefined stays undefined (unchanged), null becomes the default. */
const orDefault = <T>(value: T | null | undefined, fallback: T) => (value === null ? fallback : value);

builder.mutationField('upsertFeatureFlag', (t) =>
  t.field({
    authScopes: { operator: 'flags:write' },
    type: UpsertFeatureFlagPayload,
    description: 'Creates or updates a feature flag by name. Operators with flags:write only.',
    args: { input: t.arg({ type: UpsertFeatureFlagInput, required: true }) },
    resolve: async (_root, args, ctx) => {
      const operator = operatorKey(ctx);
      // The enums are checked by their types; name, description and targetingRules by their rules.
      const input = args.input;
      const data = {
        description: orDefault(input.description, ''),
        isEnabled: input.isEnabled,
        environment: orDefault(input.environment, 'ALL'),
        visibility: orDefault(input.visibility, 'ALL'),
        variant: orDefault(input.variant, 'ALL'),
        targetingRules:
          input.targetingRules === undefined ? undefined : input.targetingRules === null ? Prisma.DbNull : (input.targetingRules as Prisma.InputJsonObject),
      } as const;
      // Two first upserts of one name race: the unique name lets one create; the other retries and updates.
      const created = await inTransaction(
        ctx,
        async (tx) => {
          const existing = await tx.featureFlag.findUnique({ where: { name: input.name }, select: { id: true } });
          if (existing) {
            await tx.featureFlag.update({ where: { id: existing.id }, data, select: { id: true } });
            return false;
          }
          await tx.featureFlag.create({
            data: {
              name: input.name,
              ...data,
              description: data.description ?? '',
              environment: data.environment ?? 'ALL',
              visibility: data.visibility ?? 'ALL',
              variant: data.variant ?? 'ALL',
              targetingRules: data.targetingRules ?? Prisma.DbNull,
            },
            select: { id: true },
          });
          return true;
        },
        { retryOnUniqueViolation: true },
      );
      ctx.log.info({ apiKey: operator.apiKey.name, flag: input.name, created }, 'feature flag upserted');
      return { name: input.name, created };
    },
  }),
);
