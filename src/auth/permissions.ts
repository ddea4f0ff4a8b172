// The permissions an operator API key can hold, in one place: the scopeAuth `operator` scope
// checks these names; scripts/create-api-key.ts refuses any other.
export const PERMISSIONS = {
  'users:read': 'List and read every user (Query.users, user fields operators may see).',
  'conversations:read': 'Read conversation and chat session metadata of any user (never message text).',
  'collectives:read': 'List and read every collective and its members.',
  'feedback:read': 'Read all chat session feedback (Query.feedback).',
  'flags:write': 'Create, update and delete feature flags (upsertFeatureFlag, deleteFeatureFlag).',
  'content:write': 'Create and update localized content (upsertLocalizedContent).',
  'documents:read': 'Read every knowledge base document, whatever its collection.',
  'documents:write': 'Write knowledge base documents (ingestion); implies reading them.',
  'messages:write': 'Write chat messages on behalf of the companion agent.',
  'messages:read': 'Read chat message text of any conversation on behalf of the companion agent (ChatSession.messages, Conversation.messages and lastMessage, Subscription.messageAdded).',
  'analytics:write': 'Record conversation analytics on behalf of the chatbot backend (recordConversationAnalytics).',
  'analytics:read': 'Read k-anonymous conversation analytics aggregates platform-wide or for any collective (analyticsSummary); never free text.',
  'notifications:read': 'Read the development mailbox (Query.mailbox): mails kept instead of sent when SMTP_URL is unset, consent codes included.',
  'search:diagnostics':
    'Run searchDocuments as an operator (reading every document) and see what searches took from the caches (extensions.search, SearchResult.fromCache), which users never see.',
  '*': 'Every permission above, and any added later.',
} as const satisfies Record<string, string>;

export type Permission = keyof typeof PERMISSIONS;

export const isPermission = (value: string): value is Permission => Object.hasOwn(PERMISSIONS, value);
