import { builder } from '../../builder.ts';
import { databaseUp } from '../../http/database-outage.ts';

interface HealthShape {
  status: 'ok' | 'degraded';
  database: string;
  databaseStatus: 'UP' | 'DOWN';
  environment: string;
}

const DependencyStatus = builder.enumType('DependencyStatus', {
  description: 'Whether a dependency answered: UP, or DOWN (unreachable or slower than 2 s).',
  values: ['UP', 'DOWN'] as const,
});

const Health = builder.objectRef<HealthShape>('Health').implement({
  description: 'The service\'s state: its database and environment. Answers without signing in; keyed by nothing (a singleton).',
  fields: (t) => ({
    status: t.exposeString('status', { description: 'ok, or degraded when a dependency (the database) is down.' }),
    database: t.exposeString('database', { description: 'pglite (embedded) or postgres.' }),
    databaseStatus: t.field({ type: DependencyStatus, resolve: (h) => h.databaseStatus, description: 'Whether the database answered SELECT 1 within 2 s.' }),
    environment: t.exposeString('environment'),
  }),
});

builder.queryField('health', (t) =>
  t.field({
    authScopes: { public: true },
    type: Health,
    description: 'Liveness of the API and its database. Public. Answers even while the database is down (status degraded, databaseStatus DOWN).',
    resolve: async (_root, _args, ctx): Promise<HealthShape> => {
      const up = await databaseUp(ctx.db);
      return { status: up ? 'ok' : 'degraded', database: ctx.db.kind, databaseStatus: up ? 'UP' : 'DOWN', environment: ctx.config.env };
    },
  }),
);
