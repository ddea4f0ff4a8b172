// Compiles the selection under a hot root field into ONE SQL statement and the function that
// turns its result into the field's value. PostgreSQL returns the selected rows as positional
// JSON arrays (one per object: its rule's verdict, then the selected columns raw, then its
// connections), each page ordered and limited before it is nested, only selected columns read;
// Node then writes the objects, keyed by response key (aliases included) in selection order, with
// the values the ordinary path would serialize, encoded the way it encodes them: global ids
// (Pothos's encodeGlobalID), K1 cursors (pagination.ts encodeCursor), DateTimes in its format
// (to_char in SQL: cheaper there than Date.toISOString in Node). This is PostGraphile's division
// of labour: building ~420 JSON objects in PostgreSQL (json_build_object, row_number, ordered
// aggregates) cost more than twice the statement time of positional rows
// (scripts/bench/statement-timing.ts). Every object's rule verdict (the visibility rules' SQL
// forms, written beside their JS forms, and the field scopes) must be true, or the whole result
// is refused (Hidden) and the caller takes the ordinary path, which raises the ordinary errors.
//
// It fails closed: anything it does not know (a field, argument, directive, fragment on another
// type, a viewer that would be refused) throws Unsupported, and the ordinary path answers.
import {
  getArgumentValues,
  Kind,
  type FieldNode,
  type FragmentDefinitionNode,
  type GraphQLField,
  type GraphQLObjectType,
  type GraphQLResolveInfo,
  type SelectionSetNode,
} from 'graphql';
import type { Context } from '../context.ts';
import { scopeSql } from '../auth/scopes.ts';
import { sqlAnd, sqlOr, visibleSql, type SqlParam } from '../visibility.ts';
import { encodeGlobalID } from '@pothos/plugin-relay';
import { encodeCursor, pageRequest, type KeyValue, type SortKey } from '../schema/pagination.ts';
import { DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE } from '../builder.ts';
import { CONVERSATION_ORDER, USER_ORDER } from '../schema/users/orders.ts';
import { CHAT_SESSION_ORDER } from '../schema/conversations/orders.ts';

/**
 * The key every object of a fast result carries (true): the fields of the fast path's types read
 * such a parent's properties (index.ts). A symbol, so JSON.stringify leaves it out.
 */
export const MARK: unique symbol = Symbol('fast read path');

/** Why a selection is not answered by the fast path: a label of the fallback metric. */
export type FallbackReason = 'off' | 'viewer' | 'field' | 'argument' | 'directive' | 'fragment' | 'hidden';

export class Unsupported extends Error {
  constructor(readonly reason: FallbackReason) {
    super(`fast read path: unsupported ${reason}`);
  }
}

/** Thrown by a statement's read when an object's rule did not hold (false or null): the ordinary path answers. */
export class Hidden extends Error {
  constructor() {
    super('fast read path: an object its rules hide');
  }
}

/** Marks every statement of the fast path (logs, tests): the first thing PostgreSQL sees. */
export const FAST_SQL_TAG = '/* fast read path */';

const SIZES = { defaultSize: DEFAULT_PAGE_SIZE, maxSize: MAX_PAGE_SIZE };
const snake = (field: string) => field.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
/**
 * A timestamptz as the ordinary path writes a DateTime (Date.toISOString: UTC, milliseconds,
 * microseconds truncated as Prisma's Date truncates them). In SQL: 400 Date.toISOString calls cost
 * Node about four times what to_char costs PostgreSQL (bench:statements, and a micro-benchmark).
 */
const iso = (column: string) => `to_char(${column} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`;
const SORT_DATE = USER_ORDER[0].parse;

