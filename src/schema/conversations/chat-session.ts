import { builder } from '../../builder.ts';
import { canSeeChatSession } from './auth.ts';

export const ChatSessionNode = builder.prismaNode('ChatSession', {
  id: { field: 'id' },
  description: 'One sitting within a conversation; its id is also the companion agent thread id.',
  authScopes: (session, ctx) => canSeeChatSession(session, ctx),
  fields: (t) => ({
    threadId: t.exposeString('id', { description: 'The raw id, as the companion agent knows the thread.' }),
    createdAt: t.expose('createdAt', { type: 'DateTime' }),
    conversation: t.relation('conversation'),
  }),
});
