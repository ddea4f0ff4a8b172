// The fast read path for hot trees: `users -> conversations -> chatSessions` (operators) and
// `me -> conversations -> chatSessions` (signed-in users). The root field's resolver (after its
// own scope and the operation's limits ran) asks readFast; when the selection, arguments and
// viewer are all known (compile.ts), ONE SQL statement returns the selected subtree as JSON, and
// the fields below read its properties (installFastFields) instead of running their resolvers
// and per-object checks: the statement applied the same rules in their SQL forms. Anything
// else, or any object a rule would hide, is answered by the ordinary path (the fallback counter
// says why). FAST_READ_PATH=off turns it off.
import { defaultFieldResolver, type FieldNode, type GraphQLFieldResolver, type GraphQLObjectType, type GraphQLResolveInfo, type GraphQLSchema } from 'graphql';
import type { Context } from '../context.ts';
import { compileRead, FAST_TYPES, MARK, Unsupported, type FallbackReason, type FastRoot } from './compile.ts';

export { compileRead, MARK, type FastRoot } from './compile.ts';

/** Outcome of one root field: answered fast, or the reason it fell back. */
export type ReadPathOutcome = 'fast' | FallbackReason;

/** Whether every object of a fast result passed its rules (MARK true). */
function allVisible(value: unknown): boolean {
  if (value === null || typeof value !== 'object') return true;
  if (Array.isArray(value)) return value.every(allVisible);
  const object = value as Record<string, unknown>;
  if (object[MARK] !== true) return false;
  for (const key in object) if (!allVisible(object[key])) return false;
  return true;
}

/**
 * The value of root field `root` from one SQL statement, or undefined when the ordinary path must
 * answer (switched off, unsupported selection or viewer, or a hidden object in the tree).
 * When operation.ts answers the whole operation (`wholeOperation` holds this field), the value is
 * the subtree's JSON text instead (a FastText), and a hidden object throws NotFast so the
 * resolver does not go on to the ordinary reads. Whatever the whole-operation statement gave (its
 * JSON, or its error) is kept for the request: the ordinary execution that follows reads it
 * there, and the statement never runs twice (a failing or timing-out one would otherwise cost
 * the database twice, and a hidden tree would be read again).
 */
export async function readFast(root: FastRoot, ctx: Context, info: GraphQLResolveInfo): Promise<unknown> {
  const outcome = (o: ReadPathOutcome) => ctx.onReadPath?.(root, o);
  if (!ctx.config.fastReadPath) return outcome('off');
  const node = info.fieldNodes[0];
  const probe = wholeOperation.get(ctx);
  const whole = probe?.node === node;
  const before = settled.get(ctx);
  if (before?.node === node && !whole) {
    // The same field, same variables: the statement already ran for this request.
    if ('error' in before) throw before.error;
    const result = before.text === null ? null : JSON.parse(before.text);
    if (!allVisible(result)) return outcome('hidden');
    // Counted as fast when the whole operation read it.
    if (!before.counted) outcome('fast');
    return result;
  }
  let statement = whole ? probe.statement : undefined;
  try {
    statement ??= compileRead(root, ctx, info);
  } catch (err) {
    if (err instanceof Unsupported) return outcome(err.reason);
    throw err;
  }
  // As text for a whole operation: PostgreSQL's JSON goes into the response as it is.
  const sql = whole ? `SELECT result::text AS result FROM (${statement.sql}) fast` : statement.sql;
  // On the operation's server: a replica for a query outside the viewer's read-your-writes window.
  let row;
  try {
    [row] = await ctx.db.queryOn<{ result: unknown }>(ctx.prisma, sql, statement.params);
  } catch (error) {
    if (whole) settled.set(ctx, { node, error });
    throw error;
  }
  const result = row ? row.result : null;
  if (whole) {
    const text = result as string | null;
    const json = text === null ? 'null' : withoutMarks(text);
    settled.set(ctx, { node, text, counted: json !== undefined });
    if (json === undefined) throw new NotFast();
    outcome('fast');
    return new FastText(json);
  }
  if (!allVisible(result)) return outcome('hidden');
  outcome('fast');
  return result;
}

/** The field node a whole-operation read is answering and its compiled statement, per request (set by operation.ts). */
export const wholeOperation = new WeakMap<Context, { node: FieldNode; statement: { sql: string; params: unknown[] } }>();
/**
 * The whole-operation statement of a request, once it ran: its JSON text (with MARKs; null: no
 * row) and whether it was counted fast, or the error it failed with.
 */
const settled = new WeakMap<Context, { node: FieldNode; text: string | null; counted: boolean } | { node: FieldNode; error: unknown }>();

/** A fast result as JSON text, without MARK keys: the field's value exactly as the response writes it. */
export class FastText {
  constructor(readonly json: string) {}
}
/** Thrown from readFast for a whole operation whose tree holds a hidden object. */
export class NotFast extends Error {
  constructor() {
    super('fast read path: a hidden object; the ordinary execution answers');
  }
}

// PostgreSQL writes json_build_object as `{"k" : v, ...}` and chr(1) as \u0001; MARK is always an
// object's first key (compile.ts). Inside a JSON string a quote is escaped, so `{"\u0001" : `
// with both quotes bare can only be that key (a string value is never followed by ` : `).
const MARKS = /\{"\\u0001" : ([a-z]+)(?:, )?/g;

/**
 * A fast statement's JSON text (PostgreSQL's json output) without its MARK keys, in one pass, or
 * undefined when an object in it is hidden (a MARK not true: false, or null from a rule over a
 * null column).
 */
export function withoutMarks(text: string): string | undefined {
  let hidden = false;
  const json = text.replace(MARKS, (_, mark: string) => {
    if (mark !== 'true') hidden = true;
    return '{';
  });
  return hidden ? undefined : json;
}

/**
 * Makes the fields of the fast path's types read a fast result's properties (by response key)
 * when their parent is one (it carries MARK), before any of their own resolvers or checks run.
 * Called once on the built schema; other parents resolve as before.
 */
export function installFastFields(schema: GraphQLSchema) {
  for (const name of FAST_TYPES) {
    const type = schema.getType(name) as GraphQLObjectType | undefined;
    if (!type) throw new Error(`fast read path: no type ${name} in the schema`);
    for (const field of Object.values(type.getFields())) {
      const resolve: GraphQLFieldResolver<unknown, Context> = field.resolve ?? defaultFieldResolver;
      field.resolve = (parent, args, ctx, info) =>
        (parent as Record<string, unknown>)[MARK] === true ? (parent as Record<string, unknown>)[info.path.key as string] : resolve(parent, args, ctx, info);
    }
    const isTypeOf = type.isTypeOf;
    if (isTypeOf) type.isTypeOf = (value, ctx, info) => (value as Record<string, unknown>)?.[MARK] === true || isTypeOf(value, ctx, info);
  }
}
