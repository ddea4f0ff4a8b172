// The documented bounds of every input, checked before anything runs (src/input/rules.ts).
// A list argument or list input field may declare a smaller or larger bound with
// `extensions: { maxItems }`; every other list takes DEFAULT_MAX_LIST_ITEMS.
import type { GraphQLArgument, GraphQLInputField } from 'graphql';

export const INPUT_BOUNDS = Object.freeze({
  /** Items in any list argument or list input field, unless it declares `maxItems`. */
  maxListItems: 100,
  /** Nesting of a JSON input: `{"a":[1]}` is 2 deep, a scalar 0. */
  jsonMaxDepth: 20,
  /** A JSON input serialized (JSON.stringify), in UTF-8 bytes. */
  jsonMaxBytes: 64 * 1024,
});

/** The bound of a list argument or list input field. */
export function maxItemsOf(def: GraphQLArgument | GraphQLInputField | undefined): number {
  const declared = def?.extensions?.maxItems;
  return typeof declared === 'number' ? declared : INPUT_BOUNDS.maxListItems;
}

/** `{ extensions: { maxItems } }` and the sentence saying it, for an argument's options. */
export const listBound = (maxItems: number = INPUT_BOUNDS.maxListItems) => ({
  extensions: { maxItems },
  description: `At most ${maxItems} items.`,
});
