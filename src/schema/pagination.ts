// Keyset pagination for every connection, with one cursor format. A cursor holds the values of
// the connection's sort keys for its row, so a page after (or before) it is "rows that sort after
// these values": it keeps its place when its row has been deleted, which Prisma's own cursor
// (`cursor: { id }`, a lookup of the row) does not (PITFALLS.md).
//
// Cursor format, version 1: base64url of `K1:` followed by the JSON array of the sort key values
// of the edge's row, in the connection's sort order: DateTime values as ISO 8601 strings with
// milliseconds, ids as strings. E.g. `K1:["2026-10-01T08:00:00.000Z","3f0c…"]`. Cursors are opaque
// to clients; anything else (including the `GPC:` and `MessageCursor:` cursors of earlier
// releases) is BAD_USER_INPUT. An empty string counts as no cursor: an empty page has null
// start/end cursors (Relay spec) and a client echoing "" back gets the first (or last) page.
// Sort timestamps must have millisecond precision, as every write through Prisma's JS dates has:
// a cursor cannot hold the microseconds the columns (timestamptz(6)) could store.
import { badInput } from '../errors.ts';
import { isUuid } from '../visibility.ts';

const VERSION = 'K1:';

/** The cursor format as the schema states it (PageInfo's description). */
export const CURSOR_FORMAT_DESCRIPTION =
  'Cursors of every connection are keyset cursors: base64url of `K1:` followed by the JSON array of the edge\'s sort key values (ISO 8601 times with milliseconds, ids), e.g. `K1:["2026-10-01T08:00:00.000Z","<uuid>"]`. ' +
  'A page after (before) a cursor holds the rows that sort after (before) those values, so a cursor keeps its place when its row is deleted. ' +
  'An empty page has null startCursor and endCursor; an empty string passed as after or before means no cursor. Any other string is BAD_USER_INPUT.';
/** Longer than any cursor we issue (two keys of at most 64 characters each); refused unread above it. */
const MAX_CURSOR_LENGTH = 400;
const ISO_DATE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

export type KeyValue = Date | string;

/** One column of a connection's order: its name, direction, and how a cursor's value for it is checked. */
export interface SortKey {
  field: string;
  direction: 'asc' | 'desc';
  /** The cursor's value as the column's type, or undefined when it is not one. */
  parse: (value: unknown) => KeyValue | undefined;
}

// Only a time we could have issued: one that reads back as the same string (no 2026-02-30 rolled
// over to March) and falls in years 1 to 9999, which both databases store (PostgreSQL has no year 0).
const parseDate = (value: unknown) => {
  if (typeof value !== 'string' || !ISO_DATE.test(value)) return undefined;
  const date = new Date(value);
  if (Number.isNaN(date.getTime()) || date.toISOString() !== value || date.getUTCFullYear() < 1) return undefined;
  return date;
};
const parseUuid = (value: unknown) => (typeof value === 'string' && isUuid(value) ? value.toLowerCase() : undefined);

export const dateKey = (field: string, direction: SortKey['direction']): SortKey => ({ field, direction, parse: parseDate });
export const uuidKey = (field: string, direction: SortKey['direction']): SortKey => ({ field, direction, parse: parseUuid });

/** The orderBy of a keyset order, for Prisma. */
export const orderByOf = (order: readonly SortKey[]) => order.map((k) => ({ [k.field]: k.direction }));

export function encodeCursor(values: readonly KeyValue[]) {
  const json = JSON.stringify(values.map((v) => (v instanceof Date ? v.toISOString() : v)));
  return Buffer.from(`${VERSION}${json}`, 'utf8').toString('base64url');
}

/** The cursor of a row under `order`. */
export const cursorOf = (order: readonly SortKey[], row: Record<string, unknown>) => encodeCursor(order.map((k) => row[k.field] as KeyValue));

/**
 * The sort key values a cursor holds. undefined for no cursor (null, undefined or ""). Throws
 * BAD_USER_INPUT naming `argument` for anything we did not issue for an order of this shape.
 */
export function decodeCursor(cursor: string | null | undefined, order: readonly SortKey[], argument: string): KeyValue[] | undefined {
  if (cursor === null || cursor === undefined || cursor === '') return undefined;
  const invalid = () => badInput(`${argument}: not a cursor of this connection`, { argument });
  if (cursor.length > MAX_CURSOR_LENGTH || !/^[A-Za-z0-9_-]+={0,2}$/.test(cursor)) throw invalid();
  const text = Buffer.from(cursor, 'base64url').toString('utf8');
  if (!text.startsWith(VERSION)) throw invalid();
  let parsed: unknown;
  try {
    parsed = JSON.parse(text.slice(VERSION.length));
  } catch {
    throw invalid();
  }
  if (!Array.isArray(parsed) || parsed.length !== order.length) throw invalid();
  const values = order.map((key, i) => key.parse(parsed[i]));
  // Only the exact text we issue for these values (no padding, spacing or case variants).
  if (values.some((v) => v === undefined) || encodeCursor(values as KeyValue[]) !== cursor) throw invalid();
  return values as KeyValue[];
}

