// Conversations and their chat sessions are private to the teenager who owns them: not even
// parents or teachers see them (the product protects minors who report bullying). Operators
// holding conversations:read see metadata (never message text) for support and benchmarks.
import type { Context } from '../../context.ts';
import { sqlOr, visibleTo } from '../../visibility.ts';
import { hasPermission, viewerUserId } from '../../auth/caller.ts';

export const canSeeConversation = visibleTo<{ id: string; userId: string }>(
  'Conversation',
  (c, ctx) => {
    // Chat sessions reached through this conversation then need no lookup of their owner.
    ctx.loaders.conversationOwner.prime(c.id, c.userId);
    return viewerUserId(ctx) === c.userId || hasPermission(ctx, 'conversations:read');
  },
  {
    sql: (ctx, c, param) => {
      const me = viewerUserId(ctx);
      return sqlOr(me ? `${c}.user_id = ${param(me)}::uuid` : 'FALSE', hasPermission(ctx, 'conversations:read') ? 'TRUE' : 'FALSE');
    },
  },
);

export const canSeeChatSession = visibleTo<{ conversationId: string }>(
  'ChatSession',
  async (s, ctx) => {
    if (hasPermission(ctx, 'conversations:read')) return true;
    const me = viewerUserId(ctx);
    return !!me && (await ctx.loaders.conversationOwner.load(s.conversationId)) === me;
  },
  {
    // A missing session costs the owner lookup a hidden one does (a real lookup of that key).
    missing: (id) => ({ conversationId: id }),
    sql: (ctx, s, param) => {
      const me = viewerUserId(ctx);
      return sqlOr(
        hasPermission(ctx, 'conversations:read') ? 'TRUE' : 'FALSE',
        me ? `EXISTS (SELECT 1 FROM app.conversation o WHERE o.id = ${s}.conversation_id AND o.user_id = ${param(me)}::uuid)` : 'FALSE',
      );
    },
  },
);
