// GraphQL enums mirror the Prisma enums, value for value, so no mapping code can drift.
import { builder } from '../builder.ts';
import * as E from '../generated/prisma/enums.ts';

export const UserTypeEnum = builder.enumType(E.UserType, { name: 'UserType' });
export const AgeClassEnum = builder.enumType(E.AgeClass, { name: 'AgeClass' });
export const IdpEnum = builder.enumType(E.Idp, { name: 'IdentityProvider' });
export const SessionScopeEnum = builder.enumType(E.SessionScope, {
  name: 'SessionScope',
  description: 'Where a session stands in the consent pipeline: ONBOARDING, then PENDING_CONSENT (teenagers waiting for a parent), then FULL.',
});
export const ConversationTypeEnum = builder.enumType(E.ConversationType, { name: 'ConversationType' });
export const CollectiveTypeEnum = builder.enumType(E.CollectiveType, { name: 'CollectiveType' });
export const MembershipRoleEnum = builder.enumType(E.MembershipRole, { name: 'MembershipRole' });
export const InvitationStatusEnum = builder.enumType(E.InvitationStatus, { name: 'InvitationStatus' });
export const AuthorizationRequestStatusEnum = builder.enumType(E.AuthorizationRequestStatus, { name: 'AuthorizationRequestStatus' });
export const FlagEnvironmentEnum = builder.enumType(E.FlagEnvironment, { name: 'FlagEnvironment' });
export const FlagVisibilityEnum = builder.enumType(E.FlagVisibility, { name: 'FlagVisibility' });
export const FlagVariantEnum = builder.enumType(E.FlagVariant, { name: 'FlagVariant' });
export const ContentCategoryEnum = builder.enumType(E.ContentCategory, { name: 'ContentCategory' });
export const DocumentCollectionEnum = builder.enumType(E.DocumentCollection, { name: 'DocumentCollection' });
