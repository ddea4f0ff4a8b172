import { builder } from '../../builder.ts';
import { rootConnection } from '../connections.ts';
import { dateKey, uuidKey } from '../pagination.ts';

const FeedbackObject = builder.prismaObject('Feedback', {
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
  rootConnection(t, {
    type: FeedbackObject,
    typeName: 'Feedback',
    order: [dateKey('createdAt', 'desc'), uuidKey('id', 'desc')],
    description: 'All feedback, newest first. Operators with feedback:read only.',
    authScopes: { operator: 'feedback:read' },
    findMany: (ctx, query) => ctx.prisma.feedback.findMany(query),
    count: (ctx) => ctx.prisma.feedback.count(),
  }),
);
