import { builder } from '../../builder.ts';

interface HealthShape {
  status: string;
  database: string;
  environment: string;
}

const Health = builder.objectRef<HealthShape>('Health').implement({
  fields: (t) => ({
    status: t.exposeString('status'),
    database: t.exposeString('database', { description: 'pglite (embedded) or postgres.' }),
    environment: t.exposeString('environment'),
  }),
});

builder.queryField('health', (t) =>
  t.field({
    authScopes: { public: true },
    type: Health,
    description: 'Liveness of the API and its database. Public.',
    resolve: async (_root, _args, ctx) => {
      await ctx.db.query('SELECT 1');
      return { status: 'ok', database: ctx.db.kind, environment: ctx.config.env };
    },
  }),
);
