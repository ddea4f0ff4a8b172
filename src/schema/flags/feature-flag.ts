import { builder } from '../../builder.ts';
import { listBound } from '../../input/bounds.ts';
import type { Context } from '../../context.ts';
import type { FeatureFlag } from '../../generated/prisma/client.ts';
import { FlagEnvironmentEnum, FlagVariantEnum, FlagVisibilityEnum } from '../enums.ts';
import { isFlagOn, serverEnvironment, type FlagSubject } from './evaluate.ts';

function subjectOf(ctx: Context): FlagSubject {
  if (ctx.viewer.kind !== 'user') return { userId: null, userType: null, language: null, country: null, ageClass: null };
  const u = ctx.viewer.user;
  return { userId: u.id, userType: u.userType, language: u.language, country: u.country, ageClass: u.ageClass };
}

export const FeatureFlagType = builder.prismaObject('FeatureFlag', {
  description: 'A feature switch, identified by its unique name (no global ID: client caches key it by name, see examples/urql-client.ts). `enabled` is evaluated for the caller.',
  fields: (t) => ({
    name: t.exposeString('name'),
    description: t.exposeString('description'),
    enabled: t.boolean({
      description: 'Whether the flag is on for the caller (environment, variant, targeting rules and rollout applied).',
      resolve: (flag, _args, ctx) => isFlagOn(flag, subjectOf(ctx), serverEnvironment(ctx.config.env)),
    }),
    isEnabled: t.exposeBoolean('isEnabled', {
      description: 'The stored switch, before evaluation. Operators with flags:write only.',
      authScopes: { operator: 'flags:write' },
    }),
    targetingRules: t.expose('targetingRules', {
      type: 'JSON',
      nullable: true,
      description: 'The stored rules. Operators with flags:write only.',
      authScopes: { operator: 'flags:write' },
    }),
    environment: t.expose('environment', { type: FlagEnvironmentEnum }),
    visibility: t.expose('visibility', { type: FlagVisibilityEnum }),
    variant: t.expose('variant', { type: FlagVariantEnum }),
  }),
});

builder.queryField('featureFlags', (t) =>
  t.prismaField({
    authScopes: { public: true },
    type: ['FeatureFlag'],
    description:
      'Flags a client may know about, each evaluated for the caller. Backend-only flags are never listed. Pass onlyEnabled to get just the ones that are on.',
    args: {
      names: t.arg.stringList({ required: false, ...listBound(undefined, 100) }),
      onlyEnabled: t.arg.boolean({ required: false, defaultValue: false }),
    },
    resolve: async (query, _root, args, ctx) => {
      const flags: FeatureFlag[] = await ctx.prisma.featureFlag.findMany({
        ...query,
        where: { visibility: { not: 'BACKEND' }, ...(args.names ? { name: { in: args.names } } : {}) },
        orderBy: { name: 'asc' },
      });
      if (!args.onlyEnabled) return flags;
      const subject = subjectOf(ctx);
      const env = serverEnvironment(ctx.config.env);
      return flags.filter((f) => isFlagOn(f, subject, env));
    },
  }),
);
