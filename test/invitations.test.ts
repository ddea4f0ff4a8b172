// Invitations over GraphQL: creating (token shown once, hash stored), the public preview, accepting
// (one atomic use, concurrency, consent, language, already-member), revoking, and rollback.
import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { AgeClass, MembershipRole, SessionScope, UserType } from '../src/generated/prisma/client.ts';
import { generateToken, hashToken } from '../src/auth/tokens.ts';
import { dbKind } from './helpers/env.ts';
import { codesOf, useTestApp } from './helpers/app.ts';
import { createCollective, createSession, gid, rawId } from './factories/index.ts';
const DAY = 86_400_000;
const BASE_URL = 'https://app.example.org';

const CREATE = /* GraphQL */ `
  mutation($input: CreateInvitationInput!) {
    createInvitation(input: $input) {
      token shareUrl
      invitation { id status ageClass language label usageLimit currentUses expiresAt acceptedAt collective { id } inviter { id } }
    }
  }
`;
const ACCEPT = /* GraphQL */ `
  mutation($input: AcceptInvitationInput!) {
    acceptInvitation(input: $input) {
      alreadyMember
      membership { id role collective { id name } }
      session { scope current }
    }
  }
`;
/** The same, with the accepted invitation (readable by its acceptor through this payload only). */
const ACCEPT_WITH_INVITATION = /* GraphQL */ `
  mutation($input: AcceptInvitationInput!) {
    acceptInvitation(input: $input) {
      alreadyMember
      membership { id role }
      invitation { id status currentUses usageLimit acceptedAt acceptedBy { id } collective { id } }
      session { scope }
    }
  }
`;
const REVOKE = /* GraphQL */ `
  mutation($input: RevokeInvitationInput!) { revokeInvitation(input: $input) { invitation { id status currentUses } } }
`;
const PREVIEW = /* GraphQL */ `
  query($token: String!) { invitationPreview(token: $token) { collectiveName collectiveType inviterLabel expiresAt status ageClass language } }
`;

