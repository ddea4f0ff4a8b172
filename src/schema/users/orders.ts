// The keyset orders of the users' connections, shared by their fields and the fast read path.
import { dateKey, uuidKey } from '../pagination.ts';

/** Query.users: oldest first. */
export const USER_ORDER = [dateKey('createdAt', 'asc'), uuidKey('id', 'asc')] as const;
/** User.conversations: most recently updated first. */
export const CONVERSATION_ORDER = [dateKey('updatedAt', 'desc'), uuidKey('id', 'desc')] as const;
