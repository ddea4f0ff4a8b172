// Messages of a conversation's transcript, served from the message store (MongoDB or PostgreSQL).
// Private to the conversation's owner, like the conversation itself: not even operators holding
// conversations:read see message text.
import { decodeBase64, encodeBase64 } from '@pothos/core';
import { builder } from '../../builder.ts';
import { viewerUserId, type Context } from '../../context.ts';
import { badInput, notFound } from '../../errors.ts';
import { visibleTo } from '../../visibility.ts';
import { MESSAGE_ROLES, type Message, type MessageCursor } from '../../messages/types.ts';

export const MessageRoleEnum = builder.enumType('MessageRole', {
  values: MESSAGE_ROLES,
  description: 'Who wrote a message: the teenager (USER), the companion (ASSISTANT), the platform (SYSTEM) or a tool call (TOOL).',
});

export const canSeeMessage = visibleTo<Pick<Message, 'userId'>>('Message', (m, ctx) => viewerUserId(ctx) === m.userId);

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

export const MessageConnection = builder.connectionObject({ type: MessageNode, name: 'MessageConnection' }, { name: 'MessageEdge' });

const CURSOR_PREFIX = 'MessageCursor:';

/** Opaque cursor: the message's place in transcript order, (createdAt, id). */
export const messageCursor = (m: Pick<Message, 'createdAt' | 'id'>) => encodeBase64(`${CURSOR_PREFIX}${m.createdAt.getTime()}:${m.id}`);

export function parseMessageCursor(cursor: string | undefined, ctx: Context): MessageCursor | undefined {
  if (cursor === undefined) return undefined;
  let decoded = '';
  try {
    decoded = decodeBase64(cursor);
  } catch {
    /* reported below */
  }
  const match = /^MessageCursor:(\d{1,15}):(.+)$/.exec(decoded);
  if (!match || !ctx.messages.isValidId(match[2])) throw badInput('Invalid cursor');
  return { createdAt: new Date(Number(match[1])), id: match[2] };
}
