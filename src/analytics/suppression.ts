// Statistical disclosure control for the analytics aggregates: which counts may be published.
//
// The aggregates are one-way tables: for each dimension (category, mood, ...) the number of
// conversations per value, plus the grand total. A cell's contributors are the distinct teenagers
// (conversation authors) behind it. The rules, applied to every view:
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
  /** Cells withheld: below k (primary) and to protect them (complementary). For tests and logs only. */
  withheld: { primary: number; complementary: number };
}

const byFewestContributors = (a: Cell, b: Cell) =>
  a.contributors - b.contributors || a.conversations - b.conversations || (a.value < b.value ? -1 : a.value > b.value ? 1 : 0);

/** The published cells of one dimension, and how many were withheld and why. */
export function protectDimension(cells: readonly Cell[], k: number) {
  const withheld = new Set(cells.filter((c) => c.contributors < k));
  const primary = withheld.size;
  if (primary > 0 && ![...withheld].some((c) => c.contributors >= k)) {
    const complement = cells.filter((c) => !withheld.has(c)).sort(byFewestContributors)[0];
    if (complement) withheld.add(complement);
  }
  const published = cells.filter((c) => !withheld.has(c)).map((c) => ({ value: c.value, conversations: c.conversations }));
  return { published, primary, complementary: withheld.size - primary };
}

/**
 * Applies the rules above. `total` is the grand total; `cells` holds every non-empty cell of every
 * dimension. k is at least 3 (config refuses less); a smaller value here is a programming error.
 */
export function protectAggregates(total: Cell, cells: ReadonlyMap<Dimension, readonly Cell[]>, k: number): ProtectedAggregates {
  if (!Number.isInteger(k) || k < 3) throw new Error(`k must be an integer of at least 3, got ${k}`);
  const empty = Object.fromEntries(DIMENSIONS.map((d) => [d, []])) as unknown as Record<Dimension, PublishedCell[]>;
  const all = [...cells.values()].reduce((n, list) => n + list.length, 0);
  if (total.contributors < k) return { conversations: null, dimensions: empty, withheld: { primary: all + 1, complementary: 0 } };
  const dimensions = { ...empty };
  const withheld = { primary: 0, complementary: 0 };
  for (const dimension of DIMENSIONS) {
    const result = protectDimension(cells.get(dimension) ?? [], k);
    dimensions[dimension] = result.published;
    withheld.primary += result.primary;
    withheld.complementary += result.complementary;
  }
  return { conversations: total.conversations, dimensions, withheld };
}
