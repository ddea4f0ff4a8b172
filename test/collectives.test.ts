// Collective management over GraphQL: creation, roles, removals, leaving, the parental-consent flag;
// the last-owner rule (also under concurrency), NOT_FOUND/FORBIDDEN, and all-or-nothing writes.
import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { MembershipRole } from '../src/generated/prisma/client.ts';
import { dbKind } from './helpers/env.ts';
import { codesOf, useTestApp } from './helpers/app.ts';
import { createCollective, createSession, gid, rawId } from './factories/index.ts';

const CREATE = /* GraphQL */ `
  mutation($input: CreateCollectiveInput!) {
    createCollective(input: $input) {
      collective { id name type parentalConsentGranted parent { id } members(first: 10) { totalCount edges { node { role } } } }
      membership { id role user { id } }
    }
  }
`;
const UPDATE_ROLE = /* GraphQL */ `
  mutation($input: UpdateMemberRoleInput!) { updateMemberRole(input: $input) { membership { id role collective { id } } } }
`;
const REMOVE = /* GraphQL */ `
  mutation($input: RemoveMemberInput!) { removeMember(input: $input) { removedMembershipId collective { id members(first: 10) { totalCount } } session { scope } } }
`;
const LEAVE = /* GraphQL */ `
  mutation($input: LeaveCollectiveInput!) { leaveCollective(input: $input) { collectiveId removedMembershipId session { scope current } } }
`;
const SET_CONSENT = /* GraphQL */ `
  mutation($input: SetCollectiveParentalConsentInput!) {
    setCollectiveParentalConsent(input: $input) { collective { id parentalConsentGranted } session { scope current } }
  }
`;

