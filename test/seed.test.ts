import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHash } from 'node:crypto';
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { createTestDatabase, type TestDatabase } from './helpers/db.ts';
import { dbKind } from './helpers/env.ts';
import { countSql } from '../src/db/instrument.ts';
import {
  ContentFileError,
  DEMO_REFERENCE_DATE,
  buildDemoWorld,
  defaultContentDir,
  demoIds,
  demoInvitationTokens,
  demoLogins,
  isSeeded,
  seedContent,
  seedDatabase,
  seedDemoWorld,
  uuidV5,
  type SeedSummary,
} from '../src/seed/index.ts';

const sha256 = (s: string) => createHash('sha256').update(s, 'utf8').digest('hex');
const DAY = 86_400_000;

/** Every table the seed writes, plus two it must leave empty. */
const TABLES = [
  'app."user"',
  'app.idp_login',
  'app.collective',
  'app.collective_membership',
  'app.user_consent',
  'app.parental_consent',
  'app.parental_authorization_request',
  'app.conversation',
  'app.chat_session',
  'app.invitation',
  'app.feedback',
  'analytics.conversation_analytics',
  'analytics.conversation_messages_categorized',
  'analytics.conversation_moods_categorized',
  'analytics.conversation_strategies_categorized',
  'analytics.conversation_answer_types_categorized',
  'analytics.conversation_analytics_collective',
  'app.feature_flag',
  'app.localized_content',
  'app.app_session',
  'app.api_key',
];

