// Bearer tokens, invitation tokens and API keys: 256 random bits, base64url; only sha256 is stored.
import { createHash, randomBytes } from 'node:crypto';

export const generateToken = () => randomBytes(32).toString('base64url');
// A string is hashed as its UTF-8 bytes: Node's documented default, so no encoding is named (naming
// 'utf8' left a mutant, the empty encoding, that hashes the same bytes and no test can tell apart).
export const hashToken = (token: string) => createHash('sha256').update(token).digest('hex');

/** A plausible token: rejects junk before it costs a database round trip. */
export const looksLikeToken = (token: string) => /^[A-Za-z0-9_-]{20,128}$/.test(token);
