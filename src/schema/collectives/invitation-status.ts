import type { InvitationStatus } from '../../generated/prisma/client.ts';

/** Expiry is a function of time: a PENDING or ACTIVE invitation past expiresAt is EXPIRED. */
export function effectiveStatus(inv: { status: InvitationStatus; expiresAt: Date }, now: Date): InvitationStatus {
  if ((inv.status === 'PENDING' || inv.status === 'ACTIVE') && inv.expiresAt <= now) return 'EXPIRED';
  return inv.status;
}
