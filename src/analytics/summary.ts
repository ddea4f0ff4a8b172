// The analytics aggregates, read in ONE SQL statement: every group's cells and totals come from one
// GROUP BY GROUPING SETS over a long "facts" relation (one row per conversation and dimension
// value), then suppression.ts assembles the view from the groups. Only counts leave the database:
// no free text is ever selected.
import { Prisma, type PrismaClient } from '../generated/prisma/client.ts';
import { DIMENSIONS, protectAggregates, type Cell, type Dimension, type GroupTable, type ProtectedAggregates } from './suppression.ts';

export interface SummaryScope {
  /** Only conversations whose author belonged to this collective (or a descendant) when recorded. */
  collectiveId?: string;
  /** Conversations started at or after this instant (platform view only). */
  since?: Date;
  /** Conversations started before this instant (platform view only). */
  until?: Date;
}

interface Row {
  /** 0: a group's cell; 3: a group's total (collective views); 7: the grand total (always present, even when empty). */
  level: number;
  grp: string | null;
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
  // A conversation's group: the non-family collectives of its snapshot (the same for all its
  // recordings), so the group never changes after the first recording. Families are no view of their
  // own (see README): counting them would split every class into one group per family. The platform
  // view is one group.
  // One aggregate over the snapshot rows of the scope's conversations (a join, not a subquery per
  // conversation, which measured several times slower).
  const grouped = scope.collectiveId
    ? Prisma.sql`SELECT l.*, g.grp FROM latest l JOIN (
          SELECT lc.analytics_id, string_agg(lc.collective_id::text, ',' ORDER BY lc.collective_id) AS grp
          FROM analytics.conversation_analytics_collective lc
          JOIN app.collective col ON col.id = lc.collective_id
          WHERE lc.analytics_id IN (SELECT id FROM latest) AND col.type <> 'FAMILY'
          GROUP BY lc.analytics_id
          HAVING bool_or(lc.collective_id = ${scope.collectiveId}::uuid)
        ) g ON g.analytics_id = l.id`
    : Prisma.sql`SELECT l.*, '' AS grp FROM latest l`;
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
scoped AS (${grouped}),
facts (grp, dimension, value, conversation_id, user_id) AS (
  SELECT l.grp, 'CATEGORY', m.category::text, l.conversation_id, l.user_id
    FROM scoped l JOIN analytics.conversation_messages_categorized m ON m.analytics_id = l.id
  UNION ALL
  SELECT l.grp, 'STRATEGY', s.strategy::text, l.conversation_id, l.user_id
    FROM scoped l JOIN analytics.conversation_strategies_categorized s ON s.analytics_id = l.id
  UNION ALL
  SELECT l.grp, 'STRATEGY', l.strategy::text, l.conversation_id, l.user_id FROM scoped l WHERE l.strategy IS NOT NULL
  UNION ALL
  SELECT l.grp, 'ANSWER_TYPE', t.answer_type::text, l.conversation_id, l.user_id
    FROM scoped l JOIN analytics.conversation_answer_types_categorized t ON t.analytics_id = l.id
  UNION ALL
  SELECT l.grp, 'MOOD', coalesce(l.mood::text, 'UNKNOWN'), l.conversation_id, l.user_id FROM scoped l
  UNION ALL
  SELECT l.grp, 'LANGUAGE', l.language, l.conversation_id, l.user_id FROM scoped l
  UNION ALL
  SELECT l.grp, 'WEEK', to_char(date_trunc('week', l.created_at AT TIME ZONE 'UTC'), 'YYYY-MM-DD'), l.conversation_id, l.user_id FROM scoped l
  UNION ALL
  SELECT l.grp, 'COLLECTIVE_TYPE', coalesce(col.type::text, 'NONE'), l.conversation_id, l.user_id
    FROM scoped l
    LEFT JOIN analytics.conversation_analytics_collective lc ON lc.analytics_id = l.id AND lc.direct
    LEFT JOIN app.collective col ON col.id = lc.collective_id
  UNION ALL
  SELECT l.grp, 'MOOD_TREND',
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
SELECT GROUPING(grp, dimension, value)::int AS level, grp, dimension, value,
  count(DISTINCT conversation_id)::int AS conversations,
  count(DISTINCT user_id)::int AS contributors,
  ${scopeExists} AS scope_exists
FROM facts
GROUP BY GROUPING SETS ((grp, dimension, value), ${scope.collectiveId ? Prisma.sql`(grp),` : Prisma.empty} ())`;
}

/**
 * The protected aggregates of a scope: one SQL statement, then the suppression rules of
 * suppression.ts with this k. null when scope.collectiveId names no collective.
 */
export async function analyticsSummary(prisma: PrismaClient, scope: SummaryScope, k: number): Promise<AnalyticsSummaryResult | null> {
  const rows = await prisma.$queryRaw<Row[]>(statement(scope));
  // The empty grouping set yields the grand total row even when nothing matched: every row carries scope_exists.
  if (rows.length > 0 && !rows[0].scope_exists) return null;
  const groups = new Map<string, { total: Cell; cells: Map<Dimension, Cell[]> }>();
  const groupOf = (grp: string) => {
    let group = groups.get(grp);
    if (!group) groups.set(grp, (group = { total: { value: 'TOTAL', conversations: 0, contributors: 0 }, cells: new Map(DIMENSIONS.map((d) => [d, []])) }));
    return group;
  };
  for (const row of rows) {
    // The platform view is one group: its total is the grand total (no separate group total is computed).
    if (row.level === 7 && !scope.collectiveId) groupOf('').total = { value: 'TOTAL', conversations: row.conversations, contributors: row.contributors };
    if (row.level === 7 || row.grp === null) continue;
    const cell = { value: row.value ?? '', conversations: row.conversations, contributors: row.contributors };
    if (row.level === 3) groupOf(row.grp).total = { ...cell, value: 'TOTAL' };
    else if (row.dimension) groupOf(row.grp).cells.get(row.dimension)?.push(cell);
  }
  const tables: GroupTable[] = [...groups.values()];
  return { k, ...protectAggregates(tables, k) };
}
