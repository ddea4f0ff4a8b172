// Checking a parent's one-time code against a teenager's request, inside the grant's transaction.
// The request row is locked first, so concurrent guesses are counted one after the other and never
// evaluated past the limit: the fifth wrong code locks the request for good.
import type { Prisma } from '../generated/prisma/client.ts';
import { consentCodeMatches, MAX_CODE_ATTEMPTS } from './codes.ts';

export type CodeCheck =
  | { outcome: 'valid' }
  /** No open request of this teenager that this parent may answer: NOT_FOUND, like a missing one. */
  | { outcome: 'missing' }
  /** The request is open but no code was given: nothing is counted. */
  | { outcome: 'noCode' }
  | { outcome: 'wrong'; attemptsLeft: number }
  | { outcome: 'locked' }
  | { outcome: 'expired' };

/**
 * Compares `code` with the request's stored hashes (the latest mail's and up to CODES_KEPT - 1 earlier). A wrong code is counted (the caller must commit
 * the transaction and then refuse); the MAX_CODE_ATTEMPTS-th locks the request (status LOCKED); an
 * expired code turns the request EXPIRED whatever was typed. A request with no mail sent yet has no
 * hash: every code is wrong.
 */
export async function checkConsentCode(
  tx: Prisma.TransactionClient,
  args: { requestId: string; teenagerId: string; parentId: string; code: string | null; now: Date },
): Promise<CodeCheck> {
  const [row] = await tx.$queryRaw<{ status: string; codeHashes: (string | null)[]; codeExpiresAt: Date | null; failedAttempts: number }[]>`
    SELECT status::text AS status, array_append(coalesce(earlier_code_hashes, '{}'), code_hash)::text[] AS "codeHashes", code_expires_at AS "codeExpiresAt", failed_attempts AS "failedAttempts"
    FROM app.parental_authorization_request
    WHERE id = ${args.requestId}::uuid AND teenager_id = ${args.teenagerId}::uuid AND (parent_id IS NULL OR parent_id = ${args.parentId}::uuid)
    FOR UPDATE`;
  if (!row) return { outcome: 'missing' };
  if (row.status === 'LOCKED') return { outcome: 'locked' };
  if (row.status === 'EXPIRED') return { outcome: 'expired' };
  if (row.status !== 'PENDING') return { outcome: 'missing' };
  if (!args.code) return { outcome: 'noCode' };
  if (row.codeExpiresAt && row.codeExpiresAt <= args.now) {
    await tx.parentalAuthorizationRequest.update({ where: { id: args.requestId }, data: { status: 'EXPIRED', resolvedAt: args.now }, select: { id: true } });
    return { outcome: 'expired' };
  }
  if (consentCodeMatches(args.requestId, args.code, row.codeHashes)) return { outcome: 'valid' };
  const failedAttempts = row.failedAttempts + 1;
  const locked = failedAttempts >= MAX_CODE_ATTEMPTS;
  await tx.parentalAuthorizationRequest.update({
    where: { id: args.requestId },
    data: { failedAttempts, ...(locked ? { status: 'LOCKED' as const, resolvedAt: args.now } : {}) },
    select: { id: true },
  });
  return locked ? { outcome: 'locked' } : { outcome: 'wrong', attemptsLeft: MAX_CODE_ATTEMPTS - failedAttempts };
}
