// Which sessions a consent change moves (src/consent/rules.ts): the live sessions of the users it
// concerns, and nobody else's. A weakened filter there would rewrite every session in the database
// to one scope (every teenager FULL on one parent's grant), so each test checks the sessions of
// bystanders row by row after the change. Also the statements the refresh sends: the sessions
// locked in one order first, then the facts read by user id, never a whole table. Small worlds, so
// a mutation-testing run (STRYKER_TESTS=consent) re-runs in seconds.
import { describe, expect, it } from 'vitest';
import { dbKind } from './helpers/env.ts';
import { codesOf, useTestApp } from './helpers/app.ts';
import { createCollective, createSession, gid } from './factories/index.ts';
import { generateConsentCode, hashConsentCode } from '../src/consent/codes.ts';
import { nextStep, refreshSessionScopes, scopeFor, scopesOf } from '../src/consent/rules.ts';
import { countSql } from '../src/db/instrument.ts';

const GRANT = `mutation($t: ID!, $r: ID, $code: String) { grantParentalConsent(input: { teenagerId: $t, requestId: $r, code: $code }) { teenager { id } } }`;
const REVOKE = `mutation($t: ID!) { revokeParentalConsent(input: { teenagerId: $t }) { revoked } }`;
const SET_COLLECTIVE = `mutation($c: ID!, $g: Boolean!) { setCollectiveParentalConsent(input: { collectiveId: $c, granted: $g }) { collective { parentalConsentGranted } } }`;

