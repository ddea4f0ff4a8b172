// Who may see an object of each type, in one registry per type. Lookups by id use it to answer
// NOT_FOUND for hidden and missing objects alike; object types use it as their type-level auth
// check, so an edge that reaches a hidden object yields FORBIDDEN instead of leaking it.
import type { Context } from './context.ts';

type Rule = (row: never, ctx: Context) => boolean | Promise<boolean>;

/** Adds a value to a statement's parameters and returns its placeholder (`$n`). */
export type SqlParam = (value: unknown) => string;
/**
 * The SQL form of a rule, for the fast read path (src/read-path): a boolean expression over the
 * row aliased `alias` (its columns by their database names) that holds exactly when the JS form
 * would answer true for this viewer. What the viewer alone decides folds to the literals TRUE or
 * FALSE, so a statement that could only be refused is never sent.
 */
export type SqlRule = (ctx: Context, alias: string, param: SqlParam) => string;

/** OR of SQL conditions, folding the literals TRUE and FALSE. */
export function sqlOr(...conditions: string[]) {
  if (conditions.includes('TRUE')) return 'TRUE';
  const rest = [...new Set(conditions.filter((c) => c !== 'FALSE'))];
  return rest.length === 0 ? 'FALSE' : rest.length === 1 ? rest[0] : `(${rest.join(' OR ')})`;
}

/** AND of SQL conditions, folding the literals TRUE and FALSE. */
export function sqlAnd(...conditions: string[]) {
  if (conditions.includes('FALSE')) return 'FALSE';
  const rest = [...new Set(conditions.filter((c) => c !== 'TRUE'))];
  return rest.length === 0 ? 'TRUE' : rest.length === 1 ? rest[0] : `(${rest.join(' AND ')})`;
}
/** Whether a raw id could name an object of the type; checked before any database work. */
type KeyCheck = (id: string, ctx: Context) => boolean;
const rules = new Map<string, Rule>();
const keyChecks = new Map<string, KeyCheck>();
const standIns = new Map<string, (id: string) => unknown>();
const sqlRules = new Map<string, SqlRule>();

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
/** The raw ids of our Prisma models are UUIDs (any case). */
export const isUuid = (id: string) => UUID.test(id);

/**
 * Registers who may see objects of `typename`; their raw ids are UUIDs unless `key` says otherwise.
 * `missing`: for a rule that reads the database (through loaders), the row it is evaluated on when
 * the looked-up row is missing, built from the requested key; see probeMissing.
 * `sql`: the same rule as SQL (SqlRule), written beside it; only types with one can be read by the
 * fast read path.
 */
export function visibleTo<Row>(
  typename: string,
  rule: (row: Row, ctx: Context) => boolean | Promise<boolean>,
  options: { key?: KeyCheck; missing?: (id: string) => Row; sql?: SqlRule } = {},
) {
  if (options.sql) sqlRules.set(typename, options.sql);
  rules.set(typename, rule as Rule);
  keyChecks.set(typename, options.key ?? ((id: string) => isUuid(id)));
  if (options.missing) standIns.set(typename, options.missing);
  return (row: Row, ctx: Context) => rule(row, ctx);
}

/** The SQL form of `typename`'s rule over the row aliased `alias`; FALSE (deny) for a type without one. */
export function visibleSql(typename: string, ctx: Context, alias: string, param: SqlParam) {
  return sqlRules.get(typename)?.(ctx, alias, param) ?? 'FALSE';
}

/** Whether `typename` is a type served by id and `id` is a well-formed key of it (a syntactic check). */
export function isServableId(typename: string, id: string, ctx: Context) {
  const check = keyChecks.get(typename);
  return !!check && check(id, ctx);
}

export async function isVisible(typename: string, row: unknown, ctx: Context) {
  const rule = rules.get(typename);
  // Deny by default: a node type without a rule is never served by id.
  return !!rule && !!row && (await rule(row as never, ctx));
}

/**
 * For a lookup whose row is missing: runs the type's rule on a stand-in row (the answer is
 * dropped), so the lookup sends the statements a hidden row's would. A missing and a hidden row
 * then cost the same round trips, and their timing does not tell which ids exist.
 */
export async function probeMissing(typename: string, id: string, ctx: Context) {
  const standIn = standIns.get(typename);
  if (!standIn) return;
  try {
    await rules.get(typename)!(standIn(id) as never, ctx);
  } catch {
    // The answer is NOT_FOUND whatever the probe met.
  }
}
