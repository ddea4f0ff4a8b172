import { builder } from '../../builder.ts';
import { inTransaction } from '../../db/transaction.ts';
import { operatorKey } from '../../auth/caller.ts';

const DeleteFeatureFlagInput = builder.inputType('DeleteFeatureFlagInput', {
  description: 'Input of deleteFeatureFlag: the flag name.',
  fields: (t) => ({
    // Any stored name (flags loaded from content files may predate the naming rule).
    name: t.string({ required: true, validate: { minLength: 1, maxLength: 100 } }),
  }),
});

const DeleteFeatureFlagPayload = builder.objectRef<{ deletedName: string; deleted: boolean }>('DeleteFeatureFlagPayload').implement({
  description: 'Result of deleteFeatureFlag (idempotent).',
  fields: (t) => ({
    deletedName: t.exposeString('deletedName'),
    deleted: t.exposeBoolean('deleted', { description: 'False when there was no flag of that name (deleting is idempotent).' }),
  }),
});

builder.mutationField('deleteFeatureFlag', (t) =>
  t.field({
    authScopes: { operator: 'flags:write' },
    type: DeleteFeatureFlagPayload,
    description: 'Deletes a feature flag by name; code reading it then sees it as off. Operators with flags:write only.',
    args: { input: t.arg({ type: DeleteFeatureFlagInput, required: true }) },
    resolve: async (_root, args, ctx) => {
      const operator = operatorKey(ctx);
      const { name } = args.input;
      const { count } = await inTransaction(ctx, (tx) => tx.featureFlag.deleteMany({ where: { name } }));
      if (count) ctx.log.info({ apiKey: operator.apiKey.name, flag: name }, 'feature flag deleted');
      return { deletedName: name, deleted: count > 0 };
    },
  }),
);
