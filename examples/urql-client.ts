// An urql client with the normalized cache (graphcache) set up for this API: relay-style
// pagination on every connection, and a key for every object a cache meets.
// - Objects with an `id` (every Node: User, Conversation, ChatSession, Collective, Membership,
//   Invitation, Message, Feedback, Document...) are keyed by it with no configuration: ids are
//   global (base64 "Type:uuid"), so two types never collide.
// - Objects without one are listed in `keys`: a natural key where one exists, else `null`
//   (embedded in the parent, which is what they are). Connections, edges and PageInfo need none.
//   test/client-cache-contract.test.ts fails when the schema gains an id-less type missing here.
// - `relayPagination()` merges pages fetched with first/after (and last/before) into one list.
//
//   npm install @urql/core @urql/exchange-graphcache
import { Client, fetchExchange } from '@urql/core';
import { cacheExchange, type KeyingConfig } from '@urql/exchange-graphcache';
import { relayPagination } from '@urql/exchange-graphcache/extras';

const embedded = () => null;

export const keys: KeyingConfig = {
  // One flag per name and environment (the API answers for the server's environment).
  FeatureFlag: (f) => (f.name ? `${f.name}:${f.environment ?? ''}` : null),
  // Content is unique per category, key, language and variant.
  LocalizedContent: (c) => (c.category && c.key ? `${c.category}:${c.key}:${c.language ?? ''}:${c.variant ?? ''}` : null),
  ParentalConsent: embedded,
  Health: embedded,
  InvitationPreview: embedded,
  SearchResult: embedded,
  // Aggregates are recomputed per filter: they belong to the query that asked, never shared.
  AnalyticsSummary: embedded,
  AnalyticsCount: embedded,
  MoodImprovement: embedded,
  // Mutation payloads: their useful parts (the user, the conversation, the edge...) are keyed.
  AcceptInvitationPayload: embedded,
  AcceptTermsPayload: embedded,
  AppendMessagesPayload: embedded,
  // A subscription event: the member, membership and invitation inside are keyed.
  CollectiveActivity: embedded,
  CreateCollectivePayload: embedded,
  CreateInvitationPayload: embedded,
  DeleteConversationPayload: embedded,
  DeleteDocumentPayload: embedded,
  DeleteFeatureFlagPayload: embedded,
  GrantParentalConsentPayload: embedded,
  IngestDocumentPayload: embedded,
  LeaveCollectivePayload: embedded,
  RemoveMemberPayload: embedded,
  RenameConversationPayload: embedded,
  RecordConversationAnalyticsPayload: embedded,
  RequestParentalAuthorizationPayload: embedded,
  RevokeInvitationPayload: embedded,
  RevokeParentalConsentPayload: embedded,
  SendMessagePayload: embedded,
  SetCollectiveParentalConsentPayload: embedded,
  SignInPayload: embedded,
  SignOutPayload: embedded,
  StartChatSessionPayload: embedded,
  StartConversationPayload: embedded,
  SubmitFeedbackPayload: embedded,
  UpdateMemberRolePayload: embedded,
  UpdateProfilePayload: embedded,
  UpsertFeatureFlagPayload: embedded,
  UpsertLocalizedContentPayload: embedded,
};

export const resolvers = {
  Query: { users: relayPagination(), feedback: relayPagination() },
  User: { conversations: relayPagination() },
  Conversation: { chatSessions: relayPagination(), messages: relayPagination() },
  ChatSession: { messages: relayPagination() },
  Collective: { members: relayPagination(), invitations: relayPagination() },
};

/** A client for `url`; `token()` returns the current bearer token (or null when signed out). */
export function createApiClient(url: string, token: () => string | null) {
  return new Client({
    url,
    exchanges: [cacheExchange({ keys, resolvers }), fetchExchange],
    fetchOptions: (): RequestInit => {
      const t = token();
      const headers: Record<string, string> = t ? { authorization: `Bearer ${t}` } : {};
      return { headers };
    },
  });
}
