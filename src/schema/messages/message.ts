// Messages of a conversation's transcript, served from the message store (MongoDB or PostgreSQL).
// Private to the conversation's owner, like the conversation itself: operators holding
// conversations:read do not see message text; only the chatbot backend's key (messages:read) does.
import { builder } from '../../builder.ts';
import type { Context } from '../../context.ts';
import { notFound } from '../../errors.ts';
import { dateKey, type SortKey } from '../pagination.ts';
import { visibleTo } from '../../visibility.ts';
import { MESSAGE_ROLES, type Message } from '../../messages/types.ts';
import { hasPermission, viewerUserId } from '../../auth/caller.ts';

export const MessageRoleEnum = builder.enumType('MessageRole', {
  values: MESSAGE_ROLES,
  description: 'Who wrote a message: the teenager (USER), the companion (ASSISTANT), the platform (SYSTEM) or a tool call (TOOL).',
});

export const canSeeMessage = visibleTo<Pick<Message, 'userId'>>('Message', (m, ctx) => viewerUserId(ctx) === m.userId || hasPermission(ctx, 'messages:read'), {
  key: (id, ctx) => ctx.messages.isValidId(id),
});

export const MessageNode = builder.loadableNode('Message', {
  description: 'One message of a transcript (one document in the message store).',
  id: { resolve: (m: Message) => m.id },
  authScopes: (m, ctx) => canSeeMessage(m, ctx),
  isTypeOf: (value) => typeof value === 'object' && value !== null && 'chatSessionId' in value && 'role' in value && 'text' in value,
  load: async (ids: string[], ctx: Context) => {
    const found = new Map((await ctx.messages.getMany(ids)).map((m) => [m.id, m]));
    return ids.map((id) => found.get(id) ?? notFound());
  },
  fields: (t) => ({
    role: t.expose('role', { type: MessageRoleEnum }),
    text: t.exposeString('text'),
    createdAt: t.expose('createdAt', { type: 'DateTime' }),
    threadId: t.exposeString('chatSessionId', { description: 'The raw id of the chat session (the companion agent thread).' }),
    toolData: t.expose('toolData', { type: 'JSON', nullable: true, description: 'Tool executions: a list of { name, data, timestamp }.' }),
    followUpActions: t.expose('followUpActions', { type: 'JSON', nullable: true, description: 'Suggested next replies: a list of strings.' }),
    metadata: t.expose('metadata', { type: 'JSON', nullable: true }),
  }),
});

export const MessageConnection = builder.connectionObject(
  { type: MessageNode, name: 'MessageConnection', description: 'A page of messages (Relay connection): edges, pageInfo and totalCount.' },
  { name: 'MessageEdge', description: 'One message of a page and its cursor.' });

/** Transcript order, the message store's: (createdAt, id); ids are checked by the store in use, in the lowercase both stores issue. */
export const messageOrder = (ctx: Context): SortKey[] => [
  dateKey('createdAt', 'asc'),
  { field: 'id', direction: 'asc', parse: (v) => (typeof v === 'string' && v === v.toLowerCase() && ctx.messages.isValidId(v) ? v : undefined) },
];
