// Who may see an object of each type, in one registry per type. Lookups by id use it to answer
// NOT_FOUND for hidden and missing objects alike; object types use it as their type-level auth
// check, so an edge that reaches a hidden object yields FORBIDDEN instead of leaking it.
import type { Context } from './context.ts';

type Rule = (row: never, ctx: Context) => boolean | Promise<boolean>;
/** Whether a raw id could name an object of the type; checked before any database work. */
type KeyCheck = (id: string, ctx: Context) => boolean;
const rules = new Map<string, Rule>();
const keyChecks = new Map<string, KeyCheck>();

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
/** The raw ids of our Prisma models are UUIDs (any case). */
export const isUuid = (id: string) => UUID.test(id);

/** Registers who may see objects of `typename`; their raw ids are UUIDs unless `key` says otherwise. */
export function visibleTo<Row>(typename: string, rule: (row: Row, ctx: Context) => boolean | Promise<boolean>, options: { key?: KeyCheck } = {}) {
  rules.set(typename, rule as Rule);
  keyChecks.set(typename, options.key ?? ((id: string) => isUuid(id)));
  return (row: Row, ctx: Context) => rule(row, ctx);
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
