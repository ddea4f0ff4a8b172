// Who is calling (src/auth/viewer.ts), exactly: the Authorization header's grammar and the message
// of each refusal, which junk costs no SQL, the expiry instants of sessions and keys, and the
// activity writes (once per interval, even when requests overlap). Killed mutants of viewer.ts
// that the flows' tests let live (STRYKER_TESTS=credentials).
import { describe, expect, it } from 'vitest';
import { dbKind } from './helpers/env.ts';
import { codesOf, createTestApp, useTestApp, type TestApp } from './helpers/app.ts';
import { fastCount, response } from './helpers/read-path.ts';
import { createApiKey, createCollective, createSession, createUser } from './factories/index.ts';
import { liveSessionViewers, resolveViewer, viewerParts, viewerUserInclude, type Viewer as Caller } from '../src/auth/viewer.ts';
import { createLiveViewer } from '../src/auth/live-viewer.ts';
import { generateToken, hashToken } from '../src/auth/tokens.ts';
import { countSql } from '../src/db/instrument.ts';
import { openDatabase, type Database } from '../src/db/database.ts';

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

/** resolveViewer on `db` (the test database, or another handle on it) at `now`: the viewer or the refusal, its statements, the writes it queued. */
async function lookup(api: TestApp, token: string, now = new Date(), db: Pick<Database, 'prisma' | 'queryOn'> = api.db) {
  const queued: (() => Promise<unknown>)[] = [];
  const deps = { prisma: db.prisma, queryOn: db.queryOn, primary: db.prisma, config: api.config, background: (task: () => Promise<unknown>) => void queued.push(task) };
  const { result, counter } = await countSql(() => resolveViewer(new Headers({ authorization: `Bearer ${token}` }), deps, now).catch((e: Error) => e));
  return { viewer: result, statements: counter.statements, queued };
}

/** The viewer as the Prisma include gave it before the raw statement (what sign-in and live-viewer.ts still do). */
async function prismaViewer(api: TestApp, token: string) {
  const row = await api.prisma.appSession.findUnique({ where: { tokenHash: hashToken(token) }, include: { user: { include: viewerUserInclude } } });
  if (!row) return null;
  const { user, ...session } = row;
  return { kind: 'user', ...viewerParts(user), session };
}

const byJson = (a: unknown, b: unknown) => (JSON.stringify(a) < JSON.stringify(b) ? -1 : 1);
/**
 * A value with every leaf's type spelled out and every object's keys in order, so toStrictEqual
 * tells a Date from an ISO string, 1 from '1', null from undefined. Maps and Sets are compared as
 * sorted entries: Prisma's include has no order for memberships and consents.
 */
function typed(v: unknown): unknown {
  if (v instanceof Date) return { Date: v.toISOString() };
  if (v instanceof Map) return { Map: [...v].map(typed).sort(byJson) };
  if (v instanceof Set) return { Set: [...v].map(typed).sort(byJson) };
  if (Array.isArray(v)) return v.map(typed);
  if (v !== null && typeof v === 'object') return { [Object.getPrototypeOf(v)?.constructor?.name ?? 'null-prototype']: Object.entries(v).map(([k, x]) => [k, typed(x)]) };
  return [v === null ? 'null' : typeof v, v];
}

