// The input rules (src/input/rules.ts) as a yoga plugin: checked once the document is valid and
// before the context is built, so a refused input costs no database work at all (not even the
// session lookup).
import type { Plugin } from 'graphql-yoga';
import type { GraphQLError } from 'graphql';
import { checkOperationInputs, normalizeStringLiterals } from './rules.ts';

interface ParamsContext {
  params?: { operationName?: string | null; variables?: unknown };
}

export function useInputRules(): Plugin<ParamsContext> {
  return {
    onValidate({ params: { schema, documentAST }, context }) {
      return ({ valid }) => {
        if (!valid) return;
        const errors = checkOperationInputs(schema, documentAST, context.params?.operationName, context.params?.variables);
        if (!errors.length) return;
        // Thrown rather than set as the validation result: yoga caches validation results per
        // document, and these depend on the variables. yoga answers a thrown GraphQLError (or an
        // AggregateError of them) as it is.
        throw errors.length === 1 ? errors[0] : new AggregateError(errors as GraphQLError[], 'invalid input');
      };
    },
    onExecute({ args }) {
      args.document = normalizeStringLiterals(args.schema, args.document);
    },
  };
}