describe(`seed (${dbKind})`, () => {
  let db: TestDatabase;
  let summary: SeedSummary;
  const lines: string[] = [];

  /** Row count and a hash of every row's full text (updatedAt columns included), per table. */
  async function snapshot() {
    const out: Record<string, { n: number; h: string }> = {};
    for (const table of TABLES) {
      const [row] = await db.query<{ n: number; h: string }>(
        `SELECT count(*)::int AS n, md5(coalesce(string_agg(t::text, ',' ORDER BY t::text), '')) AS h FROM ${table} t`,
      );
      out[table] = row;
    }
    return out;
  }

  beforeAll(async () => {
    db = await createTestDatabase();
    expect(await isSeeded(db.prisma)).toBe(false);
    const start = performance.now();
    summary = await seedDatabase(db.prisma, { contentDir: defaultContentDir, log: (l) => lines.push(l) });
    console.log(`[${dbKind}] first seed: ${Math.round(performance.now() - start)} ms\n  ${lines.join('\n  ')}`);
  });
  afterAll(() => db.destroy());

  it('derives ids as RFC 4122 version-5 UUIDs', () => {
    // The RFC's own example: www.example.com in the DNS namespace.
    expect(uuidV5('www.example.com', '6ba7b810-9dad-11d1-80b4-00c04fd430c8')).toBe('2ed6657d-e927-568b-95e1-2665a8aea6a2');
    expect(demoIds.parentMoreau).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  });

  it('reports the seeded counts and marks the database as seeded', async () => {
    const world = buildDemoWorld();
    expect(summary).toMatchObject({
      users: world.users.length,
      collectives: 4,
      conversations: world.conversations.length,
      chatSessions: world.chatSessions.length,
      invitations: 6,
      conversationAnalytics: world.conversations.length,
      documents: 0,
    });
    expect(await db.prisma.user.count()).toBe(summary.users);
    expect(await db.prisma.conversation.count()).toBe(summary.conversations);
    expect(await isSeeded(db.prisma)).toBe(true);
  });

  it('has a family with one parent owner and two teenagers, with consents', async () => {
    const family = await db.prisma.collective.findUniqueOrThrow({
      where: { id: demoIds.familyMoreau },
      include: { memberships: { include: { user: { include: { consents: true, parentalConsents: true } } } } },
    });
    expect(family).toMatchObject({ name: 'Famille Moreau', type: 'FAMILY', parentalConsentGranted: true, parentId: null });
    const owners = family.memberships.filter((m) => m.role === 'OWNER');
    const members = family.memberships.filter((m) => m.role === 'MEMBER');
    expect(owners).toHaveLength(1);
    expect(owners[0].user).toMatchObject({ userType: 'PARENT', ageClass: 'ADULT', language: 'fr', country: 'FR' });
    expect(members).toHaveLength(2);
    for (const m of members) {
      expect(m.user.userType).toBe('TEENAGER');
      expect(['PRETEEN', 'TEENAGER']).toContain(m.user.ageClass);
      expect(m.user.language).toBe('fr');
      expect(m.user.parentalConsents.map((c) => c.parentId)).toEqual([owners[0].userId]);
    }
    expect(new Set(members.map((m) => m.user.ageClass))).toEqual(new Set(['PRETEEN', 'TEENAGER']));
    for (const m of family.memberships) expect(m.user.consents).toHaveLength(1);
  });

  it('has a second family in another language', async () => {
    const family = await db.prisma.collective.findUniqueOrThrow({
      where: { id: demoIds.familyNavarro },
      include: { memberships: { include: { user: true } } },
    });
    expect(family.type).toBe('FAMILY');
    expect(family.memberships.map((m) => m.user.language)).toEqual(['es', 'es']);
  });

  it('has a class of 30 pupils under a school, with an ADMIN teacher and an OWNER', async () => {
    const klass = await db.prisma.collective.findUniqueOrThrow({
      where: { id: demoIds.class5eB },
      include: { parent: { include: { memberships: true } }, memberships: { include: { user: true } } },
    });
    expect(klass).toMatchObject({ type: 'CLASS', parentalConsentGranted: false });
    expect(klass.parent).toMatchObject({ id: demoIds.school, type: 'SCHOOL' });
    const students = klass.memberships.filter((m) => m.role === 'MEMBER');
    expect(students).toHaveLength(30);
    for (const s of students) {
      expect(s.user.userType).toBe('TEENAGER');
      expect(['PRETEEN', 'TEENAGER']).toContain(s.user.ageClass);
    }
    const languages = new Set(students.map((s) => s.user.language));
    expect(languages.has('fr')).toBe(true);
    expect(languages.size).toBeGreaterThan(2);
    expect(students.filter((s) => s.user.language === 'fr').length).toBeGreaterThan(20);

    const teacher = klass.memberships.find((m) => m.userId === demoIds.teacher);
    expect(teacher).toMatchObject({ role: 'ADMIN', user: { userType: 'PARENT', ageClass: 'ADULT' } });
    const inSchool = klass.parent!.memberships;
    expect(inSchool.find((m) => m.userId === demoIds.teacher)?.role).toBe('ADMIN');
    expect(inSchool.filter((m) => m.role === 'OWNER')).toHaveLength(1);
  });

  it('leaves about a third of the pupils consent-pending', async () => {
    const students = await db.prisma.user.findMany({
      where: { memberships: { some: { collectiveId: demoIds.class5eB, role: 'MEMBER' } } },
      include: { consents: true, parentalConsents: true, memberships: { include: { collective: true } } },
    });
    const pending = students.filter(
      (s) => s.parentalConsents.length === 0 && !s.memberships.some((m) => m.collective.parentalConsentGranted),
    );
    expect(students.every((s) => s.consents.length === 1)).toBe(true);
    expect(pending.length).toBeGreaterThanOrEqual(8);
    expect(pending.length).toBeLessThanOrEqual(12);
    // Consent comes from parent accounts.
    const parents = await db.prisma.user.findMany({
      where: { id: { in: students.flatMap((s) => s.parentalConsents.map((c) => c.parentId)) } },
    });
    expect(parents.length).toBeGreaterThan(0);
    expect(parents.every((p) => p.userType === 'PARENT')).toBe(true);

    const requests = await db.prisma.parentalAuthorizationRequest.findMany();
    expect(requests).toHaveLength(1);
    expect(requests[0]).toMatchObject({ status: 'PENDING', parentId: null, parentContact: expect.stringMatching(/@example\.org$/) });
    expect(pending.map((s) => s.id)).toContain(requests[0].teenagerId);
  });

  it('gives every user a MOCK_IDP login, the ones listed in demoLogins', async () => {
    const users = await db.prisma.user.findMany({ include: { idpLogins: true } });
    for (const u of users) {
      expect(u.idpLogins).toHaveLength(1);
      expect(u.idpLogins[0].idp).toBe('MOCK_IDP');
      expect(u.idpLogins[0].loginId).toMatch(/^demo-[a-z0-9-]+$/);
    }
    const stored = users.map((u) => [u.idpLogins[0].loginId, u.id]).sort();
    expect(stored).toEqual(demoLogins.map((l) => [l.loginId, l.userId]).sort());
    const ids = demoLogins.map((l) => l.loginId);
    for (const id of ['demo-parent-moreau', 'demo-lea-moreau', 'demo-teacher-5eb', 'demo-student-01', 'demo-student-30']) {
      expect(ids).toContain(id);
    }
    expect(demoLogins.every((l) => l.description.length > 10)).toBe(true);
  });

  it('gives teenagers conversations, each with at least one chat session', async () => {
    const conversations = await db.prisma.conversation.findMany({ include: { chatSessions: true, user: true } });
    expect(conversations.length).toBeGreaterThan(20);
    for (const c of conversations) {
      expect(c.user.userType).toBe('TEENAGER');
      expect(c.chatSessions.length).toBeGreaterThanOrEqual(1);
      expect(c.chatSessions.length).toBeLessThanOrEqual(3);
      expect(c.title).toBeTruthy();
      expect(c.createdAt.getTime()).toBeGreaterThanOrEqual(DEMO_REFERENCE_DATE.getTime());
      expect(c.updatedAt.getTime()).toBeGreaterThan(c.createdAt.getTime());
      for (const s of c.chatSessions) expect(s.createdAt.getTime()).toBeGreaterThanOrEqual(c.createdAt.getTime());
    }
    const perUser = new Map<string, number>();
    for (const c of conversations) perUser.set(c.userId, (perUser.get(c.userId) ?? 0) + 1);
    for (const teen of [demoIds.leaMoreau, demoIds.hugoMoreau]) {
      expect(perUser.get(teen)).toBeGreaterThanOrEqual(2);
      expect(perUser.get(teen)).toBeLessThanOrEqual(4);
    }
    for (let n = 1; n <= 30; n++) expect(perUser.get(demoIds.student(n)) ?? 0).toBeLessThanOrEqual(3);
    expect(new Set(conversations.map((c) => c.conversationType))).toEqual(new Set(['INCIDENT', 'GENERAL']));

    const feedback = await db.prisma.feedback.findMany();
    expect(feedback.length).toBeGreaterThan(0);
    const sessionIds = new Set(conversations.flatMap((c) => c.chatSessions.map((s) => s.id)));
    for (const f of feedback) {
      expect(sessionIds.has(f.sessionId)).toBe(true);
      expect(f.rating).toBeGreaterThanOrEqual(1);
      expect(f.rating).toBeLessThanOrEqual(5);
      expect(f.isPositive).toBe(f.rating >= 4);
    }
  });

  it('stores invitations in every status, by the sha256 of their demo token', async () => {
    const byName = async (name: keyof typeof demoInvitationTokens) =>
      db.prisma.invitation.findUniqueOrThrow({ where: { tokenHash: sha256(demoInvitationTokens[name]) } });
    const ref = DEMO_REFERENCE_DATE.getTime();
    const farFuture = ref + 365 * DAY;

    const coparent = await byName('famille-moreau-coparent');
    expect(coparent).toMatchObject({ status: 'PENDING', ageClass: null, usageLimit: null, currentUses: 0, collectiveId: demoIds.familyMoreau });
    expect(coparent.expiresAt.getTime()).toBeGreaterThan(farFuture);

    const klass = await byName('classe-5eb-eleves');
    expect(klass).toMatchObject({ status: 'ACTIVE', usageLimit: 10, currentUses: 3, collectiveId: demoIds.class5eB, inviterId: demoIds.teacher });
    expect(klass.expiresAt.getTime()).toBeGreaterThan(farFuture);

    const teen = await byName('familia-navarro-adolescente');
    expect(teen).toMatchObject({ status: 'PENDING', ageClass: 'TEENAGER', usageLimit: 1, currentUses: 0, language: 'es' });

    const used = await byName('famille-moreau-hugo');
    expect(used).toMatchObject({ status: 'ACCEPTED', usageLimit: 1, currentUses: 1, acceptedById: demoIds.hugoMoreau });
    expect(used.acceptedAt).toBeInstanceOf(Date);

    const expired = await byName('classe-5eb-expiree');
    expect(expired.status).toBe('EXPIRED');
    expect(expired.expiresAt.getTime()).toBeLessThan(ref);

    expect((await byName('classe-5eb-revoquee')).status).toBe('REVOKED');
    expect(await db.prisma.invitation.count()).toBe(Object.keys(demoInvitationTokens).length);
    for (const token of Object.values(demoInvitationTokens)) expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/);
  });

  it('creates no sessions and no API keys', async () => {
    expect(await db.prisma.appSession.count()).toBe(0);
    expect(await db.prisma.apiKey.count()).toBe(0);
  });

  it('changes nothing when run again, and writes nothing', async () => {
    const before = await snapshot();
    const start = performance.now();
    const { counter } = await countSql(
      () => seedDatabase(db.prisma, { contentDir: defaultContentDir }),
      true,
    );
    console.log(`[${dbKind}] second seed: ${Math.round(performance.now() - start)} ms, ${counter.statements} statements`);
    expect(counter.log!.filter((sql) => /^\s*(INSERT|UPDATE|DELETE)/i.test(sql))).toEqual([]);
    expect(await snapshot()).toEqual(before);
    const again = await seedDemoWorld(db.prisma);
    expect(Object.values(again).every((c) => c.created === 0 && c.updated === 0)).toBe(true);
  });

  it('restores demo rows that were changed or deleted, unless told not to overwrite', async () => {
    const before = await snapshot();
    const conversation = (await db.prisma.conversation.findFirstOrThrow({ where: { userId: demoIds.leaMoreau }, orderBy: { id: 'asc' } })).id;
    const invitationHash = sha256(demoInvitationTokens['classe-5eb-eleves']);
    await db.prisma.conversation.update({ where: { id: conversation }, data: { title: 'changed' } });
    await db.prisma.invitation.update({ where: { tokenHash: invitationHash }, data: { currentUses: 4 } });
    await db.prisma.feedback.deleteMany({});

    const kept = await seedDemoWorld(db.prisma, { overwrite: false });
    expect(kept.conversations).toMatchObject({ created: 0, updated: 0 });
    expect(kept.feedback.created).toBeGreaterThan(0);
    expect((await db.prisma.conversation.findUniqueOrThrow({ where: { id: conversation } })).title).toBe('changed');

    const restored = await seedDemoWorld(db.prisma);
    expect(restored.conversations).toMatchObject({ created: 0, updated: 1 });
    expect(restored.invitations).toMatchObject({ created: 0, updated: 1 });
    expect(await snapshot()).toEqual(before);
  });

  describe('content files', () => {
    let dir: string;
    const write = (relative: string, data: unknown) =>
      writeFile(path.join(dir, relative), typeof data === 'string' ? data : JSON.stringify(data, null, 2));
    const flags = [
      { name: 'test_seed_voice', description: 'Voice input', isEnabled: true, environment: 'ALL', visibility: 'FRONTEND', variant: 'TEENAGER', targetingRules: null },
      { name: 'test_seed_rollout', description: 'Gradual rollout', isEnabled: false, environment: 'staging', visibility: 'backend', variant: 'all', targetingRules: { percent: 20, countries: ['FR', 'BE'] } },
    ];
    const messages = {
      zz: {
        ALL: { 'test.greeting': 'Bonjour !', 'test.nested': { title: 'Titre', body: 'Texte', order: [1, 2] } },
        TEENAGER: { 'test.greeting': 'Salut !' },
      },
      zy: { PARENT: { 'test.greeting': 'Hello' } },
    };

    beforeAll(async () => {
      dir = await mkdtemp(path.join(os.tmpdir(), 'seed-content-'));
      await mkdir(path.join(dir, 'localized'));
      await write('feature-flags.json', flags);
      await write('localized/ui_messages.json', messages);
    });
    afterAll(() => rm(dir, { recursive: true, force: true }));

    it('upserts flags and localized entries, skipping missing files with a warning', async () => {
      const warnings: string[] = [];
      const result = await seedContent(db.prisma, dir, { log: (l) => warnings.push(l) });
      expect(result.featureFlags).toEqual({ total: 2, created: 2, updated: 0 });
      expect(result.localizedContent).toEqual({ total: 4, created: 4, updated: 0 });
      expect(result.skipped).toEqual(['localized/prompts.json', 'localized/context_questions.json']);
      expect(warnings.join('\n')).toMatch(/prompts\.json not found/);

      const rollout = await db.prisma.featureFlag.findUniqueOrThrow({ where: { name: 'test_seed_rollout' } });
      expect(rollout).toMatchObject({ environment: 'STAGING', visibility: 'BACKEND', variant: 'ALL', isEnabled: false, targetingRules: flags[1].targetingRules });
      const voice = await db.prisma.featureFlag.findUniqueOrThrow({ where: { name: 'test_seed_voice' } });
      expect(voice.targetingRules).toBeNull();
      const rows = await db.prisma.localizedContent.findMany({ where: { language: { in: ['zz', 'zy'] } }, orderBy: [{ language: 'asc' }, { variant: 'asc' }, { key: 'asc' }] });
      expect(rows.map((r) => [r.category, r.language, r.variant, r.key, r.value])).toEqual([
        ['UI_MESSAGES', 'zy', 'PARENT', 'test.greeting', 'Hello'],
        ['UI_MESSAGES', 'zz', 'ALL', 'test.greeting', 'Bonjour !'],
        ['UI_MESSAGES', 'zz', 'ALL', 'test.nested', messages.zz.ALL['test.nested']],
        ['UI_MESSAGES', 'zz', 'TEENAGER', 'test.greeting', 'Salut !'],
      ]);
    });

    it('is idempotent, and rewrites only what changed', async () => {
      const before = await snapshot();
      const again = await seedContent(db.prisma, dir);
      expect(again.featureFlags.updated + again.featureFlags.created).toBe(0);
      expect(again.localizedContent.updated + again.localizedContent.created).toBe(0);
      expect(await snapshot()).toEqual(before);

      const key = { category: 'UI_MESSAGES' as const, language: 'zz', variant: 'ALL', key: 'test.greeting' };
      const untouched = await db.prisma.localizedContent.findUniqueOrThrow({ where: { category_language_variant_key: { ...key, key: 'test.nested' } } });
      await write('localized/ui_messages.json', { ...messages, zz: { ...messages.zz, ALL: { ...messages.zz.ALL, 'test.greeting': 'Bonjour à toi !' } } });
      await write('feature-flags.json', [{ ...flags[0], isEnabled: false }, flags[1]]);
      const changed = await seedContent(db.prisma, dir);
      expect(changed.localizedContent).toMatchObject({ created: 0, updated: 1 });
      expect(changed.featureFlags).toMatchObject({ created: 0, updated: 1 });
      const row = await db.prisma.localizedContent.findUniqueOrThrow({ where: { category_language_variant_key: key } });
      expect(row.value).toBe('Bonjour à toi !');
      expect(await db.prisma.localizedContent.findUniqueOrThrow({ where: { category_language_variant_key: { ...key, key: 'test.nested' } } })).toEqual(untouched);
      expect((await db.prisma.featureFlag.findUniqueOrThrow({ where: { name: 'test_seed_voice' } })).isEnabled).toBe(false);
    });

    it('rejects an invalid file with a message naming the file and the problem, writing nothing', async () => {
      const before = await snapshot();
      await write('feature-flags.json', [{ ...flags[0], environment: 'MARS' }]);
      const attempt = seedContent(db.prisma, dir);
      await expect(attempt).rejects.toThrow(ContentFileError);
      await expect(attempt).rejects.toThrow(/feature-flags\.json: \[0\]\.environment: Invalid option/);

      await write('feature-flags.json', flags);
      await write('localized/ui_messages.json', { zz: { KIDS: { 'test.greeting': 'Coucou' } } });
      await expect(seedContent(db.prisma, dir)).rejects.toThrow(/ui_messages\.json: zz\.KIDS/);

      await write('localized/ui_messages.json', '{ "zz": ');
      await expect(seedContent(db.prisma, dir)).rejects.toThrow(/ui_messages\.json: invalid JSON/);
      expect(await snapshot()).toEqual(before);
    });
  });
});