describe(`the session lookup's one statement gives the viewer Prisma's include gave (${dbKind})`, () => {
  const api = useTestApp();

  it('for a rich user, field by field with types: unicode, microseconds, 40 memberships paired with their roles, consents, any JSON capabilities; with named statements and without', async () => {
    const parent = await createUser(api.prisma, { userType: 'PARENT' });
    // Roles cycle in creation order; collective ids are random: a membership paired with another's role shows.
    for (let i = 0; i < 40; i++) await createCollective(api.prisma, [{ userId: parent.id, role: (['OWNER', 'ADMIN', 'MEMBER'] as const)[i % 3] }]);
    for (let i = 0; i < 7; i++) await api.prisma.parentalConsent.create({ data: { parentId: parent.id, teenagerId: (await createUser(api.prisma)).id } });
    const { token, session } = await createSession(api.prisma, parent.id, 'PENDING_CONSENT');
    // Values Prisma never writes itself: microseconds, a school with combining marks and astral characters.
    await api.db.query(`UPDATE app."user" SET school = $2, last_seen_at = '2026-01-02T03:04:05.678901Z', created_at = created_at + interval '999 microseconds' WHERE id = $1`, [parent.id, 'École Zoe\u0301 🧒🏽 "q" \\']);
    await api.db.query(`UPDATE app.app_session SET created_at = created_at + interval '1 microsecond', expires_at = expires_at + interval '500 microseconds' WHERE id = $1`, [session.id]);
    // A second handle on the same database, named statements off (PGlite has none either way).
    const unnamed = api.db.kind === 'postgres' ? await openDatabase({ ...api.db.config, poolMax: 2, preparedStatements: false } as Parameters<typeof openDatabase>[0]) : undefined;
    try {
      const now = new Date();
      for (const capabilities of [{}, { camera: true, nested: { list: [1, 2.5, -0, 1e300, null, 'é🧒'], deep: { a: { b: [] } } } }, null, [], ['x', { y: [null] }], 'text', 0, 12345678901234567890, true]) {
        await api.db.query(`UPDATE app.app_session SET capabilities = $2::jsonb WHERE id = $1`, [session.id, JSON.stringify(capabilities)]);
        const expected = typed(await prismaViewer(api, token));
        for (const db of unnamed ? [api.db, unnamed] : [api.db]) {
          const { viewer, statements } = await lookup(api, token, now, db);
          expect(typed(viewer), JSON.stringify(capabilities)).toStrictEqual(expected);
          expect(statements).toBe(1);
          // The same statement checks a subscriber again before each event (live-viewer.ts).
          expect(typed((await liveSessionViewers(db, [session.id], now)).get(session.id)), JSON.stringify(capabilities)).toStrictEqual(expected);
        }
      }
      const { viewer } = await lookup(api, token, now);
      expect((viewer as { roles: Map<string, string> }).roles.size).toBe(40);
      expect((viewer as { consentedFor: Set<string> }).consentedFor.size).toBe(7);
    } finally {
      await unnamed?.close();
    }
  });

  it('a user with no membership and no consent: an empty Map and Set, as Prisma gave', async () => {
    const teen = await createUser(api.prisma);
    const { token } = await createSession(api.prisma, teen.id, 'ONBOARDING');
    const { viewer, statements } = await lookup(api, token);
    expect(typed(viewer)).toStrictEqual(typed(await prismaViewer(api, token)));
    expect(viewer).toMatchObject({ roles: new Map(), consentedFor: new Set() });
    expect(statements).toBe(1);
  });

  it('a session whose user was deleted is refused like an unknown token, in one statement', async () => {
    const teen = await createUser(api.prisma);
    const { token } = await createSession(api.prisma, teen.id);
    await api.prisma.user.delete({ where: { id: teen.id } });
    const { viewer, statements, queued } = await lookup(api, token);
    expect(await prismaViewer(api, token)).toBeNull();
    expect(viewer).toMatchObject({ message: 'Invalid or expired session', extensions: { code: 'UNAUTHENTICATED' } });
    expect([statements, queued.length]).toEqual([1, 0]);
  });
});

describe(`a session row holding an enum label this build does not know (a migration ahead of it) (${dbKind})`, () => {
  const api = useTestApp();
  // [column, the UPDATE that stores the unknown label for the user $1 and session $2]
  const cases: [string, string][] = [
    ['session scope', `UPDATE app.app_session SET scope = 'ZZ_LATER' WHERE id = $2 AND $1::uuid IS NOT NULL`],
    ['user type', `UPDATE app."user" SET user_type = 'ZZ_LATER' WHERE id = $1 AND $2::uuid IS NOT NULL`],
    ['age class', `UPDATE app."user" SET age_class = 'ZZ_LATER' WHERE id = $1 AND $2::uuid IS NOT NULL`],
    ['a membership role', `UPDATE app.collective_membership SET role = 'ZZ_LATER' WHERE user_id = $1 AND role = 'MEMBER' AND $2::uuid IS NOT NULL`],
  ];

  it('a subscriber whose session holds one ends its own subscription (null), not those checked in the same batch, in one statement', async () => {
    await api.db.query(`ALTER TYPE app.session_scope ADD VALUE IF NOT EXISTS 'ZZ_LATER'`);
    const [a, b] = [await createUser(api.prisma), await createUser(api.prisma)];
    const [sa, sb] = [await createSession(api.prisma, a.id), await createSession(api.prisma, b.id)];
    const [va, vb] = [(await lookup(api, sa.token)).viewer, (await lookup(api, sb.token)).viewer] as Caller[];
    await api.db.query(`UPDATE app.app_session SET scope = 'ZZ_LATER' WHERE id = $1`, [sb.session.id]);
    const live = createLiveViewer(api.db);
    const { result, counter } = await countSql(() => Promise.all([live(va), live(vb)]));
    expect(typed(result)).toStrictEqual(typed([await prismaViewer(api, sa.token), null]));
    expect(counter.statements).toBe(1);
  });

  it.each(cases)('%s: refused as Prisma refused it, but as 503 SERVICE_UNAVAILABLE to retry (never a 500), before any write; an expired one is UNAUTHENTICATED', async (_, sql) => {
    // ADD VALUE cannot run in a transaction block; the labels stay in this file's database.
    for (const type of ['session_scope', 'user_type', 'age_class', 'membership_role']) await api.db.query(`ALTER TYPE app.${type} ADD VALUE IF NOT EXISTS 'ZZ_LATER'`);
    const parent = await createUser(api.prisma, { userType: 'PARENT' });
    await createCollective(api.prisma, [{ userId: parent.id, role: 'OWNER' }]);
    await createCollective(api.prisma, [{ userId: parent.id, role: 'MEMBER' }]);
    const live = await createSession(api.prisma, parent.id);
    const expired = await createSession(api.prisma, parent.id, 'FULL', -1000);
    for (const s of [live, expired]) await api.prisma.appSession.update({ where: { id: s.session.id }, data: { lastActiveAt: new Date(0) } });
    await api.db.query(sql, [parent.id, live.session.id]);
    await api.db.query(sql, [parent.id, expired.session.id]);

    // What the Prisma include did with it: P2023, which reached the client as INTERNAL_SERVER_ERROR.
    await expect(prismaViewer(api, live.token)).rejects.toMatchObject({ code: 'P2023' });
    const { viewer, statements, queued } = await lookup(api, live.token);
    expect(viewer).toMatchObject({ extensions: { code: 'SERVICE_UNAVAILABLE' } });
    expect([statements, queued.length]).toEqual([1, 0]);
    const r = await api.gql('{ me { id } }', {}, { token: live.token });
    expect([r.status, r.data ?? null]).toEqual([503, null]);
    expect(r.errors).toMatchObject([{ extensions: { code: 'SERVICE_UNAVAILABLE', retryAfterSeconds: 5 } }]);

    const dead = await api.gql('{ me { id } }', {}, { token: expired.token });
    expect([dead.status, codesOf(dead), dead.errors![0].message]).toEqual([200, ['UNAUTHENTICATED'], 'Invalid or expired session']);
  });
});

