import { z } from 'zod';
import { builder } from '../../builder.ts';
import { forbidden, notFound } from '../../errors.ts';
import { analyticsSummary, type AnalyticsSummaryResult } from '../../analytics/summary.ts';
import type { PublishedCell } from '../../analytics/suppression.ts';
import { CollectiveNode } from '../collectives/collective.ts';
import { hasPermission, isManagerOf } from '../../auth/caller.ts';
import { check, rowId } from '../../input/fields.ts';

const AnalyticsCount = builder.objectRef<PublishedCell>('AnalyticsCount').implement({
  description: 'One published cell: the conversations that have this value. Values with fewer than k teenagers, none, or withheld to protect another cell are not listed.',
  fields: (t) => ({
    value: t.exposeString('value', { description: 'The value counted: an enum value name, a language code, NONE/UNKNOWN, or for weeks the Monday (UTC) that starts the ISO week, as YYYY-MM-DD.' }),
    conversations: t.exposeInt('conversations'),
  }),
});

interface MoodImprovementShape {
  improved: number | null;
  notImproved: number | null;
  notMeasured: number | null;
}

const MoodImprovement = builder.objectRef<MoodImprovementShape>('MoodImprovement').implement({
  description:
    'Whether the mood at the last categorized message is better than at the first, for conversations with at least two categorized moods. Each count is null when withheld (fewer than k teenagers, none, or a complement); the share needs improved and notImproved.',
  fields: (t) => ({
    improved: t.exposeInt('improved', { nullable: true }),
    notImproved: t.exposeInt('notImproved', { nullable: true, description: 'Unchanged or worse.' }),
    notMeasured: t.exposeInt('notMeasured', { nullable: true, description: 'Conversations with fewer than two categorized moods.' }),
    share: t.float({
      nullable: true,
      description: 'improved / (improved + notImproved), from 0 to 1.',
      resolve: (p) => (p.improved === null || p.notImproved === null || p.improved + p.notImproved === 0 ? null : p.improved / (p.improved + p.notImproved)),
    }),
  }),
});

const cells = (description: string, pick: (s: AnalyticsSummaryResult) => PublishedCell[]) =>
  ({ description, pick }) as const;

const DIMENSION_FIELDS = {
  byCategory: cells('Conversations with at least one message of each category (a conversation may count in several).', (s) => s.dimensions.CATEGORY),
  byMood: cells('Conversations by overall mood (UNKNOWN when none was recorded).', (s) => s.dimensions.MOOD),
  byStrategy: cells('Conversations in which each strategy was proposed (a conversation may count in several).', (s) => s.dimensions.STRATEGY),
  byAnswerType: cells('Conversations with at least one companion answer of each type.', (s) => s.dimensions.ANSWER_TYPE),
  byLanguage: cells('Conversations by language (ISO 639-1).', (s) => s.dimensions.LANGUAGE),
  byWeek: cells('Conversations by the ISO week (UTC) they started in, oldest first.', (s) => s.dimensions.WEEK),
  byCollectiveType: cells(
    'Conversations by the types of the collectives their teenager author belonged to when recorded (NONE: none; a conversation may count in several).',
    (s) => s.dimensions.COLLECTIVE_TYPE,
  ),
} as const;

