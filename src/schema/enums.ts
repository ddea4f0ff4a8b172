// GraphQL enums mirror the Prisma enums, value for value, so no mapping code can drift.
import { builder } from '../builder.ts';
import * as E from '../generated/prisma/enums.ts';

export const UserTypeEnum = builder.enumType(E.UserType, { name: 'UserType', description: 'The kind of account: TEENAGER (the chat\'s users) or PARENT (parents and teachers).' });
export const AgeClassEnum = builder.enumType(E.AgeClass, { name: 'AgeClass', description: 'A user\'s age band, youngest first: CHILD, PRETEEN (the demo world: under 13) and TEENAGER (13 and over) for teenager accounts; ADULT for parents.' });
export const IdpEnum = builder.enumType(E.Idp, { name: 'IdentityProvider', description: 'The identity provider that vouched for a login. MOCK_IDP is the development provider (off in production unless ENABLE_MOCK_IDP).' });
export const SessionScopeEnum = builder.enumType(E.SessionScope, {
  name: 'SessionScope',
  description: 'Where a session stands in the consent pipeline: ONBOARDING, then PENDING_CONSENT (teenagers waiting for a parent), then FULL.',
});
export const ConversationTypeEnum = builder.enumType(E.ConversationType, { name: 'ConversationType', description: 'Why a conversation was started: INCIDENT (something happened, e.g. bullying) or GENERAL.' });
export const CollectiveTypeEnum = builder.enumType(E.CollectiveType, { name: 'CollectiveType', description: 'What a collective is: FAMILY, SCHOOL, CLASS (its parent is a school) or OTHER.' });
export const MembershipRoleEnum = builder.enumType(E.MembershipRole, { name: 'MembershipRole', description: 'A member\'s role in a collective: OWNER and ADMIN manage it (members, invitations); MEMBER belongs to it.' });
export const InvitationStatusEnum = builder.enumType(E.InvitationStatus, { name: 'InvitationStatus', description: 'An invitation\'s state: PENDING (never used), ACTIVE (used, uses left), ACCEPTED (used up), REVOKED, or EXPIRED (past expiresAt).' });
export const AuthorizationRequestStatusEnum = builder.enumType(E.AuthorizationRequestStatus, { name: 'AuthorizationRequestStatus', description: 'Where a parental authorization request stands: PENDING (a code was mailed to the parent), GRANTED, DECLINED, CANCELLED, EXPIRED (its code is too old) or LOCKED (too many wrong codes).' });
export const FlagEnvironmentEnum = builder.enumType(E.FlagEnvironment, { name: 'FlagEnvironment', description: 'The environment a feature flag applies to: DEVELOPMENT, STAGING, PRODUCTION, or ALL.' });
export const FlagVisibilityEnum = builder.enumType(E.FlagVisibility, { name: 'FlagVisibility', description: 'Who may read a feature flag: FRONTEND or ALL flags are listed to clients; BACKEND flags never are.' });
export const FlagVariantEnum = builder.enumType(E.FlagVariant, { name: 'FlagVariant', description: 'The users a feature flag applies to: TEENAGER, PARENT, or ALL.' });
export const ContentCategoryEnum = builder.enumType(E.ContentCategory, { name: 'ContentCategory', description: 'The kind of a localized content entry: UI_MESSAGES, PROMPTS, PROMPT_SNIPPETS, CONTEXT_QUESTIONS or TOOLS (one file each under content/localized/).' });
export const DocumentCollectionEnum = builder.enumType(E.DocumentCollection, { name: 'DocumentCollection', description: 'A knowledge-base collection: YOUTH (for teenagers) or ADULT (parenting guides, for parents).' });
