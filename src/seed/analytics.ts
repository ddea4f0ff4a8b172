// Demo conversation analytics: what the chatbot would have recorded for every demo teenager's
// conversation, so that the class 5e B has a climate its teacher can read (analyticsSummary with
// the class's id). Derived from the conversations' topics, deterministic, and written like the
// rest of the seed: a second run writes nothing.
import type {
  AnalyticsMood,
  AnswerType,
  ConversationAnalytics,
  ConversationAnalyticsCollective,
  ConversationAnswerTypeCategorized,
  ConversationMessageCategorized,
  ConversationMoodCategorized,
  ConversationStrategyCategorized,
  CopingStrategy,
  MessageCategory,
  PrismaClient,
} from '../generated/prisma/client.ts';
import { demoId, sha256Hex } from './ids.ts';
import { planRows, runWrites, type PendingWrite, type TableCount } from './sync.ts';
import type { DemoWorld } from './world.ts';

export const DEMO_CHATBOT_VERSION = '1.4.0';

/** Topic words (every demo language) to the categories a classifier would give the first message. */
const CATEGORY_RULES: [RegExp, MessageCategory[]][] = [
  [/photo|foto/i, ['IMAGE_SHARING', 'CYBERBULLYING']],
  [/inconnu|unknown/i, ['STRANGER_CONTACT']],
  [/whatsapp|chat|story|en ligne|online|juego|mensaje/i, ['CYBERBULLYING', 'INSULTS']],
  [/rumeur|rumor/i, ['RUMOURS']],
  [/surnom|moqu|accent|sotaque|gozam|ríen|prese in giro|gemeine|mean/i, ['INSULTS']],
  [/personne ne|left out|ninguém|seul/i, ['EXCLUSION']],
  [/sachen weg/i, ['PHYSICAL']],
  [/vu un camarade|embêter/i, ['WITNESS']],
];

const STRATEGIES: Partial<Record<MessageCategory, CopingStrategy[]>> = {
  IMAGE_SHARING: ['BLOCK_AND_REPORT', 'TALK_TO_TRUSTED_ADULT'],
  STRANGER_CONTACT: ['BLOCK_AND_REPORT', 'SAFETY_PLAN'],
  CYBERBULLYING: ['KEEP_EVIDENCE', 'TALK_TO_TRUSTED_ADULT'],
  RUMOURS: ['EMOTIONAL_REGULATION', 'TALK_TO_TRUSTED_ADULT'],
  INSULTS: ['ASSERTIVE_RESPONSE', 'TALK_TO_TRUSTED_ADULT'],
  EXCLUSION: ['PEER_SUPPORT', 'TALK_TO_TRUSTED_ADULT'],
  PHYSICAL: ['TALK_TO_TRUSTED_ADULT', 'SAFETY_PLAN'],
  WITNESS: ['BYSTANDER_ACTION', 'TALK_TO_TRUSTED_ADULT'],
  WELLBEING: ['EMOTIONAL_REGULATION', 'PEER_SUPPORT'],
};

const MOODS: AnalyticsMood[] = ['VERY_NEGATIVE', 'NEGATIVE', 'NEUTRAL', 'POSITIVE', 'VERY_POSITIVE'];

export interface DemoAnalytics {
  analytics: ConversationAnalytics[];
  messages: ConversationMessageCategorized[];
  moods: ConversationMoodCategorized[];
  strategies: ConversationStrategyCategorized[];
  answerTypes: ConversationAnswerTypeCategorized[];
  collectives: ConversationAnalyticsCollective[];
}

/** The analytics of every teenager's conversation in the demo world (one recording each). */
export function buildDemoAnalytics(world: DemoWorld): DemoAnalytics {
  const out: DemoAnalytics = { analytics: [], messages: [], moods: [], strategies: [], answerTypes: [], collectives: [] };
  const users = new Map(world.users.map((u) => [u.id, u]));
  const parentOf = new Map(world.collectives.map((c) => [c.id, c.parentId]));
  for (const conversation of world.conversations) {
    const user = users.get(conversation.userId);
    if (user?.userType !== 'TEENAGER') continue;
    // A stable number per conversation drives the variations below.
    const seed = parseInt(sha256Hex(conversation.id).slice(0, 8), 16);
    const incident = conversation.conversationType === 'INCIDENT';
    const categories = incident
      ? (CATEGORY_RULES.find(([re]) => re.test(conversation.title ?? ''))?.[1] ?? ['OTHER'])
      : seed % 5 === 0 ? (['WELLBEING', 'WITNESS'] as MessageCategory[]) : (['WELLBEING'] as MessageCategory[]);
    const strategies = STRATEGIES[categories[0]] ?? ['TALK_TO_TRUSTED_ADULT'];
    // Incidents start low; about three conversations in four end better than they started.
    const start = incident ? 1 - (seed % 2) : 2;
    const end = Math.min(4, seed % 4 === 0 ? start : start + 1 + (seed % 3 === 0 ? 1 : 0));
    const trajectory = [start, Math.max(0, Math.min(start, end) - (seed % 7 === 0 ? 1 : 0)), end].map((i) => MOODS[i]);
    const id = demoId(`conversation-analytics:${conversation.id}:${DEMO_CHATBOT_VERSION}`);
    const recordedAt = new Date(conversation.updatedAt.getTime() + 60 * 60_000);
    out.analytics.push({
      id,
      conversationId: conversation.id,
      chatbotVersion: DEMO_CHATBOT_VERSION,
      bullyingMessage: incident ? conversation.title : null,
      summary: conversation.summary,
      mood: trajectory[2],
      strategy: strategies[0],
      language: user.language ?? 'fr',
      createdAt: recordedAt,
      recordedAt,
    });
    categories.forEach((category, i) => out.messages.push({ analyticsId: id, messageIndex: i * 2, category }));
    trajectory.forEach((mood, i) => out.moods.push({ analyticsId: id, messageIndex: i * 4, mood }));
    strategies.forEach((strategy, i) => out.strategies.push({ analyticsId: id, messageIndex: 3 + i * 2, strategy }));
    const answers: AnswerType[] = ['EMPATHY', 'QUESTION', 'ADVICE', ...(categories.includes('STRANGER_CONTACT') || categories.includes('IMAGE_SHARING') ? (['RESOURCE_REFERRAL'] as AnswerType[]) : [])];
    if (seed % 3 === 0) answers.push('INFORMATION');
    answers.forEach((answerType, i) => out.answerTypes.push({ analyticsId: id, messageIndex: 1 + i * 2, answerType }));
    // The memberships snapshot recordConversationAnalytics takes: direct collectives and their ancestors.
    const links = new Map<string, boolean>();
    for (const m of world.memberships.filter((m) => m.userId === user.id)) {
      links.set(m.collectiveId, true);
      for (let p = parentOf.get(m.collectiveId); p; p = parentOf.get(p)) if (!links.has(p)) links.set(p, false);
    }
    for (const [collectiveId, direct] of links) out.collectives.push({ analyticsId: id, collectiveId, direct });
  }
  return out;
}

