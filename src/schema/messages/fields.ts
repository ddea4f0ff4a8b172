// The transcript fields of chat sessions and conversations. Pages come from the message store;
// counts and last messages of a page of conversations are batched per request (one store call
// each, whatever the number of conversations).
import { builder, DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE } from '../../builder.ts';
import type { Context } from '../../context.ts';
import type { Message, MessageScope } from '../../messages/types.ts';
import { PAGING_DESCRIPTION } from '../connections.ts';
import { cursorOf, pageRequest, toConnection, type ConnectionArgs } from '../pagination.ts';
import { MessageConnection, MessageNode, messageOrder } from './message.ts';
import { hasPermission, viewerUserId } from '../../auth/caller.ts';

/** One store call for all the conversations of a response: up to 1000 ids (a page is at most 100; nested pages multiply). */
const batched = { maxBatchSize: 1000 };

/** A page of the store's keyset list, in the cursor format of every connection (pagination.ts). */
async function page(scope: MessageScope, args: ConnectionArgs, ctx: Context) {
  const order = messageOrder(ctx);
  const request = pageRequest(args, order, { defaultSize: DEFAULT_PAGE_SIZE, maxSize: MAX_PAGE_SIZE });
  const key = (values?: unknown[]) => (values ? { createdAt: values[0] as Date, id: values[1] as string } : undefined);
  const rows = await ctx.messages.list(scope, {
    after: key(request.after),
    before: key(request.before),
    limit: request.limit,
    newestFirst: request.backward,
  });
  // Read newest first for `last`; the page is shown in transcript order.
  const ordered = request.backward ? rows.slice(0, request.limit).reverse() : rows;
  return toConnection(ordered, request, (m) => cursorOf(order, m as unknown as Record<string, unknown>));
}

const PAGE_DESCRIPTION = `Oldest first; \`last: n\` gives the newest n (still oldest first within the page). ${PAGING_DESCRIPTION}`;

builder.prismaObjectField('ChatSession', 'messages', (t) =>
  t.connection(
    {
      type: MessageNode,
      description: `The messages of this chat session. Only the conversation's owner (and an API key holding messages:read) reads them. ${PAGE_DESCRIPTION}`,
      authScopes: async (session, _args, ctx) => {
        if (hasPermission(ctx, 'messages:read')) return true;
        const me = viewerUserId(ctx);
        return !!me && (await ctx.loaders.conversationOwner.load(session.conversationId)) === me;
      },
      resolve: (session, args, ctx) => page({ chatSessionId: session.id }, args, ctx),
    },
    MessageConnection,
  ),
);

builder.prismaObjectFields('Conversation', (t) => ({
  messages: t.connection(
    {
      type: MessageNode,
      description: `The messages of all this conversation's chat sessions. Only the owner (and an API key holding messages:read) reads them. ${PAGE_DESCRIPTION}`,
      authScopes: (conversation) => ({ $any: { self: conversation.userId, operator: 'messages:read' } }),
      resolve: (conversation, args, ctx) => page({ conversationId: conversation.id }, args, ctx),
    },
    MessageConnection,
  ),
  messageCount: t.loadable({
    type: 'Int',
    // Nullable so that a message store outage costs this field, not the whole list of conversations.
    nullable: true,
    description:
      'How many messages the conversation holds (metadata: also for operators holding conversations:read). Null, with an error, when the message store is unavailable.',
    authScopes: (conversation) => ({ $any: { self: conversation.userId, operator: 'conversations:read' } }),
    loaderOptions: batched,
    load: async (ids: string[], ctx: Context) => {
      const counts = await ctx.messages.countByConversation(ids);
      return ids.map((id) => counts.get(id) ?? 0);
    },
    resolve: (conversation) => conversation.id,
  }),
  lastMessage: t.loadable({
    type: MessageNode,
    nullable: true,
    description: 'The newest message, or null for an empty conversation (or, with an error, when the message store is unavailable). Only the owner (and an API key holding messages:read) reads it.',
    authScopes: (conversation) => ({ $any: { self: conversation.userId, operator: 'messages:read' } }),
    loaderOptions: batched,
    load: async (ids: string[], ctx: Context) => {
      const last = await ctx.messages.lastByConversation(ids);
      return ids.map((id): Message | null => last.get(id) ?? null);
    },
    resolve: (conversation) => conversation.id,
  }),
}));
