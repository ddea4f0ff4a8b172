// Statistical disclosure control for the analytics aggregates: which counts may be published.
//
// One table: for each dimension (category, mood, ...) the number of conversations per value, plus
// the grand total. A cell's contributors are the distinct teenagers (conversation authors) behind
// it. The rules for one table:
//
// 1. Primary suppression: a cell with fewer than k contributors is withheld. When the grand total
//    itself has fewer than k, nothing at all is published.
// 2. Complementary suppression: within a dimension the cells add up to the published total (mood,
//    language, week and mood trend partition the conversations; category, strategy, answer type and
//    collective type are treated the same way although a conversation may count in several of their
//    cells). So `total - published cells` is the sum of the withheld ones. A single withheld cell
//    would be derived exactly; a withheld remainder made only of small cells would still single out
//    a small group. Hence: when a dimension withholds anything, at least one withheld cell must have
//    k or more contributors; if none has, the published cell with the fewest contributors is
//    withheld too. The remainder then covers at least k teenagers and at least two non-empty cells,
//    so no withheld cell can be computed, and the remainder never describes fewer than k teenagers.
// 3. Dimensions share only the grand total, and no cell belongs to two dimensions, so combining
//    dimensions gives no equation with a single unknown either.
//
// Many tables (the collective views): views overlap (a school holds its classes, a club cuts
// across classes), so two views, or a school minus all but one of its classes, subtract into a
// group no single table protects. So a collective's view is assembled from GROUPS: the
// conversations whose authors had exactly the same set of (non-family) collectives when first
// recorded. Every view is a union of whole groups, and:
// 4. A group with fewer than k contributors is left out of every view.
// 5. Each group is protected as one table (rules 1-3); a view publishes a value only when no group
//    of the view withholds it, as the sum of the groups' counts, and its total as the sum of theirs.
// Every number any view publishes is then a sum of numbers the groups' own protected tables would
// publish, so no combination of views (any askers, colluding or not) tells more than those tables.
// Withheld cells are left out of the result (never listed with a null): a client cannot tell a
// withheld value from one nobody mentioned.

export const DIMENSIONS = ['CATEGORY', 'MOOD', 'STRATEGY', 'ANSWER_TYPE', 'LANGUAGE', 'WEEK', 'COLLECTIVE_TYPE', 'MOOD_TREND'] as const;
export type Dimension = (typeof DIMENSIONS)[number];

export interface Cell {
  value: string;
  /** Distinct conversations counted in the cell. */
  conversations: number;
  /** Distinct teenagers (conversation authors) behind those conversations. */
  contributors: number;
}

export interface PublishedCell {
  value: string;
  conversations: number;
}

export interface ProtectedAggregates {
  /** The grand total of conversations, or null when fewer than k teenagers contribute at all. */
  conversations: number | null;
  dimensions: Record<Dimension, PublishedCell[]>;
  /**
   * Group cells withheld below k (primary) and to protect them (complementary), and groups left out
   * for having fewer than k contributors. For tests and logs only.
   */
  withheld: { primary: number; complementary: number; groups: number };
}

const byFewestContributors = (a: Cell, b: Cell) =>
  a.contributors - b.contributors || a.conversations - b.conversations || (a.value < b.value ? -1 : a.value > b.value ? 1 : 0);

/** The published cells of one dimension, the values withheld, and how many were withheld and why. */
export function protectDimension(cells: readonly Cell[], k: number) {
  const withheld = new Set(cells.filter((c) => c.contributors < k));
  const primary = withheld.size;
  if (primary > 0 && ![...withheld].some((c) => c.contributors >= k)) {
    const complement = cells.filter((c) => !withheld.has(c)).sort(byFewestContributors)[0];
    if (complement) withheld.add(complement);
  }
  const published = cells.filter((c) => !withheld.has(c)).map((c) => ({ value: c.value, conversations: c.conversations }));
  return { published, withheldValues: new Set([...withheld].map((c) => c.value)), primary, complementary: withheld.size - primary };
}

/** One group's table: its total and every non-empty cell of every dimension. */
export interface GroupTable {
  total: Cell;
  cells: ReadonlyMap<Dimension, readonly Cell[]>;
}

/**
 * Applies the rules above to a view made of `groups` (one group: a single table, as the platform
 * view). k is at least 3 (config refuses less); a smaller value here is a programming error.
 */
export function protectAggregates(groups: readonly GroupTable[], k: number): ProtectedAggregates {
  if (!Number.isInteger(k) || k < 3) throw new Error(`k must be an integer of at least 3, got ${k}`);
  const dimensions = Object.fromEntries(DIMENSIONS.map((d) => [d, []])) as unknown as Record<Dimension, PublishedCell[]>;
  const withheld = { primary: 0, complementary: 0, groups: 0 };
  const kept = groups.filter((g) => g.total.contributors >= k);
  withheld.groups = groups.length - kept.length;
  if (kept.length === 0) return { conversations: null, dimensions, withheld };
  for (const dimension of DIMENSIONS) {
    const sums = new Map<string, number>();
    const blocked = new Set<string>();
    for (const group of kept) {
      const result = protectDimension(group.cells.get(dimension) ?? [], k);
      withheld.primary += result.primary;
      withheld.complementary += result.complementary;
      for (const value of result.withheldValues) blocked.add(value);
      for (const cell of result.published) sums.set(cell.value, (sums.get(cell.value) ?? 0) + cell.conversations);
    }
    dimensions[dimension] = [...sums]
      .filter(([value]) => !blocked.has(value))
      .map(([value, conversations]) => ({ value, conversations }))
      .sort((a, b) => (a.value < b.value ? -1 : a.value > b.value ? 1 : 0));
  }
  return { conversations: kept.reduce((n, g) => n + g.total.conversations, 0), dimensions, withheld };
}