/** A value of a row's positional array, as the response writes it. */
type Encode = (value: unknown) => unknown;
/** `json`: the encoded value as JSON text, written without JSON.stringify where it cannot need escaping. */
type Column = { name: string; sql: (alias: string) => string; encode: Encode; json: (value: unknown) => string };
const stringify = (v: unknown) => JSON.stringify(v) ?? 'null';
const raw: Encode = (v) => v;
/** A plain column read as it is (text, enums: JSON strings; ints: numbers). */
const plain = (name: string): Column => ({ name, sql: (a) => `${a}.${name}`, encode: raw, json: stringify });
/** A timestamptz column. */
const time = (name: string): Column => ({ name: `${name}:iso`, sql: (a) => iso(`${a}.${name}`), encode: raw, json: (v) => (v === null ? 'null' : `"${v as string}"`) });
/** The row's id as the type's global id. */
const globalId = (typename: string): Column => {
  const encode = (v: unknown) => encodeGlobalID(typename, v as string);
  // base64: nothing to escape.
  return { name: 'id', sql: (a) => `${a}.id`, encode, json: (v) => `"${encode(v)}"` };
};

interface NodeDef {
  typename: string;
  table: string;
  scalars: Record<string, { column: Column; rule?: (ctx: Context, alias: string, param: SqlParam) => string }>;
  connections: Record<string, ConnectionDef>;
}
interface ConnectionDef {
  connectionType: string;
  edgeType: string;
  node: () => NodeDef;
  order: readonly SortKey[];
  /** The foreign key to the parent row (none at the root). */
  parentKey?: string;
  /** The field's arguments beyond the page arguments (filter reads them); any other one: Unsupported. */
  filterArgs?: readonly string[];
  /** Those arguments as SQL conditions over the row alias. */
  filter?: (args: Record<string, unknown>, alias: string, param: SqlParam) => string;
  /** The field's own scopes, as SQL over the parent row alias. */
  rule?: (ctx: Context, parentAlias: string, param: SqlParam) => string;
}

const CHAT_SESSION: NodeDef = {
  typename: 'ChatSession',
  table: 'app.chat_session',
  scalars: {
    id: { column: globalId('ChatSession') },
    threadId: { column: plain('id') },
    createdAt: { column: time('created_at') },
  },
  connections: {},
};

const CONVERSATION: NodeDef = {
  typename: 'Conversation',
  table: 'app.conversation',
  scalars: {
    id: { column: globalId('Conversation') },
    // conversation.ts: title and summary are the owner's only (`self: c.userId`).
    title: { column: plain('title'), rule: (ctx, a, param) => scopeSql.self(ctx, `${a}.user_id`, param) },
    summary: { column: plain('summary'), rule: (ctx, a, param) => scopeSql.self(ctx, `${a}.user_id`, param) },
    conversationType: { column: plain('conversation_type') },
    currentMonster: { column: plain('current_monster') },
    createdAt: { column: time('created_at') },
    updatedAt: { column: time('updated_at') },
  },
  connections: {
    chatSessions: {
      connectionType: 'ConversationChatSessionsConnection',
      edgeType: 'ConversationChatSessionsConnectionEdge',
      node: () => CHAT_SESSION,
      order: CHAT_SESSION_ORDER,
      parentKey: 'conversation_id',
    },
  },
};

const USER: NodeDef = {
  typename: 'User',
  table: 'app."user"',
  scalars: {
    id: { column: globalId('User') },
    userType: { column: plain('user_type') },
    language: { column: plain('language') },
    ageClass: { column: plain('age_class') },
    country: { column: plain('country') },
    school: { column: plain('school') },
    createdAt: { column: time('created_at') },
    lastSeenAt: { column: time('last_seen_at') },
  },
  connections: {
    conversations: {
      connectionType: 'UserConversationsConnection',
      edgeType: 'UserConversationsConnectionEdge',
      node: () => CONVERSATION,
      order: CONVERSATION_ORDER,
      parentKey: 'user_id',
      // user.ts: `$any: { self: user.id, operator: 'conversations:read' }`.
      rule: (ctx, u, param) => sqlOr(scopeSql.operator(ctx, 'conversations:read'), scopeSql.self(ctx, `${u}.id`, param)),
      filterArgs: ['type'],
      filter: (args, a, param) => (args.type == null ? 'TRUE' : `${a}.conversation_type::text = ${param(args.type)}`),
    },
  },
};

