// Message transcripts (seed 000 MessageModel): one document per message, kept by a MessageStore
// (MongoDB or PostgreSQL) beside the relational users, conversations and chat sessions.

export const MESSAGE_ROLES = ['USER', 'ASSISTANT', 'SYSTEM', 'TOOL'] as const;
export type MessageRole = (typeof MESSAGE_ROLES)[number];

/** One tool execution attached to a message (seed 000 ToolDataEntry: tool_name, data, timestamp). */
export interface ToolDataEntry {
  name: string;
  data: unknown;
  timestamp: string | null;
}

export interface Message {
  /** A UUID (PostgreSQL) or an ObjectId's hex string (MongoDB): always a string. */
  id: string;
  conversationId: string;
  chatSessionId: string;
  /** The owner of the conversation, whoever wrote the message: privacy checks read it. */
  userId: string;
  role: MessageRole;
  text: string;
  createdAt: Date;
  toolData: ToolDataEntry[] | null;
  followUpActions: string[] | null;
  metadata: Record<string, unknown> | null;
}

export interface NewMessage {
  conversationId: string;
  chatSessionId: string;
  userId: string;
  role: MessageRole;
  text: string;
  /** Assigned by the store when absent (a per-process monotonic clock). */
  createdAt?: Date;
  toolData?: ToolDataEntry[] | null;
  followUpActions?: string[] | null;
  metadata?: Record<string, unknown> | null;
}

/** A position in a transcript: messages are ordered by (createdAt, id). */
export interface MessageCursor {
  createdAt: Date;
  id: string;
}

export type MessageScope = { chatSessionId: string } | { conversationId: string };

export interface MessagePage {
  /** Only messages strictly after this position. */
  after?: MessageCursor;
  /** Only messages strictly before this position. */
  before?: MessageCursor;
  limit: number;
  /** Newest first (for `last`); oldest first otherwise. */
  newestFirst?: boolean;
}

export interface MessageStore {
  readonly kind: 'postgres' | 'mongodb';
  /** Start-up work (MongoDB: indexes). Idempotent. */
  init(): Promise<void>;
  /** Stores the messages and returns them in transcript order (createdAt, id); absent createdAt values strictly increase in call order. */
  append(messages: readonly NewMessage[]): Promise<Message[]>;
  /** The messages with these ids that exist (ids of the wrong shape are ignored). */
  getMany(ids: readonly string[]): Promise<Message[]>;
  /** One page of a chat session's or a conversation's transcript, in the order asked for. */
  list(scope: MessageScope, page: MessagePage): Promise<Message[]>;
  /** conversationId -> number of messages; absent conversations count 0. One round trip. */
  countByConversation(conversationIds: readonly string[]): Promise<Map<string, number>>;
  /** conversationId -> its newest message, for conversations that have one. One round trip. */
  lastByConversation(conversationIds: readonly string[]): Promise<Map<string, Message>>;
  /** Deletes a conversation's messages; idempotent. Returns how many were deleted. */
  deleteByConversation(conversationId: string): Promise<number>;
  /** Whether a string could be an id of this store (cursors and node ids are checked with it). */
  isValidId(id: string): boolean;
  ping(): Promise<void>;
  close(): Promise<void>;
}

// Bounds applied by the mutations (and checked by the contract suite's writers).
export const MESSAGE_LIMITS = Object.freeze({
  /** A teenager's own message. */
  userTextMax: 4000,
  /** A message written by the chatbot backend. */
  serviceTextMax: 32_000,
  /** Messages in one appendMessages call. */
  batchMax: 50,
  followUpActionsMax: 10,
  followUpActionMax: 500,
  toolDataMax: 20,
  /** Serialized toolData plus metadata of one message, in bytes. */
  jsonBytesMax: 64 * 1024,
});

let lastStamp = 0;

/**
 * Creation times from a per-process monotonic clock (milliseconds, like a BSON date): messages
 * written one after the other by this process keep their order even within one millisecond.
 */
export function nextTimestamp(): Date {
  lastStamp = Math.max(Date.now(), lastStamp + 1);
  return new Date(lastStamp);
}

export function withTimestamps(messages: readonly NewMessage[]): (NewMessage & { createdAt: Date })[] {
  return messages.map((m) => ({ ...m, createdAt: m.createdAt ?? nextTimestamp() }));
}