describe(`me, for every kind of caller: the fast path or Prisma's query planned on fallback, as with FAST_READ_PATH=off (${dbKind})`, () => {
  const api = useTestApp();
  // [document, root fields a user gets from the fast path, statements for a user (the session lookup included)]
  const documents: [string, number, number][] = [
    ['{ me { id userType createdAt } }', 1, 2],
    // Fallback: relations, loaders, fragments, aliases and directives the fast path does not take;
    // the planned query loads the relations with the user, in one statement.
    ['{ me { id memberships { role collective { name type } } } }', 0, 2],
    ['{ me { collectives { name members(first: 5) { totalCount edges { node { role } } } } } }', 0, 2],
    ['{ me { sessions { scope } } }', 0, 2],
    ['{ me { ...F } } fragment F on User { id kind: userType memberships { role } }', 0, 2],
    ['{ me { ... on Node { id } ... on User { collectives { name } } } }', 0, 2],
    ['query ($on: Boolean!) { me { id memberships @include(if: $on) { role } collectives @skip(if: $on) { name } } }', 0, 2],
    ['query ($on: Boolean!) { me { id memberships @include(if: $on) { role } sessions @skip(if: $on) { id } } }', 0, 2],
    ['{ a: me { id } b: me { m: memberships { r: role } } }', 1, 3],
    ['{ me { hasConsented consentedAt parentalConsents { createdAt } } }', 0, 3],
  ];

  it('answers alike with the fast path on and off, in the statements its selection needs', async () => {
    const off = createTestApp(api.db, { FAST_READ_PATH: 'off' });
    const parent = await createUser(api.prisma, { userType: 'PARENT' });
    const teen = await createUser(api.prisma);
    await api.prisma.parentalConsent.create({ data: { parentId: parent.id, teenagerId: teen.id } });
    await api.prisma.userConsent.create({ data: { userId: parent.id } });
    for (const role of ['MEMBER', 'OWNER', 'ADMIN'] as const) await createCollective(api.prisma, [{ userId: parent.id, role }, { userId: teen.id, role: 'MEMBER' }]);
    const callers: [string, { token?: string; apiKey?: string }][] = [['anonymous', {}]];
    for (const scope of ['ONBOARDING', 'PENDING_CONSENT', 'FULL'] as const) callers.push([scope, { token: (await createSession(api.prisma, parent.id, scope)).token }]);
    const { key } = await createApiKey(api.prisma, ['*']);
    callers.push(['API key', { apiKey: key }]);
    // A key's first use records lastUsedAt in the background: measure after it.
    await api.gql('{ health { status } }', {}, { apiKey: key });

    for (const [document, fast, statements] of documents) {
      for (const [who, credentials] of callers) {
        for (const on of [true, false]) {
          const before = await fastCount(api.app, 'me');
          const r = await api.gql(document, { on }, credentials);
          const o = await off.gql(document, { on }, credentials);
          const label = `${who} ${document} on=${on}`;
          expect(response(r), label).toEqual(response(o));
          expect(r.errors, label).toBeUndefined();
          const user = who !== 'anonymous' && who !== 'API key';
          expect(r.data?.me ?? r.data?.a ?? null, label).toEqual(user ? expect.any(Object) : null);
          expect([r.sql, o.sql], label).toEqual(user ? [statements, statements] : [who === 'API key' ? 1 : 0, who === 'API key' ? 1 : 0]);
          expect((await fastCount(api.app, 'me')) - before, label).toBe(user ? fast : 0);
        }
      }
    }
  });
});
