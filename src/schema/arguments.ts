// What a field's arguments become before a resolver uses them: zod-validated, global IDs checked
// for their type. (Split from the former mutation-helpers.ts; the caller's facts are in
// auth/caller.ts, transactions in db/transaction.ts.)
import { z } from 'zod';
import { fromZod } from '../errors.ts';

/**
 * A global ID input (`t.globalID`) as Pothos decodes it, of this type and naming a UUID row.
 * Decoding already refused malformed ids; this refuses ids of another type or shape.
 */
export const decodedGlobalId = <T extends string>(typename: T) => z.object({ typename: z.literal(typename), id: z.string().uuid() });

/** Validates an argument with zod; BAD_USER_INPUT names each issue from `argument` (null: top-level arguments). */
export function parseInput<S extends z.ZodType>(schema: S, input: unknown, argument: string | null = 'input'): z.output<S> {
  const parsed = schema.safeParse(input);
  if (!parsed.success) throw fromZod(parsed.error, argument);
  return parsed.data;
}
