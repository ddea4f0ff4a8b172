// Ratings of chat sessions. A Node (global id, node(id:)), so client caches key and refetch it
// like every other entity; seen by the teenager who rated (the chat session's owner) and by
// operators holding feedback:read.
import { builder } from '../../builder.ts';
import { visibleTo } from '../../visibility.ts';
import { rootConnection } from '../connections.ts';
import { dateKey, uuidKey } from '../pagination.ts';
import { hasPermission, viewerUserId } from '../../auth/caller.ts';

export const canSeeFeedback = visibleTo<{ sessionId: string }>(
  'Feedback',
  async (f, ctx) => {
    if (hasPermission(ctx, 'feedback:read')) return true;
    const me = viewerUserId(ctx);
    return !!me && (await ctx.loaders.chatSessionOwner.load(f.sessionId)) === me;
  },
  // A missing row costs the owner lookup a hidden one does.
  { missing: (id) => ({ sessionId: id }) },
);

const FeedbackObject = builder.prismaNode('Feedback', {
  id: { field: 'id' },
  description:
    'A rating of a chat session (1 to 5, with an optional comment). sessionId is the raw id of the chat session (the agent thread), with no foreign key on purpose. Seen by the teenager who rated and by operators holding feedback:read.',
  authScopes: (f, ctx) => canSeeFeedback(f, ctx),
  fields: (t) => ({
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
