// Feature flag evaluation for one caller. Pure: the rules and the caller in, a boolean out.
// Unknown rule keys or malformed rules switch the flag off (fail closed).
import { createHash } from 'node:crypto';
import type { FeatureFlag } from '../../generated/prisma/client.ts';

export interface FlagSubject {
  userId: string | null;
  userType: 'TEENAGER' | 'PARENT' | null;
  language: string | null;
  country: string | null;
  ageClass: string | null;
}

export type ServerEnvironment = 'DEVELOPMENT' | 'STAGING' | 'PRODUCTION';

export function serverEnvironment(env: 'development' | 'staging' | 'production' | 'test'): ServerEnvironment {
  return env === 'production' ? 'PRODUCTION' : env === 'staging' ? 'STAGING' : 'DEVELOPMENT';
}

const ATTRIBUTES = ['language', 'country', 'ageClass', 'userType'] as const;

/** A stable bucket in [0, 100) for this user and flag: the same answer on every request. */
export function rolloutBucket(userId: string, flagName: string) {
  const digest = createHash('sha256').update(`${userId}:${flagName}`).digest();
  return (digest.readUInt32BE(0) % 10_000) / 100;
}

function matchesValue(actual: string | null, expected: unknown) {
  if (actual === null) return false;
  if (typeof expected === 'string') return actual === expected;
  if (expected && typeof expected === 'object' && Array.isArray((expected as { in?: unknown }).in)) {
    return ((expected as { in: unknown[] }).in).includes(actual);
  }
  return false;
}

export function rulesMatch(rules: unknown, subject: FlagSubject, flagName: string) {
  if (rules === null || rules === undefined) return true;
  if (typeof rules !== 'object' || Array.isArray(rules)) return false;
  for (const [key, expected] of Object.entries(rules as Record<string, unknown>)) {
    if (key === 'rollout') {
      const pct = (expected as { percentage?: unknown })?.percentage;
      if (typeof pct !== 'number' || !subject.userId) return false;
      if (rolloutBucket(subject.userId, flagName) >= pct) return false;
    } else if ((ATTRIBUTES as readonly string[]).includes(key)) {
      if (!matchesValue(subject[key as (typeof ATTRIBUTES)[number]], expected)) return false;
    } else {
      return false;
    }
  }
  return true;
}

export function isFlagOn(
  flag: Pick<FeatureFlag, 'name' | 'isEnabled' | 'environment' | 'variant' | 'visibility' | 'targetingRules'>,
  subject: FlagSubject,
  env: ServerEnvironment,
) {
  return (
    flag.isEnabled &&
    (flag.environment === 'ALL' || flag.environment === env) &&
    (flag.variant === 'ALL' || flag.variant === subject.userType) &&
    rulesMatch(flag.targetingRules, subject, flag.name)
  );
}