const AnalyticsSummary = builder.objectRef<AnalyticsSummaryResult>('AnalyticsSummary').implement({
  description:
    'Protected aggregates of conversation analytics: counts only, never free text. A count is published only when at least k distinct teenagers contribute to it, and further counts are withheld so that no withheld one can be derived by subtraction. ' +
    'A collective\'s view sums whole groups (teenagers who had the same collectives when a conversation was first recorded) of at least k teenagers, and lists a value only when no group withholds it, so that no two views subtract into fewer than k (README, "Conversation analytics").',
  fields: (t) => ({
    k: t.exposeInt('k', { description: 'The distinct teenagers every published count needs (ANALYTICS_MIN_TEENAGERS, at least 3).' }),
    conversations: t.exposeInt('conversations', { nullable: true, description: 'All conversations in scope; null (and every list empty) when fewer than k teenagers contribute.' }),
    ...Object.fromEntries(
      Object.entries(DIMENSION_FIELDS).map(([name, { description, pick }]) => [name, t.field({ type: [AnalyticsCount], description, resolve: pick })]),
    ),
    moodImprovement: t.field({
      type: MoodImprovement,
      resolve: (s) => {
        const trend = new Map(s.dimensions.MOOD_TREND.map((c) => [c.value, c.conversations]));
        return { improved: trend.get('IMPROVED') ?? null, notImproved: trend.get('NOT_IMPROVED') ?? null, notMeasured: trend.get('NOT_MEASURED') ?? null };
      },
    }),
  }),
});

/** The rules across the filter's fields; each field's own rule is on the field. */
const filterRules = z
  .looseObject({ collectiveId: z.unknown().optional(), since: z.date().nullish(), until: z.date().nullish() })
  .refine((f) => !(f.collectiveId && (f.since || f.until)), {
    // Two overlapping windows would subtract into a window small enough to single out a teenager.
    message: 'since and until are for the platform view only: a collective\'s view always covers all its analytics',
    path: ['since'],
  })
  .refine((f) => !(f.since && f.until && f.since >= f.until), { message: 'must be before until', path: ['since'] });

const AnalyticsSummaryFilter = builder.inputType('AnalyticsSummaryFilter', {
  description: 'Which recordings analyticsSummary aggregates: one collective or all of them, within a period.',
  fields: (t) => ({
    collectiveId: t.globalID({
      for: CollectiveNode,
      required: false,
      validate: rowId('Collective'),
      description:
        'One collective\'s view (conversations of teenagers who belonged to it or to a collective under it when first recorded, in groups of at least k teenagers; a FAMILY collective\'s view is always empty). Its OWNERs and ADMINs, or operators with analytics:read.',
    }),
    since: t.field({ type: 'DateTime', required: false, description: 'Conversations started at or after this instant. Platform view only.' }),
    until: t.field({ type: 'DateTime', required: false, description: 'Conversations started before this instant. Platform view only.' }),
  }),
  validate: check(filterRules),
});

builder.queryField('analyticsSummary', (t) =>
  t.field({
    type: AnalyticsSummary,
    description:
      'Conversation analytics as protected aggregates (one SQL statement per request). Without a collective: operators with analytics:read only (FORBIDDEN otherwise). ' +
      'With filter.collectiveId: that collective\'s adult (not TEENAGER) OWNERs and ADMINs, or operators with analytics:read; NOT_FOUND for anyone else and for a missing collective alike.',
    authScopes: { operator: 'analytics:read', session: 'FULL' },
    args: { filter: t.arg({ type: AnalyticsSummaryFilter, required: false }) },
    resolve: async (_root, args, ctx) => {
      const filter = { collectiveId: args.filter?.collectiveId?.id, since: args.filter?.since, until: args.filter?.until };
      const operator = hasPermission(ctx, 'analytics:read');
      if (!filter.collectiveId && !operator) throw forbidden('The platform-wide view needs an API key holding analytics:read');
      // A teenager who manages a collective (a club they created) is one of its contributors and a
      // peer of the others: with k - 1 friends' own answers, a published cell gives the last child's.
      // Collective views are for the adults responsible for a collective; teenagers get what a
      // stranger gets.
      const adult = ctx.viewer.kind === 'user' && ctx.viewer.user.userType !== 'TEENAGER';
      if (filter.collectiveId && !operator && !(adult && isManagerOf(ctx, filter.collectiveId))) throw notFound();
      const summary = await analyticsSummary(
        ctx.prisma,
        { collectiveId: filter.collectiveId ?? undefined, since: filter.since ?? undefined, until: filter.until ?? undefined },
        ctx.config.analytics.minTeenagers,
      );
      if (!summary) throw notFound();
      return summary;
    },
  }),
);
