// Conversation analytics (issue 18): written by the chatbot with analytics:write, read only as
// k-anonymous aggregates. Covers idempotent writes, erasure with the conversation, suppression
// (primary and complementary, with an adversary that tries to derive hidden cells), who may read
// what (hidden and missing collectives alike), no free text, and one SQL statement per summary.
import { beforeAll, describe, expect, it } from 'vitest';
import { randomUUID } from 'node:crypto';
import { dbKind } from './helpers/env.ts';
import { codesOf, createTestApp, useTestApp, type GqlResult } from './helpers/app.ts';
import { createApiKey, createCollective, gid } from './factories/index.ts';
import { loadConfig } from '../src/config.ts';
import { CollectiveClimateDocument } from '../src/client/generated/graphql.ts';
import { protectDimension, type Cell } from '../src/analytics/suppression.ts';
import type { AnalyticsMood, MessageCategory } from '../src/generated/prisma/client.ts';

const RECORD = /* GraphQL */ `
  mutation Record($input: RecordConversationAnalyticsInput!) {
    recordConversationAnalytics(input: $input) { conversationId chatbotVersion created }
  }
`;
const SUMMARY = /* GraphQL */ `
  query Summary($filter: AnalyticsSummaryFilter) {
    analyticsSummary(filter: $filter) {
      k conversations
      byCategory { value conversations } byMood { value conversations } byStrategy { value conversations }
      byAnswerType { value conversations } byLanguage { value conversations } byWeek { value conversations }
      byCollectiveType { value conversations }
      moodImprovement { improved notImproved notMeasured share }
    }
  }
`;
const DELETE = /* GraphQL */ `
  mutation Delete($input: DeleteConversationInput!) { deleteConversation(input: $input) { deletedConversationId } }
`;

/** Free text that must never come back through the API. */
const SECRET = 'SECRET-STORY-of-a-child-7f3a';
const WEEK1 = new Date('2026-10-05T15:00:00Z'); // a Monday
/**
 * Statements a request sent, less what timing alone decides: activity-timestamp refreshes that
 * fall due, and the transaction's COMMIT, which the counter sees on PostgreSQL only at times.
 */
const statements = (r: GqlResult<unknown>) =>
  r.sqlLog.filter((q) => !/^UPDATE "app"\."(api_key|app_session|user)"/.test(q) && !/^(BEGIN|COMMIT|ROLLBACK)\b/.test(q)).length;

interface TeenSpec {
  language?: string;
  mood?: AnalyticsMood | null;
  categories?: MessageCategory[];
  moods?: AnalyticsMood[];
  /** Days after WEEK1 the conversation starts. */
  day?: number;
}

