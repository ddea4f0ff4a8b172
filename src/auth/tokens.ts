// Bearer tokens, invitation tokens and API keys: 256 random bits, base64url; only sha256 is stored.
import { createHash, randomBytes } from 'node:crypto';

export const generateToken = () => randomBytes(32).toString('base64url');
export const hashToken = (token: string) =>
  createHash('sha256')
    // Stryker disable next-line StringLiteral: equivalent ('utf8' -> ''): Node hashes a string as UTF-8 when no encoding is named.
    .update(token, 'utf8')
    .digest('hex');

/** A plausible token: rejects junk before it costs a database round trip. */
export const looksLikeToken = (token: string) => /^[A-Za-z0-9_-]{20,128}$/.test(token);
