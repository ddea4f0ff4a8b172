// Validation of a whole argument inside a resolver, for the rules that cannot sit on the input's
// fields (src/input/fields.ts): those that depend on the caller or the clock, or that must run
// after the caller's own checks. Global IDs are decoded by Pothos (`t.globalID({ for })`).
// (Split from the former mutation-helpers.ts; the caller's facts are in auth/caller.ts,
// transactions in db/transaction.ts.)
import { z } from 'zod';
import { fromZod } from '../errors.ts';

/** Validates an argument with zod; BAD_USER_INPUT names each issue from `argument` (null: top-level arguments). */
export function parseInput<S extends z.ZodType>(schema: S, input: unknown, argument: string | null = 'input'): z.output<S> {
  const parsed = schema.safeParse(input);
  if (!parsed.success) throw fromZod(parsed.error, argument);
  return parsed.data;
}
