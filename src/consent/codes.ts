// One-time parental consent codes (issue 9, in the spirit of COPPA's "e-mail plus" and the CNIL's
// recommendations for minors under 15): 10 characters of Crockford base32 (50 random bits),
// shown as XXXXX-XXXXX, sent to the parent contact only, stored as a sha256 bound to the request,
// compared in constant time, and useless after MAX_CODE_ATTEMPTS wrong guesses (the request is
// locked) or after CONSENT_CODE_TTL_HOURS.
import { createHash, randomInt, timingSafeEqual } from 'node:crypto';

/** Wrong codes a request accepts before it is LOCKED. */
export const MAX_CODE_ATTEMPTS = 5;
export const CODE_LENGTH = 10;
// Crockford's base32: no I, L, O or U, so a code read aloud or retyped is not misread.
const ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';

/** A fresh code from the operating system's CSPRNG, e.g. "7KQ2M-X9D4B". */
export function generateConsentCode(): string {
  let code = '';
  for (let i = 0; i < CODE_LENGTH; i++) code += ALPHABET[randomInt(ALPHABET.length)];
  return `${code.slice(0, 5)}-${code.slice(5)}`;
}

/**
 * The code as typed, canonical: case, spaces and hyphens ignored, and the letters Crockford maps
 * (O to 0, I and L to 1). Null when it cannot be a code (wrong length or characters).
 */
export function normalizeConsentCode(input: string): string | null {
  const code = input
    .toUpperCase()
    .replace(/[\s-]/g, '')
    .replace(/O/g, '0')
    .replace(/[IL]/g, '1');
  if (code.length !== CODE_LENGTH || [...code].some((c) => !ALPHABET.includes(c))) return null;
  return code;
}

/** sha256 hex of the request id and the canonical code: a hash copied to another request is useless. */
export function hashConsentCode(requestId: string, code: string): string {
  const canonical = normalizeConsentCode(code) ?? code;
  return createHash('sha256').update(`${requestId}:${canonical}`).digest('hex');
}

/**
 * Codes one request keeps valid at once: the latest mail's and the three before it. A retry mails a
 * new code, yet a mail the server accepted after our timeout did reach the parent (src/notifications/outbox.ts).
 */
export const CODES_KEPT = 4;

/** Whether `input` is one of the codes whose hashes are stored, in constant time for each. */
export function consentCodeMatches(requestId: string, input: string, storedHashes: readonly (string | null)[]): boolean {
  const code = normalizeConsentCode(input);
  if (!code) return false;
  const a = Buffer.from(hashConsentCode(requestId, code), 'hex');
  let match = false;
  for (const stored of storedHashes) {
    if (!stored) continue;
    const b = Buffer.from(stored, 'hex');
    // No early exit: the time taken does not tell which of the codes matched.
    if (a.length === b.length && timingSafeEqual(a, b)) match = true;
  }
  return match;
}
