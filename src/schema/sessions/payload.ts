// Payload fields shared by mutations that may change the caller's session scope.
import { builder } from '../../builder.ts';
import { noRow } from '../no-row.ts';
import type { ObjectRef } from '@pothos/core';
import type { Context } from '../../context.ts';

/** `session`: the caller's session as it is after the mutation (null when it was ended). */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export function sessionField<T extends { sessionId: string | null }>(ref: ObjectRef<any, T>) {
  builder.objectField(ref, 'session', (t) =>
    t.prismaField({
      type: 'AppSession',
      nullable: true,
      description: "The caller's session after this mutation, with its scope.",
      resolve: (query, p, _a, ctx: Context) => (p.sessionId ? ctx.prisma.appSession.findUnique({ ...query, where: { id: p.sessionId } }) : noRow(query)),
    }),
  );
}
