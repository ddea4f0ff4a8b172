// Creating operator API keys: 256 random bits shown once to the caller; only their sha256 is stored.
import type { ApiKey, Prisma, PrismaClient } from '../generated/prisma/client.ts';
import { isPermission, PERMISSIONS, type Permission } from './permissions.ts';
import { generateToken, hashToken } from './tokens.ts';

export interface NewApiKey {
  name: string;
  permissions: readonly string[];
  /** When the key stops working; null or absent: never. */
  expiresAt?: Date | null;
}

/** The request was invalid; the message says why and is safe to print. */
export class ApiKeyInputError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ApiKeyInputError';
  }
}

export interface CreatedApiKey {
  /** The secret. It exists only in this object: print it once and drop it. */
  key: string;
  apiKey: ApiKey;
}

/** Checks a request for a key, returning it normalized (trimmed name, permissions deduplicated). */
export function validateNewApiKey(input: NewApiKey, now = new Date()) {
  const name = input.name.trim();
  if (name.length < 1 || [...name].length > 100) throw new ApiKeyInputError('The name must have 1 to 100 characters');
  const permissions = [...new Set(input.permissions.map((p) => p.trim()).filter(Boolean))];
  if (permissions.length === 0) throw new ApiKeyInputError(`Give at least one permission: ${Object.keys(PERMISSIONS).join(', ')}`);
  const unknown = permissions.filter((p) => !isPermission(p));
  if (unknown.length) {
    throw new ApiKeyInputError(`Unknown permission(s): ${unknown.join(', ')}. Known: ${Object.keys(PERMISSIONS).join(', ')}`);
  }
  const expiresAt = input.expiresAt ?? null;
  if (expiresAt && !(expiresAt.getTime() > now.getTime())) throw new ApiKeyInputError('The expiry must be in the future');
  return { name, permissions: permissions as Permission[], expiresAt };
}

export async function createApiKey(prisma: PrismaClient | Prisma.TransactionClient, input: NewApiKey, now = new Date()): Promise<CreatedApiKey> {
  const data = validateNewApiKey(input, now);
  const key = generateToken();
  const apiKey = await prisma.apiKey.create({ data: { ...data, keyHash: hashToken(key), isActive: true } });
  return { key, apiKey };
}