/**
 * Rows strictly after `values` in `order` (or strictly before, `side: 'before'`): for keys
 * k1..kn, OR over i of (k1 = v1 AND ... AND k(i-1) = v(i-1) AND ki beyond vi).
 */
export function keysetWhere(order: readonly SortKey[], values: readonly KeyValue[], side: 'after' | 'before') {
  return {
    OR: order.map((key, i) => {
      const forward = (key.direction === 'asc') === (side === 'after');
      const clause: Record<string, unknown> = {};
      for (let j = 0; j < i; j++) clause[order[j].field] = values[j];
      clause[key.field] = { [forward ? 'gt' : 'lt']: values[i] };
      return clause;
    }),
  };
}

export interface ConnectionArgs {
  first?: number | null;
  last?: number | null;
  after?: string | null;
  before?: string | null;
}

/** A page request read from the connection arguments: which slice, how many rows, which way. */
export interface PageRequest {
  /** Rows to read: the page size plus one, to learn whether there is another page. */
  limit: number;
  size: number;
  /** `last`: the page is read from the end of the slice. */
  backward: boolean;
  after?: KeyValue[];
  before?: KeyValue[];
  hasCursor: { after: boolean; before: boolean };
}

/**
 * Reads first/last/after/before (Relay): `first` or `last` (not both), at most `maxSize`
 * (default `defaultSize` when neither is given); `after` and `before` may be combined.
 */
export function pageRequest(args: ConnectionArgs, order: readonly SortKey[], sizes: { defaultSize: number; maxSize: number }): PageRequest {
  const { first, last } = args;
  if (first != null && last != null) throw badInput('Pass first or last, not both', { argument: 'last' });
  for (const [name, value] of [['first', first], ['last', last]] as const) {
    if (value != null && (value < 0 || value > sizes.maxSize)) {
      throw badInput(`${name}: 0 to ${sizes.maxSize} items`, { argument: name, max: sizes.maxSize });
    }
  }
  const after = decodeCursor(args.after, order, 'after');
  const before = decodeCursor(args.before, order, 'before');
  const size = first ?? last ?? sizes.defaultSize;
  return { limit: size + 1, size, backward: last != null, after, before, hasCursor: { after: !!after, before: !!before } };
}

/** The Prisma `where` of a page: the connection's own filter and the cursor bounds. */
export function pageWhere(request: PageRequest, order: readonly SortKey[], filter?: object) {
  const and: object[] = [];
  if (filter && Object.keys(filter).length > 0) and.push(filter);
  if (request.after) and.push(keysetWhere(order, request.after, 'after'));
  if (request.before) and.push(keysetWhere(order, request.before, 'before'));
  return and.length === 0 ? {} : and.length === 1 ? and[0] : { AND: and };
}

/** Prisma's take for a page: negative reads from the end of the order, and returns rows in order. */
export const pageTake = (request: PageRequest) => (request.backward ? -request.limit : request.limit);

export interface ConnectionPage<Node> {
  edges: { cursor: string; node: Node }[];
  pageInfo: { startCursor: string | null; endCursor: string | null; hasPreviousPage: boolean; hasNextPage: boolean };
}

/**
 * Wraps the rows of a page read with `limit` (in the connection's order) as a connection. The
 * extra row tells whether there is more: beyond the end for `first`, before the start for `last`.
 * hasPreviousPage with `after` (and hasNextPage with `before`) is true, as Pothos reports it.
 */
export function toConnection<Node>(rows: readonly Node[], request: PageRequest, cursor: (node: Node) => string): ConnectionPage<Node> {
  const more = rows.length > request.size;
  const nodes = more ? (request.backward ? rows.slice(rows.length - request.size) : rows.slice(0, request.size)) : rows;
  const edges = nodes.map((node) => ({ cursor: cursor(node), node }));
  return {
    edges,
    pageInfo: {
      startCursor: edges[0]?.cursor ?? null,
      endCursor: edges.at(-1)?.cursor ?? null,
      hasPreviousPage: request.backward ? more : request.hasCursor.after,
      hasNextPage: request.backward ? request.hasCursor.before : more,
    },
  };
}
