// node(id:) and nodes(ids:), the Relay refetch fields. Every id answers on its own: a hidden
// object, a missing row, a key that cannot name a row and a type that is not served by id all
// answer NOT_FOUND alike (existence never leaks); an id that is not a global ID at all is
// BAD_USER_INPUT. In nodes(ids:) each such answer is that item's error, at ["nodes", i].
import { decodeGlobalID, resolveNodes } from '@pothos/plugin-relay';
import type { GraphQLResolveInfo } from 'graphql';
import { builder } from '../../builder.ts';
import type { Context } from '../../context.ts';
import { badInput, notFound } from '../../errors.ts';
import { isServableId, isVisible, probeMissing } from '../../visibility.ts';
import { listBound } from '../../input/bounds.ts';

type GlobalId = { typename: string; id: string };

function decode(raw: string): GlobalId | Error {
  try {
    return decodeGlobalID(raw);
  } catch {
    return badInput('Not a global ID', { argument: 'id' });
  }
}

/** Prisma's findUniqueOrThrow, which the Prisma plugin loads nodes with, for a row that is gone. */
const isRecordNotFound = (err: unknown) => typeof err === 'object' && err !== null && (err as { code?: unknown }).code === 'P2025';

/** One answer per raw id, in order: the object, or the Error that is that id's answer. */
async function lookup(rawIds: readonly string[], ctx: Context, info: GraphQLResolveInfo): Promise<unknown[]> {
  const decoded = rawIds.map(decode);
  // Only well-formed ids of servable types reach a loader: no query for the rest.
  const servable = decoded.map((d) => (d instanceof Error || !isServableId(d.typename, d.id, ctx) ? null : d));
  // One call per id, all in the same tick: Prisma batches the lookups of a model into one
  // statement, and one id's failure stays its own (resolveNodes rejects for all of its ids).
  return Promise.all(
    servable.map(async (id, i) => {
      const d = decoded[i];
      if (d instanceof Error) return d;
      if (!id) return notFound();
      try {
        const [node] = await resolveNodes(builder, ctx, info, [id]);
        return node && (await isVisible(d.typename, node, ctx)) ? node : notFound();
      } catch (err) {
        // Any other failure stays that item's (masked) error; the other items still answer.
        if (!isRecordNotFound(err)) return err as Error;
        await probeMissing(d.typename, d.id, ctx);
        return notFound();
      }
    }),
  );
}

const answer = (value: unknown) => {
  if (value instanceof Error) throw value;
  return value;
};

builder.queryFields((t) => ({
  node: t.field({
    // Any row by id, for signed-in callers and operator keys; its type's rule (visibility.ts) decides.
    authScopes: { authenticated: true },
    type: builder.nodeInterfaceRef(),
    nullable: true,
    description: 'The object with this global ID. NOT_FOUND when it is missing or hidden from you; BAD_USER_INPUT when the ID is not a global ID.',
    args: { id: t.arg.id({ required: true }) },
    resolve: async (_root, { id }, ctx, info) => answer((await lookup([String(id)], ctx, info))[0]) as never,
  }),
  nodes: t.field({
    authScopes: { authenticated: true },
    type: [builder.nodeInterfaceRef()],
    nullable: { list: false, items: true },
    description: `The objects with these global IDs, in order. An id that is missing or hidden from you is null with NOT_FOUND at ["nodes", i]; one that is not a global ID, null with BAD_USER_INPUT; the other items still answer.`,
    args: { ids: t.arg.idList({ required: true, ...listBound() }) },
    // A returned Error becomes that item's error.
    resolve: async (_root, { ids }, ctx, info) => (await lookup(ids.map(String), ctx, info)) as never,
  }),
}));
