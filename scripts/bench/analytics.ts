// npm run bench:analytics [-- --classes 100 --pupils 30 --conversations 4 --runs 30]
// Loads synthetic conversation analytics (classes of pupils under schools, each pupil with some
// recorded conversations) into a fresh database (DATABASE_URL's server, or a temporary PGlite),
// then times analyticsSummary (its one SQL statement and the suppression) for the platform view
// and for one class. Not a test.
import { parseArgs } from 'node:util';
import os from 'node:os';
import { randomUUID } from 'node:crypto';
import { analyticsSummary } from '../../src/analytics/summary.ts';
import type { AnalyticsMood, MessageCategory, PrismaClient } from '../../src/generated/prisma/client.ts';
import { benchOnFreshServer } from './fresh-database.ts';

const { values } = parseArgs({
  options: {
    classes: { type: 'string', default: '100' },
    pupils: { type: 'string', default: '30' },
    conversations: { type: 'string', default: '4' },
    runs: { type: 'string', default: '30' },
  },
});
const n = { classes: +values.classes, pupils: +values.pupils, conversations: +values.conversations, runs: +values.runs };
const MOODS: AnalyticsMood[] = ['VERY_NEGATIVE', 'NEGATIVE', 'NEUTRAL', 'POSITIVE', 'VERY_POSITIVE'];
const CATEGORIES: MessageCategory[] = ['INSULTS', 'EXCLUSION', 'RUMOURS', 'CYBERBULLYING', 'THREATS', 'WELLBEING'];

async function chunked<T>(rows: T[], write: (rows: T[]) => Promise<unknown>) {
  for (let i = 0; i < rows.length; i += 5000) await write(rows.slice(i, i + 5000));
}

async function load(prisma: PrismaClient) {
  const start = performance.now();
  const base = Date.UTC(2026, 8, 1);
  const schools = Array.from({ length: Math.ceil(n.classes / 10) }, (_, i) => ({ id: randomUUID(), name: `School ${i}`, type: 'SCHOOL' as const }));
  const classes = Array.from({ length: n.classes }, (_, i) => ({ id: randomUUID(), name: `Class ${i}`, type: 'CLASS' as const, parentId: schools[Math.floor(i / 10)].id }));
  await prisma.collective.createMany({ data: [...schools, ...classes] });
  const users = classes.flatMap((c) => Array.from({ length: n.pupils }, () => ({ id: randomUUID(), userType: 'TEENAGER' as const, language: 'fr', classId: c.id, schoolId: c.parentId })));
  await chunked(users, (rows) => prisma.user.createMany({ data: rows.map(({ id, userType, language }) => ({ id, userType, language })) }));
  await chunked(users, (rows) => prisma.collectiveMembership.createMany({ data: rows.map((u) => ({ userId: u.id, collectiveId: u.classId })) }));
  const conversations = users.flatMap((u, i) =>
    Array.from({ length: n.conversations }, (_, c) => ({ id: randomUUID(), userId: u.id, conversationType: 'INCIDENT' as const, createdAt: new Date(base + ((i * 7 + c * 13) % 90) * 86_400_000), u, i: i + c })),
  );
  await chunked(conversations, (rows) => prisma.conversation.createMany({ data: rows.map(({ id, userId, conversationType, createdAt }) => ({ id, userId, conversationType, createdAt })) }));
  const analytics = conversations.map((c) => ({ id: randomUUID(), conversationId: c.id, chatbotVersion: '1.0.0', language: c.i % 9 ? 'fr' : 'pt', mood: MOODS[c.i % 5], strategy: 'TALK_TO_TRUSTED_ADULT' as const, c }));
  await chunked(analytics, (rows) => prisma.conversationAnalytics.createMany({ data: rows.map(({ c: _c, ...a }) => a) }));
  await chunked(analytics.flatMap((a) => [{ analyticsId: a.id, messageIndex: 0, category: CATEGORIES[a.c.i % 6] }, { analyticsId: a.id, messageIndex: 2, category: CATEGORIES[(a.c.i * 5) % 6] }]),
    (rows) => prisma.conversationMessageCategorized.createMany({ data: rows, skipDuplicates: true }));
  await chunked(analytics.flatMap((a) => [0, 4, 8].map((m, j) => ({ analyticsId: a.id, messageIndex: m, mood: MOODS[(a.c.i + j * (a.c.i % 3)) % 5] }))),
    (rows) => prisma.conversationMoodCategorized.createMany({ data: rows }));
  await chunked(analytics.flatMap((a) => [{ analyticsId: a.id, messageIndex: 3, strategy: 'KEEP_EVIDENCE' as const }, { analyticsId: a.id, messageIndex: 5, strategy: 'PEER_SUPPORT' as const }]),
    (rows) => prisma.conversationStrategyCategorized.createMany({ data: rows }));
  await chunked(analytics.flatMap((a) => (['EMPATHY', 'QUESTION', 'ADVICE'] as const).map((answerType, j) => ({ analyticsId: a.id, messageIndex: 1 + j * 2, answerType }))),
    (rows) => prisma.conversationAnswerTypeCategorized.createMany({ data: rows }));
  await chunked(analytics.flatMap((a) => [{ analyticsId: a.id, collectiveId: a.c.u.classId, direct: true }, { analyticsId: a.id, collectiveId: a.c.u.schoolId!, direct: false }]),
    (rows) => prisma.conversationAnalyticsCollective.createMany({ data: rows }));
  return { classId: classes[0].id, schoolId: schools[0].id, analytics: analytics.length, seconds: (performance.now() - start) / 1000 };
}

async function time(label: string, fn: () => Promise<unknown>) {
  await fn();
  const ms: number[] = [];
  for (let i = 0; i < n.runs; i++) {
    const t = performance.now();
    await fn();
    ms.push(performance.now() - t);
  }
  ms.sort((a, b) => a - b);
  console.log(`| ${label} | ${ms[Math.floor(ms.length / 2)].toFixed(1)} | ${ms[Math.min(ms.length - 1, Math.floor(ms.length * 0.95))].toFixed(1)} |`);
}

benchOnFreshServer(async (server, config) => {
  const prisma = server.db.prisma;
  const data = await load(prisma);
  console.log(`database: ${server.db.kind}; ${n.classes} classes x ${n.pupils} pupils x ${n.conversations} conversations = ${data.analytics} analytics (loaded in ${data.seconds.toFixed(1)} s)`);
  console.log(`${n.runs} sequential runs each; node ${process.version}, ${os.cpus().length} cores, load average ${os.loadavg().map((l) => l.toFixed(1)).join(' ')}\n`);
  console.log('| analyticsSummary | p50 ms | p95 ms |');
  console.log('|---|---|---|');
  await time('platform view', () => analyticsSummary(prisma, {}, config.analytics.minTeenagers));
  await time(`one school (${Math.min(10, n.classes) * n.pupils} pupils)`, () => analyticsSummary(prisma, { collectiveId: data.schoolId }, config.analytics.minTeenagers));
  await time(`one class (${n.pupils} pupils)`, () => analyticsSummary(prisma, { collectiveId: data.classId }, config.analytics.minTeenagers));
});