const USERS_ROOT: ConnectionDef = {
  connectionType: 'QueryUsersConnection',
  edgeType: 'QueryUsersConnectionEdge',
  node: () => USER,
  order: USER_ORDER,
};

const PAGE_ARGS = ['first', 'after', 'last', 'before'];

/** Each connection field the fast path reads (`Type.field`) with the arguments it knows; the schema's must be the same. */
export const FAST_CONNECTION_ARGUMENTS: Record<string, string[]> = Object.fromEntries([
  ['Query.users', USERS_ROOT],
  ...Object.entries(USER.connections).map(([f, c]) => [`User.${f}`, c]),
  ...Object.entries(CONVERSATION.connections).map(([f, c]) => [`Conversation.${f}`, c]),
].map(([name, c]) => [name as string, [...PAGE_ARGS, ...((c as ConnectionDef).filterArgs ?? [])]]));

/** The object types whose fields read a fast result's properties (index.ts wraps their resolvers). */
export const FAST_TYPES = [
  ...[USERS_ROOT, ...Object.values(USER.connections), ...Object.values(CONVERSATION.connections)].flatMap((c) => [c.connectionType, c.edgeType]),
  'PageInfo',
  USER.typename,
  CONVERSATION.typename,
  CHAT_SESSION.typename,
];

class Statement {
  readonly params: unknown[] = [];
  private depth = 0;
  constructor(
    readonly ctx: Context,
    readonly info: GraphQLResolveInfo,
  ) {}
  param: SqlParam = (value) => {
    const i = this.params.findIndex((p) => p === value);
    if (i >= 0) return `$${i + 1}`;
    this.params.push(value);
    return `$${this.params.length}`;
  };
  alias() {
    return `t${this.depth++}`;
  }
}

/** A fast object: its fields by response key, and MARK. */
export type FastObject = Record<string, unknown> & { [MARK]: true };
/**
 * One object's key and how its value is read from the row's positional array: as a value (read),
 * or as JSON text (write: a whole operation's response, written without building the objects).
 */
type Entry<Args extends unknown[]> = [key: string, read: (...args: Args) => unknown, write: (...args: Args) => string];

/** The JSON text of an object of entries, keys in selection order. */
function writer<Args extends unknown[]>(entries: readonly Entry<Args>[]) {
  const keys = entries.map(([key], i) => `${i ? ',' : '{'}${JSON.stringify(key)}:`);
  return (...args: Args) => {
    if (entries.length === 0) return '{}';
    let out = '';
    for (let i = 0; i < entries.length; i++) out += keys[i] + entries[i][2](...args);
    return `${out}}`;
  };
}
/** The object of entries, keys in selection order. */
function reader<Args extends unknown[]>(entries: readonly Entry<Args>[]) {
  return (...args: Args) => {
    const object = fastObject();
    for (const [key, read] of entries) object[key] = read(...args);
    return object;
  };
}

/**
 * An empty fast object. Without a prototype: a response key may be `__proto__` (an alias), which
 * on a plain object would set its prototype instead of a property.
 */
function fastObject(): FastObject {
  const object = Object.create(null) as FastObject;
  object[MARK] = true;
  return object;
}


