import { z } from 'zod';
import { builder } from '../../builder.ts';
import { notFound } from '../../errors.ts';
import { MESSAGE_LIMITS } from '../../messages/types.ts';
import { listBound } from '../../input/bounds.ts';
import { MessageRoleEnum } from './message.ts';
import { appendToChatSession, findChatSession } from './rules.ts';
import { ChatSessionNode } from '../conversations/chat-session.ts';
import { check, rowId } from '../../input/fields.ts';

const L = MESSAGE_LIMITS;

const ToolDataInput = builder.inputType('ToolDataInput', {
  description: 'One tool execution attached to an appended message: the tool, its data and when it ran.',
  fields: (t) => ({
    name: t.string({ required: true, description: 'The tool, e.g. "knowledge_base_search".', validate: check(z.string().trim().min(1).max(200)) }),
    data: t.field({ type: 'JSON', required: true }),
    timestamp: t.field({ type: 'DateTime', required: false }),
  }),
});

/**
 * The size of a message's toolData and metadata as they are stored: JSON of both, each tool entry
 * with its timestamp as an ISO string or null (ToolDataEntry), in UTF-8 bytes.
 */
const jsonBytes = (m: { toolData?: { name: string; data: unknown; timestamp?: Date | null }[] | null; metadata?: unknown }) =>
  Buffer.byteLength(
    JSON.stringify([m.toolData?.map((e) => ({ name: e.name, data: e.data, timestamp: e.timestamp?.toISOString() ?? null })) ?? null, m.metadata ?? null]),
  );

const AppendMessageInput = builder.inputType('AppendMessageInput', {
  description: 'One message written by the platform (ASSISTANT, SYSTEM or TOOL) into a chat session.',
  fields: (t) => ({
    role: t.field({
      type: MessageRoleEnum,
      required: true,
      description: 'ASSISTANT, SYSTEM or TOOL (USER messages come from sendMessage).',
      validate: check(z.enum(['ASSISTANT', 'SYSTEM', 'TOOL'], { error: 'must be ASSISTANT, SYSTEM or TOOL: USER messages come from sendMessage' })),
    }),
    text: t.string({ required: true, validate: { maxLength: L.serviceTextMax } }),
    // The input rules (src/input/rules.ts) refuse longer lists before any work, with these bounds.
    toolData: t.field({ type: [ToolDataInput], required: false, ...listBound(MESSAGE_LIMITS.toolDataMax) }),
    followUpActions: t.stringList({
      required: false,
      ...listBound(MESSAGE_LIMITS.followUpActionsMax),
      validate: check(z.array(z.string().trim().min(1).max(L.followUpActionMax))),
    }),
    metadata: t.field({ type: 'JSON', required: false, validate: check(z.record(z.string(), z.unknown())) }),
  }),
  // After the fields' own rules (name trimmed): the stored JSON of one message stays bounded.
  validate: { refine: [(m) => jsonBytes(m) <= L.jsonBytesMax, { message: `toolData and metadata together must stay under ${L.jsonBytesMax} bytes of JSON` }] },
});

const AppendMessagesInput = builder.inputType('AppendMessagesInput', {
  description: 'Input of appendMessages: the chat session and the messages to add, in order.',
  fields: (t) => ({
    chatSessionId: t.globalID({ for: ChatSessionNode, required: true, validate: rowId('ChatSession') }),
    messages: t.field({
      type: [AppendMessageInput],
      required: true,
      // At most batchMax is the input rules' (maxItems); each message's rules are AppendMessageInput's.
      extensions: { maxItems: MESSAGE_LIMITS.batchMax },
      description: `1 to ${MESSAGE_LIMITS.batchMax} messages, stored in this order.`,
      validate: { minLength: 1 },
    }),
  }),
});

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
      // Every field passed its rule before this resolver (AppendMessageInput, ToolDataInput).
      const input = args.input;
      const session = await findChatSession(ctx, input.chatSessionId.id);
      if (!session) throw notFound();
      const stored = await appendToChatSession(
        ctx,
        session,
        input.messages.map((m) => ({
          role: m.role,
          text: m.text,
          toolData: m.toolData?.map((e) => ({ name: e.name, data: e.data, timestamp: e.timestamp?.toISOString() ?? null })) ?? null,
          followUpActions: m.followUpActions ?? null,
          metadata: (m.metadata as Record<string, unknown> | null | undefined) ?? null,
        })),
      );
      return { messageIds: stored.map((m) => m.id), count: stored.length };
    },
  }),
);
