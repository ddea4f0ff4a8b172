// The consent pipeline of seed 001: a session is ONBOARDING until the user accepts the terms;
// then a parent is FULL, and a teenager is FULL only with parental consent (a ParentalConsent
// row naming them, or membership in a collective that grants it), PENDING_CONSENT otherwise.
import type { SessionScope } from '../generated/prisma/client.ts';
import { afterCommit } from '../events/after-commit.ts';
import { sessionsChanged } from '../events/topics.ts';

import type { Tx } from '../db/transaction.ts';

export interface ScopeFacts {
  userType: 'TEENAGER' | 'PARENT';
  hasConsented: boolean;
  hasParentalConsent: boolean;
}

export function scopeFor(facts: ScopeFacts): SessionScope {
  if (!facts.hasConsented) return 'ONBOARDING';
  if (facts.userType === 'PARENT') return 'FULL';
  return facts.hasParentalConsent ? 'FULL' : 'PENDING_CONSENT';
}

/** The step that would move a session on, for CONSENT_REQUIRED errors. */
export function nextStep(scope: SessionScope): 'ACCEPT_TERMS' | 'PARENTAL_CONSENT' | null {
  return scope === 'ONBOARDING' ? 'ACCEPT_TERMS' : scope === 'PENDING_CONSENT' ? 'PARENTAL_CONSENT' : null;
}

/** Each user's scope from the database, in three queries whatever the number of users. */
export async function scopesOf(tx: Tx, userIds: readonly string[]): Promise<Map<string, SessionScope>> {
  const ids = [...new Set(userIds)];
  if (ids.length === 0) return new Map();
  const [users, consents, parental, granted] = await Promise.all([
    tx.user.findMany({ where: { id: { in: ids } }, select: { id: true, userType: true } }),
    tx.userConsent.findMany({ where: { userId: { in: ids } }, select: { userId: true }, distinct: ['userId'] }),
    tx.parentalConsent.findMany({ where: { teenagerId: { in: ids } }, select: { teenagerId: true }, distinct: ['teenagerId'] }),
    tx.collectiveMembership.findMany({
      where: { userId: { in: ids }, collective: { parentalConsentGranted: true } },
      select: { userId: true },
      distinct: ['userId'],
    }),
  ]);
  const consented = new Set(consents.map((c) => c.userId));
  const withParental = new Set([...parental.map((p) => p.teenagerId), ...granted.map((g) => g.userId)]);
  return new Map(
    users.map((u) => [u.id, scopeFor({ userType: u.userType, hasConsented: consented.has(u.id), hasParentalConsent: withParental.has(u.id) })]),
  );
}

/**
 * Moves every live session of these users to the scope their consents now give them, in the
 * caller's transaction, and announces it to their sessionChanged subscribers once it commits.
 * Returns the scope of each user.
 */
export async function refreshSessionScopes(tx: Tx, userIds: readonly string[], now = new Date()) {
  const ids = [...new Set(userIds)];
  if (ids.length === 0) return new Map<string, SessionScope>();
  // Lock the sessions in one global order first: two transactions refreshing overlapping sets of
  // users (two parents changing consent at once) then queue instead of deadlocking.
  await tx.$queryRaw`SELECT id FROM app.app_session WHERE user_id = ANY(${ids}::uuid[]) AND expires_at > ${now} ORDER BY id FOR UPDATE`;
  const scopes = await scopesOf(tx, ids);
  const byScope = new Map<SessionScope, string[]>();
  for (const [userId, scope] of scopes) byScope.set(scope, [...(byScope.get(scope) ?? []), userId]);
  for (const [scope, ids] of byScope) {
    await tx.appSession.updateMany({
      where: { userId: { in: ids }, expiresAt: { gt: now }, scope: { not: scope } },
      data: { scope },
    });
  }
  for (const userId of ids) afterCommit(sessionsChanged(userId));
  return scopes;
}
