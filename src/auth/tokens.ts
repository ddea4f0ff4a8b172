// Bearer tokens, invitation tokens and API keys: 256 random bits, base64url; only sha256 is stored.
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

export const generateToken = () => randomBytes(32).toString('base64url');
export const hashToken = (token: string) => createHash('sha256').update(token, 'utf8').digest('hex');

export function sameHash(a: string, b: string) {
  const x = Buffer.from(a, 'hex');
  const y = Buffer.from(b, 'hex');
  return x.length === y.length && timingSafeEqual(x, y);
}

/** A plausible token: rejects junk before it costs a database round trip. */
export const looksLikeToken = (token: string) => /^[A-Za-z0-9_-]{20,128}$/.test(token);
