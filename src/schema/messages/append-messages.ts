import { z } from 'zod';
import { builder } from '../../builder.ts';
import { notFound } from '../../errors.ts';
import { MESSAGE_LIMITS } from '../../messages/types.ts';
import { listBound } from '../../input/bounds.ts';
import { MessageRoleEnum } from './message.ts';
import { appendToChatSession, findChatSession } from './rules.ts';
import { parseInput } from '../arguments.ts';
import { ChatSessionNode } from '../conversations/chat-session.ts';
import { rowId } from '../../input/fields.ts';

const ToolDataInput = builder.inputType('ToolDataInput', {
  description: 'One tool execution attached to an appended message: the tool, its data and when it ran.',
  fields: (t) => ({
    name: t.string({ required: true, description: 'The tool, e.g. "knowledge_base_search".' }),
    data: t.field({ type: 'JSON', required: true }),
    timestamp: t.field({ type: 'DateTime', required: false }),
  }),
});

const AppendMessageInput = builder.inputType('AppendMessageInput', {
  description: 'One message written by the platform (ASSISTANT, SYSTEM or TOOL) into a chat session.',
  fields: (t) => ({
    role: t.field({ type: MessageRoleEnum, required: true, description: 'ASSISTANT, SYSTEM or TOOL (USER messages come from sendMessage).' }),
    text: t.string({ required: true }),
    // The input rules (src/input/rules.ts) refuse longer lists before any work, with these bounds.
    toolData: t.field({ type: [ToolDataInput], required: false, ...listBound(MESSAGE_LIMITS.toolDataMax) }),
    followUpActions: t.stringList({ required: false, ...listBound(MESSAGE_LIMITS.followUpActionsMax) }),
    metadata: t.field({ type: 'JSON', required: false }),
  }),
});

const AppendMessagesInput = builder.inputType('AppendMessagesInput', {
  description: 'Input of appendMessages: the chat session and the messages to add, in order.',
  fields: (t) => ({
    chatSessionId: t.globalID({ for: ChatSessionNode, required: true, validate: rowId('ChatSession') }),
    messages: t.field({
      type: [AppendMessageInput],
      required: true,
      extensions: { maxItems: MESSAGE_LIMITS.batchMax },
      description: `1 to ${MESSAGE_LIMITS.batchMax} messages, stored in this order.`,
    }),
  }),
});

const L = MESSAGE_LIMITS;
const message = z
  .object({
    role: z.enum(['ASSISTANT', 'SYSTEM', 'TOOL'], { error: 'must be ASSISTANT, SYSTEM or TOOL: USER messages come from sendMessage' }),
    text: z.string().max(L.serviceTextMax),
    toolData: z
      .array(
        z.object({
          name: z.string().trim().min(1).max(200),
          data: z.unknown(),
          timestamp: z.date().nullish().transform((d) => d?.toISOString() ?? null),
        }),
      )
      .max(L.toolDataMax)
      .nullish(),
    followUpActions: z.array(z.string().trim().min(1).max(L.followUpActionMax)).max(L.followUpActionsMax).nullish(),
    metadata: z.record(z.string(), z.unknown()).nullish(),
  })
  .refine((m) => Buffer.byteLength(JSON.stringify([m.toolData ?? null, m.metadata ?? null])) <= L.jsonBytesMax, {
    message: `toolData and metadata together must stay under ${L.jsonBytesMax} bytes of JSON`,
  });
const schema = z.object({ messages: z.array(message).min(1).max(L.batchMax) });

const AppendMessagesPayload = builder.objectRef<{ messageIds: string[]; count: number }>('AppendMessagesPayload').implement({
  description: 'What was stored. The messages themselves are private to the conversation owner, so only their ids come back.',
  fields: (t) => ({
    messageIds: t.globalIDList({ description: 'Global ids of the new messages, in order.', resolve: (p) => p.messageIds.map((id) => ({ type: 'Message', id })) }),
    count: t.exposeInt('count'),
  }),
});

builder.mutationField('appendMessages', (t) =>
  t.field({
    authScopes: { operator: 'messages:write' },
    type: AppendMessagesPayload,
    description: "The chatbot backend writes ASSISTANT, SYSTEM and TOOL messages into a chat session. Needs an API key holding messages:write.",
    args: { input: t.arg({ type: AppendMessagesInput, required: true }) },
    resolve: async (_root, args, ctx) => {
      const input = parseInput(schema, args.input);
      const session = await findChatSession(ctx, args.input.chatSessionId.id);
      if (!session) throw notFound();
      const stored = await appendToChatSession(
        ctx,
        session,
        input.messages.map((m) => ({
          role: m.role,
          text: m.text,
          toolData: m.toolData ?? null,
          followUpActions: m.followUpActions ?? null,
          metadata: (m.metadata as Record<string, unknown> | null | undefined) ?? null,
        })),
      );
      return { messageIds: stored.map((m) => m.id), count: stored.length };
    },
  }),
);