/** The fields of `type` selected by `nodes`, by response key; only plain fields and fragments on `type` itself. */
function collect(st: Statement, type: string, sets: readonly (SelectionSetNode | undefined)[]) {
  const fields = new Map<string, FieldNode[]>();
  const visit = (set: SelectionSetNode | undefined) => {
    for (const s of set?.selections ?? []) {
      if (s.directives?.length) throw new Unsupported('directive');
      if (s.kind === Kind.FIELD) {
        const key = s.alias?.value ?? s.name.value;
        fields.set(key, [...(fields.get(key) ?? []), s]);
      } else if (s.kind === Kind.INLINE_FRAGMENT) {
        if (s.typeCondition && s.typeCondition.name.value !== type) throw new Unsupported('fragment');
        visit(s.selectionSet);
      } else {
        const fragment: FragmentDefinitionNode | undefined = st.info.fragments[s.name.value];
        if (!fragment || fragment.directives?.length) throw new Unsupported('directive');
        if (fragment.typeCondition.name.value !== type) throw new Unsupported('fragment');
        visit(fragment.selectionSet);
      }
    }
  };
  sets.forEach(visit);
  return fields;
}

const fieldName = (nodes: FieldNode[]) => nodes[0].name.value;
const subSelections = (nodes: FieldNode[]) => nodes.map((n) => n.selectionSet);

function argumentsOf(st: Statement, typeName: string, nodes: FieldNode[]) {
  const type = st.info.schema.getType(typeName) as GraphQLObjectType;
  const field = type.getFields()[fieldName(nodes)] as GraphQLField<unknown, unknown> | undefined;
  if (!field) throw new Unsupported('field');
  // Merged fields have the same arguments (validation), so the first node's are the field's.
  return getArgumentValues(field, nodes[0], st.info.variableValues) as Record<string, unknown>;
}

/**
 * The positional array of one object of the row aliased `alias`: [rule verdict, ...selected
 * columns, ...connections], and its read. `extra` are columns the caller needs in the same array
 * (the sort keys of a cursor): their positions are returned in `positions`; `more`: SQL values
 * placed last (another node selection of the same row), at `morePositions`. PostgreSQL's
 * json_build_array takes at most 100 arguments: a wider selection is the ordinary path's to
 * answer (unreachable while the alias limit is 30, kept so raising it cannot break the fast path).
 */
function nodeArray(
  st: Statement,
  def: NodeDef,
  alias: string,
  sets: readonly (SelectionSetNode | undefined)[] | null,
  extra: readonly Column[] = [],
  guard?: string,
  more: readonly string[] = [],
) {
  // No node selected (edges { cursor } only): no object is served, so no rule is checked, as
  // in the ordinary path, which checks an object's type when it resolves it.
  const rules = sets ? [visibleSql(def.typename, st.ctx, alias, st.param)] : [];
  const parts: string[] = [];
  const positions = new Map<string, number>();
  const place = (sql: string, name?: string) => {
    if (name !== undefined && positions.has(name)) return positions.get(name)!;
    parts.push(sql);
    const i = parts.length; // 0 is the rule's verdict
    if (name !== undefined) positions.set(name, i);
    return i;
  };
  const entries: Entry<[row: unknown[]]>[] = [];
  let guarded = false;
  for (const [key, nodes] of collect(st, def.typename, sets ?? [])) {
    const name = fieldName(nodes);
    if (name === '__typename') {
      entries.push([key, () => def.typename, () => `"${def.typename}"`]);
      continue;
    }
    const scalar = Object.hasOwn(def.scalars, name) ? def.scalars[name] : undefined;
    const connection = Object.hasOwn(def.connections, name) ? def.connections[name] : undefined;
    if (scalar) {
      if (nodes.some((n) => n.arguments?.length)) throw new Unsupported('argument');
      if (scalar.rule) rules.push(scalar.rule(st.ctx, alias, st.param));
      const { column } = scalar;
      const i = place(column.sql(alias), column.name);
      entries.push([key, (row) => column.encode(row[i]), (row) => column.json(row[i])]);
    } else if (connection) {
      if (connection.rule) rules.push(connection.rule(st.ctx, alias, st.param));
      const c = connectionSql(st, connection, argumentsOf(st, def.typename, nodes), subSelections(nodes), alias);
      // The row past the page (read only to learn hasNextPage) does not need its subtrees.
      if (guard) guarded = true;
      const i = place(guard ? `CASE WHEN ${guard} THEN ${c.sql} END` : c.sql);
      entries.push([key, (row) => c.read(row[i]), (row) => c.write(row[i])]);
    } else {
      throw new Unsupported('field');
    }
  }
  for (const column of extra) place(column.sql(alias), column.name);
  const morePositions = more.map((sql) => place(sql));
  const rule = sqlAnd(...rules);
  // Refused for this viewer whatever the rows: the ordinary path answers, with its errors.
  if (rule === 'FALSE') throw new Unsupported('viewer');
  if (parts.length > 99) throw new Unsupported('field');
  const sql = `json_build_array(${[rule, ...parts].join(', ')})`;
  const [build, text] = [reader(entries), writer(entries)];
  // Anything but true (false, or null from a rule over a null column) hides the object.
  const visible = (row: unknown[]) => {
    if (row[0] !== true) throw new Hidden();
    return row;
  };
  const read = (row: unknown[]) => build(visible(row));
  const write = (row: unknown[]) => text(visible(row));
  return { sql, read, write, positions, morePositions, guarded };
}

