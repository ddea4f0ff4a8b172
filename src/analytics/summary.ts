// The analytics aggregates, read in ONE SQL statement: every dimension's cells and the grand total
// come from one GROUP BY GROUPING SETS over a long "facts" relation (one row per conversation and
// dimension value). Only counts leave the database: no free text is ever selected.
import { Prisma, type PrismaClient } from '../generated/prisma/client.ts';
import { DIMENSIONS, protectAggregates, type Cell, type Dimension, type ProtectedAggregates } from './suppression.ts';

export interface SummaryScope {
  /** Only conversations whose author belonged to this collective (or a descendant) when recorded. */
  collectiveId?: string;
  /** Conversations started at or after this instant (platform view only). */
  since?: Date;
  /** Conversations started before this instant (platform view only). */
  until?: Date;
}

interface Row {
  dimension: Dimension | null;
  value: string | null;
  conversations: number;
  contributors: number;
  scope_exists: boolean;
}

export interface AnalyticsSummaryResult extends ProtectedAggregates {
  k: number;
}

function statement(scope: SummaryScope) {
  const window = Prisma.sql`
    ${scope.since ? Prisma.sql`AND c.created_at >= ${scope.since}` : Prisma.empty}
    ${scope.until ? Prisma.sql`AND c.created_at < ${scope.until}` : Prisma.empty}`;
  // Each conversation counts once, with the analytics its latest recording produced (whichever
  // chatbot version); the collective filter applies to that recording's snapshot of memberships.
  const candidates = scope.collectiveId
    ? Prisma.sql`AND a.conversation_id IN (
        SELECT a2.conversation_id FROM analytics.conversation_analytics_collective lc
        JOIN analytics.conversation_analytics a2 ON a2.id = lc.analytics_id
        WHERE lc.collective_id = ${scope.collectiveId}::uuid)`
    : Prisma.empty;
  const inScope = scope.collectiveId
    ? Prisma.sql`WHERE EXISTS (SELECT 1 FROM analytics.conversation_analytics_collective lc
        WHERE lc.analytics_id = l.id AND lc.collective_id = ${scope.collectiveId}::uuid)`
    : Prisma.empty;
  const scopeExists = scope.collectiveId
    ? Prisma.sql`EXISTS (SELECT 1 FROM app.collective WHERE id = ${scope.collectiveId}::uuid)`
    : Prisma.sql`true`;
  return Prisma.sql`
WITH latest AS (
  SELECT DISTINCT ON (a.conversation_id) a.id, a.conversation_id, a.mood, a.strategy, a.language, c.user_id, c.created_at
  FROM analytics.conversation_analytics a
  JOIN app.conversation c ON c.id = a.conversation_id
  WHERE true ${window} ${candidates}
  ORDER BY a.conversation_id, a.recorded_at DESC, a.id DESC
),
scoped AS (SELECT * FROM latest l ${inScope}),
facts (dimension, value, conversation_id, user_id) AS (
  SELECT 'CATEGORY', m.category::text, l.conversation_id, l.user_id
    FROM scoped l JOIN analytics.conversation_messages_categorized m ON m.analytics_id = l.id
  UNION ALL
  SELECT 'STRATEGY', s.strategy::text, l.conversation_id, l.user_id
    FROM scoped l JOIN analytics.conversation_strategies_categorized s ON s.analytics_id = l.id
  UNION ALL
  SELECT 'STRATEGY', l.strategy::text, l.conversation_id, l.user_id FROM scoped l WHERE l.strategy IS NOT NULL
  UNION ALL
  SELECT 'ANSWER_TYPE', t.answer_type::text, l.conversation_id, l.user_id
    FROM scoped l JOIN analytics.conversation_answer_types_categorized t ON t.analytics_id = l.id
  UNION ALL
  SELECT 'MOOD', coalesce(l.mood::text, 'UNKNOWN'), l.conversation_id, l.user_id FROM scoped l
  UNION ALL
  SELECT 'LANGUAGE', l.language, l.conversation_id, l.user_id FROM scoped l
  UNION ALL
  SELECT 'WEEK', to_char(date_trunc('week', l.created_at AT TIME ZONE 'UTC'), 'YYYY-MM-DD'), l.conversation_id, l.user_id FROM scoped l
  UNION ALL
  SELECT 'COLLECTIVE_TYPE', coalesce(col.type::text, 'NONE'), l.conversation_id, l.user_id
    FROM scoped l
    LEFT JOIN analytics.conversation_analytics_collective lc ON lc.analytics_id = l.id AND lc.direct
    LEFT JOIN app.collective col ON col.id = lc.collective_id
  UNION ALL
  SELECT 'MOOD_TREND',
    CASE WHEN t.n < 2 THEN 'NOT_MEASURED' WHEN t.last_mood > t.first_mood THEN 'IMPROVED' ELSE 'NOT_IMPROVED' END,
    l.conversation_id, l.user_id
    FROM scoped l
    CROSS JOIN LATERAL (
      SELECT count(*) AS n,
        (array_agg(mo.mood ORDER BY mo.message_index))[1] AS first_mood,
        (array_agg(mo.mood ORDER BY mo.message_index DESC))[1] AS last_mood
      FROM analytics.conversation_moods_categorized mo WHERE mo.analytics_id = l.id
    ) t
)
SELECT dimension, value,
  count(DISTINCT conversation_id)::int AS conversations,
  count(DISTINCT user_id)::int AS contributors,
  ${scopeExists} AS scope_exists
FROM facts
GROUP BY GROUPING SETS ((dimension, value), ())`;
}

/**
 * The protected aggregates of a scope: one SQL statement, then the suppression rules of
 * suppression.ts with this k. null when scope.collectiveId names no collective.
 */
export async function analyticsSummary(prisma: PrismaClient, scope: SummaryScope, k: number): Promise<AnalyticsSummaryResult | null> {
  const rows = await prisma.$queryRaw<Row[]>(statement(scope));
  // The empty grouping set yields the total row even when nothing matched: every row carries scope_exists.
  if (rows.length > 0 && !rows[0].scope_exists) return null;
  let total: Cell = { value: 'TOTAL', conversations: 0, contributors: 0 };
  const cells = new Map<Dimension, Cell[]>(DIMENSIONS.map((d) => [d, []]));
  for (const row of rows) {
    const cell = { value: row.value ?? '', conversations: row.conversations, contributors: row.contributors };
    if (row.dimension === null) total = { ...cell, value: 'TOTAL' };
    else cells.get(row.dimension)?.push(cell);
  }
  for (const list of cells.values()) list.sort((a, b) => (a.value < b.value ? -1 : a.value > b.value ? 1 : 0));
  return { k, ...protectAggregates(total, cells, k) };
}
