// Operator API keys: creating them (the function scripts/create-api-key.ts calls; the script
// itself is tested in operators.test.ts) and what the server makes of a presented X-Api-Key.
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { dbKind } from './helpers/env.ts';
import { codesOf, useTestApp } from './helpers/app.ts';
import { createApiKey as createTestKey } from './factories/index.ts';
import { ApiKeyInputError, createApiKey, validateNewApiKey } from '../src/auth/api-keys.ts';
import { isPermission, PERMISSIONS } from '../src/auth/permissions.ts';
import { hashToken } from '../src/auth/tokens.ts';

const USERS = '{ users(first: 1) { totalCount } }';
const KNOWN = Object.keys(PERMISSIONS).join(', ');

describe(`API keys (${dbKind})`, () => {
  const api = useTestApp({ env: { SESSION_TOUCH_INTERVAL_SECONDS: '60' } });

  it('createApiKey stores only the hash, normalized, and the key works at once', async () => {
    const expiresAt = new Date(Date.now() + 86_400_000);
    const { key, apiKey } = await createApiKey(api.prisma, { name: '  ops  ', permissions: ['users:read', ' users:read ', 'flags:write', ''], expiresAt });
    expect(key).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(apiKey).toMatchObject({ name: 'ops', keyHash: hashToken(key), permissions: ['users:read', 'flags:write'], isActive: true, expiresAt });
    const row = await api.prisma.apiKey.findUniqueOrThrow({ where: { id: apiKey.id } });
    expect(JSON.stringify(row)).not.toContain(key);
    const r = await api.gql(USERS, {}, { apiKey: key });
    expect(r.errors).toBeUndefined();
    expect(r.data.users.totalCount).toBeGreaterThanOrEqual(0);
    // Without an expiry it never expires.
    expect((await createApiKey(api.prisma, { name: 'x', permissions: ['*'] })).apiKey.expiresAt).toBeNull();
  });

  it('createApiKey refuses unknown permissions, no permission, a bad name or an expiry not in the future, each with its message, writing nothing', async () => {
    const before = await api.prisma.apiKey.count();
    const now = new Date();
    const cases: [Parameters<typeof createApiKey>[1], string][] = [
      [{ name: 'x', permissions: ['flags:write', 'flags:admin', 'toString'] }, `Unknown permission(s): flags:admin, toString. Known: ${KNOWN}`],
      [{ name: 'x', permissions: [] }, `Give at least one permission: ${KNOWN}`],
      [{ name: 'x', permissions: [' ', ''] }, `Give at least one permission: ${KNOWN}`],
      [{ name: '  ', permissions: ['flags:write'] }, 'The name must have 1 to 100 characters'],
      [{ name: 'n'.repeat(101), permissions: ['flags:write'] }, 'The name must have 1 to 100 characters'],
      [{ name: '🔑'.repeat(101), permissions: ['flags:write'] }, 'The name must have 1 to 100 characters'],
      [{ name: 'x', permissions: ['flags:write'], expiresAt: new Date(now.getTime() - 1) }, 'The expiry must be in the future'],
      [{ name: 'x', permissions: ['flags:write'], expiresAt: now }, 'The expiry must be in the future'],
    ];
    for (const [input, message] of cases) {
      const attempt = createApiKey(api.prisma, input, now);
      await expect(attempt, JSON.stringify(input)).rejects.toBeInstanceOf(ApiKeyInputError);
      await expect(createApiKey(api.prisma, input, now)).rejects.toHaveProperty('message', message);
    }
    expect(await api.prisma.apiKey.count()).toBe(before);
  });

  it('the bounds themselves are accepted: 1 and 100 characters (counted as characters, not UTF-16 units), an expiry 1 ms ahead', () => {
    const now = new Date();
    expect(validateNewApiKey({ name: 'a', permissions: ['*'] }, now).name).toBe('a');
    expect(validateNewApiKey({ name: 'n'.repeat(100), permissions: ['*'] }, now).name).toHaveLength(100);
    expect([...validateNewApiKey({ name: '🔑'.repeat(100), permissions: ['*'] }, now).name]).toHaveLength(100);
    const soon = new Date(now.getTime() + 1);
    expect(validateNewApiKey({ name: 'a', permissions: ['*'], expiresAt: soon }, now)).toEqual({ name: 'a', permissions: ['*'], expiresAt: soon });
    expect(validateNewApiKey({ name: 'a', permissions: ['*'], expiresAt: null }, now).expiresAt).toBeNull();
    // Names of Object.prototype are no permissions.
    expect(['users:read', '*', 'constructor', 'hasOwnProperty', '__proto__'].map(isPermission)).toEqual([true, true, false, false, false]);
  });

  it('documents every permission the code checks, and lists none it never checks', async () => {
    // Every permission literal passed to hasPermission, requireOperator or an `operator` scope.
    const { readdir, readFile } = await import('node:fs/promises');
    const files = (await readdir('src', { recursive: true })).filter((f) => f.endsWith('.ts') && !f.startsWith('generated'));
    const checked = new Set<string>();
    const pattern = /(?:hasPermission\(ctx, |requireOperator\(ctx, |operator: )'([a-z]+:[a-z]+)'/g;
    for (const f of files) for (const m of (await readFile(path.join('src', f), 'utf8')).matchAll(pattern)) checked.add(m[1]);
    expect(checked.size).toBeGreaterThan(5);
    expect([...checked].sort()).toEqual(Object.keys(PERMISSIONS).filter((p) => p !== '*').sort());
  });

  it('a key that is no plausible token is refused before any SQL; an unknown one after its lookup; both alike', async () => {
    for (const junk of ['short', 'x'.repeat(129), 'has space in it and is long enough', 'é'.repeat(30)]) {
      const r = await api.gql(USERS, {}, { apiKey: junk });
      expect(codesOf(r), junk).toEqual(['UNAUTHENTICATED']);
      expect(r.errors![0].message).toBe('Invalid API key');
      expect(r.sql, junk).toBe(0);
    }
    const unknown = await api.gql(USERS, {}, { apiKey: 'k'.repeat(43) });
    expect(codesOf(unknown)).toEqual(['UNAUTHENTICATED']);
    expect(unknown.errors![0].message).toBe('Invalid API key');
    expect(unknown.sql).toBe(1);
    // The bounds of a plausible token: 20 and 128 characters are looked up.
    for (const n of [20, 128]) expect((await api.gql(USERS, {}, { apiKey: 'k'.repeat(n) })).sql, String(n)).toBe(1);
    for (const n of [19, 129]) expect((await api.gql(USERS, {}, { apiKey: 'k'.repeat(n) })).sql, String(n)).toBe(0);
  });

  it('an empty X-Api-Key header is no key: the caller is anonymous', async () => {
    const r = await api.gql(USERS, {}, { headers: { 'x-api-key': '' } });
    expect(codesOf(r)).toEqual(['UNAUTHENTICATED']);
    expect(r.errors![0].message).not.toBe('Invalid API key');
    const me = await api.gql('{ me { id } }', {}, { headers: { 'x-api-key': '' } });
    expect(me.errors).toBeUndefined();
    expect(me.data).toEqual({ me: null });
  });

  it('permissions are read as stored strings only: a stored non-list grants nothing, non-string entries are dropped', async () => {
    const scalar = await createTestKey(api.prisma, []);
    await api.prisma.apiKey.update({ where: { id: scalar.row.id }, data: { permissions: 'users:read' } });
    const refused = await api.gql(USERS, {}, { apiKey: scalar.key });
    expect(codesOf(refused)).toEqual(['FORBIDDEN']);
    expect(refused.errors![0].message).toBe('This API key lacks the users:read permission');
    const mixed = await createTestKey(api.prisma, []);
    await api.prisma.apiKey.update({ where: { id: mixed.row.id }, data: { permissions: [7, null, 'users:read', { p: '*' }] } });
    expect((await api.gql(USERS, {}, { apiKey: mixed.key })).errors).toBeUndefined();
    expect(codesOf(await api.gql('{ feedback(first: 1) { totalCount } }', {}, { apiKey: mixed.key }))).toEqual(['FORBIDDEN']);
  });

  it('records lastUsedAt when stale, at most once per interval', async () => {
    const { key, row } = await createTestKey(api.prisma, ['users:read']);
    expect(row.lastUsedAt).toBeNull();
    await api.gql(USERS, {}, { apiKey: key });
    const first = (await api.prisma.apiKey.findUniqueOrThrow({ where: { id: row.id } })).lastUsedAt;
    expect(first).not.toBeNull();
    expect(Date.now() - first!.getTime()).toBeLessThan(60_000);
    await api.gql(USERS, {}, { apiKey: key });
    expect((await api.prisma.apiKey.findUniqueOrThrow({ where: { id: row.id } })).lastUsedAt).toEqual(first);
  });
});
