// Attacks on the analytics aggregates and recording (review of issue 18): free text echoed in
// errors, odd filters, and differencing between collective views (nested, overlapping, over time).
import { beforeAll, describe, expect, it } from 'vitest';
import { dbKind } from './helpers/env.ts';
import { randomUUID } from 'node:crypto';
import { codesOf, useTestApp } from './helpers/app.ts';
import { createApiKey, createCollective, gid } from './factories/index.ts';
import type { AnalyticsMood } from '../src/generated/prisma/client.ts';

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

describe(`analytics attacks (${dbKind})`, () => {
  const api = useTestApp();
  const person = api.person;
  let writer: string;

  beforeAll(async () => {
    writer = (await createApiKey(api.prisma, ['analytics:write'])).key;
  });
  async function recordFor(userId: string, mood: AnalyticsMood, extra: Record<string, unknown> = {}) {
    const c = await api.prisma.conversation.create({ data: { userId, conversationType: 'INCIDENT', title: 't' } });
    return api.gql(RECORD, {
      input: { conversationId: gid('Conversation', c.id), chatbotVersion: '1.0', language: 'fr', bullyingMessage: `${SECRET} msg`, summary: `${SECRET} sum`, mood, ...extra },
    }, { apiKey: writer });
  }

  // Views nest (a school holds its classes' pupils) and overlap (a club cuts across a class), so two
  // published views, or a school minus all but one of its classes, could subtract into a group
  // smaller than k. The fix (src/analytics/suppression.ts, rules 4-5): views are sums of groups of
  // at least k teenagers, each group protected on its own. These tests play the attacker: the same
  // manager of several views, managers colluding, the dimensions that narrow a cell (week,
  // language), and readings at different times.
  type View = { conversations: number | null; byMood: Cell[]; byLanguage: Cell[]; byWeek: Cell[] };
  type Cell = { value: string; conversations: number };
  const FULL = /* GraphQL */ `
    query Full($filter: AnalyticsSummaryFilter) {
      analyticsSummary(filter: $filter) { conversations byMood { value conversations } byLanguage { value conversations } byWeek { value conversations } }
    }
  `;
  const readView = async (collectiveId: string, token: string): Promise<View> => {
    const r = await api.gql(FULL, { filter: { collectiveId: gid('Collective', collectiveId) } }, { token });
    expect(r.errors).toBeUndefined();
    return r.data.analyticsSummary;
  };
  const count = (v: View, mood: string) => v.byMood.find((m) => m.value === mood)?.conversations;
  /** Every number two views both publish (total, each mood, language and week) differs by 0 or by at least k. */
  function expectNoSmallDifference(a: View, b: View, label: string) {
    const numbers = (v: View) =>
      new Map<string, number>([
        ['TOTAL', v.conversations ?? Number.NaN],
        ...(['byMood', 'byLanguage', 'byWeek'] as const).flatMap((d) => v[d].map((c) => [`${d}:${c.value}`, c.conversations] as [string, number])),
      ]);
    const [na, nb] = [numbers(a), numbers(b)];
    for (const [key, x] of na) {
      const y = nb.get(key);
      if (y === undefined || Number.isNaN(x) || Number.isNaN(y)) continue;
      const d = Math.abs(x - y);
      expect(d === 0 || d >= 5, `${label} ${key}: ${x} vs ${y}`).toBe(true);
    }
  }
  async function teens(n: number) {
    const out = [];
    for (let i = 0; i < n; i++) out.push(await person('TEENAGER'));
    return out;
  }
  const members = (list: { user: { id: string } }[], role: 'MEMBER' | 'OWNER' = 'MEMBER') => list.map((t) => ({ userId: t.user.id, role }));

  it('a manager of a school and of one of its classes cannot subtract the class from the school to read a lone pupil', async () => {
    const head = await person();
    const school = await createCollective(api.prisma, [{ userId: head.user.id, role: 'OWNER' }], { type: 'SCHOOL' });
    const classA = await teens(10);
    const a = await createCollective(api.prisma, [{ userId: head.user.id, role: 'OWNER' }, ...members(classA)], { type: 'CLASS', parentId: school.id });
    const lone = await person('TEENAGER');
    await createCollective(api.prisma, [{ userId: lone.user.id, role: 'MEMBER' }], { type: 'CLASS', parentId: school.id });
    for (const [i, t] of classA.entries()) expect((await recordFor(t.user.id, i < 5 ? 'POSITIVE' : 'NEGATIVE')).errors).toBeUndefined();
    expect((await recordFor(lone.user.id, 'NEGATIVE')).errors).toBeUndefined();

    const [s, c] = [await readView(school.id, head.token), await readView(a.id, head.token)];
    // Right answer: no mood of the school can be compared with the same mood of the class when they
    // differ by fewer than k teenagers (the difference would be the lone pupil's mood).
    for (const mood of ['NEGATIVE', 'POSITIVE']) {
      const [inSchool, inClass] = [count(s, mood), count(c, mood)];
      if (inSchool !== undefined && inClass !== undefined) expect(inSchool - inClass === 0 || inSchool - inClass >= 5, mood).toBe(true);
    }
    expectNoSmallDifference(s, c, 'school/class');
    // The class keeps its climate; the lone pupil's group (1 < k) is in no view.
    expect(c).toMatchObject({ conversations: 10, byMood: [{ value: 'NEGATIVE', conversations: 5 }, { value: 'POSITIVE', conversations: 5 }] });
    expect(s).toEqual(c);
  });

  it('two managers colluding (school head and two class teachers) cannot subtract both classes from the school, and the lone pupil recording in between changes nothing', async () => {
    const [head, teacherA, teacherB] = [await person(), await person(), await person()];
    const school = await createCollective(api.prisma, [{ userId: head.user.id, role: 'OWNER' }], { type: 'SCHOOL' });
    const [pa, pb] = [await teens(6), await teens(7)];
    const a = await createCollective(api.prisma, [{ userId: teacherA.user.id, role: 'OWNER' }, ...members(pa)], { type: 'CLASS', parentId: school.id });
    const b = await createCollective(api.prisma, [{ userId: teacherB.user.id, role: 'ADMIN' }, ...members(pb)], { type: 'CLASS', parentId: school.id });
    // The lone pupil sits directly in the school (no class): school - A - B would be them.
    const lone = await person('TEENAGER');
    await api.prisma.collectiveMembership.create({ data: { userId: lone.user.id, collectiveId: school.id, role: 'MEMBER' } });
    for (const [i, t] of pa.entries()) await recordFor(t.user.id, i < 5 ? 'NEGATIVE' : 'POSITIVE');
    for (const [i, t] of pb.entries()) await recordFor(t.user.id, i < 5 ? 'NEGATIVE' : 'NEUTRAL');

    const before = await readView(school.id, head.token);
    expect((await recordFor(lone.user.id, 'VERY_NEGATIVE')).errors).toBeUndefined();
    const [s, va, vb] = [await readView(school.id, head.token), await readView(a.id, teacherA.token), await readView(b.id, teacherB.token)];
    // Across time: the school read before and after the lone pupil's recording is the same.
    expect(s).toEqual(before);
    // Right answer: school - A - B is 0 or at least k for every number all three publish.
    const sum = (...vs: View[]) => ({
      conversations: vs.reduce((n, v) => n + (v.conversations ?? 0), 0),
      byMood: ['NEGATIVE', 'NEUTRAL', 'POSITIVE', 'VERY_NEGATIVE'].flatMap((m) => (vs.every((v) => count(v, m) !== undefined) ? [{ value: m, conversations: vs.reduce((n, v) => n + count(v, m)!, 0) }] : [])),
      byLanguage: [],
      byWeek: [],
    });
    expectNoSmallDifference(s, sum(va, vb), 'school/A+B');
    expectNoSmallDifference(s, va, 'school/A');
    expectNoSmallDifference(s, vb, 'school/B');
    expect(s.conversations).toBe(13);
    expect(count(s, 'VERY_NEGATIVE')).toBeUndefined();
  });

  it('a manager of a class and of a club of all but one of its pupils cannot subtract the club from the class', async () => {
    const teacher = await person();
    const pupils = await teens(10);
    const cls = await createCollective(api.prisma, [{ userId: teacher.user.id, role: 'OWNER' }, ...members(pupils)], { type: 'CLASS' });
    const club = await createCollective(api.prisma, [{ userId: teacher.user.id, role: 'OWNER' }, ...members(pupils.slice(1))], { type: 'OTHER' });
    for (const [i, t] of pupils.entries()) await recordFor(t.user.id, i === 0 ? 'VERY_NEGATIVE' : i < 5 ? 'NEGATIVE' : 'POSITIVE');
    const [c, k] = [await readView(cls.id, teacher.token), await readView(club.id, teacher.token)];
    expectNoSmallDifference(c, k, 'class/club');
    // Pupils 1-9 form one group (class and club); pupil 0 alone (class only) is in no view.
    expect(c).toEqual(k);
    expect(c.conversations).toBe(9);
  });

  it('narrowing by week or language: a lone pupil with their own week and language shows in no list, and no list of the school differs from its class by fewer than k', async () => {
    const head = await person();
    const school = await createCollective(api.prisma, [{ userId: head.user.id, role: 'OWNER' }], { type: 'SCHOOL' });
    const pa = await teens(7);
    const a = await createCollective(api.prisma, [{ userId: head.user.id, role: 'OWNER' }, ...members(pa)], { type: 'CLASS', parentId: school.id });
    const pb = await teens(2);
    await createCollective(api.prisma, members(pb), { type: 'CLASS', parentId: school.id });
    for (const t of pa) await recordFor(t.user.id, 'NEGATIVE');
    for (const t of pb) {
      const c = await api.prisma.conversation.create({ data: { userId: t.user.id, conversationType: 'INCIDENT', title: 't', createdAt: new Date('2025-01-15T10:00:00Z') } });
      await api.gql(RECORD, { input: { conversationId: gid('Conversation', c.id), chatbotVersion: '1.0', language: 'pt', mood: 'NEGATIVE' } }, { apiKey: writer });
    }
    const [s, c] = [await readView(school.id, head.token), await readView(a.id, head.token)];
    expectNoSmallDifference(s, c, 'school/class');
    expect(s.byLanguage).toEqual([{ value: 'fr', conversations: 7 }]);
    expect(s.byWeek.map((w) => w.value)).not.toContain('2025-01-13');
    // And no time window narrows a collective's view.
    const windowed = await api.gql(FULL, { filter: { collectiveId: gid('Collective', school.id), since: '2025-01-13T00:00:00Z' } }, { token: head.token });
    expect(windowed.errors?.map((e) => e.extensions?.code)).toEqual(['BAD_USER_INPUT']);
  });

  it('across time: a pupil moving class, or a class growing past k, changes the school only by a whole group of k or more', async () => {
    const head = await person();
    const school = await createCollective(api.prisma, [{ userId: head.user.id, role: 'OWNER' }], { type: 'SCHOOL' });
    const [pa, pb] = [await teens(6), await teens(5)];
    const a = await createCollective(api.prisma, [{ userId: head.user.id, role: 'OWNER' }, ...members(pa)], { type: 'CLASS', parentId: school.id });
    const b = await createCollective(api.prisma, [{ userId: head.user.id, role: 'OWNER' }, ...members(pb)], { type: 'CLASS', parentId: school.id });
    for (const t of pa) await recordFor(t.user.id, 'NEGATIVE');
    for (const t of pb.slice(0, 4)) await recordFor(t.user.id, 'POSITIVE');
    const t1 = { s: await readView(school.id, head.token), a: await readView(a.id, head.token), b: await readView(b.id, head.token) };
    // Class B has 4 contributing pupils: its group is in no view yet.
    expect(t1.b.conversations).toBeNull();
    expect(t1.s).toEqual(t1.a);

    // A pupil of A moves to B: their recorded conversation stays where it was (snapshot at first recording).
    await api.prisma.collectiveMembership.deleteMany({ where: { userId: pa[0].user.id, collectiveId: a.id } });
    await api.prisma.collectiveMembership.create({ data: { userId: pa[0].user.id, collectiveId: b.id, role: 'MEMBER' } });
    expect(await readView(school.id, head.token)).toEqual(t1.s);
    expect(await readView(a.id, head.token)).toEqual(t1.a);

    // Their next conversation, and a fifth pupil of B, bring B's group to k = 5... 6 pupils: B appears
    // in the school as a whole group, the same numbers B's own view publishes.
    await recordFor(pa[0].user.id, 'POSITIVE');
    await recordFor(pb[4].user.id, 'POSITIVE');
    const t2 = { s: await readView(school.id, head.token), b: await readView(b.id, head.token) };
    expect(t2.b).toMatchObject({ conversations: 6, byMood: [{ value: 'POSITIVE', conversations: 6 }] });
    expect(t2.s.conversations! - t1.s.conversations!).toBe(t2.b.conversations);
    for (const mood of ['NEGATIVE', 'POSITIVE']) expect((count(t2.s, mood) ?? 0) - (count(t1.s, mood) ?? 0), mood).toBe(count(t2.b, mood) ?? 0);
  });

  it('families are no analytics view and do not split a class: a family of 5 teenagers publishes nothing, its class publishes all its pupils', async () => {
    const [parent, teacher] = [await person(), await person()];
    const kids = await teens(5);
    const others = await teens(5);
    const family = await createCollective(api.prisma, [{ userId: parent.user.id, role: 'OWNER' }, ...members(kids)], { type: 'FAMILY' });
    const cls = await createCollective(api.prisma, [{ userId: teacher.user.id, role: 'OWNER' }, ...members(kids), ...members(others.slice(0, 4))], { type: 'CLASS' });
    for (const t of kids) await recordFor(t.user.id, 'NEGATIVE');
    for (const t of others.slice(0, 4)) await recordFor(t.user.id, 'NEGATIVE');
    // A family's view would otherwise be subtractable from any view holding it with a few more pupils.
    expect(await readView(family.id, parent.token)).toEqual({ conversations: null, byMood: [], byLanguage: [], byWeek: [] });
    expect(await readView(cls.id, teacher.token)).toMatchObject({ conversations: 9, byMood: [{ value: 'NEGATIVE', conversations: 9 }] });
  });

  it('an adversary managing every collective of a school (classes, a club, a family, pupils outside any class) derives no count of fewer than k pupils from any combination of views', async () => {
    // The adversary knows every pupil's collectives and the rules, reads every view, and solves the
    // linear equations the published numbers give (one unknown per pupil and value): any set of
    // pupils whose count it can isolate must count 0 or at least k of them.
    const head = await person();
    const school = await createCollective(api.prisma, [{ userId: head.user.id, role: 'OWNER' }], { type: 'SCHOOL' });
    const [pa, pb, pc, direct] = [await teens(20), await teens(11), await teens(2), await teens(1)];
    const owner = [{ userId: head.user.id, role: 'OWNER' as const }];
    const a = await createCollective(api.prisma, [...owner, ...members(pa)], { type: 'CLASS', parentId: school.id });
    const b = await createCollective(api.prisma, [...owner, ...members(pb)], { type: 'CLASS', parentId: school.id });
    const c = await createCollective(api.prisma, [...owner, ...members(pc)], { type: 'CLASS', parentId: school.id });
    const club = await createCollective(api.prisma, [...owner, ...members([...pa.slice(0, 10), pb[0]])], { type: 'OTHER', parentId: school.id });
    const family = await createCollective(api.prisma, [...owner, ...members([pa[9], pb[6]])], { type: 'FAMILY' });
    for (const t of direct) await api.prisma.collectiveMembership.create({ data: { userId: t.user.id, collectiveId: school.id, role: 'MEMBER' } });
    const views = { school, a, b, c, club, family };
    const inView: Record<keyof typeof views, { user: { id: string } }[]> = {
      school: [...pa, ...pb, ...pc, ...direct], a: pa, b: pb, c: pc, club: [...pa.slice(0, 10), pb[0]], family: [pa[9], pb[6]],
    };
    const pupils = [...pa, ...pb, ...pc, ...direct];
    // The pupils of groups under k (class C, the one outside any class, the one of B in the club) are
    // VERY_NEGATIVE: the target. The others alternate NEGATIVE and POSITIVE; language and week are
    // drawn (seeded, so a failure replays) to give small and large cells.
    let seed = 18;
    const rand = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    const targets = new Set([...pc, ...direct, pb[0]]);
    const truth = new Map<string, string[]>(); // pupil -> the values their conversation counts in
    for (const [i, t] of pupils.entries()) {
      const mood = targets.has(t) ? 'VERY_NEGATIVE' : i % 2 ? 'NEGATIVE' : 'POSITIVE';
      const language = rand() < 0.85 ? 'fr' : 'pt';
      const createdAt = new Date(rand() < 0.7 ? '2026-10-06T10:00:00Z' : '2026-10-13T10:00:00Z');
      const conv = await api.prisma.conversation.create({ data: { userId: t.user.id, conversationType: 'INCIDENT', title: 't', createdAt } });
      const r = await api.gql(RECORD, { input: { conversationId: gid('Conversation', conv.id), chatbotVersion: '1.0', language, mood } }, { apiKey: writer });
      expect(r.errors).toBeUndefined();
      truth.set(t.user.id, ['TOTAL', `byMood:${mood}`, `byLanguage:${language}`, `byWeek:${createdAt.getUTCDate() === 6 ? '2026-10-05' : '2026-10-12'}`]);
    }
    // The rule the adversary knows: a pupil counts in a view when their group (same non-family
    // collectives) has at least k pupils.
    const groupKey = (id: string) => (['school', 'a', 'b', 'c', 'club'] as const).filter((v) => inView[v].some((t) => t.user.id === id)).join(',');
    const groupSize = (key: string) => pupils.filter((t) => groupKey(t.user.id) === key).length;
    const counted = (v: keyof typeof views) => new Set(inView[v].map((t) => t.user.id).filter((id) => v !== 'family' && groupSize(groupKey(id)) >= 5));

    const published: { view: keyof typeof views; key: string; n: number }[] = [];
    for (const v of Object.keys(views) as (keyof typeof views)[]) {
      const r = await readView(views[v].id, head.token);
      if (r.conversations !== null) published.push({ view: v, key: 'TOTAL', n: r.conversations });
      for (const d of ['byMood', 'byLanguage', 'byWeek'] as const) for (const cell of r[d]) published.push({ view: v, key: `${d}:${cell.value}`, n: cell.conversations });
    }
    // Enough is published for the attack to mean something (the class climates and the school's).
    expect(published.filter((p) => p.key.startsWith('byMood')).map((p) => p.view)).toEqual(expect.arrayContaining(['school', 'a', 'b']));
    const ids = pupils.map((t) => t.user.id);
    const has = (id: string, key: string) => truth.get(id)!.includes(key);
    for (const key of new Set(published.map((p) => p.key))) {
      const rows = published.filter((p) => p.key === key).map((p) => {
        const set = counted(p.view);
        // The adversary's model must match what was published.
        expect(ids.filter((id) => set.has(id) && has(id, key)).length, `${p.view} ${key}`).toBe(p.n);
        return ids.map((id) => (set.has(id) ? 1 : 0));
      });
      // Pupils no row tells apart can only be isolated together: enumerate the unions of these classes.
      const bySignature = new Map<string, Set<string>>();
      ids.forEach((id, i) => {
        const sig = rows.map((r) => r[i]).join('');
        if (sig.includes('1')) bySignature.set(sig, (bySignature.get(sig) ?? new Set()).add(id));
      });
      const classes = [...bySignature.values()];
      for (let mask = 1; mask < 2 ** classes.length; mask++) {
        const union = new Set(classes.filter((_, i) => mask & (2 ** i)).flatMap((cl) => [...cl]));
        const target = ids.map((id) => (union.has(id) ? 1 : 0));
        if (rank([...rows, target]) !== rank(rows)) continue; // not derivable
        const n = [...union].filter((id) => has(id, key)).length;
        expect(n === 0 || n >= 5, `${key}: ${n} pupil(s) derivable among ${union.size}`).toBe(true);
      }
    }
  });

  it('re-recording a conversation after its pupil left the class (same or new chatbot version) does not move it out of the class view', async () => {
    const teacher = await person();
    const teens = [];
    for (let i = 0; i < 6; i++) teens.push(await person('TEENAGER'));
    const cls = await createCollective(api.prisma, [{ userId: teacher.user.id, role: 'OWNER' }, ...teens.map((t) => ({ userId: t.user.id, role: 'MEMBER' as const }))], { type: 'CLASS' });
    const conversations = [];
    for (const [i, t] of teens.entries()) {
      const c = await api.prisma.conversation.create({ data: { userId: t.user.id, conversationType: 'INCIDENT', title: 't' } });
      conversations.push(c);
      const r = await api.gql(RECORD, { input: { conversationId: gid('Conversation', c.id), chatbotVersion: '1.0', language: 'fr', mood: i === 0 ? 'VERY_NEGATIVE' : 'POSITIVE' } }, { apiKey: writer });
      expect(r.errors).toBeUndefined();
    }
    const view = async () => (await api.gql(SUMMARY, { filter: { collectiveId: gid('Collective', cls.id) } }, { token: teacher.token })).data.analyticsSummary;
    const before = await view();
    expect(before.conversations).toBe(6);
    await api.prisma.collectiveMembership.deleteMany({ where: { userId: teens[0].user.id, collectiveId: cls.id } });
    for (const version of ['1.0', '2.0']) {
      const r = await api.gql(RECORD, { input: { conversationId: gid('Conversation', conversations[0].id), chatbotVersion: version, language: 'fr', mood: 'VERY_NEGATIVE' } }, { apiKey: writer });
      expect(r.errors).toBeUndefined();
      // Otherwise the view would drop to 5 conversations, and before minus after is the leaver's mood.
      expect(await view(), version).toEqual(before);
    }
    // A pupil who joins after a conversation's first recording does not bring it in either.
    const newcomer = await person('TEENAGER');
    const c = await api.prisma.conversation.create({ data: { userId: newcomer.user.id, conversationType: 'INCIDENT', title: 't' } });
    await api.gql(RECORD, { input: { conversationId: gid('Conversation', c.id), chatbotVersion: '1.0', language: 'fr', mood: 'NEGATIVE' } }, { apiKey: writer });
    await api.prisma.collectiveMembership.create({ data: { userId: newcomer.user.id, collectiveId: cls.id, role: 'MEMBER' } });
    await api.gql(RECORD, { input: { conversationId: gid('Conversation', c.id), chatbotVersion: '2.0', language: 'fr', mood: 'NEGATIVE' } }, { apiKey: writer });
    expect(await view()).toEqual(before);
  });

  it('collective ids that are not UUIDs, of another type or with NUL, and extreme instants, are BAD_USER_INPUT or answer; never an internal error', async () => {
    const reader = (await createApiKey(api.prisma, ['analytics:read'])).key;
    for (const filter of [{ collectiveId: gid('Collective', 'not-a-uuid') }, { collectiveId: gid('Collective', 'X'.repeat(5000)) }, { collectiveId: gid('User', '00000000-0000-0000-0000-000000000000') }, { since: '0001-01-01T00:00:00Z' }, { since: '9999-12-31T23:59:59Z' }, { collectiveId: 'garbage\u0000' }]) {
      const r = await api.gql(SUMMARY, { filter }, { apiKey: reader });
      if (filter.since) expect(r.errors).toBeUndefined();
      else expect(r.errors?.map((e) => e.extensions?.code)).toEqual(['BAD_USER_INPUT']);
    }
  });

  it('free text never comes back in an error, even when the input is refused by GraphQL itself', async () => {
    const teen = await person('TEENAGER');
    const c = await api.prisma.conversation.create({ data: { userId: teen.user.id, conversationType: 'INCIDENT', title: 't' } });
    const bad = [
      { conversationId: gid('Conversation', c.id), language: 'fr', bullyingMessage: SECRET }, // chatbotVersion missing
      { conversationId: gid('Conversation', c.id), chatbotVersion: '1', language: 'fr', summary: SECRET, mood: 'NOT_A_MOOD' },
      { conversationId: gid('Conversation', c.id), chatbotVersion: '1', language: 'fr', summary: SECRET.repeat(500) },
      { conversationId: gid('Conversation', c.id), chatbotVersion: '1', language: 'fr', summary: `${SECRET}\u0000` },
      { conversationId: gid('Conversation', c.id), chatbotVersion: '1', language: 'fr\u0000', summary: SECRET },
      { conversationId: gid('Conversation', c.id), chatbotVersion: '1', language: 'fr', summary: SECRET, messages: [{ messageIndex: 1, category: SECRET }] },
      { conversationId: gid('Conversation', c.id), chatbotVersion: SECRET.repeat(3), language: 'fr', summary: SECRET },
      // Refused by our own LanguageCode scalar, whose error graphql-js wraps with the value echoed.
      { conversationId: gid('Conversation', c.id), chatbotVersion: '1', language: SECRET, summary: 'x' },
    ];
    for (const input of bad) {
      const r = await api.gql(RECORD, { input }, { apiKey: writer });
      expect(r.errors?.map((e) => e.extensions?.code)).toEqual(['BAD_USER_INPUT']);
      expect(JSON.stringify(r)).not.toContain(SECRET);
    }
  });
});

