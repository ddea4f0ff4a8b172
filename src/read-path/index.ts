// The fast read path for hot trees: `users -> conversations -> chatSessions` (operators) and
// `me -> conversations -> chatSessions` (signed-in users). The root field's resolver (after its
// own scope and the operation's limits ran) asks readFast; when the selection, arguments and
// viewer are all known (compile.ts), ONE SQL statement returns the selected rows, Node writes
// the subtree's objects from them, and the fields below read their properties
// (installFastFields) instead of running their resolvers and per-object checks: the statement
// applied the same rules in their SQL forms. Anything
// else, or any object a rule would hide, is answered by the ordinary path (the fallback counter
// says why). FAST_READ_PATH=off turns it off.
import { defaultFieldResolver, type FieldNode, type GraphQLFieldResolver, type GraphQLObjectType, type GraphQLResolveInfo, type GraphQLSchema } from 'graphql';
import { requestCache, type Context } from '../context.ts';
import { compileRead, FAST_TYPES, Hidden, MARK, Unsupported, type FallbackReason, type FastObject, type FastRoot } from './compile.ts';

export { compileRead, FAST_SQL_TAG, MARK, type FastRoot } from './compile.ts';

/** Outcome of one root field: answered fast, or the reason it fell back. */
export type ReadPathOutcome = 'fast' | FallbackReason;

type Compiled = ReturnType<typeof compileRead>;

/**
 * The value of root field `root` from one SQL statement, or undefined when the ordinary path must
 * answer (switched off, unsupported selection or viewer, a hidden object in the tree, or a stored value it cannot write).
 * When operation.ts answers the whole operation (`readPathState(ctx).whole` holds this field), the value is
 * the subtree's JSON text instead (a FastText), and a hidden object throws NotFast so the
 * resolver does not go on to the ordinary reads. Whatever the whole-operation statement gave (its
 * value, or its error) is kept for the request: the ordinary execution that follows reads it
 * there, and the statement never runs twice (a failing or timing-out one would otherwise cost
 * the database twice, and a hidden tree would be read again).
 */
export async function readFast(root: FastRoot, ctx: Context, info: GraphQLResolveInfo): Promise<unknown> {
  const outcome = (o: ReadPathOutcome) => ctx.onReadPath?.(root, o);
  if (!ctx.config.fastReadPath) return outcome('off');
  const node = info.fieldNodes[0];
  const state = readPathState(ctx);
  const probe = state.whole;
  const whole = probe?.node === node;
  const before = state.settled;
  if (before?.node === node && !whole) {
    // The same field, same variables: the statement already ran for this request.
    if ('error' in before) throw before.error;
    const value = settle(() => before.statement.read(before.result));
    if (value instanceof Hidden) return outcome(value.reason);
    // Counted as fast when the whole operation read it.
    if (!before.counted) outcome('fast');
    return value;
  }
  let statement: Compiled | undefined = whole ? probe.statement : undefined;
  try {
    statement ??= compileRead(root, ctx, info);
  } catch (err) {
    if (err instanceof Unsupported) return outcome(err.reason);
    throw err;
  }
  // On the operation's server: a replica for a query outside the viewer's read-your-writes window.
  let row;
  try {
    [row] = await ctx.db.queryOn<{ result: unknown }>(ctx.prisma, statement.sql, statement.params);
  } catch (error) {
    if (whole) state.settled = { node, error };
    throw error;
  }
  const result = row ? row.result : null;
  if (whole) {
    // The response's text straight from the rows: no objects built.
    const text = settle(() => statement.write(result));
    state.settled = { node, statement, result, counted: !(text instanceof Hidden) };
    if (text instanceof Hidden) throw new NotFast();
    outcome('fast');
    return new FastText(text);
  }
  const value = settle(() => statement.read(result));
  if (value instanceof Hidden) return outcome(value.reason);
  outcome('fast');
  return value;
}

/** fn's value, or the Hidden it threw (an object in the tree is hidden, or a value it cannot write). */
function settle<T>(fn: () => T): T | Hidden {
  try {
    return fn();
  } catch (err) {
    if (err instanceof Hidden) return err;
    throw err;
  }
}

/**
 * Per request (requestCache, dropped with the request's other state: context.ts,
 * releaseRequestState). `whole`: the field node a whole-operation read is answering and its
 * compiled statement (set by operation.ts while its resolver runs). `settled`: the whole-operation
 * statement once it ran: the statement and its result, and whether it was counted fast, or the
 * error it failed with.
 */
export const readPathState = requestCache(
  (): {
    whole?: { node: FieldNode; statement: Compiled };
    settled?: { node: FieldNode; statement: Compiled; result: unknown; counted: boolean } | { node: FieldNode; error: unknown };
  } => ({}),
);

/** A fast result as JSON text: the field's value exactly as the response writes it. */
export class FastText {
  constructor(readonly json: string) {}
}
/** Thrown from readFast for a whole operation whose tree holds a hidden object. */
export class NotFast extends Error {
  constructor() {
    super('fast read path: a hidden object; the ordinary execution answers');
  }
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
        (parent as FastObject)?.[MARK] === true ? (parent as Record<string, unknown>)[info.path.key as string] : resolve(parent, args, ctx, info);
    }
    const isTypeOf = type.isTypeOf;
    if (isTypeOf) type.isTypeOf = (value, ctx, info) => (value as FastObject)?.[MARK] === true || isTypeOf(value, ctx, info);
  }
}
