// The auth scopes every field declares (builder.ts names them; fields use them in `authScopes`),
// and the one error each refusal becomes. The facts they test are auth/caller.ts's. Rules on rows (who sees which object) live in each
// area's auth.ts and in src/visibility.ts; these decide who may call a field at all.
import { AuthScopeFailureType, type AuthFailure } from '@pothos/plugin-scope-auth';
import type { Context } from '../context.ts';
import { hasPermission, managesUser, roleIn, sessionReaches, viewerUserId } from './caller.ts';
import type { MembershipRole, SessionScope } from '../generated/prisma/client.ts';
import { appError, ErrorCode, forbidden, unauthenticated } from '../errors.ts';
import { nextStep } from '../consent/rules.ts';
import type { Permission } from './permissions.ts';
import type { SqlParam } from '../visibility.ts';

/** The scope parameters a field's `authScopes` may name (the builder's AuthScopes type). */
export interface Scopes {
  /** Anyone, anonymous included: the field is public on purpose (sign-in, health, public content). */
  public: boolean;
  /** A signed-in user or an operator key: what they see is then decided row by row (visibility.ts). */
  authenticated: boolean;
  /** A signed-in user, at any step of the consent pipeline. */
  user: boolean;
  /** A signed-in user whose session reached this step; short of it: CONSENT_REQUIRED with `nextStep`. */
  session: SessionScope;
  /** An operator API key holding this permission (or `*`). */
  operator: Permission;
  /** The signed-in user is this user. */
  self: string;
  /** The signed-in user is this user, or OWNER or ADMIN of a collective this user belongs to. */
  managerOf: string;
  /** The signed-in user has one of these roles in this collective. */
  collectiveRole: { collectiveId: string; roles: readonly MembershipRole[] };
}

type ScopeLoaders = { [K in keyof Scopes]: boolean | ((param: Scopes[K]) => boolean | Promise<boolean>) };

/** Evaluates each scope for this request's caller; Pothos caches each answer per request. */
export function scopesFor(ctx: Context): ScopeLoaders {
  const userId = viewerUserId(ctx);
  return {
    public: true,
    authenticated: ctx.viewer.kind !== 'anonymous',
    user: userId !== null,
    session: (minimum) => sessionReaches(ctx, minimum),
    operator: (permission) => hasPermission(ctx, permission),
    self: (id) => userId !== null && id === userId,
    managerOf: (id) => (userId !== null && id === userId) || managesUser(ctx, id),
    collectiveRole: ({ collectiveId, roles: allowed }) => {
      const role = roleIn(ctx, collectiveId);
      return role !== null && allowed.includes(role);
    },
  };
}

/**
 * The SQL forms of the scopes the fast read path meets on fields below its roots (src/read-path),
 * beside scopesFor's JS forms: `self` over a column holding a user id, `operator` decided by the
 * viewer alone (TRUE or FALSE).
 */
export const scopeSql = {
  self: (ctx: Context, column: string, param: SqlParam) => {
    const userId = viewerUserId(ctx);
    return userId ? `${column} = ${param(userId)}::uuid` : 'FALSE';
  },
  operator: (ctx: Context, permission: Permission) => (hasPermission(ctx, permission) ? 'TRUE' : 'FALSE'),
};

/** Every single-scope failure under a (possibly nested $any/$all) failure. */
function leaves(failure: AuthFailure): AuthFailure[] {
  return failure.kind === AuthScopeFailureType.AnyAuthScopes || failure.kind === AuthScopeFailureType.AllAuthScopes ? failure.failures.flatMap(leaves) : [failure];
}

/**
 * The error a refused field raises. On a root field: an anonymous caller is UNAUTHENTICATED, a
 * user short of the consent step a `session` scope asks for is CONSENT_REQUIRED (with the step
 * that is missing), an operator key lacking a permission is told which; everything else is
 * FORBIDDEN. Below the root the caller learns only that the field is not theirs (FORBIDDEN):
 * the message never says whether an object exists.
 */
export function refusal(ctx: Context, failure: AuthFailure, atRoot: boolean) {
  if (!atRoot) return forbidden();
  const { viewer } = ctx;
  if (viewer.kind === 'anonymous') return unauthenticated();
  const failed = leaves(failure);
  if (viewer.kind === 'user') {
    const step = failed.find((f) => f.kind === AuthScopeFailureType.AuthScope && f.scope === 'session');
    if (step?.kind === AuthScopeFailureType.AuthScope) {
      const requiredScope = step.parameter as SessionScope;
      const currentScope = viewer.session.scope;
      return appError(ErrorCode.CONSENT_REQUIRED, `This needs a session in scope ${requiredScope}; yours is ${currentScope}`, {
        requiredScope,
        currentScope,
        nextStep: nextStep(currentScope),
      });
    }
    return forbidden();
  }
  const permission = failed.find((f) => f.kind === AuthScopeFailureType.AuthScope && f.scope === 'operator');
  if (permission?.kind === AuthScopeFailureType.AuthScope) return forbidden(`This API key lacks the ${String(permission.parameter)} permission`);
  return forbidden('This operation needs a user session, not an API key');
}

/** The root operation types: a field there is an entry point and must declare its rule. */
export const ROOT_TYPES = new Set(['Query', 'Mutation', 'Subscription']);
