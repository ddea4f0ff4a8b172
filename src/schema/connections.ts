// Connection fields over Prisma models, paged by keyset (pagination.ts) rather than by the Prisma
// plugin's row cursors. A relation's page is planned into the parent's query, as
// `t.relatedConnection` does: the deep `me` tree stays one relationJoins statement.
import { queryFromInfo } from '@pothos/plugin-prisma';
import type { GraphQLResolveInfo } from 'graphql';
import { DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE } from '../builder.ts';
import type { Context } from '../context.ts';
import { cursorOf, orderByOf, pageRequest, pageTake, pageWhere, toConnection, type ConnectionArgs, type SortKey } from './pagination.ts';

const SIZES = { defaultSize: DEFAULT_PAGE_SIZE, maxSize: MAX_PAGE_SIZE };

export const PAGING_DESCRIPTION =
  `Pages of at most ${MAX_PAGE_SIZE} (default ${DEFAULT_PAGE_SIZE}) by keyset cursors (see PageInfo): a cursor keeps its place when its row is deleted; one that does not decode to this connection's sort keys is BAD_USER_INPUT.`;

type Row = Record<string, unknown>;
// The field builders' own types are generic over each model; these helpers only need the calls.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type AnyFieldBuilder = { connection: (...args: any[]) => any };

/** The columns a cursor reads, selected whatever the client asked of the node. */
const keySelect = (order: readonly SortKey[]) => Object.fromEntries(order.map((k) => [k.field, true]));

export interface RelationConnectionOptions<Args extends Record<string, unknown>> {
  /** The node type of the related model. */
  type: unknown;
  /** The order of the page, ending with a unique column (the id). */
  order: readonly SortKey[];
  /** The connection's own filter (Prisma `where` of the related model), from its arguments. */
  where?: (args: Args) => object;
  /** Adds totalCount: the rows the filter matches, counted in the same statement. */
  totalCount?: boolean;
  description?: string;
  authScopes?: unknown;
  args?: Record<string, unknown>;
}

/**
 * A connection over a relation of a Prisma object: `relation` read with the filter, the keyset
 * bounds and the page size, as part of the parent's query. A cursor that does not decode fails
 * the field (BAD_USER_INPUT), not the parent's query: the plan then reads no rows.
 */
export function relationConnection<Args extends Record<string, unknown>>(t: AnyFieldBuilder, relation: string, options: RelationConnectionOptions<Args>) {
  const { order, where, totalCount } = options;
  const orderBy = orderByOf(order);
  return t.connection(
    {
      type: options.type,
      description: [options.description, PAGING_DESCRIPTION].filter(Boolean).join(' '),
      ...(options.authScopes ? { authScopes: options.authScopes } : {}),
      ...(options.args ? { args: options.args } : {}),
      select: (args: Args & ConnectionArgs, _ctx: Context, nested: (query: object, path: string[]) => object, selected?: () => ReadonlySet<string>) => {
        const filter = where?.(args) ?? {};
        const fields = selected?.();
        const wantsCount = !!totalCount && (!fields || fields.has('totalCount'));
        const wantsRows = !fields || [...fields].some((f) => f !== 'totalCount' && f !== '__typename');
        let page: object;
        try {
          const request = pageRequest(args, order, SIZES);
          page = { where: pageWhere(request, order, filter), take: pageTake(request) };
        } catch {
          // The resolver reports the argument; planning an empty read keeps the parent's query whole.
          page = { where: filter, take: 0 };
        }
        return {
          ...(wantsRows ? { [relation]: nested({ select: keySelect(order), orderBy, ...page }, ['edges', 'node']) } : {}),
          ...(wantsCount ? { _count: { select: { [relation]: Object.keys(filter).length > 0 ? { where: filter } : true } } } : {}),
        };
      },
      resolve: (parent: Row, args: Args & ConnectionArgs) => {
        const request = pageRequest(args, order, SIZES);
        const rows = (parent[relation] as Row[] | undefined) ?? [];
        const count = (parent._count as Record<string, number> | undefined)?.[relation];
        return { ...toConnection(rows, request, (row) => cursorOf(order, row)), totalCount: count };
      },
    },
    totalCount ? { fields: totalCountField } : {},
  );
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
const totalCountField = (t: any) => ({
  totalCount: t.int({
    description: 'How many rows the connection holds under its filter, whatever the page.',
    resolve: (connection: { totalCount: number | (() => Promise<number>) }) =>
      typeof connection.totalCount === 'function' ? connection.totalCount() : connection.totalCount,
  }),
});

export interface RootConnectionOptions {
  /** The node type, named as the Prisma model's GraphQL type. */
  type: unknown;
  typeName: string;
  order: readonly SortKey[];
  /** One page: the query is the node selection, the keyset bounds, order and take. */
  findMany: (ctx: Context, query: object) => Promise<Row[]>;
  /** How many rows there are; read only when totalCount is selected. */
  count?: (ctx: Context) => Promise<number>;
  /** The whole connection from another source (the fast read path), or undefined for the ordinary read. */
  fastRead?: (ctx: Context, info: GraphQLResolveInfo) => Promise<unknown>;
  description?: string;
  authScopes?: unknown;
}

/**
 * A root connection over a Prisma model: one findMany for the page (and a count when asked).
 * Nullable: a bad page argument (or a refused scope) then nulls this field only, not the whole
 * response with every other root field beside it.
 */
export function rootConnection(t: AnyFieldBuilder, options: RootConnectionOptions) {
  const { order, count } = options;
  const orderBy = orderByOf(order);
  return t.connection(
    {
      type: options.type,
      nullable: true,
      description: [options.description, PAGING_DESCRIPTION].filter(Boolean).join(' '),
      ...(options.authScopes ? { authScopes: options.authScopes } : {}),
      resolve: async (_root: unknown, args: ConnectionArgs, ctx: Context, info: GraphQLResolveInfo) => {
        const fast = await options.fastRead?.(ctx, info);
        if (fast !== undefined) return fast;
        const request = pageRequest(args, order, SIZES);
        const query = queryFromInfo({ context: ctx, info, typeName: options.typeName, path: ['edges', 'node'], select: keySelect(order) });
        const rows = await options.findMany(ctx, { ...query, where: pageWhere(request, order), orderBy, take: pageTake(request) });
        return { ...toConnection(rows, request, (row) => cursorOf(order, row)), totalCount: () => count!(ctx) };
      },
    },
    count ? { fields: totalCountField } : {},
  );
}

