// The invitation mutations where the flows' tests (invitations.test.ts) stop short: the exact
// instants an expiry is accepted or refused (the request's clock set with a fake Date, nothing
// else faked), each refusal's message, and what an accept writes and sends and what it leaves
// alone. Small worlds, so a mutation-testing run (STRYKER_TESTS=consent) re-runs in seconds.
import { describe, expect, it, vi } from 'vitest';
import { dbKind } from './helpers/env.ts';
import { codesOf, useTestApp } from './helpers/app.ts';
import { withTwinOnFirstInsert } from './helpers/db.ts';
import { createCollective, gid } from './factories/index.ts';
import { MAX_INVITATION_TTL_MS } from '../src/schema/collectives/invitations.ts';

const DAY = 86_400_000;
const CREATE = `mutation($input: CreateInvitationInput!) { createInvitation(input: $input) { invitation { id expiresAt ageClass label usageLimit } } }`;

/** Runs fn with Date (only) frozen at `at`: the request's instant (ctx.requestTime) is then `at`. */
async function atInstant<T>(at: Date, fn: () => Promise<T>): Promise<T> {
  vi.useFakeTimers({ toFake: ['Date'] });
  vi.setSystemTime(at);
  try {
    return await fn();
  } finally {
    vi.useRealTimers();
  }
}

describe(`createInvitation, to the millisecond (${dbKind})`, () => {
  const api = useTestApp();

  async function ownerOfCollective() {
    const owner = await api.person('PARENT');
    const c = await createCollective(api.prisma, [{ userId: owner.user.id, role: 'OWNER' }]);
    return { owner, c, C: gid('Collective', c.id) };
  }

  it('expiresAt: one millisecond after the request is the earliest, 90 days after it the latest; each refusal says which', async () => {
    const { owner, C, c } = await ownerOfCollective();
    const T = new Date(Date.now() + 60_000);
    const create = (ms: number) => api.gql(CREATE, { input: { collectiveId: C, language: 'fr', expiresAt: new Date(T.getTime() + ms).toISOString() } }, { token: owner.token });
    const [now, first, last, over] = await atInstant(T, async () => [await create(0), await create(1), await create(MAX_INVITATION_TTL_MS), await create(MAX_INVITATION_TTL_MS + 1)]);
    expect(codesOf(now)).toEqual(['BAD_USER_INPUT']);
    expect(now.errors![0].extensions!.issues).toEqual([{ path: 'input.expiresAt', message: 'must be in the future' }]);
    expect(first.errors).toBeUndefined();
    expect(first.data.createInvitation.invitation.expiresAt).toBe(new Date(T.getTime() + 1).toISOString());
    expect(last.errors).toBeUndefined();
    expect(last.data.createInvitation.invitation.expiresAt).toBe(new Date(T.getTime() + 90 * DAY).toISOString());
    expect(codesOf(over)).toEqual(['BAD_USER_INPUT']);
    expect(over.errors![0].extensions!.issues).toEqual([{ path: 'input.expiresAt', message: 'must be at most 90 days away' }]);
    expect(await api.prisma.invitation.count({ where: { collectiveId: c.id } })).toBe(2);
  });

  it('without expiresAt (omitted or null) the invitation lasts exactly the configured lifetime from the request', async () => {
    const { owner, C } = await ownerOfCollective();
    const T = new Date(Date.now() + 60_000);
    const [omitted, nulled] = await atInstant(T, async () => [
      await api.gql(CREATE, { input: { collectiveId: C, language: 'fr' } }, { token: owner.token }),
      await api.gql(CREATE, { input: { collectiveId: C, language: 'fr', expiresAt: null, label: null, ageClass: null } }, { token: owner.token }),
    ]);
    for (const r of [omitted, nulled]) {
      expect(r.errors).toBeUndefined();
      expect(r.data.createInvitation.invitation).toMatchObject({ expiresAt: new Date(T.getTime() + 7 * DAY).toISOString(), ageClass: null, label: null, usageLimit: null });
    }
  });

  it('a plain MEMBER is told only owners and admins invite, and nothing is written', async () => {
    const { C, c } = await ownerOfCollective();
    const member = await api.person('PARENT');
    await api.prisma.collectiveMembership.create({ data: { userId: member.user.id, collectiveId: c.id, role: 'MEMBER' } });
    const r = await api.gql(CREATE, { input: { collectiveId: C, language: 'fr' } }, { token: member.token });
    expect(codesOf(r)).toEqual(['FORBIDDEN']);
    expect(r.errors![0].message).toBe('Only owners and admins can invite');
    expect(await api.prisma.invitation.count({ where: { collectiveId: c.id } })).toBe(0);
  });
});

