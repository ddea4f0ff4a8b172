// Who is calling (src/auth/viewer.ts), exactly: the Authorization header's grammar and the message
// of each refusal, which junk costs no SQL, the expiry instants of sessions and keys, and the
// activity writes (once per interval, even when requests overlap). Killed mutants of viewer.ts
// that the flows' tests let live (STRYKER_TESTS=credentials).
import { describe, expect, it } from 'vitest';
import { dbKind } from './helpers/env.ts';
import { codesOf, useTestApp } from './helpers/app.ts';
import { createApiKey, createCollective, createSession, createUser } from './factories/index.ts';
import { resolveViewer } from '../src/auth/viewer.ts';
import { generateToken } from '../src/auth/tokens.ts';

const ME = '{ me { id } }';
const MALFORMED = 'Malformed Authorization header: expected "Bearer <token>"';
const INTERVAL_MS = 60_000;

describe(`the viewer of a request (${dbKind})`, () => {
  const api = useTestApp({ env: { SESSION_TOUCH_INTERVAL_SECONDS: String(INTERVAL_MS / 1000) } });

  /** resolveViewer on the test database at a chosen instant; the background writes it queues are returned, not run. */
  async function viewerAt(headers: Record<string, string>, now: Date) {
    const queued: (() => Promise<unknown>)[] = [];
    const deps = { prisma: api.prisma, queryOn: api.db.queryOn, primary: api.prisma, config: api.config, background: (task: () => Promise<unknown>) => void queued.push(task) };
    const viewer = await resolveViewer(new Headers(headers), deps, now).catch((e: Error) => e);
    return { viewer, queued };
  }
  const refusal = (v: unknown) => (v instanceof Error ? { message: v.message, code: (v as { extensions?: { code?: string } }).extensions?.code } : v);

  it('a header that is not exactly "Bearer <token>" is refused with its own message, before any SQL; nothing around the token is ignored', async () => {
    const user = await createUser(api.prisma);
    const { token } = await createSession(api.prisma, user.id);
    for (const header of ['Basic dXNlcjpwdw==', 'Bearer', 'Bearer ', token, `Token ${token}`, `XBearer ${token}`, `Bearer ${token} x`, `Bearer ${token} ${token}`, `Bearer${token}`]) {
      const r = await api.gql(ME, {}, { headers: { authorization: header } });
      expect(codesOf(r), header).toEqual(['UNAUTHENTICATED']);
      expect(r.errors![0].message, header).toBe(MALFORMED);
      expect(r.data ?? null).toBeNull();
      expect(r.sql, header).toBe(0);
    }
    // Any whitespace separates the scheme, trailing whitespace is dropped, the scheme's case is free.
    for (const header of [`Bearer ${token}`, `BEARER\t${token}`, `bearer   ${token} \t`]) {
      expect((await api.gql(ME, {}, { headers: { authorization: header } })).data, header).toEqual({ me: { id: expect.any(String) } });
    }
    // An empty header is no credential: anonymous, as without one.
    const empty = await api.gql(ME, {}, { headers: { authorization: '' } });
    expect(empty.errors).toBeUndefined();
    expect(empty.data).toEqual({ me: null });
  });

  it('a bearer token that is no plausible token costs no SQL; a plausible unknown one costs its lookup; both get the same message', async () => {
    for (const [junk, statements] of [['x'.repeat(19), 0], ['x'.repeat(129), 0], ['é'.repeat(30), 0], ['x'.repeat(20), 1], ['x'.repeat(128), 1], [generateToken(), 1]] as const) {
      const r = await api.gql(ME, {}, { token: junk });
      expect(codesOf(r), junk).toEqual(['UNAUTHENTICATED']);
      expect(r.errors![0].message, junk).toBe('Invalid or expired session');
      expect(r.sql, junk).toBe(statements);
    }
  });

  it('a session works until the instant before its expiry and not at it; so does an API key', async () => {
    const user = await createUser(api.prisma);
    const { token, session } = await createSession(api.prisma, user.id);
    const at = session.expiresAt.getTime();
    expect(refusal((await viewerAt({ authorization: `Bearer ${token}` }, new Date(at))).viewer)).toEqual({ message: 'Invalid or expired session', code: 'UNAUTHENTICATED' });
    expect((await viewerAt({ authorization: `Bearer ${token}` }, new Date(at - 1))).viewer).toMatchObject({ kind: 'user', user: { id: user.id }, session: { id: session.id } });

    const expiresAt = new Date(Date.now() + 3600_000);
    const { key, row } = await createApiKey(api.prisma, ['users:read'], { expiresAt });
    expect(refusal((await viewerAt({ 'x-api-key': key }, expiresAt)).viewer)).toEqual({ message: 'Invalid API key', code: 'UNAUTHENTICATED' });
    const ok = (await viewerAt({ 'x-api-key': key }, new Date(expiresAt.getTime() - 1))).viewer;
    expect(ok).toEqual({ kind: 'operator', apiKey: { id: row.id, name: row.name }, permissions: new Set(['users:read']) });
  });

  it('an operator holds exactly the stored strings as permissions: a stored non-list holds none', async () => {
    const { key, row } = await createApiKey(api.prisma, []);
    const held = async (stored: unknown) => {
      await api.prisma.apiKey.update({ where: { id: row.id }, data: { permissions: stored as string[] } });
      const { viewer } = await viewerAt({ 'x-api-key': key }, new Date());
      if (viewer instanceof Error || viewer.kind !== 'operator') throw new Error(`expected an operator, got ${String(viewer)}`);
      return viewer.permissions;
    };
    expect(await held([7, null, 'users:read', { p: '*' }, ['*'], 'flags:write'])).toEqual(new Set(['users:read', 'flags:write']));
    expect(await held('users:read')).toEqual(new Set());
    expect(await held({ 'users:read': true })).toEqual(new Set());
    expect(await held([])).toEqual(new Set());
  });

  it('the caller carries their roles and consents, read with the session', async () => {
    const parent = await createUser(api.prisma, { userType: 'PARENT' });
    const teen = await createUser(api.prisma, { userType: 'TEENAGER' });
    const collective = await createCollective(api.prisma, [{ userId: parent.id, role: 'ADMIN' }]);
    await api.prisma.parentalConsent.create({ data: { parentId: parent.id, teenagerId: teen.id } });
    const { token } = await createSession(api.prisma, parent.id);
    const { viewer } = await viewerAt({ authorization: `Bearer ${token}` }, new Date());
    expect(viewer).toMatchObject({ kind: 'user', roles: new Map([[collective.id, 'ADMIN']]), consentedFor: new Set([teen.id]) });
    expect(Object.keys((viewer as { user: object }).user)).not.toContain('memberships');
  });

  it('activity is written when stale, once per interval counted from the last write, even by requests that read the same stale row', async () => {
    const user = await createUser(api.prisma);
    const { token, session } = await createSession(api.prisma, user.id);
    const last = new Date(Date.now() - 3600_000);
    await api.prisma.appSession.update({ where: { id: session.id }, data: { lastActiveAt: last } });
    const bearer = { authorization: `Bearer ${token}` };
    const { key, row } = await createApiKey(api.prisma, ['users:read']);

    // The row says `last`: a full interval later it is stale, a millisecond earlier it is not.
    expect((await viewerAt(bearer, new Date(last.getTime() + INTERVAL_MS - 1))).queued).toHaveLength(0);
    const first = await viewerAt(bearer, new Date(last.getTime() + INTERVAL_MS));
    expect(first.queued).toHaveLength(1);
    // The write has not run yet, so the row is still stale: this process remembers it queued one,
    // and another caller's write in between does not make it forget.
    expect((await viewerAt({ 'x-api-key': key }, new Date(last.getTime() + INTERVAL_MS))).queued).toHaveLength(1);
    expect((await viewerAt(bearer, new Date(last.getTime() + INTERVAL_MS + 1))).queued).toHaveLength(0);
    // The write moves both the session's and the user's timestamps to the request's instant.
    const at = new Date(last.getTime() + INTERVAL_MS);
    await first.queued[0]();
    expect((await api.prisma.appSession.findUniqueOrThrow({ where: { id: session.id } })).lastActiveAt).toEqual(at);
    expect((await api.prisma.user.findUniqueOrThrow({ where: { id: user.id } })).lastSeenAt).toEqual(at);
    expect((await api.prisma.apiKey.findUniqueOrThrow({ where: { id: row.id } })).lastUsedAt).toBeNull();
    // An interval after that write, the next one.
    expect((await viewerAt(bearer, new Date(at.getTime() + INTERVAL_MS))).queued).toHaveLength(1);
  });
});
