// Relay global IDs in mutation inputs, decoded by zod: a malformed ID, an ID of another type or
// one that cannot name a row is BAD_USER_INPUT (input.<field>), never an internal error. The
// check is syntactic, so it reveals nothing about which objects exist.
// (Pothos's `t.globalID({ for })` decodes before the resolver and its PothosValidationError has no
// extensions.code: yoga masks it as INTERNAL_SERVER_ERROR.)
import { z } from 'zod';
import { decodeGlobalID, encodeGlobalID } from '@pothos/plugin-relay';
import { isUuid } from '../../visibility.ts';

/** A global ID of `typename` whose raw id is a UUID; parses to the raw id. */
export const globalId = (typename: string) =>
  z.string().transform((value, ctx) => {
    let decoded: { typename: string; id: string } | null = null;
    try {
      decoded = decodeGlobalID(value);
    } catch {
      decoded = null;
    }
    if (!decoded || decoded.typename !== typename || !isUuid(decoded.id)) {
      ctx.addIssue({ code: 'custom', message: `must be the ID of a ${typename}` });
      return z.NEVER;
    }
    return decoded.id.toLowerCase();
  });

export const toGlobalId = (typename: string, id: string) => encodeGlobalID(typename, id);
