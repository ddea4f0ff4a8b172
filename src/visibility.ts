// Who may see an object of each type, in one registry per type. Lookups by id use it to answer
// NOT_FOUND for hidden and missing objects alike; object types use it as their type-level auth
// check, so an edge that reaches a hidden object yields FORBIDDEN instead of leaking it.
import type { Context } from './context.ts';

type Rule = (row: never, ctx: Context) => boolean | Promise<boolean>;
const rules = new Map<string, Rule>();

export function visibleTo<Row>(typename: string, rule: (row: Row, ctx: Context) => boolean | Promise<boolean>) {
  rules.set(typename, rule as Rule);
  return (row: Row, ctx: Context) => rule(row, ctx);
}

export async function isVisible(typename: string, row: unknown, ctx: Context) {
  const rule = rules.get(typename);
  // Deny by default: a node type without a rule is never served by id.
  return !!rule && !!row && (await rule(row as never, ctx));
}
