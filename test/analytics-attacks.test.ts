// Attacks on the analytics aggregates and recording (review of issue 18): free text echoed in
// errors, odd filters, and the known leak of nested collective views (differencing).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeGlobalID } from '@pothos/plugin-relay';
import { createTestDatabase, type TestDatabase } from './helpers/db.ts';
import { dbKind } from './helpers/env.ts';
import { createTestApp } from './helpers/app.ts';
import { createApiKey, createCollective, createSession, createUser } from './factories/index.ts';
import type { AnalyticsMood, UserType } from '../src/generated/prisma/client.ts';

const RECORD = /* GraphQL */ `
  mutation Record($input: RecordConversationAnalyticsInput!) {
    recordConversationAnalytics(input: $input) { conversationId created }
  }
`;
const SUMMARY = /* GraphQL */ `
  query Summary($filter: AnalyticsSummaryFilter) {
    analyticsSummary(filter: $filter) { conversations byMood { value conversations } }
  }
`;
const SECRET = 'SECRET-STORY-of-a-child-91c2';
const gid = (type: string, id: string) => encodeGlobalID(type, id);

describe(`analytics attacks (${dbKind})`, () => {
  let db: TestDatabase;
  let api: ReturnType<typeof createTestApp>;
  let writer: string;

  beforeAll(async () => {
    db = await createTestDatabase();
    api = createTestApp(db);
    writer = (await createApiKey(db.prisma, ['analytics:write'])).key;
  });
  afterAll(() => db.destroy());

  async function person(userType: UserType = 'PARENT') {
    const user = await createUser(db.prisma, { userType });
    return { user, token: (await createSession(db.prisma, user.id)).token };
  }
  async function recordFor(userId: string, mood: AnalyticsMood, extra: Record<string, unknown> = {}) {
    const c = await db.prisma.conversation.create({ data: { userId, conversationType: 'INCIDENT', title: 't' } });
    return api.gql(RECORD, {
      input: { conversationId: gid('Conversation', c.id), chatbotVersion: '1.0', language: 'fr', bullyingMessage: `${SECRET} msg`, summary: `${SECRET} sum`, mood, ...extra },
    }, { apiKey: writer });
  }

  // KNOWN LEAK, not fixed (review a10): the collective views nest (a school's view holds its classes'
  // pupils), and each view is protected on its own, so two published views subtract into a group
  // smaller than k. Here the school publishes NEGATIVE 6 and its class A NEGATIVE 5: the one pupil of
  // the school outside class A is NEGATIVE. Anyone managing both (a head teacher who teaches class A)
  // or two colluding managers can do it. `it.fails` keeps the right answer on record: when a fix
  // lands this test starts failing and must become a plain `it`.
  it.fails('a manager of a school and of one of its classes cannot subtract the class from the school to read a lone pupil', async () => {
    const head = await person();
    const school = await createCollective(db.prisma, [{ userId: head.user.id, role: 'OWNER' }], { type: 'SCHOOL' });
    const classA = [];
    for (let i = 0; i < 10; i++) classA.push(await person('TEENAGER'));
    const a = await createCollective(db.prisma, [{ userId: head.user.id, role: 'OWNER' }, ...classA.map((t) => ({ userId: t.user.id, role: 'MEMBER' as const }))], { type: 'CLASS', parentId: school.id });
    const lone = await person('TEENAGER');
    await createCollective(db.prisma, [{ userId: lone.user.id, role: 'MEMBER' }], { type: 'CLASS', parentId: school.id });
    for (const [i, t] of classA.entries()) expect((await recordFor(t.user.id, i < 5 ? 'POSITIVE' : 'NEGATIVE')).errors).toBeUndefined();
    expect((await recordFor(lone.user.id, 'NEGATIVE')).errors).toBeUndefined();

    const view = async (id: string) => (await api.gql(SUMMARY, { filter: { collectiveId: gid('Collective', id) } }, { token: head.token })).data.analyticsSummary;
    const [s, c] = [await view(school.id), await view(a.id)];
    const count = (v: { byMood: { value: string; conversations: number }[] }, mood: string) => v.byMood.find((m) => m.value === mood)?.conversations;
    // Right answer: no mood of the school can be compared with the same mood of the class when they
    // differ by fewer than k teenagers (the difference would be the lone pupil's mood).
    for (const mood of ['NEGATIVE', 'POSITIVE']) {
      const [inSchool, inClass] = [count(s, mood), count(c, mood)];
      if (inSchool !== undefined && inClass !== undefined) expect(inSchool - inClass === 0 || inSchool - inClass >= 5, mood).toBe(true);
    }
  });

  it('re-recording a conversation after its pupil left the class (same or new chatbot version) does not move it out of the class view', async () => {
    const teacher = await person();
    const teens = [];
    for (let i = 0; i < 6; i++) teens.push(await person('TEENAGER'));
    const cls = await createCollective(db.prisma, [{ userId: teacher.user.id, role: 'OWNER' }, ...teens.map((t) => ({ userId: t.user.id, role: 'MEMBER' as const }))], { type: 'CLASS' });
    const conversations = [];
    for (const [i, t] of teens.entries()) {
      const c = await db.prisma.conversation.create({ data: { userId: t.user.id, conversationType: 'INCIDENT', title: 't' } });
      conversations.push(c);
      const r = await api.gql(RECORD, { input: { conversationId: gid('Conversation', c.id), chatbotVersion: '1.0', language: 'fr', mood: i === 0 ? 'VERY_NEGATIVE' : 'POSITIVE' } }, { apiKey: writer });
      expect(r.errors).toBeUndefined();
    }
    const view = async () => (await api.gql(SUMMARY, { filter: { collectiveId: gid('Collective', cls.id) } }, { token: teacher.token })).data.analyticsSummary;
    const before = await view();
    expect(before.conversations).toBe(6);
    await db.prisma.collectiveMembership.deleteMany({ where: { userId: teens[0].user.id, collectiveId: cls.id } });
    for (const version of ['1.0', '2.0']) {
      const r = await api.gql(RECORD, { input: { conversationId: gid('Conversation', conversations[0].id), chatbotVersion: version, language: 'fr', mood: 'VERY_NEGATIVE' } }, { apiKey: writer });
      expect(r.errors).toBeUndefined();
      // Otherwise the view would drop to 5 conversations, and before minus after is the leaver's mood.
      expect(await view(), version).toEqual(before);
    }
    // A pupil who joins after a conversation's first recording does not bring it in either.
    const newcomer = await person('TEENAGER');
    const c = await db.prisma.conversation.create({ data: { userId: newcomer.user.id, conversationType: 'INCIDENT', title: 't' } });
    await api.gql(RECORD, { input: { conversationId: gid('Conversation', c.id), chatbotVersion: '1.0', language: 'fr', mood: 'NEGATIVE' } }, { apiKey: writer });
    await db.prisma.collectiveMembership.create({ data: { userId: newcomer.user.id, collectiveId: cls.id, role: 'MEMBER' } });
    await api.gql(RECORD, { input: { conversationId: gid('Conversation', c.id), chatbotVersion: '2.0', language: 'fr', mood: 'NEGATIVE' } }, { apiKey: writer });
    expect(await view()).toEqual(before);
  });

  it('collective ids that are not UUIDs, of another type or with NUL, and extreme instants, are BAD_USER_INPUT or answer; never an internal error', async () => {
    const reader = (await createApiKey(db.prisma, ['analytics:read'])).key;
    for (const filter of [{ collectiveId: gid('Collective', 'not-a-uuid') }, { collectiveId: gid('Collective', 'X'.repeat(5000)) }, { collectiveId: gid('User', '00000000-0000-0000-0000-000000000000') }, { since: '0001-01-01T00:00:00Z' }, { since: '9999-12-31T23:59:59Z' }, { collectiveId: 'garbage\u0000' }]) {
      const r = await api.gql(SUMMARY, { filter }, { apiKey: reader });
      if (filter.since) expect(r.errors).toBeUndefined();
      else expect(r.errors?.map((e) => e.extensions?.code)).toEqual(['BAD_USER_INPUT']);
    }
  });

  it('free text never comes back in an error, even when the input is refused by GraphQL itself', async () => {
    const teen = await person('TEENAGER');
    const c = await db.prisma.conversation.create({ data: { userId: teen.user.id, conversationType: 'INCIDENT', title: 't' } });
    const bad = [
      { conversationId: gid('Conversation', c.id), language: 'fr', bullyingMessage: SECRET }, // chatbotVersion missing
      { conversationId: gid('Conversation', c.id), chatbotVersion: '1', language: 'fr', summary: SECRET, mood: 'NOT_A_MOOD' },
      { conversationId: gid('Conversation', c.id), chatbotVersion: '1', language: 'fr', summary: SECRET.repeat(500) },
      { conversationId: gid('Conversation', c.id), chatbotVersion: '1', language: 'fr', summary: `${SECRET}\u0000` },
      { conversationId: gid('Conversation', c.id), chatbotVersion: '1', language: 'fr\u0000', summary: SECRET },
      { conversationId: gid('Conversation', c.id), chatbotVersion: '1', language: 'fr', summary: SECRET, messages: [{ messageIndex: 1, category: SECRET }] },
      { conversationId: gid('Conversation', c.id), chatbotVersion: SECRET.repeat(3), language: 'fr', summary: SECRET },
    ];
    for (const input of bad) {
      const r = await api.gql(RECORD, { input }, { apiKey: writer });
      expect(r.errors?.map((e) => e.extensions?.code)).toEqual(['BAD_USER_INPUT']);
      expect(JSON.stringify(r)).not.toContain(SECRET);
    }
  });
});