describe(`collective mutations (${dbKind})`, () => {
  const api = useTestApp({ poolMax: 10 });
  const person = api.person;

  /** A collective with these people in these roles. */
  async function group(members: [{ user: { id: string } }, MembershipRole][], data: { parentalConsentGranted?: boolean; parentId?: string } = {}) {
    const c = await createCollective(api.prisma, members.map(([p, role]) => ({ userId: p.user.id, role })), data);
    const rows = await api.prisma.collectiveMembership.findMany({ where: { collectiveId: c.id } });
    const membershipOf = (p: { user: { id: string } }) => gid('CollectiveMembership', rows.find((r) => r.userId === p.user.id)!.id);
    return { ...c, gid: gid('Collective', c.id), membershipOf };
  }

  const roleOf = async (p: { user: { id: string } }, collectiveId: string) =>
    (await api.prisma.collectiveMembership.findUnique({ where: { userId_collectiveId: { userId: p.user.id, collectiveId } } }))?.role ?? null;

  /** Makes every insert of a membership for this user fail inside the database (a real failure, not a mock). */
  async function breakMembershipInsertsFor(userId: string) {
    await api.db.query(`CREATE OR REPLACE FUNCTION app.test_fail_membership() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN IF NEW.user_id = '${userId}'::uuid THEN RAISE EXCEPTION 'forced failure'; END IF; RETURN NEW; END $$`);
    await api.db.query(`CREATE TRIGGER test_fail_membership BEFORE INSERT ON app.collective_membership FOR EACH ROW EXECUTE FUNCTION app.test_fail_membership()`);
    return async () => {
      await api.db.query('DROP TRIGGER test_fail_membership ON app.collective_membership');
      await api.db.query('DROP FUNCTION app.test_fail_membership()');
    };
  }

  describe('createCollective', () => {
    it('makes the caller OWNER, trims the name, and the payload is readable in the same request', async () => {
      const parent = await person();
      const r = await api.gql(CREATE, { input: { name: '  Famille Martin  ', type: 'FAMILY' } }, { token: parent.token });
      expect(r.errors).toBeUndefined();
      const out = r.data.createCollective;
      expect(out.collective).toMatchObject({ name: 'Famille Martin', type: 'FAMILY', parentalConsentGranted: false, parent: null });
      expect(out.collective.members).toEqual({ totalCount: 1, edges: [{ node: { role: 'OWNER' } }] });
      expect(out.membership.role).toBe('OWNER');
      expect(rawId(out.membership.user.id)).toBe(parent.user.id);
      expect(await roleOf(parent, rawId(out.collective.id))).toBe('OWNER');
      // The next request sees it too.
      const me = await api.gql('{ me { collectives { id } } }', {}, { token: parent.token });
      expect(me.data.me.collectives.map((c: { id: string }) => c.id)).toEqual([out.collective.id]);
    });

    it('validates the input (BAD_USER_INPUT) and writes nothing', async () => {
      const parent = await person();
      const before = await api.prisma.collective.count();
      for (const input of [
        { name: '   ', type: 'CLASS' },
        { name: 'x'.repeat(121), type: 'CLASS' },
        { name: 'ok', type: 'CLASS', parentId: gid('Collective', 'not-a-uuid') },
      ]) {
        const r = await api.gql(CREATE, { input }, { token: parent.token });
        expect(codesOf(r), JSON.stringify(input)).toEqual(['BAD_USER_INPUT']);
      }
      const invalidEnum = await api.gql(CREATE, { input: { name: 'ok', type: 'CLUB' } }, { token: parent.token });
      expect(invalidEnum.errors).toBeDefined();
      expect(await api.prisma.collective.count()).toBe(before);
    });

    it('needs a FULL session: ONBOARDING and PENDING_CONSENT get CONSENT_REQUIRED, anonymous UNAUTHENTICATED', async () => {
      const onboarding = await person('PARENT', 'ONBOARDING');
      const pendingTeen = await person('TEENAGER', 'PENDING_CONSENT');
      const input = { name: 'Club', type: 'OTHER' };
      const a = await api.gql(CREATE, { input }, { token: onboarding.token });
      expect(codesOf(a)).toEqual(['CONSENT_REQUIRED']);
      expect(a.errors![0].extensions).toMatchObject({ requiredScope: 'FULL', currentScope: 'ONBOARDING' });
      expect(codesOf(await api.gql(CREATE, { input }, { token: pendingTeen.token }))).toEqual(['CONSENT_REQUIRED']);
      expect(codesOf(await api.gql(CREATE, { input }))).toEqual(['UNAUTHENTICATED']);
    });

    it('creates a child collective under one the caller owns or administers', async () => {
      const owner = await person();
      const admin = await person();
      const school = await group([[owner, 'OWNER'], [admin, 'ADMIN']], {});
      for (const p of [owner, admin]) {
        const r = await api.gql(CREATE, { input: { name: 'CM2 B', type: 'CLASS', parentId: school.gid } }, { token: p.token });
        expect(r.errors).toBeUndefined();
        expect(r.data.createCollective.collective.parent).toEqual({ id: school.gid });
        expect(r.data.createCollective.membership.role).toBe('OWNER');
      }
    });

    it('a plain member of the parent gets FORBIDDEN; a stranger NOT_FOUND exactly like a random id; nothing is written', async () => {
      const owner = await person();
      const member = await person();
      const stranger = await person();
      const school = await group([[owner, 'OWNER'], [member, 'MEMBER']]);
      const before = await api.prisma.collective.count();
      const child = (parentId: string) => ({ input: { name: 'CM1', type: 'CLASS', parentId } });
      expect(codesOf(await api.gql(CREATE, child(school.gid), { token: member.token }))).toEqual(['FORBIDDEN']);
      const hidden = await api.gql(CREATE, child(school.gid), { token: stranger.token });
      const missing = await api.gql(CREATE, child(gid('Collective', randomUUID())), { token: stranger.token });
      expect(codesOf(hidden)).toEqual(['NOT_FOUND']);
      expect(hidden.errors).toEqual(missing.errors);
      expect(hidden.data).toEqual(missing.data);
      expect(await api.prisma.collective.count()).toBe(before);
    });

    it('rolls the collective back when the owner membership cannot be written', async () => {
      const parent = await person();
      const before = await api.prisma.collective.count();
      const restore = await breakMembershipInsertsFor(parent.user.id);
      try {
        const r = await api.gql(CREATE, { input: { name: 'Never', type: 'FAMILY' } }, { token: parent.token });
        expect(codesOf(r)).toEqual(['INTERNAL_SERVER_ERROR']);
      } finally {
        await restore();
      }
      expect(await api.prisma.collective.count()).toBe(before);
      expect(await api.prisma.collective.count({ where: { name: 'Never' } })).toBe(0);
    });
  });

  describe('updateMemberRole', () => {
    it('owners manage everyone; admins promote members to ADMIN but never make owners nor touch owners or admins', async () => {
      const [owner, admin, admin2, member, member2] = await Promise.all([person(), person(), person(), person(), person()]);
      const c = await group([[owner, 'OWNER'], [admin, 'ADMIN'], [admin2, 'ADMIN'], [member, 'MEMBER'], [member2, 'MEMBER']]);
      const set = (actor: { token: string }, target: { user: { id: string } }, role: MembershipRole) =>
        api.gql(UPDATE_ROLE, { input: { membershipId: c.membershipOf(target), role } }, { token: actor.token });

      const promoted = await set(admin, member, 'ADMIN');
      expect(promoted.errors).toBeUndefined();
      expect(promoted.data.updateMemberRole.membership).toEqual({ id: c.membershipOf(member), role: 'ADMIN', collective: { id: c.gid } });
      expect(codesOf(await set(admin, member2, 'OWNER'))).toEqual(['FORBIDDEN']);
      expect(codesOf(await set(admin, owner, 'MEMBER'))).toEqual(['FORBIDDEN']);
      expect(codesOf(await set(admin, admin2, 'MEMBER'))).toEqual(['FORBIDDEN']);
      expect(codesOf(await set(member2, member2, 'ADMIN'))).toEqual(['FORBIDDEN']);
      expect(await roleOf(owner, c.id)).toBe('OWNER');
      expect(await roleOf(admin2, c.id)).toBe('ADMIN');
      expect(await roleOf(member2, c.id)).toBe('MEMBER');

      // An admin may step down.
      expect((await set(admin2, admin2, 'MEMBER')).data.updateMemberRole.membership.role).toBe('MEMBER');
      // Owners do anything, including making another owner.
      expect((await set(owner, admin, 'OWNER')).data.updateMemberRole.membership.role).toBe('OWNER');
      expect((await set(owner, member, 'MEMBER')).data.updateMemberRole.membership.role).toBe('MEMBER');
    });

    it('a stranger gets NOT_FOUND for a membership of a collective they cannot see, the same as a random id', async () => {
      const owner = await person();
      const member = await person();
      const stranger = await person();
      const c = await group([[owner, 'OWNER'], [member, 'MEMBER']]);
      const hidden = await api.gql(UPDATE_ROLE, { input: { membershipId: c.membershipOf(member), role: 'ADMIN' } }, { token: stranger.token });
      const missing = await api.gql(UPDATE_ROLE, { input: { membershipId: gid('CollectiveMembership', randomUUID()), role: 'ADMIN' } }, { token: stranger.token });
      expect(codesOf(hidden)).toEqual(['NOT_FOUND']);
      expect(hidden.errors).toEqual(missing.errors);
      expect(await roleOf(member, c.id)).toBe('MEMBER');
    });
  });

  it('hidden and missing cost the same statements on every manager path (a stranger locks no row)', async () => {
    const owner = await person();
    const member = await person();
    const stranger = await person();
    const c = await group([[owner, 'OWNER'], [member, 'MEMBER']], { parentalConsentGranted: false });
    const missingMembership = gid('CollectiveMembership', randomUUID());
    const missingCollective = gid('Collective', randomUUID());
    const pairs: [string, Record<string, unknown>, Record<string, unknown>][] = [
      [UPDATE_ROLE, { input: { membershipId: c.membershipOf(member), role: 'ADMIN' } }, { input: { membershipId: missingMembership, role: 'ADMIN' } }],
      [REMOVE, { input: { membershipId: c.membershipOf(member) } }, { input: { membershipId: missingMembership } }],
      [LEAVE, { input: { collectiveId: c.gid } }, { input: { collectiveId: missingCollective } }],
      [SET_CONSENT, { input: { collectiveId: c.gid, granted: true } }, { input: { collectiveId: missingCollective, granted: true } }],
    ];
    // An invitation: hidden from a plain member as from a stranger.
    const created = await api.gql(
      `mutation($c: ID!) { createInvitation(input: { collectiveId: $c, language: "fr" }) { invitation { id } } }`,
      { c: c.gid },
      { token: owner.token },
    );
    const REVOKE = `mutation($input: RevokeInvitationInput!) { revokeInvitation(input: $input) { invitation { id status } } }`;
    pairs.push([REVOKE, { input: { invitationId: created.data.createInvitation.invitation.id } }, { input: { invitationId: gid('Invitation', randomUUID()) } }]);
    for (const [doc, hiddenVars, missingVars] of pairs) {
      const hidden = await api.gql(doc, hiddenVars, { token: stranger.token });
      const missing = await api.gql(doc, missingVars, { token: stranger.token });
      expect(codesOf(hidden), doc).toEqual(['NOT_FOUND']);
      expect(hidden.errors, doc).toEqual(missing.errors);
      expect(hidden.sql, doc).toBe(missing.sql);
    }
    expect(await roleOf(member, c.id)).toBe('MEMBER');
    for (const p of [member, stranger]) {
      const r = await api.gql(pairs[4][0], pairs[4][1], { token: p.token });
      expect(codesOf(r)).toEqual(['NOT_FOUND']);
    }
    expect((await api.prisma.invitation.findUniqueOrThrow({ where: { id: rawId(created.data.createInvitation.invitation.id) } })).status).not.toBe('REVOKED');
    // Its inviter revokes it.
    expect((await api.gql(pairs[4][0], pairs[4][1], { token: owner.token })).errors).toBeUndefined();
  });

  describe('the last owner', () => {
    it('cannot be demoted, removed or leave (LAST_OWNER), and nothing is written', async () => {
      const owner = await person();
      const admin = await person();
      const c = await group([[owner, 'OWNER'], [admin, 'ADMIN']]);
      const snapshot = () => api.prisma.collectiveMembership.findMany({ where: { collectiveId: c.id }, orderBy: { id: 'asc' } });
      const before = await snapshot();

      const demote = await api.gql(UPDATE_ROLE, { input: { membershipId: c.membershipOf(owner), role: 'ADMIN' } }, { token: owner.token });
      expect(codesOf(demote)).toEqual(['LAST_OWNER']);
      const remove = await api.gql(REMOVE, { input: { membershipId: c.membershipOf(owner) } }, { token: owner.token });
      expect(codesOf(remove)).toEqual(['LAST_OWNER']);
      const leave = await api.gql(LEAVE, { input: { collectiveId: c.gid } }, { token: owner.token });
      expect(codesOf(leave)).toEqual(['LAST_OWNER']);
      // Admins cannot touch an owner at all.
      expect(codesOf(await api.gql(REMOVE, { input: { membershipId: c.membershipOf(owner) } }, { token: admin.token }))).toEqual(['FORBIDDEN']);

      expect(await snapshot()).toEqual(before);
    });

    it('with two owners one can leave, then the other cannot', async () => {
      const a = await person();
      const b = await person();
      const c = await group([[a, 'OWNER'], [b, 'OWNER']]);
      const left = await api.gql(LEAVE, { input: { collectiveId: c.gid } }, { token: a.token });
      expect(left.errors).toBeUndefined();
      expect(left.data.leaveCollective).toMatchObject({ collectiveId: c.gid, removedMembershipId: c.membershipOf(a), session: { scope: 'FULL', current: true } });
      expect(await roleOf(a, c.id)).toBeNull();
      expect(codesOf(await api.gql(LEAVE, { input: { collectiveId: c.gid } }, { token: b.token }))).toEqual(['LAST_OWNER']);
      // Having left, the collective is hidden: NOT_FOUND like any stranger.
      expect(codesOf(await api.gql(LEAVE, { input: { collectiveId: c.gid } }, { token: a.token }))).toEqual(['NOT_FOUND']);
    });

    it('two owners leaving at the same time: exactly one succeeds, an owner always remains', async () => {
      for (let round = 0; round < 3; round++) {
        const a = await person();
        const b = await person();
        const c = await group([[a, 'OWNER'], [b, 'OWNER']]);
        const results = await Promise.all([a, b].map((p) => api.gql(LEAVE, { input: { collectiveId: c.gid } }, { token: p.token })));
        expect(results.map(codesOf).sort()).toEqual([[], ['LAST_OWNER']]);
        expect(await api.prisma.collectiveMembership.count({ where: { collectiveId: c.id, role: 'OWNER' } })).toBe(1);
      }
    });

    it('two owners demoting each other at the same time: an owner always remains', async () => {
      const a = await person();
      const b = await person();
      const c = await group([[a, 'OWNER'], [b, 'OWNER']]);
      const results = await Promise.all([
        api.gql(UPDATE_ROLE, { input: { membershipId: c.membershipOf(b), role: 'MEMBER' } }, { token: a.token }),
        api.gql(UPDATE_ROLE, { input: { membershipId: c.membershipOf(a), role: 'MEMBER' } }, { token: b.token }),
      ]);
      // The second to run is no longer an owner (FORBIDDEN: a member manages no one) or would remove the last one.
      expect(results.filter((r) => !r.errors)).toHaveLength(1);
      expect(await api.prisma.collectiveMembership.count({ where: { collectiveId: c.id, role: 'OWNER' } })).toBe(1);
    });
    it('owners removing each other, or the last owner leaving while demoting the other, at the same time: clear codes, an owner always remains', async () => {
      for (let round = 0; round < 3; round++) {
        const a = await person();
        const b = await person();
        const c = await group([[a, 'OWNER'], [b, 'OWNER']]);
        const removals = await Promise.all([
          api.gql(REMOVE, { input: { membershipId: c.membershipOf(b) } }, { token: a.token }),
          api.gql(REMOVE, { input: { membershipId: c.membershipOf(a) } }, { token: b.token }),
        ]);
        // The second to run finds its own membership gone: the collective is hidden from it now.
        expect(removals.map(codesOf).sort()).toEqual([[], ['NOT_FOUND']]);
        expect(await api.prisma.collectiveMembership.count({ where: { collectiveId: c.id, role: 'OWNER' } })).toBe(1);

        const d = await group([[a, 'OWNER'], [b, 'OWNER']]);
        const [left, demoted] = await Promise.all([
          api.gql(LEAVE, { input: { collectiveId: d.gid } }, { token: a.token }),
          api.gql(UPDATE_ROLE, { input: { membershipId: d.membershipOf(b), role: 'MEMBER' } }, { token: a.token }),
        ]);
        // Leave first: a is no longer a member (NOT_FOUND). Demotion first: a is the last owner (LAST_OWNER).
        expect([[[], ['NOT_FOUND']], [['LAST_OWNER'], []]]).toContainEqual([codesOf(left), codesOf(demoted)]);
        expect(await api.prisma.collectiveMembership.count({ where: { collectiveId: d.id, role: 'OWNER' } })).toBe(1);
      }
    });
  });

  describe('removeMember', () => {
    it('owners remove anyone but the last owner, admins plain members only, members only themselves', async () => {
      const [owner, admin, admin2, member, member2, member3] = await Promise.all([person(), person(), person(), person(), person(), person()]);
      const c = await group([[owner, 'OWNER'], [admin, 'ADMIN'], [admin2, 'ADMIN'], [member, 'MEMBER'], [member2, 'MEMBER'], [member3, 'MEMBER']]);
      const remove = (actor: { token: string }, target: { user: { id: string } }) =>
        api.gql(REMOVE, { input: { membershipId: c.membershipOf(target) } }, { token: actor.token });

      expect(codesOf(await remove(member, member2))).toEqual(['FORBIDDEN']);
      expect(codesOf(await remove(admin, admin2))).toEqual(['FORBIDDEN']);
      const byAdmin = await remove(admin, member);
      expect(byAdmin.errors).toBeUndefined();
      expect(byAdmin.data.removeMember).toEqual({ removedMembershipId: c.membershipOf(member), collective: { id: c.gid, members: { totalCount: 5 } }, session: { scope: 'FULL' } });
      expect(await roleOf(member, c.id)).toBeNull();
      expect((await remove(owner, admin2)).errors).toBeUndefined();
      const self = await remove(member2, member2);
      expect(self.errors).toBeUndefined();
      expect(self.data.removeMember.collective).toBeNull();
      expect(await api.prisma.collectiveMembership.count({ where: { collectiveId: c.id } })).toBe(3);
    });
  });

  describe('parental consent of a collective', () => {
    async function family() {
      const parent = await person('PARENT');
      const teen = await person('TEENAGER', 'PENDING_CONSENT');
      const second = await createSession(api.prisma, teen.user.id, 'PENDING_CONSENT');
      const sibling = await person('TEENAGER', 'PENDING_CONSENT');
      await api.prisma.parentalConsent.create({ data: { parentId: parent.user.id, teenagerId: sibling.user.id } });
      const c = await group([[parent, 'OWNER'], [teen, 'MEMBER'], [sibling, 'MEMBER']]);
      return { parent, teen, sibling, c, teenSessions: [teen.session.id, second.session.id] };
    }
    const scopes = (ids: string[]) => api.prisma.appSession.findMany({ where: { id: { in: ids } }, select: { scope: true } }).then((r) => r.map((s) => s.scope));

    it('granting moves every live session of the minors to FULL; withdrawing moves them back unless they have their own consent', async () => {
      const { parent, teen, sibling, c, teenSessions } = await family();
      const expired = await createSession(api.prisma, teen.user.id, 'PENDING_CONSENT', -1000);
      const on = await api.gql(SET_CONSENT, { input: { collectiveId: c.gid, granted: true } }, { token: parent.token });
      expect(on.errors).toBeUndefined();
      expect(on.data.setCollectiveParentalConsent).toEqual({ collective: { id: c.gid, parentalConsentGranted: true }, session: { scope: 'FULL', current: true } });
      expect(await scopes(teenSessions)).toEqual(['FULL', 'FULL']);
      expect(await scopes([expired.session.id])).toEqual(['PENDING_CONSENT']);
      // The teenager's own next request is FULL.
      expect((await api.gql('{ me { sessions { scope current } } }', {}, { token: teen.token })).data.me.sessions.every((s: { scope: string }) => s.scope === 'FULL')).toBe(true);

      const off = await api.gql(SET_CONSENT, { input: { collectiveId: c.gid, granted: false } }, { token: parent.token });
      expect(off.data.setCollectiveParentalConsent.collective.parentalConsentGranted).toBe(false);
      expect(await scopes(teenSessions)).toEqual(['PENDING_CONSENT', 'PENDING_CONSENT']);
      expect(await scopes([sibling.session.id])).toEqual(['FULL']);
    });

    it('owners only, and only a parent grants: admins, members and teenage owners get FORBIDDEN; strangers NOT_FOUND', async () => {
      const parent = await person('PARENT');
      const admin = await person('PARENT');
      const teenOwner = await person('TEENAGER', 'FULL');
      await api.prisma.parentalConsent.create({ data: { parentId: parent.user.id, teenagerId: teenOwner.user.id } });
      const stranger = await person('PARENT');
      const c = await group([[parent, 'OWNER'], [admin, 'ADMIN'], [teenOwner, 'OWNER']]);
      const grant = (p: { token: string }) => api.gql(SET_CONSENT, { input: { collectiveId: c.gid, granted: true } }, { token: p.token });
      expect(codesOf(await grant(admin))).toEqual(['FORBIDDEN']);
      expect(codesOf(await grant(teenOwner))).toEqual(['FORBIDDEN']);
      expect(codesOf(await grant(stranger))).toEqual(['NOT_FOUND']);
      expect((await api.prisma.collective.findUniqueOrThrow({ where: { id: c.id } })).parentalConsentGranted).toBe(false);
    });

    it('removing or leaving a collective that granted consent moves the teenager back to PENDING_CONSENT in the same transaction', async () => {
      const { parent, teen, sibling, c, teenSessions } = await family();
      await api.gql(SET_CONSENT, { input: { collectiveId: c.gid, granted: true } }, { token: parent.token });
      expect(await scopes(teenSessions)).toEqual(['FULL', 'FULL']);
      const removed = await api.gql(REMOVE, { input: { membershipId: c.membershipOf(teen) } }, { token: parent.token });
      expect(removed.errors).toBeUndefined();
      expect(await scopes(teenSessions)).toEqual(['PENDING_CONSENT', 'PENDING_CONSENT']);

      // The sibling keeps FULL through their own ParentalConsent row, even after leaving.
      const left = await api.gql(LEAVE, { input: { collectiveId: c.gid } }, { token: sibling.token });
      expect(left.data.leaveCollective.session).toEqual({ scope: 'FULL', current: true });

      // A FULL teenager (through the collective) leaving goes back to PENDING_CONSENT, and the payload says so.
      const other = await person('TEENAGER', 'FULL');
      await api.prisma.collectiveMembership.create({ data: { userId: other.user.id, collectiveId: c.id, role: 'MEMBER' } });
      const gone = await api.gql(LEAVE, { input: { collectiveId: c.gid } }, { token: other.token });
      expect(gone.errors).toBeUndefined();
      expect(gone.data.leaveCollective.session).toEqual({ scope: 'PENDING_CONSENT', current: true });
    });

    it('leaves the flag unchanged when refreshing the sessions fails (one transaction)', async () => {
      const { parent, c, teenSessions } = await family();
      await api.db.query(`CREATE OR REPLACE FUNCTION app.test_fail_session() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN RAISE EXCEPTION 'forced failure'; END $$`);
      await api.db.query(`CREATE TRIGGER test_fail_session BEFORE UPDATE ON app.app_session FOR EACH ROW EXECUTE FUNCTION app.test_fail_session()`);
      try {
        const r = await api.gql(SET_CONSENT, { input: { collectiveId: c.gid, granted: true } }, { token: parent.token });
        expect(codesOf(r)).toEqual(['INTERNAL_SERVER_ERROR']);
      } finally {
        await api.db.query('DROP TRIGGER test_fail_session ON app.app_session');
        await api.db.query('DROP FUNCTION app.test_fail_session()');
      }
      expect((await api.prisma.collective.findUniqueOrThrow({ where: { id: c.id } })).parentalConsentGranted).toBe(false);
      expect(await scopes(teenSessions)).toEqual(['PENDING_CONSENT', 'PENDING_CONSENT']);
    });
  });
});
