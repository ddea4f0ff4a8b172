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

/**
 * The length bound of a String or ID argument or input field (each item of a list), in
 * characters (Unicode code points), when it declares `maxLength`; otherwise none.
 */
export function maxLengthOf(def: GraphQLArgument | GraphQLInputField | undefined): number | undefined {
  const declared = def?.extensions?.maxLength;
  return typeof declared === 'number' ? declared : undefined;
}

/**
 * `{ extensions: { maxItems, maxLength } }` and the sentence saying it, for a list argument's
 * options. `itemMaxLength` bounds each String item, e.g. to its column's length: a lookup key
 * of megabytes would otherwise reach the database as a parameter.
 */
export const listBound = (maxItems: number = INPUT_BOUNDS.maxListItems, itemMaxLength?: number) => ({
  extensions: itemMaxLength === undefined ? { maxItems } : { maxItems, maxLength: itemMaxLength },
  description: itemMaxLength === undefined ? `At most ${maxItems} items.` : `At most ${maxItems} items, each at most ${itemMaxLength} characters.`,
});