describe(`acceptInvitation: what it writes, and what it leaves alone (${dbKind})`, () => {
  const api = useTestApp();
  const ACCEPT = `mutation($t: String!) { acceptInvitation(input: { token: $t }) { alreadyMember session { scope } } }`;

  /** An invitation of a new collective owned by a parent, created through the API; returns its token. */
  async function invitation(input: { language: string; ageClass?: string }, data: { parentalConsentGranted?: boolean } = {}) {
    const owner = await api.person('PARENT');
    const c = await createCollective(api.prisma, [{ userId: owner.user.id, role: 'OWNER' }], data);
    const r = await api.gql(`mutation($input: CreateInvitationInput!) { createInvitation(input: $input) { token } }`, { input: { collectiveId: gid('Collective', c.id), usageLimit: null, ...input } }, { token: owner.token });
    expect(r.errors).toBeUndefined();
    return { token: r.data.createInvitation.token as string, collectiveId: c.id, owner };
  }
  const profile = (userId: string) => api.prisma.user.findUniqueOrThrow({ where: { id: userId }, select: { language: true, ageClass: true } });

  it('a profile takes only what it lacks: the language, the age class, or neither; an invitation without age class gives none', async () => {
    const inv = await invitation({ language: 'es', ageClass: 'PRETEEN' });
    const cases = [
      [{ language: 'de', ageClass: null }, { language: 'de', ageClass: 'PRETEEN' }],
      [{ language: null, ageClass: 'PRETEEN' }, { language: 'es', ageClass: 'PRETEEN' }],
    ] as const;
    for (const [own, after] of cases) {
      const kid = await api.person('TEENAGER', 'PENDING_CONSENT', own);
      expect((await api.gql(ACCEPT, { t: inv.token }, { token: kid.token })).errors, JSON.stringify(own)).toBeUndefined();
      expect(await profile(kid.user.id), JSON.stringify(own)).toEqual(after);
    }
    const open = await invitation({ language: 'it' });
    const blank = await api.person('TEENAGER', 'PENDING_CONSENT', { language: null, ageClass: null });
    expect((await api.gql(ACCEPT, { t: open.token }, { token: blank.token })).errors).toBeUndefined();
    expect(await profile(blank.user.id)).toEqual({ language: 'it', ageClass: null });
  });

  it('a complete profile is not written, and joining a collective that does not grant consent locks and moves no session', async () => {
    const inv = await invitation({ language: 'es', ageClass: 'PRETEEN' });
    const kid = await api.person('TEENAGER', 'PENDING_CONSENT', { language: 'fr', ageClass: 'PRETEEN' });
    const r = await api.gql(ACCEPT, { t: inv.token }, { token: kid.token });
    expect(r.errors).toBeUndefined();
    expect(r.data.acceptInvitation).toEqual({ alreadyMember: false, session: { scope: 'PENDING_CONSENT' } });
    expect(r.sqlLog.filter((sql) => /^\s*UPDATE "app"\."user"|app_session .*FOR UPDATE|^\s*UPDATE "app"\."app_session"/.test(sql)), r.sqlLog.join('\n')).toEqual([]);
    // The user's row is locked and read once, and nothing more: an update with nothing to set
    // would still cost a statement (Prisma sends it as a SELECT of the row).
    const userRow = r.sqlLog.filter((sql) => /(FROM|UPDATE) "?app"?\."user"(?! AS)/.test(sql));
    expect(userRow, r.sqlLog.join('\n')).toHaveLength(1);
    expect(userRow[0]).toMatch(/FOR UPDATE\s*$/);
    expect(await profile(kid.user.id)).toEqual({ language: 'fr', ageClass: 'PRETEEN' });
    expect(await api.prisma.collectiveMembership.count({ where: { userId: kid.user.id, collectiveId: inv.collectiveId, role: 'MEMBER' } })).toBe(1);
  });

  it('an invitation for another age class is refused with its reason, consuming, writing and announcing nothing; a join announces its membership', async () => {
    const inv = await invitation({ language: 'es', ageClass: 'PRETEEN' });
    // Every MEMBER_JOINED of the collective, straight from the event bus subscriptions listen on.
    const heard = await api.app.events.stream([{ topic: 'collectiveActivity', id: inv.collectiveId }], async (d) => [d.payload]);
    const events = heard[Symbol.asyncIterator]();
    try {
      const parent = await api.person('PARENT', 'FULL', { language: null, ageClass: null });
      const refused = await api.gql(ACCEPT, { t: inv.token }, { token: parent.token });
      expect(codesOf(refused)).toEqual(['FORBIDDEN']);
      expect(refused.errors![0].message).toBe('This invitation is for someone of another age class');
      expect(await api.prisma.invitation.findFirstOrThrow({ where: { collectiveId: inv.collectiveId } })).toMatchObject({ currentUses: 0, status: 'PENDING', acceptedById: null });
      expect(await api.prisma.collectiveMembership.count({ where: { userId: parent.user.id } })).toBe(0);
      expect(await profile(parent.user.id)).toEqual({ language: null, ageClass: null });
      // The owner is already a member: nothing changes, nothing is announced.
      expect((await api.gql(ACCEPT, { t: inv.token }, { token: inv.owner.token })).data.acceptInvitation.alreadyMember).toBe(true);

      const kid = await api.person('TEENAGER', 'PENDING_CONSENT');
      expect((await api.gql(ACCEPT, { t: inv.token }, { token: kid.token })).errors).toBeUndefined();
      const row = await api.prisma.invitation.findFirstOrThrow({ where: { collectiveId: inv.collectiveId } });
      const membership = await api.prisma.collectiveMembership.findFirstOrThrow({ where: { userId: kid.user.id } });
      // Events arrive in order: the first one heard is the join, so the two accepts before it sent none.
      const first = await Promise.race([events.next(), new Promise((resolve) => setTimeout(() => resolve({ value: 'nothing heard in 2 s' }), 2000))]);
      expect((first as IteratorResult<unknown>).value).toEqual({
        collectiveId: inv.collectiveId, kind: 'MEMBER_JOINED', userId: kid.user.id, role: 'MEMBER',
        membershipId: membership.id, invitationId: row.id, occurredAt: row.acceptedAt!.toISOString(),
      });
    } finally {
      await events.return?.();
    }
  });

  it('a same-user accept that committed first makes the insert collide: the accept runs again and joins, one use consumed', async () => {
    const inv = await invitation({ language: 'fr' });
    const kid = await api.person('TEENAGER', 'PENDING_CONSENT');
    // The twin: the first membership insert also inserts its copy, as a concurrent accept
    // committing first would; the rollback takes the copy with it.
    const r = await withTwinOnFirstInsert(api.db, 'collective_membership', () => api.gql(ACCEPT, { t: inv.token }, { token: kid.token }));
    expect(r.errors).toBeUndefined();
    expect(r.data).toEqual({ acceptInvitation: { alreadyMember: false, session: { scope: 'PENDING_CONSENT' } } });
    // Two runs: the first's use and insert rolled back whole, the second's committed.
    expect(r.sqlLog.filter((sql) => /^\s*INSERT INTO "app"\."collective_membership"/.test(sql))).toHaveLength(2);
    expect(await api.prisma.invitation.findFirstOrThrow({ where: { collectiveId: inv.collectiveId } })).toMatchObject({ currentUses: 1, acceptedById: kid.user.id });
    expect(await api.prisma.collectiveMembership.count({ where: { userId: kid.user.id, collectiveId: inv.collectiveId } })).toBe(1);
  });

  it('the rest of the mutation sees the profile the accept filled: the authorization request takes the invitation\'s language', async () => {
    const inv = await invitation({ language: 'es' });
    const kid = await api.person('TEENAGER', 'PENDING_CONSENT', { language: null });
    const r = await api.gql(
      `mutation($t: String!, $to: String!) { a: acceptInvitation(input: { token: $t }) { alreadyMember } b: requestParentalAuthorization(input: { parentContact: $to }) { authorizationRequest { status } } }`,
      { t: inv.token, to: `parent-${kid.user.id.slice(0, 8)}@example.com` },
      { token: kid.token },
    );
    expect(r.errors).toBeUndefined();
    expect(r.data).toEqual({ a: { alreadyMember: false }, b: { authorizationRequest: { status: 'PENDING' } } });
    // Read from the caller's profile when the input names no language: the one just filled in, not none (French).
    expect((await api.prisma.parentalAuthorizationRequest.findFirstOrThrow({ where: { teenagerId: kid.user.id } })).language).toBe('es');
  });

  it('the rest of the mutation sees what the accept changed: a teenager joining a collective that grants consent is FULL for the next field', async () => {
    const inv = await invitation({ language: 'fr' }, { parentalConsentGranted: true });
    const kid = await api.person('TEENAGER', 'PENDING_CONSENT');
    const r = await api.gql(
      `mutation($t: String!, $me: ID!) { a: acceptInvitation(input: { token: $t }) { session { scope } } b: revokeParentalConsent(input: { teenagerId: $me }) { revoked } }`,
      { t: inv.token, me: gid('User', kid.user.id) },
      { token: kid.token },
    );
    expect(r.errors).toBeUndefined();
    expect(r.data).toEqual({ a: { session: { scope: 'FULL' } }, b: { revoked: false } });
  });
});
