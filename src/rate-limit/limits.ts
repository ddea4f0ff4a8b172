// Rate limits on the abuse-prone operations (sign-in, consent requests and codes, invitation
// lookups): attempts per window, counted per client address and per user, with
// rate-limiter-flexible. Counters live in Redis when REDIS_URL is set, so every instance counts
// against the same budget; in memory otherwise. If Redis fails, each instance falls back to its
// own memory counters (the limiter's insurance) rather than refusing or waving everything through.
import { RateLimiterMemory, RateLimiterRedis, RateLimiterRes, type RateLimiterAbstract } from 'rate-limiter-flexible';
import type { Config } from '../config.ts';
import type { RedisConnections } from '../redis.ts';
import { appError, ErrorCode } from '../errors.ts';

export type LimitedOperation = Exclude<keyof Config['rateLimits'], 'windowSeconds'>;

/** Who is counted: the client address (src/http/client-ip.ts) and, when known, the user or account. */
export interface LimitKeys {
  ip: string | null;
  /** A user id, or for signIn the identity signed into (idp:loginId). */
  user?: string | null;
}

export interface RateLimits {
  /**
   * Counts one attempt of `operation` against each key. Throws RATE_LIMITED (HTTP 429 with
   * Retry-After; extensions.retryAfterSeconds) when any budget is spent; the attempt is counted
   * either way, so hammering a refused operation does not reopen it sooner.
   */
  consume(operation: LimitedOperation, keys: LimitKeys): Promise<void>;
}

export function rateLimited(retryAfterSeconds: number) {
  return appError(ErrorCode.RATE_LIMITED, `Too many attempts: try again in ${retryAfterSeconds} s`, {
    retryAfterSeconds,
    http: { status: 429, headers: { 'Retry-After': String(retryAfterSeconds) } },
  });
}

export function createRateLimits(config: Config, redis: RedisConnections | null): RateLimits {
  const { windowSeconds, ...operations } = config.rateLimits;
  const make = (name: string, points: number): RateLimiterAbstract | null => {
    if (points === 0) return null;
    const options = { points, duration: windowSeconds, keyPrefix: `${config.redis.keyPrefix}:rl:${name}` };
    const memory = new RateLimiterMemory(options);
    return redis ? new RateLimiterRedis({ ...options, storeClient: redis.commands, insuranceLimiter: memory }) : memory;
  };
  const limiters = Object.fromEntries(
    Object.entries(operations).map(([op, limits]) => [op, { ip: make(`${op}:ip`, limits.perIp), user: make(`${op}:user`, limits.perUser) }]),
  ) as Record<LimitedOperation, { ip: RateLimiterAbstract | null; user: RateLimiterAbstract | null }>;

  return {
    async consume(operation, keys) {
      const { ip, user } = limiters[operation];
      const attempts = [ip && keys.ip ? ip.consume(keys.ip) : null, user && keys.user ? user.consume(keys.user) : null].filter((p) => p !== null);
      const outcomes = await Promise.allSettled(attempts);
      let waitMs = 0;
      for (const outcome of outcomes) {
        if (outcome.status === 'fulfilled') continue;
        // A RateLimiterRes is a spent budget; anything else is a store failure the insurance did not absorb.
        if (!(outcome.reason instanceof RateLimiterRes)) throw outcome.reason;
        waitMs = Math.max(waitMs, outcome.reason.msBeforeNext);
      }
      if (outcomes.some((o) => o.status === 'rejected')) throw rateLimited(Math.max(1, Math.ceil(waitMs / 1000)));
    },
  };
}

/**
 * One attempt of `operation` by this request's client address and, when given, this user (a user
 * id, or an account key: never a raw login, which would land in Redis keys). RATE_LIMITED when spent.
 */
export const limitAttempt = (ctx: { readonly rateLimits: RateLimits; readonly clientIp: string | null }, operation: LimitedOperation, user?: string | null) =>
  ctx.rateLimits.consume(operation, { ip: ctx.clientIp, user });