describe(`analytics attacks, second review (${dbKind})`, () => {
  const api = useTestApp();
  const person = api.person;
  let writer: string;

  beforeAll(async () => {
    writer = (await createApiKey(api.prisma, ['analytics:write'])).key;
  });
  const conversationOf = (userId: string) => api.prisma.conversation.create({ data: { userId, conversationType: 'INCIDENT', title: 't' } });
  const recordInput = (conversationId: string, extra: Record<string, unknown> = {}) => ({
    conversationId: gid('Conversation', conversationId), chatbotVersion: '1.0', language: 'fr', mood: 'NEGATIVE', ...extra,
  });

  it('a long conversation records its documented maximum of categorized items in every list, and one more is refused', async () => {
    const teen = await person('TEENAGER');
    const c = await conversationOf(teen.user.id);
    const n = 1000;
    const full = {
      messages: Array.from({ length: n }, (_, i) => ({ messageIndex: i, category: 'INSULTS' })),
      moods: Array.from({ length: n }, (_, i) => ({ messageIndex: i, mood: 'NEUTRAL' })),
      strategies: Array.from({ length: n }, (_, i) => ({ messageIndex: i, strategy: 'KEEP_EVIDENCE' })),
      answerTypes: Array.from({ length: n }, (_, i) => ({ messageIndex: i, answerType: 'EMPATHY' })),
    };
    const r = await api.gql(RECORD, { input: recordInput(c.id, full) }, { apiKey: writer });
    expect(r.errors).toBeUndefined();
    const stored = await api.prisma.conversationAnalytics.findFirstOrThrow({
      where: { conversationId: c.id },
      select: { _count: { select: { messages: true, moods: true, strategies: true, answerTypes: true } } },
    });
    expect(stored._count).toEqual({ messages: n, moods: n, strategies: n, answerTypes: n });
    for (const list of ['messages', 'moods', 'strategies', 'answerTypes'] as const) {
      const over = [...full[list], { ...full[list][0], messageIndex: n }];
      const refused = await api.gql(RECORD, { input: recordInput(c.id, { [list]: over }) }, { apiKey: writer });
      expect(codesOf(refused), list).toEqual(['BAD_USER_INPUT']);
      expect(refused.errors?.[0].message, list).toContain(`at most ${n} items`);
    }
  }, 60_000);

  it('a teenager who owns or administers a collective of k teenagers reads nothing of it: NOT_FOUND, as for a missing collective', async () => {
    const owner = await person('TEENAGER');
    const admin = await person('TEENAGER');
    const friends = [];
    for (let i = 0; i < 4; i++) friends.push(await person('TEENAGER'));
    const adult = await person('PARENT');
    const club = await createCollective(
      api.prisma,
      [{ userId: owner.user.id, role: 'OWNER' }, { userId: admin.user.id, role: 'ADMIN' }, { userId: adult.user.id, role: 'ADMIN' }, ...friends.map((f) => ({ userId: f.user.id, role: 'MEMBER' as const }))],
      { type: 'OTHER' },
    );
    for (const t of [owner, admin, ...friends]) {
      const r = await api.gql(RECORD, { input: recordInput((await conversationOf(t.user.id)).id) }, { apiKey: writer });
      expect(r.errors).toBeUndefined();
    }
    // The club's 6 teenagers form a group of k or more: its adult admin reads it.
    const seen = await api.gql(SUMMARY, { filter: { collectiveId: gid('Collective', club.id) } }, { token: adult.token });
    expect(seen.data?.analyticsSummary.conversations).toBe(6);
    const missing = await api.gql(SUMMARY, { filter: { collectiveId: gid('Collective', randomUUID()) } }, { token: owner.token });
    for (const teen of [owner, admin]) {
      const r = await api.gql(SUMMARY, { filter: { collectiveId: gid('Collective', club.id) } }, { token: teen.token });
      expect(codesOf(r)).toEqual(['NOT_FOUND']);
      expect({ ...r, sql: 0, sqlLog: [] }).toEqual({ ...missing, sql: 0, sqlLog: [] });
    }
  });

  it.skipIf(dbKind !== 'postgres')('a recording racing the deletion of its conversation is NOT_FOUND and leaves nothing, never an internal error', async () => {
    const teen = await person('TEENAGER');
    const c = await conversationOf(teen.user.id);
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    // The deletion holds its row lock until the recording has reached the conversation and waits.
    let deleted!: () => void;
    const holding = new Promise<void>((r) => (deleted = r));
    const deleting = api.prisma.$transaction(async (tx) => {
      await tx.conversation.delete({ where: { id: c.id } });
      deleted();
      await gate;
    }, { timeout: 30_000 });
    // The recording starts once the deletion holds the row (under load it could otherwise run
    // first and find a conversation that is not being deleted yet).
    await holding;
    const recording = api.gql(RECORD, { input: recordInput(c.id) }, { apiKey: writer });
    for (let waiting = 0, deadline = Date.now() + 20_000; waiting === 0 && Date.now() < deadline; ) {
      await new Promise((r) => setTimeout(r, 50));
      [{ waiting }] = await api.prisma.$queryRaw<{ waiting: number }[]>`
        SELECT count(*)::int AS waiting FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'`;
    }
    release();
    await deleting;
    const r = await recording;
    expect(codesOf(r)).toEqual(['NOT_FOUND']);
    expect(await api.prisma.conversationAnalytics.count({ where: { conversationId: c.id } })).toBe(0);
  }, 60_000);
});

/** The rank of a small 0/1 matrix (Gaussian elimination; exact enough at these sizes). */
function rank(rows: number[][]): number {
  const m = rows.map((r) => [...r]);
  let r = 0;
  for (let col = 0; col < (m[0]?.length ?? 0) && r < m.length; col++) {
    const pivot = m.findIndex((row, i) => i >= r && Math.abs(row[col]) > 1e-9);
    if (pivot < 0) continue;
    [m[r], m[pivot]] = [m[pivot], m[r]];
    for (let i = 0; i < m.length; i++) {
      if (i === r || Math.abs(m[i][col]) < 1e-9) continue;
      const f = m[i][col] / m[r][col];
      m[i] = m[i].map((x, j) => x - f * m[r][j]);
    }
    r++;
  }
  return r;
}
