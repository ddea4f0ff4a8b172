// Invitation domain rules: the link that is shared, how many uses an invitation gets, and the
// one conditional UPDATE that consumes a use (no read-then-write race), with the error that
// explains why it did not.
import type { Config } from '../../config.ts';
import type { AgeClass, InvitationStatus, UserType } from '../../generated/prisma/client.ts';
import { appError, ErrorCode } from '../../errors.ts';
import type { Tx } from '../../db/transaction.ts';

export const MAX_USAGE_LIMIT = 10_000;
export const MAX_INVITATION_TTL_MS = 90 * 86_400_000;

/** The age classes each user type may hold (issue 9): an invitation made for another one is refused. */
export const AGE_CLASSES_OF: Record<UserType, readonly AgeClass[]> = {
  TEENAGER: ['CHILD', 'PRETEEN', 'TEENAGER'],
  PARENT: ['ADULT'],
};

/**
 * Whether an invitation made for `ageClass` fits this user: the class must be one their user type
 * may hold, whether or not they have an age class yet (a new teenager must not become ADULT by
 * accepting), and equal their own when they have one.
 */
export function ageClassFits(ageClass: AgeClass, user: { userType: UserType; ageClass: AgeClass | null }): boolean {
  return AGE_CLASSES_OF[user.userType].includes(ageClass) && (!user.ageClass || user.ageClass === ageClass);
}

/** The scope a field grants to let its caller read one invitation they are not otherwise allowed to see. */
export const invitationGrant = (invitationId: string) => `invitation:${invitationId}`;

/** The link a parent or teacher shares; the landing page reads the token from its last path segment. */
export const shareUrlFor = (config: Pick<Config, 'publicBaseUrl'>, token: string) => `${config.publicBaseUrl}/invitations/${token}`;

/**
 * null means unlimited. An invitation for one age class is meant for one child: omitted, its
 * limit is 1; an explicit null still asks for unlimited.
 */
export function usageLimitFor(ageClass: AgeClass | null | undefined, usageLimit: number | null | undefined): number | null {
  if (usageLimit === undefined) return ageClass ? 1 : null;
  return usageLimit;
}

/**
 * Consumes one use of the invitation if, at this instant, it can be used: PENDING or ACTIVE, not
 * expired, uses left. One statement, so concurrent accepts cannot both take the last use (on
 * PostgreSQL the losers wait on the row lock and re-check the conditions against the winner's
 * row). Returns false when nothing matched.
 */
export async function consumeUse(tx: Tx, invitationId: string, userId: string, now: Date): Promise<boolean> {
  const rows = await tx.$queryRaw<{ id: string }[]>`
    UPDATE app.invitation
    SET current_uses = current_uses + 1,
        status = CASE WHEN usage_limit IS NOT NULL AND current_uses + 1 >= usage_limit
                      THEN 'ACCEPTED'::app.invitation_status
                      ELSE 'ACTIVE'::app.invitation_status END,
        accepted_at = ${now}::timestamptz,
        accepted_by = ${userId}::uuid
    WHERE id = ${invitationId}::uuid
      AND status IN ('PENDING'::app.invitation_status, 'ACTIVE'::app.invitation_status)
      AND expires_at > ${now}::timestamptz
      AND (usage_limit IS NULL OR current_uses < usage_limit)
    RETURNING id`;
  return rows.length === 1;
}

interface InvitationState {
  status: InvitationStatus;
  expiresAt: Date;
  usageLimit: number | null;
  currentUses: number;
}

/** Why an invitation cannot be used now, or null when it can. Revoked first, then used up, then expired. */
export function unusableReason(inv: InvitationState, now: Date) {
  if (inv.status === 'REVOKED') return appError(ErrorCode.INVITATION_REVOKED, 'This invitation was revoked');
  if (inv.status === 'ACCEPTED' || (inv.usageLimit !== null && inv.currentUses >= inv.usageLimit)) {
    return appError(ErrorCode.INVITATION_EXHAUSTED, 'This invitation has already been used');
  }
  if (inv.status === 'EXPIRED' || inv.expiresAt <= now) return appError(ErrorCode.INVITATION_EXPIRED, 'This invitation has expired');
  return null;
}