/** The rows after `values` in `order` (a keyset bound), as a row comparison: the keys share one direction. */
function keysetSql(order: readonly SortKey[], values: readonly KeyValue[], alias: string, param: SqlParam) {
  const direction = order[0].direction;
  if (order.some((k) => k.direction !== direction)) throw new Unsupported('argument');
  const casts = order.map((k) => (k.parse === SORT_DATE ? 'timestamptz' : 'uuid'));
  const left = order.map((k) => `${alias}.${snake(k.field)}`).join(', ');
  const right = values.map((v, i) => `${param(v instanceof Date ? v.toISOString() : v)}::${casts[i]}`).join(', ');
  return `(${left}) ${direction === 'asc' ? '>' : '<'} (${right})`;
}

/** A sort key as a column of the row's array: dates as ISO text (encodeCursor writes a Date so), ids as text. */
const sortColumn = (k: SortKey): Column => (k.parse === SORT_DATE ? time(snake(k.field)) : plain(snake(k.field)));

/**
 * One connection as SQL returning the positional array [totalCount or null, page rows or null]
 * (each row an object's array, in order, the page plus one row when hasNextPage is selected),
 * and its read: the connection object as pagination.ts toConnection builds it for
 * `first`/`after` (anything else: Unsupported).
 */
function connectionSql(st: Statement, def: ConnectionDef, args: Record<string, unknown>, sets: readonly (SelectionSetNode | undefined)[], parent?: string) {
  // Fails closed: an argument added to the schema but not to the statement would be ignored.
  const known = [...PAGE_ARGS, ...(def.filterArgs ?? [])];
  if (Object.keys(args).some((name) => !known.includes(name))) throw new Unsupported('argument');
  if (args.last != null || (args.before != null && args.before !== '')) throw new Unsupported('argument');
  let request;
  try {
    request = pageRequest(args, def.order, SIZES);
  } catch {
    // A bad page argument: the ordinary path reports it.
    throw new Unsupported('argument');
  }
  const { size } = request;
  const node = def.node();
  const x = st.alias();
  // A nested list without its parent's key would read every parent's rows.
  if (!def.parentKey !== !parent) throw new Error(`fast read path: ${def.connectionType} needs ${def.parentKey ? 'a parent row' : 'no parent'}`);
  const fields = collect(st, def.connectionType, sets);

  // What the selection needs: the count, the page's rows (edges, cursors), one row past the page.
  let total = false;
  let rows = false;
  let cursors = false;
  let beyond = false;
  // Each `node` selection under its own edges key (`edges` and `e2: edges` select apart).
  const nodeSelections: (SelectionSetNode | undefined)[][] = [];
  let nodeReads: { read: (row: unknown[]) => unknown; write: (row: unknown[]) => string }[] = [];
  type Page = { nodes: unknown[][]; more: boolean; cursor: (row: unknown[]) => string };
  const entries: Entry<[page: Page, count: unknown]>[] = [];
  for (const [key, nodes] of fields) {
    const name = fieldName(nodes);
    if (name === '__typename') {
      entries.push([key, () => def.connectionType, () => `"${def.connectionType}"`]);
    } else if (name === 'totalCount') {
      total = true;
      entries.push([key, (_, count) => Number(count), (_, count) => String(Number(count))]);
    } else if (name === 'edges') {
      rows = true;
      const edge: Entry<[row: unknown[], page: Page]>[] = [];
      for (const [k, n] of collect(st, def.edgeType, subSelections(nodes))) {
        const f = fieldName(n);
        if (f === '__typename') edge.push([k, () => def.edgeType, () => `"${def.edgeType}"`]);
        else if (f === 'cursor') {
          cursors = true;
          // base64url: nothing to escape.
          edge.push([k, (row, page) => page.cursor(row), (row, page) => `"${page.cursor(row)}"`]);
        } else if (f === 'node') {
          const occurrence = nodeSelections.push(subSelections(n)) - 1;
          edge.push([k, (row) => nodeReads[occurrence].read(row), (row) => nodeReads[occurrence].write(row)]);
        } else throw new Unsupported('field');
      }
      const [build, text] = [reader(edge), writer(edge)];
      entries.push([key, (page) => page.nodes.map((row) => build(row, page)), (page) => `[${page.nodes.map((row) => text(row, page)).join(',')}]`]);
    } else if (name === 'pageInfo') {
      const values: Record<string, (page: Page) => unknown> = {
        hasNextPage: (page) => page.more,
        hasPreviousPage: () => request.hasCursor.after,
        startCursor: (page) => (page.nodes.length ? page.cursor(page.nodes[0]) : null),
        endCursor: (page) => (page.nodes.length ? page.cursor(page.nodes[page.nodes.length - 1]) : null),
        __typename: () => 'PageInfo',
      };
      const info: Entry<[page: Page]>[] = [];
      for (const [k, n] of collect(st, 'PageInfo', subSelections(nodes))) {
        const f = fieldName(n);
        if (!Object.hasOwn(values, f)) throw new Unsupported('field');
        if (f.endsWith('Cursor')) cursors = true;
        if (f !== 'hasPreviousPage' && f !== '__typename') rows = true;
        if (f === 'hasNextPage') beyond = true;
        info.push([k, values[f], (page) => stringify(values[f](page))]);
      }
      const [build, text] = [reader(info), writer(info)];
      entries.push([key, (page) => build(page), (page) => text(page)]);
    } else {
      throw new Unsupported('field');
    }
  }

  // Only when read: a filter's parameters in a statement that does not use them are an error.
  let filter = 'TRUE';
  if (total || rows) {
    const where = [def.parentKey ? `${x}.${def.parentKey} = ${parent}.id` : 'TRUE'];
    if (def.filter) where.push(def.filter(args, x, st.param));
    filter = sqlAnd(...where);
  }
  const parts: string[] = [total ? `(SELECT count(*) FROM ${node.table} ${x} WHERE ${filter})` : 'NULL'];
  let cursorOf: (row: unknown[]) => string = () => '';
  if (rows) {
    const q = st.alias();
    // One row past the page only to learn hasNextPage; it is not served, so not checked.
    const limit = beyond ? request.limit : size;
    const sortKeys = def.order.map(sortColumn);
    const guard = beyond ? `${q}._n <= ${size}` : undefined;
    // The first node selection and the sort keys in the row's own array; any other node
    // selection as an array inside it.
    const others = nodeSelections.slice(1).map((sets) => nodeArray(st, node, q, sets, [], guard));
    const n = nodeArray(st, node, q, nodeSelections[0] ?? null, cursors ? sortKeys : [], guard, others.map((o) => o.sql));
    nodeReads = [n, ...others.map((o, i) => ({ read: (row: unknown[]) => o.read(row[n.morePositions[i]] as unknown[]), write: (row: unknown[]) => o.write(row[n.morePositions[i]] as unknown[]) }))];
    const keyAt = sortKeys.map((k) => n.positions.get(k.name)!);
    cursorOf = (row) => encodeCursor(sortKeys.map((k, i) => k.encode(row[keyAt[i]]) as KeyValue));
    const orderBy = (alias: string) => def.order.map((k) => `${alias}.${snake(k.field)} ${k.direction.toUpperCase()}`).join(', ');
    const bounds = request.after ? ` AND ${keysetSql(def.order, request.after, x, st.param)}` : '';
    const numbered = n.guarded || others.some((o) => o.guarded) ? `, row_number() OVER (ORDER BY ${orderBy(x)}) AS _n` : '';
    const page = `SELECT ${x}.*${numbered} FROM ${node.table} ${x} WHERE ${filter}${bounds} ORDER BY ${orderBy(x)} LIMIT ${limit}`;
    // ARRAY(subquery) keeps the subquery's order, and the planner sees that the page is already
    // in it (no sort); json_agg(... ORDER BY) sorted each page again (about 10 % of the statement).
    parts.push(`to_json(ARRAY(SELECT ${n.sql} FROM (${page}) ${q} ORDER BY ${orderBy(q)}))`);
  }
  const sql = `json_build_array(${parts.join(', ')})`;
  const pageOf = (value: unknown): [Page, unknown] => {
    const [count, list] = value as [unknown, unknown[][] | null];
    const all = list ?? [];
    return [{ nodes: all.length > size ? all.slice(0, size) : all, more: all.length > size, cursor: cursorOf }, count];
  };
  const [build, text] = [reader(entries), writer(entries)];
  return { sql, read: (value: unknown) => build(...pageOf(value)), write: (value: unknown) => text(...pageOf(value)) };
}

