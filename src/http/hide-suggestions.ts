// Production hides what the schema looks like: graphql-js appends "Did you mean ...?" to
// validation and variable errors (field, argument, type and enum value names). GraphQL Armor's
// block-field-suggestions matches only `Did you mean "x"?`, not `Did you mean the enum value
// "MOCK_IDP"?` nor variable coercion errors, which come from execution, not validation.
import type { Plugin } from 'graphql-yoga';

const SUGGESTION = /\s*Did you mean [^?]*\?/g;

/** Drops the suggestions from the message, in place (as Armor does): code, locations and path stay. */
export function withoutSuggestions<E extends Error>(error: E): E {
  error.message = error.message.replace(SUGGESTION, '').trim();
  return error;
}

export function useHiddenSuggestions(): Plugin {
  return {
    onValidate: () => ({ valid, result, setResult }) => {
      if (!valid) setResult(result.map(withoutSuggestions));
    },
    onExecute: () => ({
      onExecuteDone({ result, setResult }) {
        // Variable coercion fails before execution starts: a single result, never a stream.
        if (!(Symbol.asyncIterator in result) && result.errors?.length) setResult({ ...result, errors: result.errors.map(withoutSuggestions) });
      },
    }),
  };
}
