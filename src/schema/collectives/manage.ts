// What the collective mutations share: the node refs their inputs decode, the collective lock
// that serializes membership management, the role rules, and keeping the request's view of the
// caller (roles, session) in step with what a mutation just wrote.
import { z } from 'zod';
import { getRefFromModel, PrismaObjectRef } from '@pothos/plugin-prisma';
import { builder } from '../../builder.ts';
import type { Context } from '../../context.ts';
import type { AppSession, MembershipRole, Prisma } from '../../generated/prisma/client.ts';
import { appError, ErrorCode, notFound } from '../../errors.ts';
import { refreshSessionScopes } from '../../consent/pipeline.ts';

export type Tx = Prisma.TransactionClient;

/** The ref of the prismaNode a model's file registered (invitation.ts, membership.ts do not export theirs). */
function nodeRefOf(model: 'Invitation' | 'CollectiveMembership') {
  const ref = getRefFromModel(model, builder);
  if (!(ref instanceof PrismaObjectRef)) throw new Error(`${model} is not a Prisma object type`);
  return ref;
}
export const InvitationRef = nodeRefOf('Invitation');
export const MembershipRef = nodeRefOf('CollectiveMembership');

/** A display name: trimmed, 1 to 120 characters (the column's width). */
export const displayName = z.string().trim().min(1, 'must not be empty').max(120, 'at most 120 characters');

export const isManager = (role: MembershipRole | null | undefined) => role === 'OWNER' || role === 'ADMIN';

/**
 * Locks the collective row for the rest of the transaction (FOR NO KEY UPDATE) so that role
 * changes, removals and consent-flag changes of one collective run one after the other: the owner
 * count read after the lock cannot be made stale by a concurrent demotion or departure, which is
 * what guarantees a collective never loses its last owner. Membership inserts (FOR KEY SHARE
 * through the foreign key) are not blocked. Returns null when the collective does not exist.
 */
export async function lockCollective(tx: Tx, collectiveId: string) {
  const rows = await tx.$queryRaw<{ parentalConsentGranted: boolean }[]>`
    SELECT parental_consent_granted AS "parentalConsentGranted"
    FROM app.collective WHERE id = ${collectiveId}::uuid FOR NO KEY UPDATE`;
  return rows[0] ?? null;
}

/**
 * Locks the collective (see lockCollective) and returns it with the caller's membership there.
 * A missing collective and one the caller does not belong to give the same NOT_FOUND.
 */
export async function lockAsMember(tx: Tx, collectiveId: string, userId: string) {
  const collective = await lockCollective(tx, collectiveId);
  if (!collective) throw notFound();
  const me = await tx.collectiveMembership.findUnique({
    where: { userId_collectiveId: { userId, collectiveId } },
    select: { id: true, role: true },
  });
  if (!me) throw notFound();
  return { ...collective, membershipId: me.id, role: me.role };
}

/** Owners after the lock: the count that decides LAST_OWNER. */
export const ownerCount = (tx: Tx, collectiveId: string) => tx.collectiveMembership.count({ where: { collectiveId, role: 'OWNER' } });

export const lastOwner = () => appError(ErrorCode.LAST_OWNER, 'A collective needs at least one owner: make someone else OWNER first');

/**
 * Deletes a membership, under the collective's lock (lockAsMember first). The last owner stays:
 * LAST_OWNER. When the collective granted parental consent, the member's live sessions move to
 * the scope they have without it, in the same transaction.
 */
export async function deleteMembership(
  tx: Tx,
  membership: { id: string; userId: string; collectiveId: string; role: MembershipRole },
  parentalConsentGranted: boolean,
  now: Date,
) {
  if (membership.role === 'OWNER' && (await ownerCount(tx, membership.collectiveId)) <= 1) throw lastOwner();
  await tx.collectiveMembership.delete({ where: { id: membership.id }, select: { id: true } });
  if (parentalConsentGranted) await refreshSessionScopes(tx, [membership.userId], now);
}

/**
 * Whether `actor` may change or remove the membership `target` (another member's):
 * owners manage everyone, admins manage plain members only, members manage no one.
 */
export function mayManage(actor: MembershipRole, target: MembershipRole) {
  if (actor === 'OWNER') return true;
  if (actor === 'ADMIN') return target === 'MEMBER';
  return false;
}

/**
 * After a committed write changed `userId`'s role in a collective (null: no longer a member),
 * this request's authorization facts follow: the rolesByUser cache, the viewer's roles, and the
 * memberships noted as seen.
 */
export function noteRoleChange(ctx: Context, userId: string, collectiveId: string, role: MembershipRole | null) {
  const isViewer = ctx.viewer.kind === 'user' && ctx.viewer.user.id === userId;
  if (role === null) ctx.loaders.seenMemberships.get(userId)?.delete(collectiveId);
  if (!isViewer || ctx.viewer.kind !== 'user') {
    // Another user's roles: reload on next use rather than guess.
    ctx.loaders.rolesByUser.clear(userId);
    return;
  }
  const roles = new Map(ctx.viewer.roles);
  if (role === null) roles.delete(collectiveId);
  else roles.set(collectiveId, role);
  ctx.viewer = { ...ctx.viewer, roles };
  ctx.loaders.rolesByUser.clear(userId).prime(userId, roles);
}

/** After a committed write that may have moved the caller's session in the consent pipeline. */
export function noteSession(ctx: Context, session: AppSession | null) {
  if (session && ctx.viewer.kind === 'user' && ctx.viewer.session.id === session.id) ctx.viewer = { ...ctx.viewer, session };
}