describe(`invitations (${dbKind})`, () => {
  // A pool larger than the concurrent requests, so that on PostgreSQL they really run at once.
  const api = useTestApp({ poolMax: 20, env: { PUBLIC_BASE_URL: `${BASE_URL}/` } });
  const person = api.person;
  const teen = (scope: SessionScope = 'PENDING_CONSENT', profile: { language?: string | null; ageClass?: AgeClass | null } = {}) =>
    person('TEENAGER', scope, profile);

  async function group(members: [{ user: { id: string } }, MembershipRole][], data: { parentalConsentGranted?: boolean; name?: string } = {}) {
    const c = await createCollective(api.prisma, members.map(([p, role]) => ({ userId: p.user.id, role })), data);
    return { ...c, gid: gid('Collective', c.id) };
  }

  /** An invitation created through the API by `inviter`. */
  async function invite(inviter: { token: string }, collectiveGid: string, extra: Record<string, unknown> = {}) {
    const r = await api.gql(CREATE, { input: { collectiveId: collectiveGid, language: 'fr', ...extra } }, { token: inviter.token });
    expect(r.errors).toBeUndefined();
    const out = r.data.createInvitation;
    return { ...out, rawId: rawId(out.invitation.id) as string, row: () => api.prisma.invitation.findUniqueOrThrow({ where: { id: rawId(out.invitation.id) } }) };
  }

  const accept = (token: string, as: { token: string }) => api.gql(ACCEPT, { input: { token } }, { token: as.token });
  const memberCount = (collectiveId: string) => api.prisma.collectiveMembership.count({ where: { collectiveId } });

  describe('createInvitation', () => {
    it('returns the token once, stores only its hash, and builds the share URL', async () => {
      const owner = await person();
      const c = await group([[owner, 'OWNER']]);
      const before = Date.now();
      const inv = await invite(owner, c.gid, { label: '  Maman  ' });
      expect(inv.token).toMatch(/^[A-Za-z0-9_-]{43}$/);
      expect(inv.shareUrl).toBe(`${BASE_URL}/invitations/${inv.token}`);
      expect(inv.invitation).toMatchObject({
        status: 'PENDING', ageClass: null, language: 'fr', label: 'Maman', usageLimit: null, currentUses: 0, acceptedAt: null,
        collective: { id: c.gid }, inviter: { id: gid('User', owner.user.id) },
      });
      const expires = new Date(inv.invitation.expiresAt).getTime();
      expect(expires).toBeGreaterThanOrEqual(before + 7 * DAY - 1000);
      expect(expires).toBeLessThanOrEqual(Date.now() + 7 * DAY + 1000);
      const row = await inv.row();
      expect(row.tokenHash).toBe(hashToken(inv.token));
      const everything = JSON.stringify(await api.prisma.invitation.findMany());
      expect(everything).not.toContain(inv.token);
    });

    it('an invitation for one age class is good for one use unless told otherwise', async () => {
      const owner = await person();
      const c = await group([[owner, 'OWNER']]);
      expect((await invite(owner, c.gid, { ageClass: 'PRETEEN' })).invitation.usageLimit).toBe(1);
      expect((await invite(owner, c.gid, { ageClass: 'PRETEEN', usageLimit: 3 })).invitation.usageLimit).toBe(3);
      expect((await invite(owner, c.gid, { ageClass: 'PRETEEN', usageLimit: null })).invitation.usageLimit).toBeNull();
      expect((await invite(owner, c.gid, { usageLimit: 25 })).invitation.usageLimit).toBe(25);
    });

    it('validates the input (BAD_USER_INPUT) and writes nothing', async () => {
      const owner = await person();
      const c = await group([[owner, 'OWNER']]);
      const now = Date.now();
      for (const extra of [
        { usageLimit: 0 },
        { usageLimit: 10_001 },
        { expiresAt: new Date(now - 60_000).toISOString() },
        { expiresAt: new Date(now + 91 * DAY).toISOString() },
        { label: '   ' },
        { label: 'x'.repeat(121) },
        { language: 'FR' },
      ]) {
        const r = await api.gql(CREATE, { input: { collectiveId: c.gid, language: 'fr', ...extra } }, { token: owner.token });
        expect(codesOf(r), JSON.stringify(extra)).toEqual(['BAD_USER_INPUT']);
      }
      // The fields' own rules run before the resolver and the clock's (expiresAt) inside it: a
      // request breaking both hears of the fields' alone, every one of them at once.
      const both = await api.gql(
        CREATE,
        { input: { collectiveId: c.gid, language: 'fr', label: ' ', usageLimit: 0, expiresAt: new Date(now - 60_000).toISOString() } },
        { token: owner.token },
      );
      expect((both.errors?.[0]?.extensions?.issues as { path: string }[]).map((i) => i.path)).toEqual(['input.label', 'input.usageLimit']);
      const ok = await invite(owner, c.gid, { expiresAt: new Date(now + 30 * DAY).toISOString(), usageLimit: 10_000 });
      expect(new Date(ok.invitation.expiresAt).getTime()).toBe(new Date(now + 30 * DAY).getTime());
      expect(await api.prisma.invitation.count({ where: { collectiveId: c.id } })).toBe(1);
    });

    it('owners and admins invite; a MEMBER gets FORBIDDEN; a stranger NOT_FOUND exactly like a random id; ONBOARDING CONSENT_REQUIRED', async () => {
      const owner = await person();
      const admin = await person();
      const member = await person();
      const stranger = await person();
      const onboarding = await person('PARENT', 'ONBOARDING');
      const c = await group([[owner, 'OWNER'], [admin, 'ADMIN'], [member, 'MEMBER'], [onboarding, 'OWNER']]);
      const attempt = (p: { token: string }, collectiveId = c.gid) => api.gql(CREATE, { input: { collectiveId, language: 'fr' } }, { token: p.token });
      expect((await attempt(admin)).errors).toBeUndefined();
      expect(codesOf(await attempt(member))).toEqual(['FORBIDDEN']);
      const hidden = await attempt(stranger);
      const missing = await attempt(stranger, gid('Collective', randomUUID()));
      expect(codesOf(hidden)).toEqual(['NOT_FOUND']);
      expect(hidden.errors).toEqual(missing.errors);
      expect(codesOf(await attempt(onboarding))).toEqual(['CONSENT_REQUIRED']);
      expect(await api.prisma.invitation.count({ where: { collectiveId: c.id } })).toBe(1);
    });
  });

  describe('invitationPreview', () => {
    it('shows only the allowed fields, anonymously, and nothing else', async () => {
      const owner = await person();
      const c = await group([[owner, 'OWNER']], { name: 'Famille Durand' });
      const labelled = await invite(owner, c.gid, { label: 'Papa', ageClass: 'PRETEEN', language: 'de' });
      const r = await api.gql(PREVIEW, { token: labelled.token });
      expect(r.errors).toBeUndefined();
      expect(Object.keys(r.data.invitationPreview).sort()).toEqual(
        ['ageClass', 'collectiveName', 'collectiveType', 'expiresAt', 'inviterLabel', 'language', 'status'],
      );
      expect(r.data.invitationPreview).toEqual({
        collectiveName: 'Famille Durand', collectiveType: 'FAMILY', inviterLabel: 'Papa',
        expiresAt: labelled.invitation.expiresAt, status: 'PENDING', ageClass: 'PRETEEN', language: 'de',
      });
      // The type itself has exactly these fields: no id, no inviter, no collective to walk into.
      const type = await api.gql('{ __type(name: "InvitationPreview") { fields { name } } }');
      expect(type.data.__type.fields.map((f: { name: string }) => f.name).sort()).toEqual(
        ['ageClass', 'collectiveName', 'collectiveType', 'expiresAt', 'inviterLabel', 'language', 'status'],
      );
      // Without a label: a generic one, the inviter's user type.
      const plain = await invite(owner, c.gid);
      expect((await api.gql(PREVIEW, { token: plain.token })).data.invitationPreview.inviterLabel).toBe('PARENT');
      // Signed in, the same.
      expect((await api.gql(PREVIEW, { token: plain.token }, { token: owner.token })).data.invitationPreview.collectiveName).toBe('Famille Durand');
    });

    it('unknown tokens are null; malformed ones cost no database round trip; expiry shows at once', async () => {
      const unknown = await api.gql(PREVIEW, { token: generateToken() });
      expect(unknown.errors).toBeUndefined();
      expect(unknown.data.invitationPreview).toBeNull();
      expect(unknown.sql).toBe(1);
      for (const junk of ['', 'short', 'x'.repeat(500), 'has spaces in it and is long enough', "'; DROP TABLE app.invitation; --"]) {
        const r = await api.gql(PREVIEW, { token: junk });
        expect(r.data.invitationPreview, junk).toBeNull();
        expect(r.sql, junk).toBe(0);
      }
      const owner = await person();
      const c = await group([[owner, 'OWNER']]);
      const inv = await invite(owner, c.gid);
      await api.prisma.invitation.update({ where: { id: inv.rawId }, data: { expiresAt: new Date(Date.now() - 1000) } });
      expect((await api.gql(PREVIEW, { token: inv.token })).data.invitationPreview.status).toBe('EXPIRED');
    });
  });

  describe('acceptInvitation', () => {
    it('a teenager waiting for consent joins as MEMBER; the use is consumed; the payload is readable by them', async () => {
      const owner = await person();
      const c = await group([[owner, 'OWNER']], { name: 'CM2 A' });
      const inv = await invite(owner, c.gid, { usageLimit: 2 });
      const kid = await teen('PENDING_CONSENT');
      const r = await accept(inv.token, kid);
      expect(r.errors).toBeUndefined();
      const out = r.data.acceptInvitation;
      expect(out.alreadyMember).toBe(false);
      expect(out.membership).toMatchObject({ role: 'MEMBER', collective: { id: c.gid, name: 'CM2 A' } });
      // The collective does not grant consent: still waiting.
      expect(out.session).toEqual({ scope: 'PENDING_CONSENT', current: true });
      const row = await inv.row();
      expect(row).toMatchObject({ currentUses: 1, status: 'ACTIVE', acceptedById: kid.user.id });
      expect(row.acceptedAt).not.toBeNull();

      // The last use makes it ACCEPTED.
      const last = await teen('FULL');
      expect((await accept(inv.token, last)).errors).toBeUndefined();
      expect(await inv.row()).toMatchObject({ currentUses: 2, status: 'ACCEPTED', acceptedById: last.user.id });
      expect(codesOf(await accept(inv.token, await teen()))).toEqual(['INVITATION_EXHAUSTED']);
      expect((await inv.row()).currentUses).toBe(2);
    });

    it('the payload shows the acceptor the invitation they accepted, though invitations are otherwise for managers', async () => {
      const owner = await person();
      const c = await group([[owner, 'OWNER']]);
      const inv = await invite(owner, c.gid, { usageLimit: 3 });
      const kid = await teen();
      const r = await api.gql(ACCEPT_WITH_INVITATION, { input: { token: inv.token } }, { token: kid.token });
      expect(r.errors).toBeUndefined();
      expect(r.data.acceptInvitation.invitation).toMatchObject({
        id: inv.invitation.id, status: 'ACTIVE', currentUses: 1, usageLimit: 3,
        acceptedBy: { id: gid('User', kid.user.id) }, collective: { id: c.gid },
      });
      expect(r.data.acceptInvitation.invitation.acceptedAt).not.toBeNull();
      // Only there: by id, the invitation stays hidden from a plain member.
      const byId = await api.gql(`query($id: ID!) { node(id: $id) { id } }`, { id: inv.invitation.id }, { token: kid.token });
      expect(codesOf(byId)).toEqual(['NOT_FOUND']);
    });

    it('ONBOARDING gets CONSENT_REQUIRED; anonymous UNAUTHENTICATED; unknown and malformed tokens NOT_FOUND', async () => {
      const owner = await person();
      const c = await group([[owner, 'OWNER']]);
      const inv = await invite(owner, c.gid);
      const onboarding = await teen('ONBOARDING');
      expect(codesOf(await accept(inv.token, onboarding))).toEqual(['CONSENT_REQUIRED']);
      expect(codesOf(await api.gql(ACCEPT, { input: { token: inv.token } }))).toEqual(['UNAUTHENTICATED']);
      const kid = await teen();
      const unknown = await accept(generateToken(), kid);
      const malformed = await accept('not a token', kid);
      expect(codesOf(unknown)).toEqual(['NOT_FOUND']);
      expect(malformed.errors).toEqual(unknown.errors);
      // Only the session lookup: the malformed token never reached the database.
      expect(malformed.sql).toBe(1);
      expect((await inv.row()).currentUses).toBe(0);
    });

    it('expired: INVITATION_EXPIRED; revoked: INVITATION_REVOKED; neither writes anything', async () => {
      const owner = await person();
      const c = await group([[owner, 'OWNER']]);
      const expired = await invite(owner, c.gid);
      await api.prisma.invitation.update({ where: { id: expired.rawId }, data: { expiresAt: new Date(Date.now() - 1000) } });
      const revoked = await invite(owner, c.gid);
      expect((await api.gql(REVOKE, { input: { invitationId: revoked.invitation.id } }, { token: owner.token })).errors).toBeUndefined();
      const kid = await teen();
      const e = await accept(expired.token, kid);
      expect(codesOf(e)).toEqual(['INVITATION_EXPIRED']);
      expect(codesOf(await accept(revoked.token, kid))).toEqual(['INVITATION_REVOKED']);
      // The failed accept wrote nothing: the stored status stays PENDING (reads compute EXPIRED).
      expect(await expired.row()).toMatchObject({ status: 'PENDING', currentUses: 0, acceptedById: null, acceptedAt: null });
      expect(await revoked.row()).toMatchObject({ status: 'REVOKED', currentUses: 0 });
      expect(await memberCount(c.id)).toBe(1);
      const seen = await api.gql(`query($id: ID!) { node(id: $id) { ... on Invitation { status } } }`, { id: expired.invitation.id }, { token: owner.token });
      expect(seen.data.node.status).toBe('EXPIRED');
    });

    it('accepting a collective one already belongs to consumes nothing (also twice, also at once)', async () => {
      const owner = await person();
      const c = await group([[owner, 'OWNER']]);
      const inv = await invite(owner, c.gid, { usageLimit: 1 });
      const mine = await accept(inv.token, owner);
      expect(mine.errors).toBeUndefined();
      expect(mine.data.acceptInvitation).toMatchObject({ alreadyMember: true, membership: { role: 'OWNER' } });
      expect(await inv.row()).toMatchObject({ status: 'PENDING', currentUses: 0 });

      const kid = await teen();
      const first = await accept(inv.token, kid);
      expect(first.data.acceptInvitation.alreadyMember).toBe(false);
      // A retry of the same accept (lost response) succeeds, though the invitation is now used up.
      const again = await accept(inv.token, kid);
      expect(again.errors).toBeUndefined();
      expect(again.data.acceptInvitation).toMatchObject({ alreadyMember: true, membership: { id: first.data.acceptInvitation.membership.id } });
      expect((await inv.row()).currentUses).toBe(1);

      // The same user accepting an unlimited invitation five times at once: one membership, one use.
      const open = await invite(owner, c.gid);
      const other = await teen();
      const results = await Promise.all(Array.from({ length: 5 }, () => accept(open.token, other)));
      expect(results.flatMap(codesOf)).toEqual([]);
      expect(results.filter((r) => !r.data.acceptInvitation.alreadyMember)).toHaveLength(1);
      expect(new Set(results.map((r) => r.data.acceptInvitation.membership.id)).size).toBe(1);
      expect((await open.row()).currentUses).toBe(1);
      expect(await api.prisma.collectiveMembership.count({ where: { collectiveId: c.id, userId: other.user.id } })).toBe(1);
    });

    it('copies the invitation\'s language (and age class) to a user who has none, never over their own', async () => {
      const owner = await person();
      const c = await group([[owner, 'OWNER']]);
      const inv = await invite(owner, c.gid, { language: 'es', ageClass: 'PRETEEN', usageLimit: 5 });
      const blank = await teen('PENDING_CONSENT', { language: null, ageClass: null });
      expect((await accept(inv.token, blank)).errors).toBeUndefined();
      expect(await api.prisma.user.findUniqueOrThrow({ where: { id: blank.user.id } })).toMatchObject({ language: 'es', ageClass: 'PRETEEN' });
      const french = await teen('PENDING_CONSENT', { language: 'fr', ageClass: 'PRETEEN' });
      expect((await accept(inv.token, french)).errors).toBeUndefined();
      expect((await api.prisma.user.findUniqueOrThrow({ where: { id: french.user.id } })).language).toBe('fr');
    });

    it('an invitation for one age class refuses another (FORBIDDEN) without consuming', async () => {
      const owner = await person();
      const c = await group([[owner, 'OWNER']]);
      const inv = await invite(owner, c.gid, { ageClass: 'PRETEEN' });
      const adult = await person('PARENT');
      expect(codesOf(await accept(inv.token, adult))).toEqual(['FORBIDDEN']);
      expect(await inv.row()).toMatchObject({ currentUses: 0, status: 'PENDING' });
      expect((await accept(inv.token, await teen('PENDING_CONSENT', { ageClass: 'PRETEEN' }))).errors).toBeUndefined();
      expect(await inv.row()).toMatchObject({ currentUses: 1, status: 'ACCEPTED' });
    });

    it('the age class must fit the user type, with or without an age class of their own: every pair; refused accepts consume nothing', async () => {
      const owner = await person();
      const c = await group([[owner, 'OWNER']], { parentalConsentGranted: true });
      const fits: Record<UserType, AgeClass[]> = { TEENAGER: ['CHILD', 'PRETEEN', 'TEENAGER'], PARENT: ['ADULT'] };
      const classes: AgeClass[] = ['CHILD', 'PRETEEN', 'TEENAGER', 'ADULT'];
      for (const userType of ['TEENAGER', 'PARENT'] as const) {
        for (const invited of classes) {
          // The user's own age class: none, each one their type may hold (and, for the record, one it may not).
          for (const own of [null, ...classes] as (AgeClass | null)[]) {
            const label = `${userType} (own ${own ?? 'none'}) accepting ${invited}`;
            const inv = await invite(owner, c.gid, { ageClass: invited, usageLimit: 1 });
            const who = await person(userType, userType === 'TEENAGER' ? 'PENDING_CONSENT' : 'FULL', { ageClass: own });
            const r = await accept(inv.token, who);
            const allowed = fits[userType].includes(invited) && (own === null || own === invited);
            if (allowed) {
              expect(r.errors, label).toBeUndefined();
              expect((await api.prisma.user.findUniqueOrThrow({ where: { id: who.user.id } })).ageClass, label).toBe(invited);
              continue;
            }
            expect(codesOf(r), label).toEqual(['FORBIDDEN']);
            // Nothing consumed, nothing joined, no age class taken, no scope gained.
            expect(await inv.row(), label).toMatchObject({ currentUses: 0, status: 'PENDING', acceptedById: null });
            expect(await api.prisma.collectiveMembership.count({ where: { userId: who.user.id } }), label).toBe(0);
            expect((await api.prisma.user.findUniqueOrThrow({ where: { id: who.user.id } })).ageClass, label).toBe(own);
            expect((await api.prisma.appSession.findUniqueOrThrow({ where: { id: who.session.id } })).scope, label).toBe(userType === 'TEENAGER' ? 'PENDING_CONSENT' : 'FULL');
          }
        }
      }
    });

    it('the reported escalation: a new teenager with no age class cannot take a family invitation made for ADULT and go FULL', async () => {
      const parent = await person('PARENT');
      const family = await group([[parent, 'OWNER']], { parentalConsentGranted: true });
      const inv = await invite(parent, family.gid, { ageClass: 'ADULT' });
      const kid = await teen('PENDING_CONSENT', { ageClass: null });
      expect(codesOf(await accept(inv.token, kid))).toEqual(['FORBIDDEN']);
      expect((await api.prisma.appSession.findUniqueOrThrow({ where: { id: kid.session.id } })).scope).toBe('PENDING_CONSENT');
      expect(await inv.row()).toMatchObject({ currentUses: 0, status: 'PENDING' });
      // The invitation is still good for a parent.
      expect((await accept(inv.token, await person('PARENT', 'FULL', { ageClass: null }))).errors).toBeUndefined();
    });

    it('a teenager with no age class accepting invitations for two age classes at once joins one, never both', async () => {
      const owner = await person('PARENT');
      const [a, b] = await Promise.all([group([[owner, 'OWNER']]), group([[owner, 'OWNER']])]);
      for (let round = 0; round < 3; round++) {
        const [child, older] = await Promise.all([invite(owner, a.gid, { ageClass: 'CHILD' }), invite(owner, b.gid, { ageClass: 'TEENAGER' })]);
        const kid = await teen('PENDING_CONSENT', { ageClass: null });
        const results = await Promise.all([accept(child.token, kid), accept(older.token, kid)]);
        const codes = results.map(codesOf);
        expect(codes.filter((c) => c.length === 0)).toHaveLength(1);
        expect(codes.filter((c) => c.length === 1 && c[0] === 'FORBIDDEN')).toHaveLength(1);
        const won = codes[0].length === 0 ? 'CHILD' : 'TEENAGER';
        expect((await api.prisma.user.findUniqueOrThrow({ where: { id: kid.user.id } })).ageClass).toBe(won);
        expect(await api.prisma.collectiveMembership.count({ where: { userId: kid.user.id } })).toBe(1);
        expect((await (won === 'CHILD' ? older : child).row()).currentUses).toBe(0);
      }
    });

    it('20 users accepting a single-use invitation at once: exactly one wins, 19 INVITATION_EXHAUSTED', async () => {
      const owner = await person();
      const c = await group([[owner, 'OWNER']]);
      const inv = await invite(owner, c.gid, { usageLimit: 1 });
      const people = await Promise.all(Array.from({ length: 20 }, (_, i) => (i % 2 ? teen('PENDING_CONSENT') : person('PARENT', 'FULL'))));
      const results = await Promise.all(people.map((p) => accept(inv.token, p)));
      const codes = results.map(codesOf);
      expect(codes.filter((c) => c.length === 0)).toHaveLength(1);
      expect(codes.filter((c) => c.length === 1 && c[0] === 'INVITATION_EXHAUSTED')).toHaveLength(19);
      const row = await inv.row();
      expect(row).toMatchObject({ currentUses: 1, status: 'ACCEPTED' });
      expect(await memberCount(c.id)).toBe(2);
      const winner = people[codes.findIndex((c) => c.length === 0)];
      expect(row.acceptedById).toBe(winner.user.id);
    });

    it('10 users accepting an unlimited invitation at once: 10 memberships, 10 uses', async () => {
      const owner = await person();
      const c = await group([[owner, 'OWNER']]);
      const inv = await invite(owner, c.gid);
      const people = await Promise.all(Array.from({ length: 10 }, () => teen('PENDING_CONSENT')));
      const results = await Promise.all(people.map((p) => accept(inv.token, p)));
      expect(results.flatMap(codesOf)).toEqual([]);
      expect(await inv.row()).toMatchObject({ currentUses: 10, status: 'ACTIVE' });
      expect(await memberCount(c.id)).toBe(11);
    });

    it('a teenager joining a collective that grants parental consent goes FULL, every live session; withdrawing it goes back', async () => {
      const parent = await person('PARENT');
      const c = await group([[parent, 'OWNER']], { parentalConsentGranted: true });
      const inv = await invite(parent, c.gid, { usageLimit: 5 });
      const kid = await teen('PENDING_CONSENT');
      const otherDevice = await createSession(api.prisma, kid.user.id, 'PENDING_CONSENT');
      const r = await accept(inv.token, kid);
      expect(r.errors).toBeUndefined();
      expect(r.data.acceptInvitation.session).toEqual({ scope: 'FULL', current: true });
      const live = () => api.prisma.appSession.findMany({ where: { userId: kid.user.id, expiresAt: { gt: new Date() } }, select: { scope: true } });
      expect((await live()).map((s) => s.scope)).toEqual(['FULL', 'FULL']);
      // The teenager now passes FULL gates: they can leave on their own, for example.
      expect((await api.gql('{ me { sessions { scope } } }', {}, { token: otherDevice.token })).data.me.sessions).toEqual([{ scope: 'FULL' }, { scope: 'FULL' }]);

      // A sibling with their own parental consent stays FULL when the collective withdraws it.
      const sibling = await teen('PENDING_CONSENT');
      await api.prisma.parentalConsent.create({ data: { parentId: parent.user.id, teenagerId: sibling.user.id } });
      expect((await accept(inv.token, sibling)).data.acceptInvitation.session.scope).toBe('FULL');

      const off = await api.gql(
        `mutation($input: SetCollectiveParentalConsentInput!) { setCollectiveParentalConsent(input: $input) { collective { parentalConsentGranted } } }`,
        { input: { collectiveId: c.gid, granted: false } },
        { token: parent.token },
      );
      expect(off.errors).toBeUndefined();
      expect((await live()).map((s) => s.scope)).toEqual(['PENDING_CONSENT', 'PENDING_CONSENT']);
      expect((await api.prisma.appSession.findUniqueOrThrow({ where: { id: sibling.session.id } })).scope).toBe('FULL');
    });

    it('a failure after the use was consumed rolls everything back (one transaction)', async () => {
      const parent = await person('PARENT');
      const c = await group([[parent, 'OWNER']], { parentalConsentGranted: true });
      const inv = await invite(parent, c.gid, { usageLimit: 1, language: 'it' });
      const kid = await teen('PENDING_CONSENT', { language: null });
      // A real failure inside the database, after the conditional UPDATE: the membership insert raises.
      await api.db.query(`CREATE OR REPLACE FUNCTION app.test_fail_membership() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN IF NEW.user_id = '${kid.user.id}'::uuid THEN RAISE EXCEPTION 'forced failure'; END IF; RETURN NEW; END $$`);
      await api.db.query(`CREATE TRIGGER test_fail_membership BEFORE INSERT ON app.collective_membership FOR EACH ROW EXECUTE FUNCTION app.test_fail_membership()`);
      try {
        const r = await accept(inv.token, kid);
        expect(codesOf(r)).toEqual(['INTERNAL_SERVER_ERROR']);
        // The statement log shows the use was consumed before the failure.
        expect(r.sqlLog.some((s) => /UPDATE app\.invitation/.test(s))).toBe(true);
      } finally {
        await api.db.query('DROP TRIGGER test_fail_membership ON app.collective_membership');
        await api.db.query('DROP FUNCTION app.test_fail_membership()');
      }
      expect(await inv.row()).toMatchObject({ currentUses: 0, status: 'PENDING', acceptedById: null, acceptedAt: null });
      expect(await memberCount(c.id)).toBe(1);
      expect((await api.prisma.user.findUniqueOrThrow({ where: { id: kid.user.id } })).language).toBeNull();
      expect((await api.prisma.appSession.findUniqueOrThrow({ where: { id: kid.session.id } })).scope).toBe('PENDING_CONSENT');
      // And the invitation is still good.
      expect((await accept(inv.token, kid)).errors).toBeUndefined();
      expect(await inv.row()).toMatchObject({ status: 'ACCEPTED', currentUses: 1, acceptedById: kid.user.id });
    });
  });

  describe('revokeInvitation', () => {
    it('the inviter and the collective\'s owners and admins revoke; members and strangers get NOT_FOUND', async () => {
      const owner = await person();
      const admin = await person();
      const member = await person();
      const stranger = await person();
      const c = await group([[owner, 'OWNER'], [admin, 'ADMIN'], [member, 'MEMBER']]);
      const byAdmin = await invite(admin, c.gid);
      const byOwner = await invite(owner, c.gid);
      const revoke = (inv: { invitation: { id: string } }, p: { token: string }) => api.gql(REVOKE, { input: { invitationId: inv.invitation.id } }, { token: p.token });

      const hidden = await revoke(byAdmin, stranger);
      const missing = await api.gql(REVOKE, { input: { invitationId: gid('Invitation', randomUUID()) } }, { token: stranger.token });
      expect(codesOf(hidden)).toEqual(['NOT_FOUND']);
      expect(hidden.errors).toEqual(missing.errors);
      expect(codesOf(await revoke(byAdmin, member))).toEqual(['NOT_FOUND']);
      expect((await byAdmin.row()).status).toBe('PENDING');

      expect((await revoke(byAdmin, owner)).data.revokeInvitation.invitation.status).toBe('REVOKED');
      expect((await revoke(byOwner, admin)).data.revokeInvitation.invitation.status).toBe('REVOKED');
      // Idempotent.
      expect((await revoke(byOwner, owner)).data.revokeInvitation.invitation.status).toBe('REVOKED');

      // An inviter who was demoted can still withdraw their own invitation.
      const mine = await invite(admin, c.gid);
      await api.prisma.collectiveMembership.update({ where: { userId_collectiveId: { userId: admin.user.id, collectiveId: c.id } }, data: { role: 'MEMBER' } });
      expect((await revoke(mine, admin)).data.revokeInvitation.invitation.status).toBe('REVOKED');
    });

    it('an expired invitation becomes REVOKED; a used-up one stays ACCEPTED', async () => {
      const owner = await person();
      const c = await group([[owner, 'OWNER']]);
      const expired = await invite(owner, c.gid);
      await api.prisma.invitation.update({ where: { id: expired.rawId }, data: { expiresAt: new Date(Date.now() - 1000) } });
      const r = await api.gql(REVOKE, { input: { invitationId: expired.invitation.id } }, { token: owner.token });
      expect(r.data.revokeInvitation.invitation.status).toBe('REVOKED');
      expect((await expired.row()).status).toBe('REVOKED');

      const used = await invite(owner, c.gid, { usageLimit: 1 });
      await accept(used.token, await teen());
      const u = await api.gql(REVOKE, { input: { invitationId: used.invitation.id } }, { token: owner.token });
      expect(u.errors).toBeUndefined();
      expect(u.data.revokeInvitation.invitation).toMatchObject({ status: 'ACCEPTED', currentUses: 1 });
    });
  });
});
