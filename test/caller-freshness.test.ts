// The caller's facts within one request after a committed write (auth/caller.ts `changed`): the
// fields that run after it, in the same payload or in the next root field of the same mutation
// document (GraphQL runs those one after the other), answer as the database now says. Pothos
// caches each scope's answer per request, so a fact that changed must also drop those answers:
// otherwise a teenager who just lost consent keeps a FULL session's rights, a demoted manager keeps
// reading what managers read, and someone who just signed in is still anonymous.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SessionScope, UserType } from '../src/generated/prisma/client.ts';
import { createTestDatabase, type TestDatabase } from './helpers/db.ts';
import { dbKind } from './helpers/env.ts';
import { codesOf, createTestApp } from './helpers/app.ts';
import { createCollective, createSession, createUser } from './factories/index.ts';

const gid = (type: string, id: string) => Buffer.from(`${type}:${id}`).toString('base64');

describe(`the caller's facts after a write, later in the same request (${dbKind})`, () => {
  let db: TestDatabase;
  let api: ReturnType<typeof createTestApp>;
  beforeAll(async () => {
    db = await createTestDatabase();
    api = createTestApp(db);
  });
  afterAll(() => db.destroy());

  async function person(userType: UserType, scope: SessionScope) {
    const user = await createUser(db.prisma, { userType });
    await db.prisma.userConsent.create({ data: { userId: user.id } });
    const { token, session } = await createSession(db.prisma, user.id, scope);
    return { user, token, session, gid: gid('User', user.id) };
  }

  it('a teenager who leaves the collective that gave their consent cannot act as FULL in the next root field', async () => {
    const owner = await person('PARENT', 'FULL');
    const teen = await person('TEENAGER', 'FULL');
    const c = await createCollective(db.prisma, [{ userId: owner.user.id, role: 'OWNER' }, { userId: teen.user.id, role: 'MEMBER' }], { parentalConsentGranted: true });
    const r = await api.gql(
      /* GraphQL */ `
        mutation($c: ID!) {
          leave: leaveCollective(input: { collectiveId: $c }) { session { scope } }
          start: startConversation(input: { conversationType: GENERAL, title: "after leaving" }) { conversation { id } }
        }
      `,
      { c: gid('Collective', c.id) },
      { token: teen.token },
    );
    // startConversation's payload is non-null, so its refusal nulls `data` (the leave committed).
    expect(codesOf(r)).toEqual(['CONSENT_REQUIRED']);
    expect(r.errors![0].extensions).toMatchObject({ requiredScope: 'FULL', currentScope: 'PENDING_CONSENT' });
    expect(r.errors![0].path).toEqual(['start']);
    expect(await db.prisma.conversation.count({ where: { userId: teen.user.id } })).toBe(0);
    expect(await db.prisma.collectiveMembership.count({ where: { userId: teen.user.id } })).toBe(0);
  });

  it('an ADMIN who steps down reads no manager-only field of a member later in the request', async () => {
    const owner = await person('PARENT', 'FULL');
    const admin = await person('PARENT', 'FULL');
    const teen = await person('TEENAGER', 'FULL');
    const c = await createCollective(db.prisma, [
      { userId: owner.user.id, role: 'OWNER' },
      { userId: admin.user.id, role: 'ADMIN' },
      { userId: teen.user.id, role: 'MEMBER' },
    ]);
    // The admin also gave parental consent for the teenager: they keep seeing them (not as a manager).
    await db.prisma.parentalConsent.create({ data: { parentId: admin.user.id, teenagerId: teen.user.id } });
    const mine = await db.prisma.collectiveMembership.findUniqueOrThrow({ where: { userId_collectiveId: { userId: admin.user.id, collectiveId: c.id } } });
    const r = await api.gql(
      /* GraphQL */ `
        mutation($t: ID!, $m: ID!) {
          before: grantParentalConsent(input: { teenagerId: $t }) { teenager { id hasConsented } }
          down: updateMemberRole(input: { membershipId: $m, role: MEMBER }) {
            membership { role collective { members(first: 10) { edges { node { user { id consentedAt } } } } } }
          }
        }
      `,
      { t: teen.gid, m: gid('CollectiveMembership', mine.id) },
      { token: admin.token },
    );
    expect(r.data?.before).toEqual({ teenager: { id: teen.gid, hasConsented: true } });
    expect(r.data?.down.membership.role).toBe('MEMBER');
    const teenRow = r.data?.down.membership.collective.members.edges.map((e: { node: { user: { id: string; consentedAt: unknown } | null } }) => e.node.user).find((u: { id: string } | null) => u?.id === teen.gid);
    // Still visible (the consent they gave), but consentedAt is for managers: refused, not served from the cache.
    expect(teenRow?.consentedAt ?? null).toBeNull();
    expect(codesOf(r)).toContain('FORBIDDEN');
  });

  it('signing in makes the next root field run as the user who signed in', async () => {
    const r = await api.gql(
      /* GraphQL */ `
        mutation {
          signIn(input: { idp: MOCK_IDP, loginId: "same-request-terms", origin: "web_react", userType: PARENT }) { session { scope } }
          acceptTerms(input: { accepted: true }) { session { scope } }
        }
      `,
    );
    expect(r.errors).toBeUndefined();
    expect(r.data).toEqual({ signIn: { session: { scope: 'ONBOARDING' } }, acceptTerms: { session: { scope: 'FULL' } } });
  });

  it('after signOut (or signOutEverywhere) of this session, the next root field runs anonymous and writes nothing', async () => {
    for (const end of ['signOut { endedSessionIds }', 'signOutEverywhere { endedSessionIds }']) {
      const parent = await person('PARENT', 'FULL');
      const r = await api.gql(
        `mutation { end: ${end} later: createCollective(input: { name: "after signing out", type: FAMILY }) { collective { id } } }`,
        {},
        { token: parent.token },
      );
      expect(codesOf(r), end).toEqual(['UNAUTHENTICATED']);
      expect(r.errors![0].path).toEqual(['later']);
      expect(await db.prisma.collectiveMembership.count({ where: { userId: parent.user.id } })).toBe(0);
      // Ending another of your sessions keeps this one: the next field still runs as you.
      const other = await createSession(db.prisma, parent.user.id, 'FULL');
      const kept = await api.gql(
        `mutation($s: ID!) { end: signOut(input: { sessionId: $s }) { endedSessionIds } later: createCollective(input: { name: "kept", type: FAMILY }) { collective { name } } }`,
        { s: gid('AppSession', other.session.id) },
        { token: (await createSession(db.prisma, parent.user.id, 'FULL')).token },
      );
      expect(kept.errors).toBeUndefined();
      expect(kept.data.later).toEqual({ collective: { name: 'kept' } });
    }
  });

  it('grantParentalConsent decides on the roles and consents the database holds at its write, not those loaded when the request began', async () => {
    const owner = await person('PARENT', 'FULL');
    const admin = await person('PARENT', 'FULL');
    const teen = await person('TEENAGER', 'PENDING_CONSENT');
    const c = await createCollective(db.prisma, [
      { userId: owner.user.id, role: 'OWNER' },
      { userId: admin.user.id, role: 'ADMIN' },
      { userId: teen.user.id, role: 'MEMBER' },
    ]);
    // A demotion that commits after this request loaded its caller (as a concurrent updateMemberRole
    // by the owner would): a real trigger does it when the first root field writes its row.
    await db.query(`CREATE OR REPLACE FUNCTION app.test_demote_admin() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN UPDATE app.collective_membership SET role = 'MEMBER' WHERE user_id = '${admin.user.id}'::uuid AND collective_id = '${c.id}'::uuid; RETURN NEW; END $$`);
    await db.query(`CREATE TRIGGER test_demote_admin AFTER INSERT ON app.conversation FOR EACH ROW
      WHEN (NEW.user_id = '${admin.user.id}'::uuid) EXECUTE FUNCTION app.test_demote_admin()`);
    try {
      const r = await api.gql(
        /* GraphQL */ `
          mutation($t: ID!) {
            first: startConversation(input: { conversationType: GENERAL }) { conversation { id } }
            grant: grantParentalConsent(input: { teenagerId: $t }) { teenager { id } }
          }
        `,
        { t: teen.gid },
        { token: admin.token },
      );
      expect(await db.prisma.collectiveMembership.findUniqueOrThrow({ where: { userId_collectiveId: { userId: admin.user.id, collectiveId: c.id } } })).toMatchObject({ role: 'MEMBER' });
      // No longer a manager and no code: the teenager is one they may not act for, answered like a missing one.
      expect(codesOf(r)).toEqual(['NOT_FOUND']);
      expect(r.errors![0].path).toEqual(['grant']);
      expect(await db.prisma.parentalConsent.count({ where: { teenagerId: teen.user.id } })).toBe(0);
      expect((await db.prisma.appSession.findUniqueOrThrow({ where: { id: teen.session.id } })).scope).toBe('PENDING_CONSENT');
    } finally {
      await db.query('DROP TRIGGER test_demote_admin ON app.conversation');
      await db.query('DROP FUNCTION app.test_demote_admin()');
    }
  });
});
