// The keyset order of Conversation.chatSessions, shared by the field and the fast read path.
import { dateKey, uuidKey } from '../pagination.ts';

/** Oldest first. */
export const CHAT_SESSION_ORDER = [dateKey('createdAt', 'asc'), uuidKey('id', 'asc')] as const;
