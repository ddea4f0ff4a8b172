// The visibility policy as data: who sees what of a teenager T's data. One row per node type and
// per sensitive field; one column per relation of the viewer to T. A cell is what node(id:)
// answers (the policy itself); every other path answers the same, or hides more where the
// row says so (`narrower`), never less. test/visibility-matrix.test.ts checks every cell.
import type { Permission } from '../../src/auth/permissions.ts';

/**
 * The world (test/visibility-matrix.test.ts builds it): T is a teenager with a FULL session.
 * F is a FAMILY collective: T MEMBER, O OWNER, A ADMIN, M MEMBER. K is T's CLASS: T and C
 * MEMBER (a teacher owns it). P is a parent who gave consent for T and shares no collective.
 * S shares nothing. Everyone signed in has a FULL session.
 *
 * Known narrowing, kept visible here rather than hidden: the nested path walks F's member list,
 * and CollectiveMembership.user is non-null, so for T (a plain MEMBER of F) the first fellow
 * member's profile T may not see nulls the whole list (FORBIDDEN). Hence `nested: ['self']` on
 * the rows reached through members -> user; it hides more, never less.
 */
export const RELATIONS = [
  'self',
  'consentedParent',
  'owner',
  'admin',
  'member',
  'classmate',
  'stranger',
  'operatorWith',
  'operatorWithout',
  'anonymous',
] as const;
export type Relation = (typeof RELATIONS)[number];

export type Answer = 'visible' | 'hidden';
export type Cells = Record<Relation, Answer>;

export interface Row {
  /** A node type, or Type.field for a sensitive field (the row's object must then also be seen). */
  name: string;
  /** Operator permissions that grant it (any one); `operatorWith` holds them all, `operatorWithout` every other. */
  grants: readonly Permission[];
  cells: Cells;
  /** Relations a path answers `hidden` for although node(id:) shows the object: a narrower route, not a leak. */
  narrower?: Partial<Record<'typed' | 'nested', readonly Relation[]>>;
  /** Why this row's rule is what it is: where the product decided it. */
  why: string;
}

const V = 'visible' as const;
const H = 'hidden' as const;
const cells = (...answers: Answer[]): Cells => Object.fromEntries(RELATIONS.map((r, i) => [r, answers[i]])) as Cells;

//                                     self consP owner admin member class stranger opWith opW/o anon
export const MATRIX: readonly Row[] = [
  {
    name: 'User',
    grants: ['users:read'],
    cells: cells(V, V, V, V, H, H, H, V, H, H),
    narrower: { nested: ['self', 'consentedParent'] },
    why: 'users/auth.ts: self, the parent who consented, OWNER/ADMIN of a shared collective, users:read. Fellow members see only the member list.',
  },
  {
    name: 'User.hasConsented',
    grants: ['users:read'],
    cells: cells(V, H, V, V, H, H, H, V, H, H),
    narrower: { nested: ['self'] },
    why: 'users/user.ts: managerOf (self, OWNER/ADMIN) or users:read; a consenting parent sees the teenager, not their consent record.',
  },
  {
    name: 'User.conversations',
    grants: ['conversations:read'],
    cells: cells(V, H, H, H, H, H, H, V, H, H),
    narrower: { nested: ['self'] },
    why: 'users/user.ts: conversations are private to their owner, also from parents and teachers; operators with conversations:read (metadata).',
  },
  {
    name: 'User.sessions',
    grants: [],
    cells: cells(V, H, H, H, H, H, H, H, H, H),
    narrower: { nested: ['self'] },
    why: 'users/user.ts: your own live sessions only.',
  },
  {
    name: 'AppSession',
    grants: [],
    cells: cells(V, H, H, H, H, H, H, H, H, H),
    narrower: { nested: ['self'] },
    why: 'users/auth.ts canSeeSession: the session owner only, no permission grants it.',
  },
  {
    name: 'Conversation',
    grants: ['conversations:read'],
    cells: cells(V, H, H, H, H, H, H, V, H, H),
    narrower: { nested: ['self'] },
    why: 'conversations/auth.ts: the teenager only (not parents nor teachers: bullying reports); operators with conversations:read see metadata.',
  },
  {
    name: 'Conversation.title',
    grants: ['conversations:read'],
    cells: cells(V, H, H, H, H, H, H, H, H, H),
    narrower: { nested: ['self'] },
    why: 'conversations/conversation.ts: a title says what was talked about: content, owner only, operators included.',
  },
  {
    name: 'ChatSession',
    grants: ['conversations:read'],
    cells: cells(V, H, H, H, H, H, H, V, H, H),
    narrower: { nested: ['self'] },
    why: 'conversations/auth.ts canSeeChatSession: as its conversation.',
  },
  {
    name: 'Message',
    grants: [],
    cells: cells(V, H, H, H, H, H, H, H, H, H),
    narrower: { nested: ['self'] },
    why: 'messages/message.ts: message text is the owner\'s alone, never an operator\'s.',
  },
  {
    name: 'Collective',
    grants: ['collectives:read'],
    cells: cells(V, H, V, V, V, H, H, V, H, H),
    why: 'collectives/auth.ts canSeeCollective: its members, and collectives:read.',
  },
  {
    name: 'CollectiveMembership',
    grants: ['collectives:read'],
    cells: cells(V, H, V, V, V, H, H, V, H, H),
    narrower: { typed: ['owner', 'admin', 'member'] },
    why: 'collectives/auth.ts canSeeMembership: the member, fellow members of the collective, collectives:read.',
  },
  {
    name: 'Invitation',
    grants: ['collectives:read'],
    cells: cells(H, H, V, V, H, H, H, V, H, H),
    why: 'collectives/auth.ts canSeeInvitation: the inviter, OWNER/ADMIN of the collective, collectives:read.',
  },
  {
    name: 'ParentalAuthorizationRequest',
    grants: ['users:read'],
    cells: cells(V, V, H, H, H, H, H, V, H, H),
    narrower: { typed: ['consentedParent', 'operatorWith'], nested: ['self', 'consentedParent', 'operatorWith'] },
    why: 'consent/auth.ts: the teenager who asked and the parent it names; users:read. User.authorizationRequests lists only your own.',
  },
  {
    name: 'ParentalAuthorizationRequest.parentContact',
    grants: ['users:read'],
    cells: cells(V, V, H, H, H, H, H, V, H, H),
    narrower: { typed: ['consentedParent', 'operatorWith'], nested: ['self', 'consentedParent', 'operatorWith'] },
    why: 'A parent\'s contact details: seen with the request, by the same people.',
  },
  {
    name: 'Feedback',
    grants: ['feedback:read'],
    cells: cells(V, H, H, H, H, H, H, V, H, H),
    narrower: { typed: ['self'] },
    why: 'feedback/feedback.ts canSeeFeedback: the teenager who rated (owner of the chat session) and feedback:read. Query.feedback lists for operators only.',
  },
  {
    name: 'Document',
    grants: ['documents:read', 'documents:write', 'search:diagnostics'],
    cells: cells(V, V, V, V, V, V, V, V, H, H),
    why: 'search/document.ts: FULL sessions see their user type\'s collections (YOUTH for everyone here); documents:read, :write or search:diagnostics see all.',
  },
];