describe(`conversation analytics (${dbKind})`, () => {
  const api = useTestApp();
  const person = api.person;
  let writer: string;
  let reader: string;
  let otherKey: string;

  beforeAll(async () => {
    writer = (await createApiKey(api.prisma, ['analytics:write'])).key;
    reader = (await createApiKey(api.prisma, ['analytics:read'])).key;
    otherKey = (await createApiKey(api.prisma, ['users:read', 'analytics:write'])).key;
  });

  async function conversationOf(userId: string, day = 0) {
    const createdAt = new Date(WEEK1.getTime() + day * 86_400_000);
    return api.prisma.conversation.create({ data: { userId, conversationType: 'INCIDENT', title: 't', createdAt, updatedAt: createdAt } });
  }

  function input(conversationId: string, spec: TeenSpec = {}, version = '2.1.0') {
    return {
      conversationId: gid('Conversation', conversationId),
      chatbotVersion: version,
      language: spec.language ?? 'fr',
      bullyingMessage: `${SECRET} message`,
      summary: `${SECRET} summary`,
      mood: spec.mood === undefined ? 'NEGATIVE' : spec.mood,
      strategy: 'TALK_TO_TRUSTED_ADULT',
      messages: (spec.categories ?? ['INSULTS']).map((category, i) => ({ messageIndex: i * 2, category })),
      moods: (spec.moods ?? ['NEGATIVE', 'NEUTRAL']).map((mood, i) => ({ messageIndex: i * 2, mood })),
      strategies: [{ messageIndex: 1, strategy: 'KEEP_EVIDENCE' }],
      answerTypes: [{ messageIndex: 1, answerType: 'EMPATHY' }, { messageIndex: 3, answerType: 'ADVICE' }],
    };
  }

  async function record(conversationId: string, spec: TeenSpec = {}, version?: string) {
    const r = await api.gql(RECORD, { input: input(conversationId, spec, version) }, { apiKey: writer });
    expect(r.errors).toBeUndefined();
    return r;
  }

  /** A class with an OWNER, an ADMIN teacher and one teenager per spec, each with one recorded conversation. */
  async function classWith(specs: TeenSpec[]) {
    const owner = await person();
    const teacher = await person();
    const teens = [];
    for (const spec of specs) {
      const teen = await person('TEENAGER');
      teens.push({ ...teen, spec });
    }
    const collective = await createCollective(
      api.prisma,
      [
        { userId: owner.user.id, role: 'OWNER' },
        { userId: teacher.user.id, role: 'ADMIN' },
        ...teens.map((t) => ({ userId: t.user.id, role: 'MEMBER' as const })),
      ],
      { type: 'CLASS' },
    );
    const conversations = [];
    for (const teen of teens) {
      const conversation = await conversationOf(teen.user.id, teen.spec.day ?? 0);
      await record(conversation.id, teen.spec);
      conversations.push(conversation);
    }
    return { owner, teacher, teens, collective, conversations, collectiveGid: gid('Collective', collective.id) };
  }

  const summaryOf = (collectiveGid: string, token: string) => api.gql(SUMMARY, { filter: { collectiveId: collectiveGid } }, { token });

  describe('recordConversationAnalytics', () => {
    it('stores the analytics with their categories and snapshots the teenager\'s collectives and their ancestors', async () => {
      const teen = await person('TEENAGER');
      const school = await createCollective(api.prisma, [], { type: 'SCHOOL' });
      const klass = await createCollective(api.prisma, [{ userId: teen.user.id, role: 'MEMBER' }], { type: 'CLASS', parentId: school.id });
      const conversation = await conversationOf(teen.user.id);
      const r = await record(conversation.id);
      expect(r.data.recordConversationAnalytics).toEqual({ conversationId: gid('Conversation', conversation.id), chatbotVersion: '2.1.0', created: true });
      const stored = await api.prisma.conversationAnalytics.findUniqueOrThrow({
        where: { conversationId_chatbotVersion: { conversationId: conversation.id, chatbotVersion: '2.1.0' } },
        include: { messages: true, moods: true, strategies: true, answerTypes: true, collectives: true },
      });
      expect(stored).toMatchObject({ mood: 'NEGATIVE', strategy: 'TALK_TO_TRUSTED_ADULT', language: 'fr', summary: `${SECRET} summary` });
      expect(stored.messages).toHaveLength(1);
      expect(stored.moods).toHaveLength(2);
      expect(stored.strategies).toHaveLength(1);
      expect(stored.answerTypes).toHaveLength(2);
      expect(stored.collectives.map((c) => [c.collectiveId, c.direct]).sort()).toEqual(
        [[klass.id, true], [school.id, false]].sort(),
      );
      // Nothing of what was stored comes back, free text least of all.
      expect(JSON.stringify(r)).not.toContain(SECRET);
    });

    it('is idempotent on (conversation, chatbot version): the same input twice leaves the same rows; a new input replaces the categories', async () => {
      const teen = await person('TEENAGER');
      const conversation = await conversationOf(teen.user.id);
      const rows = async () => {
        const a = await api.prisma.conversationAnalytics.findMany({
          where: { conversationId: conversation.id },
          include: { messages: true, moods: true, strategies: true, answerTypes: true, collectives: true },
          orderBy: { chatbotVersion: 'asc' },
        });
        return a.map(({ recordedAt: _r, ...rest }) => rest);
      };
      await record(conversation.id, { categories: ['INSULTS', 'RUMOURS'] });
      const first = await rows();
      const again = await record(conversation.id, { categories: ['INSULTS', 'RUMOURS'] });
      expect(again.data.recordConversationAnalytics.created).toBe(false);
      // Key; conversation with its author; upsert; one DELETE of the old categories; one insert per
      // categorization table; the membership snapshot of the first recording is kept as it is.
      // Independent of list sizes.
      expect(statements(again)).toBe(8);
      expect(await rows()).toEqual(first);

      await record(conversation.id, { categories: ['THREATS'], moods: [] });
      const replaced = await rows();
      expect(replaced).toHaveLength(1);
      expect(replaced[0].id).toBe(first[0].id);
      expect(replaced[0].messages.map((m) => m.category)).toEqual(['THREATS']);
      expect(replaced[0].moods).toEqual([]);

      // Another chatbot version is another recording of the same conversation.
      await record(conversation.id, {}, '3.0.0-beta.1');
      expect(await rows()).toHaveLength(2);
    });

    it('concurrent identical recordings end with one row and one set of categories', async () => {
      const teen = await person('TEENAGER');
      const conversation = await conversationOf(teen.user.id);
      const results = await Promise.all(Array.from({ length: 6 }, () => api.gql(RECORD, { input: input(conversation.id) }, { apiKey: writer })));
      expect(results.flatMap((r) => r.errors ?? [])).toEqual([]);
      expect(results.filter((r) => r.data.recordConversationAnalytics.created)).toHaveLength(1);
      const stored = await api.prisma.conversationAnalytics.findMany({ where: { conversationId: conversation.id }, include: { moods: true, answerTypes: true } });
      expect(stored).toHaveLength(1);
      expect(stored[0].moods).toHaveLength(2);
      expect(stored[0].answerTypes).toHaveLength(2);
    });

    it('needs analytics:write: anonymous, users and other keys are refused before anything is read', async () => {
      const teen = await person('TEENAGER');
      const conversation = await conversationOf(teen.user.id);
      const noWrite = (await createApiKey(api.prisma, ['analytics:read'])).key;
      // Anonymous callers are UNAUTHENTICATED, every root field alike (src/auth/scopes.ts).
      for (const [options, code] of [[{}, 'UNAUTHENTICATED'], [{ token: teen.token }, 'FORBIDDEN'], [{ apiKey: noWrite }, 'FORBIDDEN'], [{ apiKey: reader }, 'FORBIDDEN']] as const) {
        const r = await api.gql(RECORD, { input: input(conversation.id) }, options);
        expect(codesOf(r)).toEqual([code]);
        expect(r.data).toBeNull();
      }
      expect(await api.prisma.conversationAnalytics.count({ where: { conversationId: conversation.id } })).toBe(0);
      // A key holding it among others may write.
      const ok = await api.gql(RECORD, { input: input(conversation.id) }, { apiKey: otherKey });
      expect(ok.errors).toBeUndefined();
    });

    it('refuses bad input with BAD_USER_INPUT and writes nothing; a missing conversation is NOT_FOUND', async () => {
      const teen = await person('TEENAGER');
      const conversation = await conversationOf(teen.user.id);
      const base = input(conversation.id);
      const bad: Record<string, unknown>[] = [
        { chatbotVersion: '' },
        { chatbotVersion: 'v 1' },
        { chatbotVersion: 'x'.repeat(51) },
        { summary: 'a\u0000b' },
        { bullyingMessage: 'x'.repeat(5001) },
        { language: 'xx' },
        { moods: [{ messageIndex: 1, mood: 'NEGATIVE' }, { messageIndex: 1, mood: 'POSITIVE' }] },
        { messages: [{ messageIndex: 0, category: 'INSULTS' }, { messageIndex: 0, category: 'INSULTS' }] },
        { messages: [{ messageIndex: -1, category: 'INSULTS' }] },
        { messages: [{ messageIndex: 100_000, category: 'INSULTS' }] },
        { answerTypes: Array.from({ length: 1001 }, (_, i) => ({ messageIndex: i, answerType: 'EMPATHY' })) },
        { conversationId: gid('ChatSession', conversation.id) },
        { conversationId: gid('Conversation', 'not-a-uuid') },
        { conversationId: 'not base64 at all!' },
      ];
      for (const change of bad) {
        const r = await api.gql(RECORD, { input: { ...base, ...change } }, { apiKey: writer });
        expect(codesOf(r), JSON.stringify(change).slice(0, 80)).toEqual(['BAD_USER_INPUT']);
      }
      for (const change of [{ mood: 'HAPPY' }, { messages: [{ messageIndex: 0, category: 'GOSSIP' }] }]) {
        const r = await api.gql(RECORD, { input: { ...base, ...change } }, { apiKey: writer });
        expect(r.errors?.length).toBe(1);
        expect(r.data ?? null).toBeNull();
      }
      expect(await api.prisma.conversationAnalytics.count({ where: { conversationId: conversation.id } })).toBe(0);
      const missing = await api.gql(RECORD, { input: { ...base, conversationId: gid('Conversation', randomUUID()) } }, { apiKey: writer });
      expect(codesOf(missing)).toEqual(['NOT_FOUND']);
    });

    it('an adult\'s conversation is recorded but enters no collective view', async () => {
      const parent = await person('PARENT');
      const family = await createCollective(api.prisma, [{ userId: parent.user.id, role: 'OWNER' }]);
      const conversation = await conversationOf(parent.user.id);
      await record(conversation.id);
      expect(await api.prisma.conversationAnalyticsCollective.count({ where: { collectiveId: family.id } })).toBe(0);
    });
  });

  describe('erasure', () => {
    it('deleting a conversation deletes its analytics and every categorization, in the same transaction', async () => {
      const teen = await person('TEENAGER');
      await createCollective(api.prisma, [{ userId: teen.user.id, role: 'MEMBER' }], { type: 'CLASS' });
      const conversation = await conversationOf(teen.user.id);
      await record(conversation.id);
      await record(conversation.id, {}, '2.2.0');
      const ids = (await api.prisma.conversationAnalytics.findMany({ where: { conversationId: conversation.id } })).map((a) => a.id);
      expect(ids).toHaveLength(2);
      const r = await api.gql(DELETE, { input: { conversationId: gid('Conversation', conversation.id) } }, { token: teen.token });
      expect(r.errors).toBeUndefined();
      const where = { analyticsId: { in: ids } };
      expect(await api.prisma.conversationAnalytics.count({ where: { id: { in: ids } } })).toBe(0);
      expect(await api.prisma.conversationMessageCategorized.count({ where })).toBe(0);
      expect(await api.prisma.conversationMoodCategorized.count({ where })).toBe(0);
      expect(await api.prisma.conversationStrategyCategorized.count({ where })).toBe(0);
      expect(await api.prisma.conversationAnswerTypeCategorized.count({ where })).toBe(0);
      expect(await api.prisma.conversationAnalyticsCollective.count({ where })).toBe(0);
      const [{ n }] = await api.db.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM analytics.conversation_analytics WHERE conversation_id = '${conversation.id}'`,
      );
      expect(n).toBe(0);
    });

    it('deleting a user (the API has no account deletion: the database cascade) erases their analytics, and the views no longer count them', async () => {
      const c = await classWith([{}, {}, {}, {}, {}]);
      expect((await summaryOf(c.collectiveGid, c.teacher.token)).data.analyticsSummary.conversations).toBe(5);
      const leaver = c.teens[0].user.id;
      const ids = (await api.prisma.conversationAnalytics.findMany({ where: { conversation: { userId: leaver } } })).map((a) => a.id);
      expect(ids).toHaveLength(1);
      await api.prisma.user.delete({ where: { id: leaver } });
      const where = { analyticsId: { in: ids } };
      expect(await api.prisma.conversationAnalytics.count({ where: { id: { in: ids } } })).toBe(0);
      expect(await api.prisma.conversationMoodCategorized.count({ where })).toBe(0);
      expect(await api.prisma.conversationAnalyticsCollective.count({ where })).toBe(0);
      // Four teenagers left: the class shows nothing.
      expect((await summaryOf(c.collectiveGid, c.teacher.token)).data.analyticsSummary.conversations).toBeNull();
    });

    it('a conversation deletion that fails keeps its analytics (one transaction)', async () => {
      const teen = await person('TEENAGER');
      const conversation = await conversationOf(teen.user.id);
      await record(conversation.id);
      // A trigger that refuses deleting this conversation's analytics makes the whole delete fail.
      await api.db.query(`CREATE FUNCTION analytics.refuse_delete() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN IF OLD.conversation_id = '${conversation.id}' THEN RAISE EXCEPTION 'refused'; END IF; RETURN OLD; END $$`);
      await api.db.query(`CREATE TRIGGER refuse_delete BEFORE DELETE ON analytics.conversation_analytics FOR EACH ROW EXECUTE FUNCTION analytics.refuse_delete()`);
      try {
        const r = await api.gql(DELETE, { input: { conversationId: gid('Conversation', conversation.id) } }, { token: teen.token });
        expect(codesOf(r)).toEqual(['INTERNAL_SERVER_ERROR']);
        expect(await api.prisma.conversation.count({ where: { id: conversation.id } })).toBe(1);
        expect(await api.prisma.conversationAnalytics.count({ where: { conversationId: conversation.id } })).toBe(1);
      } finally {
        await api.db.query('DROP TRIGGER refuse_delete ON analytics.conversation_analytics');
        await api.db.query('DROP FUNCTION analytics.refuse_delete()');
      }
    });
  });

  describe('analyticsSummary: suppression', () => {
    it('a class with 4 contributing teenagers shows nothing at all', async () => {
      const c = await classWith(Array.from({ length: 4 }, () => ({})));
      const r = await summaryOf(c.collectiveGid, c.teacher.token);
      expect(r.errors).toBeUndefined();
      expect(r.data.analyticsSummary).toEqual({
        k: 5, conversations: null,
        byCategory: [], byMood: [], byStrategy: [], byAnswerType: [], byLanguage: [], byWeek: [], byCollectiveType: [],
        moodImprovement: { improved: null, notImproved: null, notMeasured: null, share: null },
      });
    });

    it('four teenagers with many conversations still show nothing: k counts teenagers, not conversations', async () => {
      const c = await classWith(Array.from({ length: 4 }, () => ({})));
      for (const teen of c.teens) for (let i = 0; i < 3; i++) await record((await conversationOf(teen.user.id)).id);
      const r = await summaryOf(c.collectiveGid, c.teacher.token);
      expect(r.data.analyticsSummary.conversations).toBeNull();
    });

    it('a class with 5 shows its counts, with the same one-statement read', async () => {
      const c = await classWith(Array.from({ length: 5 }, () => ({ moods: ['NEGATIVE', 'POSITIVE'] as AnalyticsMood[] })));
      const r = await summaryOf(c.collectiveGid, c.teacher.token);
      expect(r.errors).toBeUndefined();
      expect(r.data.analyticsSummary).toEqual({
        k: 5,
        conversations: 5,
        byCategory: [{ value: 'INSULTS', conversations: 5 }],
        byMood: [{ value: 'NEGATIVE', conversations: 5 }],
        byStrategy: [{ value: 'KEEP_EVIDENCE', conversations: 5 }, { value: 'TALK_TO_TRUSTED_ADULT', conversations: 5 }],
        byAnswerType: [{ value: 'ADVICE', conversations: 5 }, { value: 'EMPATHY', conversations: 5 }],
        byLanguage: [{ value: 'fr', conversations: 5 }],
        byWeek: [{ value: '2026-10-05', conversations: 5 }],
        byCollectiveType: [{ value: 'CLASS', conversations: 5 }],
        // Improved: 5, not improved: none (below k): the share needs both.
        moodImprovement: { improved: 5, notImproved: null, notMeasured: null, share: null },
      });
      expect(JSON.stringify(r)).not.toContain(SECRET);
      // The session (with the viewer's roles), then the aggregates: one statement.
      expect(statements(r)).toBe(2);
      expect(r.sqlLog.filter((s) => s.includes('analytics.'))).toHaveLength(1);
      expect(r.sqlLog.find((s) => s.includes('analytics.'))).toContain('GROUPING SETS');
    });

    it('hides small cells and, as complement, the smallest published one, so no hidden cell can be subtracted out', async () => {
      // Moods: 5 NEGATIVE, 5 POSITIVE, 1 VERY_NEGATIVE. Languages: 10 fr, 1 pt.
      const specs: TeenSpec[] = [
        ...Array.from({ length: 5 }, () => ({ mood: 'NEGATIVE' as const })),
        ...Array.from({ length: 5 }, () => ({ mood: 'POSITIVE' as const })),
        { mood: 'VERY_NEGATIVE', language: 'pt' },
      ];
      const c = await classWith(specs);
      const s = (await summaryOf(c.collectiveGid, c.teacher.token)).data.analyticsSummary;
      expect(s.conversations).toBe(11);
      // VERY_NEGATIVE (1 teen) is hidden; alone it would be 11 - 5 - 5: NEGATIVE (the smallest) goes too.
      expect(s.byMood).toEqual([{ value: 'POSITIVE', conversations: 5 }]);
      // pt (1 teen) is hidden, and fr with it: publishing fr = 10 would give pt = 1.
      expect(s.byLanguage).toEqual([]);
    });

    it('an adversary who knows the rules derives no hidden cell in any dimension', async () => {
      // A varied class of 17: the ground truth is known here, the adversary sees only the summary.
      const moods: AnalyticsMood[] = ['VERY_NEGATIVE', 'NEGATIVE', 'NEUTRAL', 'POSITIVE', 'VERY_POSITIVE'];
      const langs = ['fr', 'fr', 'fr', 'pt', 'fr', 'es', 'fr', 'de', 'fr'];
      const cats: MessageCategory[] = ['INSULTS', 'EXCLUSION', 'RUMOURS', 'CYBERBULLYING', 'THREATS'];
      const specs: TeenSpec[] = Array.from({ length: 17 }, (_, i) => ({
        mood: i % 7 === 0 ? null : moods[(i * 3) % 5],
        language: langs[i % langs.length],
        categories: [cats[i % 5], ...(i % 4 === 0 ? [cats[(i + 2) % 5]] : [])],
        moods: i % 3 === 0 ? ['NEUTRAL'] : [moods[i % 5], moods[(i * 2) % 5]],
        day: (i % 4) * 7 + (i % 3),
      }));
      const c = await classWith(specs);
      const s = (await summaryOf(c.collectiveGid, c.teacher.token)).data.analyticsSummary;
      expect(s.conversations).toBe(17);

      const week = (day: number) => {
        const d = new Date(WEEK1.getTime() + day * 86_400_000);
        d.setUTCDate(d.getUTCDate() - ((d.getUTCDay() + 6) % 7));
        return d.toISOString().slice(0, 10);
      };
      const trend = (m: AnalyticsMood[]) => (m.length < 2 ? 'NOT_MEASURED' : moods.indexOf(m.at(-1)!) > moods.indexOf(m[0]) ? 'IMPROVED' : 'NOT_IMPROVED');
      // Ground truth of the dimensions that partition the conversations (one teenager, one conversation each).
      const truth: Record<string, string[]> = {
        byMood: specs.map((t) => t.mood ?? 'UNKNOWN'),
        byLanguage: specs.map((t) => t.language!),
        byWeek: specs.map((t) => week(t.day!)),
        moodTrend: specs.map((t) => trend(t.moods!)),
      };
      const published: Record<string, { value: string; conversations: number }[]> = {
        byMood: s.byMood, byLanguage: s.byLanguage, byWeek: s.byWeek,
        moodTrend: [
          ...(s.moodImprovement.improved === null ? [] : [{ value: 'IMPROVED', conversations: s.moodImprovement.improved }]),
          ...(s.moodImprovement.notImproved === null ? [] : [{ value: 'NOT_IMPROVED', conversations: s.moodImprovement.notImproved }]),
          ...(s.moodImprovement.notMeasured === null ? [] : [{ value: 'NOT_MEASURED', conversations: s.moodImprovement.notMeasured }]),
        ],
      };
      let hiddenSomewhere = 0;
      for (const [dimension, values] of Object.entries(truth)) {
        const counts = new Map<string, number>();
        for (const v of values) counts.set(v, (counts.get(v) ?? 0) + 1);
        for (const cell of published[dimension]) {
          // Every published count is true and has at least k teenagers.
          expect(cell.conversations, `${dimension}.${cell.value}`).toBe(counts.get(cell.value));
          expect(cell.conversations).toBeGreaterThanOrEqual(5);
        }
        const shown = new Set(published[dimension].map((c) => c.value));
        const hidden = [...counts].filter(([v]) => !shown.has(v));
        const remainder = s.conversations - published[dimension].reduce((n, c) => n + c.conversations, 0);
        expect(remainder).toBe(hidden.reduce((n, [, k]) => n + k, 0));
        hiddenSomewhere += hidden.length;
        if (hidden.length === 0) continue;
        // Total minus published cells is all the adversary gets: a sum over at least two non-empty
        // hidden cells (so none is determined), covering at least k teenagers.
        expect(hidden.length, `${dimension}: ${JSON.stringify(hidden)}`).toBeGreaterThanOrEqual(2);
        expect(remainder).toBeGreaterThanOrEqual(5);
        // Two different hidden distributions agree with everything published: move one conversation.
        const [a, b] = hidden;
        expect(a[1] + b[1]).toBe(a[1] - 1 + (b[1] + 1));
      }
      expect(hiddenSomewhere).toBeGreaterThan(0);
      // Multi-valued dimensions publish only cells of at least k teenagers too.
      const catTruth = new Map<string, number>();
      for (const t of specs) for (const cat of new Set(t.categories)) catTruth.set(cat, (catTruth.get(cat) ?? 0) + 1);
      for (const cell of s.byCategory) expect(cell.conversations).toBe(catTruth.get(cell.value));
      for (const cell of s.byCategory) expect(cell.conversations).toBeGreaterThanOrEqual(5);
    });

    it('the rule itself: one withheld cell is never alone, and the withheld remainder always covers k teenagers', () => {
      // Exhaustive over small partitions: 1 to 4 cells of 0 to 7 teenagers (one conversation each).
      const sizes = [1, 2, 3, 4, 5, 6, 7];
      const check = (cells: Cell[]) => {
        const total = cells.reduce((n, c) => n + c.contributors, 0);
        if (total < 5) return;
        const { published } = protectDimension(cells, 5);
        const hidden = cells.filter((c) => !published.some((p) => p.value === c.value));
        for (const p of published) expect(cells.find((c) => c.value === p.value)!.contributors).toBeGreaterThanOrEqual(5);
        if (hidden.length) {
          expect(hidden.length).toBeGreaterThanOrEqual(2);
          expect(hidden.reduce((n, c) => n + c.contributors, 0)).toBeGreaterThanOrEqual(5);
        }
      };
      const walk = (prefix: Cell[]) => {
        if (prefix.length) check(prefix);
        if (prefix.length === 4) return;
        for (const n of sizes) walk([...prefix, { value: `v${prefix.length}`, conversations: n, contributors: n }]);
      };
      walk([]);
    });

    it('the membership snapshot: removing a teenager after recording does not change the class view', async () => {
      const c = await classWith(Array.from({ length: 6 }, () => ({})));
      const before = (await summaryOf(c.collectiveGid, c.teacher.token)).data.analyticsSummary;
      await api.prisma.collectiveMembership.deleteMany({ where: { userId: c.teens[0].user.id, collectiveId: c.collective.id } });
      const after = (await summaryOf(c.collectiveGid, c.teacher.token)).data.analyticsSummary;
      expect(after).toEqual(before);
      expect(after.conversations).toBe(6);
    });

    it('a school sees the conversations of its classes\' pupils; k is configurable but never below 3', async () => {
      const principal = await person();
      const school = await createCollective(api.prisma, [{ userId: principal.user.id, role: 'OWNER' }], { type: 'SCHOOL' });
      const teens = [];
      for (let i = 0; i < 3; i++) teens.push(await person('TEENAGER'));
      await createCollective(api.prisma, teens.map((t) => ({ userId: t.user.id, role: 'MEMBER' as const })), { type: 'CLASS', parentId: school.id });
      for (const t of teens) await record((await conversationOf(t.user.id)).id);
      const schoolGid = gid('Collective', school.id);
      expect((await summaryOf(schoolGid, principal.token)).data.analyticsSummary.conversations).toBeNull();
      const k3 = createTestApp(api.db, { ANALYTICS_MIN_TEENAGERS: '3' });
      const r = await k3.gql(SUMMARY, { filter: { collectiveId: schoolGid } }, { token: principal.token });
      expect(r.data.analyticsSummary).toMatchObject({ k: 3, conversations: 3, byCollectiveType: [{ value: 'CLASS', conversations: 3 }] });
      // A roll-up over groups is still one statement (after the session's).
      expect(statements(r)).toBe(2);
      expect(r.sqlLog.filter((q) => q.includes('analytics.'))).toHaveLength(1);
      expect(() => loadConfig({ ANALYTICS_MIN_TEENAGERS: '2' })).toThrow(/ANALYTICS_MIN_TEENAGERS/);
    });

    it('mood improvement: the share of measured conversations whose last categorized mood beats the first', async () => {
      const c = await classWith([
        ...Array.from({ length: 6 }, () => ({ moods: ['NEGATIVE', 'POSITIVE'] as AnalyticsMood[] })),
        ...Array.from({ length: 5 }, () => ({ moods: ['NEUTRAL', 'NEGATIVE', 'NEUTRAL'] as AnalyticsMood[] })),
        ...Array.from({ length: 5 }, () => ({ moods: ['NEUTRAL'] as AnalyticsMood[] })),
      ]);
      const s = (await summaryOf(c.collectiveGid, c.teacher.token)).data.analyticsSummary;
      expect(s.moodImprovement).toEqual({ improved: 6, notImproved: 5, notMeasured: 5, share: 6 / 11 });
    });
  });

  describe('analyticsSummary: who may read', () => {
    let c: Awaited<ReturnType<typeof classWith>>;
    const missing = () => gid('Collective', randomUUID());

    beforeAll(async () => {
      c = await classWith(Array.from({ length: 5 }, () => ({})));
    });

    it('the class OWNER and ADMIN read it, through the SDK operation too', async () => {
      for (const who of [c.owner, c.teacher]) {
        const r = await api.gql(CollectiveClimateDocument, { collectiveId: c.collectiveGid }, { token: who.token });
        expect(r.errors).toBeUndefined();
        expect(r.data?.analyticsSummary.conversations).toBe(5);
      }
    });

    it('a collective without any analytics answers an empty summary, not NOT_FOUND', async () => {
      const owner = await person();
      const empty = await createCollective(api.prisma, [{ userId: owner.user.id, role: 'OWNER' }], { type: 'CLASS' });
      for (const options of [{ token: owner.token }, { apiKey: reader }]) {
        const r = await api.gql(SUMMARY, { filter: { collectiveId: gid('Collective', empty.id) } }, options);
        expect(r.errors).toBeUndefined();
        expect(r.data.analyticsSummary).toMatchObject({ k: 5, conversations: null, byCategory: [] });
        expect(r.sqlLog.filter((q) => q.includes('analytics.'))).toHaveLength(1);
      }
    });

    it('a teacher of another class, a parent, a teenager of the class: NOT_FOUND, exactly as for a missing collective', async () => {
      const other = await classWith([{}]);
      const parent = await person('PARENT');
      const strip = (r: GqlResult<unknown>) => ({ data: r.data, errors: r.errors });
      const expected = strip(await summaryOf(missing(), c.teacher.token));
      expect(codesOf(expected)).toEqual(['NOT_FOUND']);
      for (const who of [other.teacher, other.owner, parent, c.teens[0]]) {
        expect(strip(await summaryOf(c.collectiveGid, who.token))).toEqual(expected);
        expect(strip(await summaryOf(missing(), who.token))).toEqual(expected);
      }
    });

    it('a key without analytics:read, and anonymous callers, are refused alike for hidden and missing collectives', async () => {
      const strip = (r: GqlResult<unknown>) => ({ data: r.data, errors: r.errors });
      for (const [options, code] of [[{ apiKey: writer }, 'FORBIDDEN'], [{}, 'UNAUTHENTICATED']] as const) {
        const a = strip(await api.gql(SUMMARY, { filter: { collectiveId: c.collectiveGid } }, options));
        const b = strip(await api.gql(SUMMARY, { filter: { collectiveId: missing() } }, options));
        expect(a).toEqual(b);
        expect(codesOf(a)).toEqual([code]);
        expect(codesOf(await api.gql(SUMMARY, {}, options))).toEqual([code]);
      }
    });

    it('the platform view is for operators with analytics:read; a collective manager gets FORBIDDEN there', async () => {
      expect(codesOf(await api.gql(SUMMARY, {}, { token: c.teacher.token }))).toEqual(['FORBIDDEN']);
      const r = await api.gql(SUMMARY, {}, { apiKey: reader });
      expect(r.errors).toBeUndefined();
      expect(r.data.analyticsSummary.conversations).toBeGreaterThanOrEqual(5);
      expect(statements(r)).toBe(2);
      // An operator may read one collective too (still protected), and a missing one is NOT_FOUND.
      const one = await api.gql(SUMMARY, { filter: { collectiveId: c.collectiveGid } }, { apiKey: reader });
      expect(one.data.analyticsSummary.conversations).toBe(5);
      expect(statements(one)).toBe(2);
      expect(codesOf(await api.gql(SUMMARY, { filter: { collectiveId: missing() } }, { apiKey: reader }))).toEqual(['NOT_FOUND']);
    });

    it('time windows are for the platform view only; bad filters are BAD_USER_INPUT', async () => {
      const since = '2026-10-01T00:00:00Z';
      expect(codesOf(await api.gql(SUMMARY, { filter: { collectiveId: c.collectiveGid, since } }, { token: c.teacher.token }))).toEqual(['BAD_USER_INPUT']);
      const reversed = await api.gql(SUMMARY, { filter: { since: '2026-11-01T00:00:00Z', until: since } }, { apiKey: reader });
      expect(codesOf(reversed)).toEqual(['BAD_USER_INPUT']);
      // Issues are named from the argument they are in.
      expect((reversed.errors![0].extensions!.issues as { path: string }[]).map((i) => i.path)).toEqual(['filter.since']);
      expect(codesOf(await api.gql(SUMMARY, { filter: { collectiveId: gid('User', c.teacher.user.id) } }, { token: c.teacher.token }))).toEqual(['BAD_USER_INPUT']);
      expect(codesOf(await api.gql(SUMMARY, { filter: { collectiveId: '%%%' } }, { token: c.teacher.token }))).toEqual(['BAD_USER_INPUT']);
      expect(codesOf(await api.gql(SUMMARY, { filter: { since: 'yesterday' } }, { apiKey: reader }))).toEqual(['BAD_USER_INPUT']);
      const windowed = await api.gql(SUMMARY, { filter: { since: '2030-01-01T00:00:00Z' } }, { apiKey: reader });
      expect(windowed.data.analyticsSummary.conversations).toBeNull();
      expect(statements(windowed)).toBe(2);
    });
  });
});