export type FastRoot = 'users' | 'me';

/**
 * The statement answering root field `root` (info: its resolve info) for ctx's viewer: one row,
 * column `result` (json; no row: the field is null); `read` turns that value into the field's
 * value (FastObjects), `write` into its JSON text (what JSON.stringify of read's value gives,
 * without building it); both throw Hidden. Throws Unsupported.
 */
export function compileRead(
  root: FastRoot,
  ctx: Context,
  info: GraphQLResolveInfo,
): { sql: string; params: unknown[]; read: (result: unknown) => FastObject | null; write: (result: unknown) => string } {
  const st = new Statement(ctx, info);
  if (info.fieldNodes.some((n) => n.directives?.length)) throw new Unsupported('directive');
  if (root === 'users') {
    // Query.users's own scope (operator users:read) ran before its resolver.
    const args = argumentsOf(st, 'Query', [...info.fieldNodes]);
    const c = connectionSql(st, USERS_ROOT, args, subSelections([...info.fieldNodes]));
    return { sql: `${FAST_SQL_TAG} SELECT ${c.sql} AS result`, params: st.params, read: c.read, write: c.write };
  }
  const me = ctx.viewer.kind === 'user' ? ctx.viewer.user.id : null;
  if (!me) throw new Unsupported('viewer');
  const u = st.alias();
  const n = nodeArray(st, USER, u, subSelections([...info.fieldNodes]));
  return {
    sql: `${FAST_SQL_TAG} SELECT ${n.sql} AS result FROM ${USER.table} ${u} WHERE ${u}.id = ${st.param(me)}::uuid`,
    params: st.params,
    read: (result) => (result === null || result === undefined ? null : n.read(result as unknown[])),
    write: (result) => (result === null || result === undefined ? 'null' : n.write(result as unknown[])),
  };
}