export type AnalyticsSeedResult = Record<keyof DemoAnalytics, TableCount>;

/** Writes the demo analytics idempotently (missing rows inserted, differing ones rewritten). */
export async function seedDemoAnalytics(prisma: PrismaClient, world: DemoWorld, overwrite = true): Promise<AnalyticsSeedResult> {
  const desired = buildDemoAnalytics(world);
  const analyticsIds = desired.analytics.map((a) => a.id);
  const byAnalytics = { analyticsId: { in: analyticsIds } };
  const [analytics, messages, moods, strategies, answerTypes, collectives] = await Promise.all([
    prisma.conversationAnalytics.findMany({ where: { id: { in: analyticsIds } } }),
    prisma.conversationMessageCategorized.findMany({ where: byAnalytics }),
    prisma.conversationMoodCategorized.findMany({ where: byAnalytics }),
    prisma.conversationStrategyCategorized.findMany({ where: byAnalytics }),
    prisma.conversationAnswerTypeCategorized.findMany({ where: byAnalytics }),
    prisma.conversationAnalyticsCollective.findMany({ where: byAnalytics }),
  ]);
  const writes: PendingWrite[] = [];
  const counts = {} as AnalyticsSeedResult;
  const plan = <T extends object>(table: keyof DemoAnalytics, want: T[], have: T[], key: (r: T) => string, create: (rows: T[]) => PendingWrite, update: (row: T) => PendingWrite) => {
    const p = planRows(want, have, key);
    const changed = overwrite ? p.changed : [];
    if (p.missing.length) writes.push(create(p.missing));
    for (const row of changed) writes.push(update(row));
    counts[table] = { total: want.length, created: p.missing.length, updated: changed.length };
  };
  // Categorization rows are all key: they are either there or missing.
  const never = () => {
    throw new Error('a categorization row has no non-key column to update');
  };
  plan('analytics', desired.analytics, analytics, (r) => r.id,
    (data) => prisma.conversationAnalytics.createMany({ data, skipDuplicates: true }),
    ({ id, ...data }) => prisma.conversationAnalytics.update({ where: { id }, data }));
  plan('messages', desired.messages, messages, (r) => `${r.analyticsId}:${r.messageIndex}:${r.category}`,
    (data) => prisma.conversationMessageCategorized.createMany({ data, skipDuplicates: true }), never);
  plan('moods', desired.moods, moods, (r) => `${r.analyticsId}:${r.messageIndex}`,
    (data) => prisma.conversationMoodCategorized.createMany({ data, skipDuplicates: true }),
    ({ analyticsId, messageIndex, mood }) => prisma.conversationMoodCategorized.update({ where: { analyticsId_messageIndex: { analyticsId, messageIndex } }, data: { mood } }));
  plan('strategies', desired.strategies, strategies, (r) => `${r.analyticsId}:${r.messageIndex}:${r.strategy}`,
    (data) => prisma.conversationStrategyCategorized.createMany({ data, skipDuplicates: true }), never);
  plan('answerTypes', desired.answerTypes, answerTypes, (r) => `${r.analyticsId}:${r.messageIndex}:${r.answerType}`,
    (data) => prisma.conversationAnswerTypeCategorized.createMany({ data, skipDuplicates: true }), never);
  plan('collectives', desired.collectives, collectives, (r) => `${r.analyticsId}:${r.collectiveId}`,
    (data) => prisma.conversationAnalyticsCollective.createMany({ data, skipDuplicates: true }),
    ({ analyticsId, collectiveId, direct }) =>
      prisma.conversationAnalyticsCollective.update({ where: { analyticsId_collectiveId: { analyticsId, collectiveId } }, data: { direct } }));
  await runWrites(prisma, writes);
  return counts;
}