describe(`a consent change moves its teenager's live sessions and no one else's (${dbKind})`, () => {
  const api = useTestApp();

  /** Every session's scope, by id. */
  const allScopes = async () => new Map((await api.prisma.appSession.findMany({ select: { id: true, scope: true } })).map((s) => [s.id, s.scope]));
  /** The sessions of users other than the ones named, which a change about those users must leave alone. */
  const othersThan = (scopes: Map<string, string>, moved: Set<string>) => [...scopes].filter(([id]) => !moved.has(id));

  /**
   * Bystanders of every kind, so a change that wrote any one scope to everyone would show: a teenager
   * waiting for consent, one FULL through their own parent, one whose stored FULL is not what their
   * consents give (a row written outside this pipeline: a consent change about someone else must
   * not "correct" it), the same as a member of a collective of their own (a collective's change
   * must not reach another collective's members), a parent, and a user still ONBOARDING.
   */
  async function bystanders() {
    const waiting = await api.person('TEENAGER', 'PENDING_CONSENT');
    const consented = await api.person('TEENAGER', 'FULL');
    const theirParent = await api.person('PARENT');
    await api.prisma.parentalConsent.create({ data: { parentId: theirParent.user.id, teenagerId: consented.user.id } });
    const stale = await api.person('TEENAGER', 'FULL');
    const staleMember = await api.person('TEENAGER', 'FULL');
    await createCollective(api.prisma, [{ userId: theirParent.user.id, role: 'OWNER' }, { userId: staleMember.user.id, role: 'MEMBER' }]);
    const onboarding = await api.person('TEENAGER', 'ONBOARDING');
    const parentOnboarding = await api.person('PARENT', 'ONBOARDING');
    return [waiting, consented, theirParent, stale, staleMember, onboarding, parentOnboarding];
  }

  it('grant then revoke through a mailed code: the teenager\'s two live sessions move; the expired one and every bystander\'s stay as they were', async () => {
    const teen = await api.person('TEENAGER', 'PENDING_CONSENT');
    const second = await createSession(api.prisma, teen.user.id, 'PENDING_CONSENT');
    const expired = await createSession(api.prisma, teen.user.id, 'PENDING_CONSENT', -1000);
    await bystanders();
    const parent = await api.person('PARENT');
    const code = generateConsentCode();
    const request = await api.prisma.parentalAuthorizationRequest.create({ data: { teenagerId: teen.user.id, parentContact: 'p@example.org', codeExpiresAt: new Date(Date.now() + 3600_000) } });
    await api.prisma.parentalAuthorizationRequest.update({ where: { id: request.id }, data: { codeHash: hashConsentCode(request.id, code) } });
    const live = new Set([teen.session.id, second.session.id]);
    const before = await allScopes();
    expect(before.get(expired.session.id)).toBe('PENDING_CONSENT');

    const granted = await api.gql(GRANT, { t: gid('User', teen.user.id), r: gid('ParentalAuthorizationRequest', request.id), code }, { token: parent.token });
    expect(granted.errors).toBeUndefined();
    const afterGrant = await allScopes();
    for (const id of live) expect(afterGrant.get(id), id).toBe('FULL');
    expect(othersThan(afterGrant, live)).toEqual(othersThan(before, live));

    const revoked = await api.gql(REVOKE, { t: gid('User', teen.user.id) }, { token: parent.token });
    expect(revoked.data.revokeParentalConsent.revoked).toBe(true);
    const afterRevoke = await allScopes();
    for (const id of live) expect(afterRevoke.get(id), id).toBe('PENDING_CONSENT');
    expect(othersThan(afterRevoke, live)).toEqual(othersThan(before, live));
  });

  it('a collective granting then withdrawing consent moves its members\' sessions only: a member\'s stale scope is corrected, a non-member\'s is not', async () => {
    const owner = await api.person('PARENT');
    const teen = await api.person('TEENAGER', 'PENDING_CONSENT');
    // A member whose stored FULL no consent backs: the collective's change refreshes every member.
    const member = await api.person('TEENAGER', 'FULL');
    const c = await createCollective(api.prisma, [{ userId: owner.user.id, role: 'OWNER' }, { userId: teen.user.id, role: 'MEMBER' }, { userId: member.user.id, role: 'MEMBER' }]);
    await bystanders();
    const moved = new Set([owner.session.id, teen.session.id, member.session.id]);
    const before = await allScopes();

    expect((await api.gql(SET_COLLECTIVE, { c: gid('Collective', c.id), g: true }, { token: owner.token })).errors).toBeUndefined();
    const afterGrant = await allScopes();
    expect([owner, teen, member].map((p) => afterGrant.get(p.session.id))).toEqual(['FULL', 'FULL', 'FULL']);
    expect(othersThan(afterGrant, moved)).toEqual(othersThan(before, moved));

    expect((await api.gql(SET_COLLECTIVE, { c: gid('Collective', c.id), g: false }, { token: owner.token })).errors).toBeUndefined();
    const afterWithdraw = await allScopes();
    expect([owner, teen, member].map((p) => afterWithdraw.get(p.session.id))).toEqual(['FULL', 'PENDING_CONSENT', 'PENDING_CONSENT']);
    expect(othersThan(afterWithdraw, moved)).toEqual(othersThan(before, moved));
  });

  it('a session already at its scope is not written again: a second parent\'s grant leaves the rows\' versions as they were', async () => {
    const teen = await api.person('TEENAGER', 'PENDING_CONSENT');
    const [first, second] = [await api.person('PARENT'), await api.person('PARENT')];
    for (const p of [first, second]) await createCollective(api.prisma, [{ userId: p.user.id, role: 'OWNER' }, { userId: teen.user.id, role: 'MEMBER' }]);
    // xmin: the transaction that wrote the row's current version (a lock alone does not change it).
    const version = async () => (await api.prisma.$queryRaw<{ v: string }[]>`SELECT xmin::text AS v FROM app.app_session WHERE id = ${teen.session.id}::uuid`)[0].v;
    const initial = await version();
    expect((await api.gql(GRANT, { t: gid('User', teen.user.id) }, { token: first.token })).errors).toBeUndefined();
    const moved = await version();
    expect(moved).not.toBe(initial);
    expect((await api.gql(GRANT, { t: gid('User', teen.user.id) }, { token: second.token })).errors).toBeUndefined();
    expect(await version()).toBe(moved);
    expect(await api.prisma.parentalConsent.count({ where: { teenagerId: teen.user.id } })).toBe(2);
  });

  it('the refresh locks the live sessions in id order, then reads each fact by user id (never a whole table), then writes', async () => {
    const teen = await api.person('TEENAGER', 'PENDING_CONSENT');
    await bystanders();
    const parent = await api.person('PARENT');
    await createCollective(api.prisma, [{ userId: parent.user.id, role: 'OWNER' }, { userId: teen.user.id, role: 'MEMBER' }]);
    const r = await api.gql(GRANT, { t: gid('User', teen.user.id) }, { token: parent.token });
    expect(r.errors).toBeUndefined();
    const lock = r.sqlLog.findIndex((sql) => /FROM app\.app_session WHERE user_id = ANY\(\$1::uuid\[\]\) AND expires_at > \$2 ORDER BY id FOR UPDATE/.test(sql));
    expect(lock, r.sqlLog.join('\n')).toBeGreaterThan(-1);
    const after = r.sqlLog.slice(lock + 1);
    const reads = (table: string) => after.filter((sql) => /^\s*SELECT/.test(sql) && sql.includes(`FROM "app"."${table}"`));
    // The four facts, each filtered by the users concerned; the memberships by granting collectives too.
    expect(reads('user').filter((sql) => /WHERE "t0"\."id" IN/.test(sql))).toHaveLength(1);
    expect(reads('user_consent').filter((sql) => /WHERE "t0"\."user_id" IN/.test(sql))).toHaveLength(1);
    expect(reads('parental_consent').filter((sql) => /WHERE "t0"\."teenager_id" IN/.test(sql))).toHaveLength(1);
    expect(reads('collective_membership').filter((sql) => /WHERE \("t0"\."user_id" IN .*parental_consent_granted/s.test(sql))).toHaveLength(1);
    const writes = after.filter((sql) => /^\s*UPDATE "app"\."app_session"/.test(sql));
    expect(writes).toHaveLength(1);
  });

  it('called with no user, the refresh and the scope read send no statement and answer an empty map', async () => {
    const refresh = await countSql(() => api.prisma.$transaction((tx) => refreshSessionScopes(tx, [])), true);
    expect(refresh.result).toEqual(new Map());
    // BEGIN and COMMIT only: nothing between them.
    expect(refresh.counter.log!.filter((sql) => !/^(BEGIN|COMMIT)/i.test(sql.trim()))).toEqual([]);
    const read = await countSql(() => scopesOf(api.prisma, []));
    expect(read.result).toEqual(new Map());
    expect(read.counter.statements).toBe(0);
  });

  it('scopesOf answers each distinct user\'s scope in four reads, whatever the number of users, and nothing for an unknown id', async () => {
    const teen = await api.person('TEENAGER', 'PENDING_CONSENT');
    const parent = await api.person('PARENT');
    const onboarding = await api.person('TEENAGER', 'ONBOARDING');
    const viaCollective = await api.person('TEENAGER', 'PENDING_CONSENT');
    await createCollective(api.prisma, [{ userId: parent.user.id, role: 'OWNER' }, { userId: viaCollective.user.id, role: 'MEMBER' }], { parentalConsentGranted: true });
    const missing = '00000000-0000-4000-8000-000000000000';
    const ids = [teen, parent, onboarding, viaCollective, teen].map((p) => p.user.id);
    const { result, counter } = await countSql(() => scopesOf(api.prisma, [...ids, missing]));
    expect(counter.statements).toBe(4);
    expect(Object.fromEntries(result)).toEqual({
      [teen.user.id]: 'PENDING_CONSENT',
      [parent.user.id]: 'FULL',
      [onboarding.user.id]: 'ONBOARDING',
      [viaCollective.user.id]: 'FULL',
    });
  });
});

describe('the pipeline\'s steps', () => {
  it('every combination of facts gives its scope, and each scope its next step (none once FULL)', () => {
    for (const userType of ['TEENAGER', 'PARENT'] as const) {
      for (const hasParentalConsent of [false, true]) expect(scopeFor({ userType, hasConsented: false, hasParentalConsent }), `${userType} ${hasParentalConsent}`).toBe('ONBOARDING');
      expect(scopeFor({ userType, hasConsented: true, hasParentalConsent: true })).toBe('FULL');
    }
    expect(scopeFor({ userType: 'PARENT', hasConsented: true, hasParentalConsent: false })).toBe('FULL');
    expect(scopeFor({ userType: 'TEENAGER', hasConsented: true, hasParentalConsent: false })).toBe('PENDING_CONSENT');
    expect(nextStep('ONBOARDING')).toBe('ACCEPT_TERMS');
    expect(nextStep('PENDING_CONSENT')).toBe('PARENTAL_CONSENT');
    expect(nextStep('FULL')).toBeNull();
  });
});

describe(`a refusal names the step (${dbKind})`, () => {
  const api = useTestApp();
  it('a teenager waiting for consent revoking (a FULL field) is told PARENTAL_CONSENT', async () => {
    const teen = await api.person('TEENAGER', 'PENDING_CONSENT');
    const r = await api.gql(REVOKE, { t: gid('User', teen.user.id) }, { token: teen.token });
    expect(codesOf(r)).toEqual(['CONSENT_REQUIRED']);
    expect(r.errors![0].extensions).toMatchObject({ requiredScope: 'FULL', currentScope: 'PENDING_CONSENT', nextStep: 'PARENTAL_CONSENT' });
  });
});
