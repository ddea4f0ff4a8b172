// The collectives area's domain rules, shared by its mutations: the node refs their inputs decode,
// the collective lock that serializes membership management, and who may manage whom. What the
// caller's roles are (and keeping them in step after a write) is auth/caller.ts's.
import { z } from 'zod';
import { getRefFromModel, PrismaObjectRef } from '@pothos/plugin-prisma';
import { builder } from '../../builder.ts';
import type { MembershipRole } from '../../generated/prisma/client.ts';
import type { Tx } from '../../db/transaction.ts';
import { appError, ErrorCode, notFound } from '../../errors.ts';
import { refreshSessionScopes } from '../../consent/rules.ts';
import { boundedText } from '../../input/fields.ts';

/** The ref of the prismaNode a model's file registered (invitation.ts, membership.ts do not export theirs). */
function nodeRefOf(model: 'Invitation' | 'CollectiveMembership') {
  const ref = getRefFromModel(model, builder);
  if (!(ref instanceof PrismaObjectRef)) throw new Error(`${model} is not a Prisma object type`);
  return ref;
}
export const InvitationRef = nodeRefOf('Invitation');
export const MembershipRef = nodeRefOf('CollectiveMembership');

/** A display name: trimmed, 1 to 120 characters (the column's width). */
export const displayName = boundedText(1, 120);

/**
 * Locks the collective row for the rest of the transaction (FOR NO KEY UPDATE) so that role
 * changes, removals and consent-flag changes of one collective run one after the other: the owner
 * count read after the lock cannot be made stale by a concurrent demotion or departure, which is
 * what guarantees a collective never loses its last owner. Membership inserts (FOR KEY SHARE
 * through the foreign key) are not blocked. Returns the collective's consent flag with the
 * caller's membership there. A missing collective and one the caller does not belong to give the
 * same NOT_FOUND, after the same single statement.
 */
export async function lockAsMember(tx: Tx, collectiveId: string, userId: string) {
  // Locked only when the caller belongs to it: a stranger's call locks nothing, and a collective
  // hidden from them costs the one statement a missing one does (no row either way).
  const [collective] = await tx.$queryRaw<{ parentalConsentGranted: boolean }[]>`
    SELECT c.parental_consent_granted AS "parentalConsentGranted"
    FROM app.collective c
    WHERE c.id = ${collectiveId}::uuid
      AND EXISTS (SELECT 1 FROM app.collective_membership m WHERE m.collective_id = c.id AND m.user_id = ${userId}::uuid)
    FOR NO KEY UPDATE OF c`;
  if (!collective) throw notFound();
  // Read again under the lock: a removal or role change may have committed while this waited.
  const me = await tx.collectiveMembership.findUnique({
    where: { userId_collectiveId: { userId, collectiveId } },
    select: { id: true, role: true },
  });
  if (!me) throw notFound();
  return { ...collective, membershipId: me.id, role: me.role };
}

/**
 * The membership `membershipId` (another member's or the caller's own) and the caller's membership
 * in its collective, read under the collective's lock (lockAsMember). The first read only finds
 * which collective to lock; the target is read again after the lock, because a role change or
 * removal may have committed in between. NOT_FOUND when the membership does not exist or the
 * caller is not a member of its collective: a hidden membership answers like a missing one, after
 * the same single statement.
 */
export async function lockMembershipWithActor(tx: Tx, membershipId: string, userId: string) {
  // Found only in a collective the caller belongs to: a hidden membership costs the one statement
  // a missing one does, and locks nothing.
  const [found] = await tx.$queryRaw<{ collectiveId: string }[]>`
    SELECT t.collective_id AS "collectiveId"
    FROM app.collective_membership t
    WHERE t.id = ${membershipId}::uuid
      AND EXISTS (SELECT 1 FROM app.collective_membership m WHERE m.collective_id = t.collective_id AND m.user_id = ${userId}::uuid)`;
  if (!found) throw notFound();
  const me = await lockAsMember(tx, found.collectiveId, userId);
  const target = await tx.collectiveMembership.findUnique({
    where: { id: membershipId },
    select: { id: true, userId: true, collectiveId: true, role: true },
  });
  if (!target) throw notFound();
  return { me, target };
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
 * Whether `managerId` is OWNER or ADMIN of a collective `memberId` belongs to, as committed now,
 * with both memberships held (FOR SHARE) until the transaction ends: a concurrent demotion or
 * removal of either waits for this transaction, so what it decides on still holds at its commit.
 * For writes a manager is entitled to (the caller's facts, auth/caller.ts, are as of the request's
 * start and serve reads).
 */
export async function managesMemberOf(tx: Tx, managerId: string, memberId: string) {
  const rows = await tx.$queryRaw<{ collectiveId: string }[]>`
    SELECT m.collective_id AS "collectiveId"
    FROM app.collective_membership m JOIN app.collective_membership t ON t.collective_id = m.collective_id
    WHERE m.user_id = ${managerId}::uuid AND t.user_id = ${memberId}::uuid AND m.role::text IN ('OWNER', 'ADMIN')
    FOR SHARE`;
  return rows.length > 0;
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
