import { builder } from '../../builder.ts';

builder.prismaObject('Feedback', {
  description: 'A rating of a chat session. sessionId is the agent thread id (a chat session id), with no foreign key on purpose.',
  fields: (t) => ({
    id: t.exposeID('id'),
    sessionId: t.expose('sessionId', { type: 'UUID' }),
    rating: t.exposeInt('rating'),
    comment: t.exposeString('comment', { nullable: true }),
    isPositive: t.exposeBoolean('isPositive'),
    createdAt: t.expose('createdAt', { type: 'DateTime' }),
  }),
});

builder.queryField('feedback', (t) =>
  t.prismaConnection({
    type: 'Feedback',
    cursor: 'id',
    description: 'All feedback, newest first. Operators with feedback:read only.',
    authScopes: { operator: 'feedback:read' },
    totalCount: (_c, _a, ctx) => ctx.prisma.feedback.count(),
    resolve: (query, _root, _args, ctx) => ctx.prisma.feedback.findMany({ ...query, orderBy: [{ createdAt: 'desc' }, { id: 'desc' }] }),
  }),
);
