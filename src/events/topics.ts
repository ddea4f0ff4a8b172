// What instances tell each other, and the topic each kind of event travels on. Payloads carry
// ids and the facts of the change only: each subscriber's resolver decides, as that subscriber,
// what it may see (src/schema/subscriptions).
import type { MembershipRole } from '../generated/prisma/client.ts';
import type { Message } from '../messages/types.ts';

/** Messages stored into one chat session (sendMessage, appendMessages), in transcript order. */
export interface MessagesAdded {
  chatSessionId: string;
  conversationId: string;
  /** The conversation's owner when the messages were written. */
  userId: string;
  /** As stored; createdAt is an ISO string once it has crossed Redis. */
  messages: (Omit<Message, 'createdAt'> & { createdAt: Date | string })[];
}

/** Something about a user's sessions changed (scope moved, a session ended): subscribers re-read theirs. */
export interface SessionsChanged {
  userId: string;
}

export type CollectiveActivityKind = 'MEMBER_JOINED' | 'MEMBER_LEFT' | 'MEMBER_REMOVED' | 'ROLE_CHANGED';

/** A change in a collective's membership. */
export interface CollectiveActivity {
  collectiveId: string;
  kind: CollectiveActivityKind;
  /** The member concerned. */
  userId: string;
  /** Their role after the change; null once they are no longer a member. */
  role: MembershipRole | null;
  membershipId: string;
  /** The invitation accepted (MEMBER_JOINED). */
  invitationId: string | null;
  /** ISO time of the change. */
  occurredAt: string;
}

/** Topic name (without the deployment's prefix) -> [id, payload]: yoga's createPubSub routing keys. */
export type Topics = {
  messagesAdded: [chatSessionId: string, payload: MessagesAdded];
  sessionsChanged: [userId: string, payload: SessionsChanged];
  collectiveActivity: [collectiveId: string, payload: CollectiveActivity];
};

export type BusEvent = { [K in keyof Topics]: { topic: K; id: Topics[K][0]; payload: Topics[K][1] } }[keyof Topics];

export const sessionsChanged = (userId: string): BusEvent => ({ topic: 'sessionsChanged', id: userId, payload: { userId } });

export const collectiveActivity = (activity: Omit<CollectiveActivity, 'occurredAt' | 'invitationId'> & { invitationId?: string | null; occurredAt: Date }): BusEvent => ({
  topic: 'collectiveActivity',
  id: activity.collectiveId,
  payload: { ...activity, invitationId: activity.invitationId ?? null, occurredAt: activity.occurredAt.toISOString() },
});
