// Whole operations on the fast read path: a query whose only root selection is a fast root field
// (`users`, `me`) is answered without per-field execution. The root field's own resolver still
// runs, with its declared scope and the complexity limit (Pothos wraps it), after parse,
// validation and every earlier plugin; when it returns the fast result, the response is
// PostgreSQL's JSON text as it is (no parse, no walk, no re-serialization). Anything else
// (another root field, a directive, a refused scope, a hidden object, an error) runs the ordinary
// execution, which answers exactly as it would have: the probe leaves no state but the memo that
// spares a second statement.
import { getArgumentValues, getOperationAST, Kind, type ExecutionArgs, type ExecutionResult, type FieldNode, type GraphQLResolveInfo } from 'graphql';
import type { Plugin } from 'graphql-yoga';
// yoga's executor: its variable coercion, so the whole operation reads the variables the ordinary
// execution would (graphql-js's own differs: a variable named `__proto__` is kept there, dropped here).
import { getVariableValues } from '@graphql-tools/executor';
import type { Context } from '../context.ts';
import { compileRead, Unsupported, type FastRoot } from './compile.ts';
import { FastText, readPathState } from './index.ts';

const ROOTS: readonly FastRoot[] = ['users', 'me'];

/** The one root field of a query operation, when it is a fast root field without directives. */
function soleFastField(args: ExecutionArgs): { operation: NonNullable<ReturnType<typeof getOperationAST>>; node: FieldNode; root: FastRoot } | undefined {
  const operation = getOperationAST(args.document, args.operationName);
  if (!operation || operation.operation !== 'query' || operation.directives?.length) return undefined;
  const selections = operation.selectionSet.selections;
  if (selections.length !== 1) return undefined;
  const node = selections[0];
  if (node.kind !== Kind.FIELD || node.directives?.length) return undefined;
  const root = ROOTS.find((r) => r === node.name.value);
  return root ? { operation, node, root } : undefined;
}

/** The execution result of a whole-operation read: `{"data":{key:<text>}}`, written by yoga through `stringify`. */
function textResult(key: string, text: FastText): ExecutionResult {
  const json = `{"data":{${JSON.stringify(key)}:${text.json}}}`;
  let data: ExecutionResult['data'];
  const result: ExecutionResult & { stringify(value: unknown): string } = {
    // Plugins that read or copy the result get the parsed data (yoga's own writer never asks).
    get data() {
      return (data ??= (JSON.parse(json) as { data: ExecutionResult['data'] }).data);
    },
    // yoga writes a result with `result.stringify` when it has one; a copy with added
    // extensions or errors is written as usual.
    stringify: (value) => (value === result ? json : JSON.stringify(value)),
  };
  return result;
}

/**
 * Runs the root field's resolver for the whole operation; its value when that is a FastText,
 * undefined when the ordinary execution must answer.
 */
async function tryWhole(args: ExecutionArgs, sole: NonNullable<ReturnType<typeof soleFastField>>): Promise<ExecutionResult | undefined> {
  const ctx = args.contextValue as Context;
  if (!ctx?.config?.fastReadPath) return undefined;
  const { operation, node, root } = sole;
  const schema = args.schema;
  const queryType = schema.getQueryType();
  const field = queryType?.getFields()[root];
  if (!queryType || !field?.resolve) return undefined;
  // As yoga's executor coerces them (and with its error bound): refused ones are its to report.
  const coercion = getVariableValues(schema, operation.variableDefinitions ?? [], args.variableValues ?? {}, { maxErrors: 50 });
  if (coercion.errors) return undefined;
  const variables = coercion.variableValues.coerced;
  const key = node.alias?.value ?? node.name.value;
  const info: GraphQLResolveInfo = {
    fieldName: root,
    fieldNodes: [node],
    returnType: field.type,
    parentType: queryType,
    path: { prev: undefined, key, typename: queryType.name },
    schema,
    fragments: Object.fromEntries(args.document.definitions.flatMap((d) => (d.kind === Kind.FRAGMENT_DEFINITION ? [[d.name.value, d]] : []))),
    rootValue: args.rootValue,
    operation,
    variableValues: variables,
  };
  // Not compilable (a field, argument, fragment or viewer it does not know): the ordinary
  // execution, whose resolver counts the reason; nothing ran yet.
  let statement;
  try {
    statement = compileRead(root, ctx, info);
  } catch (err) {
    if (err instanceof Unsupported) return undefined;
    throw err;
  }
  // readFast runs this statement rather than compiling the same selection again.
  const state = readPathState(ctx);
  state.whole = { node, statement };
  let value: unknown;
  try {
    value = await field.resolve(args.rootValue, getArgumentValues(field, node, variables), ctx, info);
  } catch {
    // A refused scope, the complexity limit, a hidden object (NotFast), a database error: the
    // ordinary execution raises (or answers) it in its own words.
    return undefined;
  } finally {
    state.whole = undefined;
  }
  if (!(value instanceof FastText)) return undefined;
  ctx.onReadPath?.(root, 'operation');
  return textResult(key, value);
}

/**
 * The envelop plugin. FIRST in the plugin list: envelop hands each plugin's onExecute the execute
 * function the earlier ones set, so the first one set is the innermost; every other plugin's
 * wrapper (the tracing context, the request scope) then runs around the whole-operation read as
 * around an ordinary execution. The operation is read from the arguments the execution receives,
 * after the other plugins' onExecute (the input rules' NFC normalization, the database routing).
 */
export function useFastOperations(): Plugin {
  return {
    onExecute({ executeFn, setExecuteFn }) {
      setExecuteFn((args: ExecutionArgs) => {
        const sole = soleFastField(args);
        return sole ? tryWhole(args, sole).then((whole) => whole ?? executeFn(args)) : executeFn(args);
      });
    },
  };
}
