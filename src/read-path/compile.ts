// Compiles the selection under a hot root field into ONE SQL statement that returns the selected
// subtree as JSON, keyed by response key (aliases included), with the values the ordinary path
// would serialize: global ids, K1 cursors (pagination.ts), DateTimes as ISO 8601 with
// milliseconds. Only selected columns are read; each page is ordered and limited before it is
// nested. Every object carries MARK: true when the visibility rules (their SQL forms, written
// beside their JS forms) and the field scopes hold for it, false when not; the caller then takes
// the ordinary path, which raises the ordinary errors.
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
import { pageRequest, type KeyValue, type SortKey } from '../schema/pagination.ts';
import { DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE } from '../builder.ts';
import { CONVERSATION_ORDER, USER_ORDER } from '../schema/users/orders.ts';
import { CHAT_SESSION_ORDER } from '../schema/conversations/orders.ts';

/** The key every object of a fast result carries: no GraphQL response key can contain U+0001. */
export const MARK = '\u0001';

/** Why a selection is not answered by the fast path: a label of the fallback metric. */
export type FallbackReason = 'off' | 'viewer' | 'field' | 'argument' | 'directive' | 'fragment' | 'hidden';

export class Unsupported extends Error {
  constructor(readonly reason: FallbackReason) {
    super(`fast read path: unsupported ${reason}`);
  }
}

const SIZES = { defaultSize: DEFAULT_PAGE_SIZE, maxSize: MAX_PAGE_SIZE };
const snake = (field: string) => field.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
const iso = (column: string) => `to_char(${column} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`;
/** Pothos's global id: base64 (padded) of `Type:rawId`; short enough that encode() adds no line break. */
const globalId = (typename: string, column: string) => `encode(convert_to('${typename}:' || ${column}, 'UTF8'), 'base64')`;
/** pagination.ts encodeCursor: base64url (no padding) of K1: and the JSON array of the sort key values. */
function cursorSql(order: readonly SortKey[], alias: string) {
  const values = order.map((k) => (k.parse === SORT_DATE ? iso(`${alias}.${snake(k.field)}`) : `${alias}.${snake(k.field)}::text`));
  return `translate(encode(convert_to('K1:["' || ${values.join(` || '","' || `)} || '"]', 'UTF8'), 'base64'), E'+/=\\n', '-_')`;
}
const SORT_DATE = USER_ORDER[0].parse;

/** A scalar field: its SQL expression over the row alias. */
type Scalar = (alias: string) => string;
interface NodeDef {
  typename: string;
  table: string;
  /** Columns every read of the row needs: the id and what the rules read. */
  ruleColumns: string[];
  scalars: Record<string, { sql: Scalar; columns: string[]; rule?: (ctx: Context, alias: string, param: SqlParam) => string }>;
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

const column = (name: string, transform: (c: string) => string = (c) => c) => ({ sql: (a: string) => transform(`${a}.${name}`), columns: [name] });
const time = (name: string) => column(name, iso);

const CHAT_SESSION: NodeDef = {
  typename: 'ChatSession',
  table: 'app.chat_session',
  ruleColumns: ['id', 'conversation_id'],
  scalars: {
    id: column('id', (c) => globalId('ChatSession', c)),
    threadId: column('id', (c) => `${c}::text`),
    createdAt: time('created_at'),
  },
  connections: {},
};

const CONVERSATION: NodeDef = {
  typename: 'Conversation',
  table: 'app.conversation',
  ruleColumns: ['id', 'user_id'],
  scalars: {
    id: column('id', (c) => globalId('Conversation', c)),
    // conversation.ts: title and summary are the owner's only (`self: c.userId`).
    title: { ...column('title'), rule: (ctx, a, param) => scopeSql.self(ctx, `${a}.user_id`, param) },
    summary: { ...column('summary'), rule: (ctx, a, param) => scopeSql.self(ctx, `${a}.user_id`, param) },
    conversationType: column('conversation_type'),
    currentMonster: column('current_monster'),
    createdAt: time('created_at'),
    updatedAt: time('updated_at'),
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
  ruleColumns: ['id'],
  scalars: {
    id: column('id', (c) => globalId('User', c)),
    userType: column('user_type'),
    language: column('language'),
    ageClass: column('age_class'),
    country: column('country'),
    school: column('school'),
    createdAt: time('created_at'),
    lastSeenAt: time('last_seen_at'),
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

/**
 * A JSON object with MARK first, then each `'key', value` part. PostgreSQL's json_build_object takes
 * at most 100 arguments (49 keys beside MARK): a wider selection is the ordinary path's to answer
 * (unreachable while the alias limit is 30, kept so raising it cannot break the fast path).
 */
function marked(mark: string, parts: readonly string[]) {
  if (parts.length > 49) throw new Unsupported('field');
  return `json_build_object(chr(1), ${mark}${parts.map((p) => `, ${p}`).join('')})`;
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

/** json_build_object of the node row aliased `alias`; adds the columns it reads to `columns`. */
function nodeJson(st: Statement, def: NodeDef, alias: string, sets: readonly (SelectionSetNode | undefined)[], columns: Set<string>) {
  const parts: string[] = [];
  const rules = [visibleSql(def.typename, st.ctx, alias, st.param)];
  def.ruleColumns.forEach((c) => columns.add(c));
  for (const [key, nodes] of collect(st, def.typename, sets)) {
    const name = fieldName(nodes);
    if (name === '__typename') {
      parts.push(`'${key}', '${def.typename}'`);
      continue;
    }
    const scalar = Object.hasOwn(def.scalars, name) ? def.scalars[name] : undefined;
    const connection = Object.hasOwn(def.connections, name) ? def.connections[name] : undefined;
    if (scalar) {
      if (nodes.some((n) => n.arguments?.length)) throw new Unsupported('argument');
      scalar.columns.forEach((c) => columns.add(c));
      if (scalar.rule) rules.push(scalar.rule(st.ctx, alias, st.param));
      parts.push(`'${key}', ${scalar.sql(alias)}`);
    } else if (connection) {
      if (connection.rule) rules.push(connection.rule(st.ctx, alias, st.param));
      parts.push(`'${key}', ${connectionJson(st, connection, argumentsOf(st, def.typename, nodes), subSelections(nodes), alias)}`);
    } else {
      throw new Unsupported('field');
    }
  }
  const rule = sqlAnd(...rules);
  // Refused for this viewer whatever the rows: the ordinary path answers, with its errors.
  if (rule === 'FALSE') throw new Unsupported('viewer');
  return marked(rule, parts);
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

/**
 * One connection as a scalar subquery: totalCount, the page's edges (cursor, node) and pageInfo,
 * as pagination.ts toConnection builds them for `first`/`after` (anything else: Unsupported).
 */
function connectionJson(st: Statement, def: ConnectionDef, args: Record<string, unknown>, sets: readonly (SelectionSetNode | undefined)[], parent?: string) {
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
  const node = def.node();
  const x = st.alias();
  // A nested list without its parent's key would read every parent's rows.
  if (!def.parentKey !== !parent) throw new Error(`fast read path: ${def.connectionType} needs ${def.parentKey ? 'a parent row' : 'no parent'}`);
  const where = [def.parentKey ? `${x}.${def.parentKey} = ${parent}.id` : 'TRUE'];
  if (def.filter) where.push(def.filter(args, x, st.param));
  const filter = sqlAnd(...where);
  const fields = collect(st, def.connectionType, sets);

  // Each selected key with its SQL, in selection order (the response's order, as graphql-js
  // writes it); edges and pageInfo read the numbered page `q`, built below.
  const q = st.alias();
  const columns = new Set(def.order.map((k) => snake(k.field)));
  const entries: { key: string; sql: string }[] = [];
  let readsRows = false;
  let needsCursor = false;
  for (const [key, nodes] of fields) {
    const name = fieldName(nodes);
    if (name === '__typename') {
      entries.push({ key, sql: `'${def.connectionType}'` });
    } else if (name === 'totalCount') {
      entries.push({ key, sql: `(SELECT count(*)::int FROM ${node.table} ${x} WHERE ${filter})` });
    } else if (name === 'edges') {
      const inner: string[] = [];
      for (const [k, n] of collect(st, def.edgeType, subSelections(nodes))) {
        const f = fieldName(n);
        if (f === '__typename') inner.push(`'${k}', '${def.edgeType}'`);
        else if (f === 'cursor') inner.push(`'${k}', ${q}._cursor`);
        else if (f === 'node') inner.push(`'${k}', ${nodeJson(st, node, q, subSelections(n), columns)}`);
        else throw new Unsupported('field');
        if (f === 'cursor') needsCursor = true;
      }
      readsRows = true;
      const edge = marked('true', inner);
      entries.push({ key, sql: `coalesce(json_agg(${edge} ORDER BY ${q}._n) FILTER (WHERE ${q}._n <= ${request.size}), '[]'::json)` });
    } else if (name === 'pageInfo') {
      const values: Record<string, string> = {
        hasNextPage: `count(*) > ${request.size}`,
        hasPreviousPage: request.hasCursor.after ? 'true' : 'false',
        startCursor: `(array_agg(${q}._cursor ORDER BY ${q}._n) FILTER (WHERE ${q}._n <= ${request.size}))[1]`,
        endCursor: `(array_agg(${q}._cursor ORDER BY ${q}._n DESC) FILTER (WHERE ${q}._n <= ${request.size}))[1]`,
        __typename: `'PageInfo'`,
      };
      const inner: string[] = [];
      for (const [k, n] of collect(st, 'PageInfo', subSelections(nodes))) {
        const f = fieldName(n);
        if (!Object.hasOwn(values, f)) throw new Unsupported('field');
        if (f.endsWith('Cursor')) needsCursor = true;
        inner.push(`'${k}', ${values[f]}`);
      }
      readsRows = true;
      entries.push({ key, sql: marked('true', inner) });
    } else {
      throw new Unsupported('field');
    }
  }
  const object = marked('true', entries.map((e) => `'${e.key}', ${e.sql}`));
  // Only the count (or nothing): no rows are read, as connections.ts plans it.
  if (!readsRows) return object;

  const orderBy = (alias: string) => def.order.map((k) => `${alias}.${snake(k.field)} ${k.direction.toUpperCase()}`).join(', ');
  const bounds = request.after ? ` AND ${keysetSql(def.order, request.after, x, st.param)}` : '';
  const page =
    `SELECT ${[...columns].map((c) => `${x}.${c}`).join(', ')} FROM ${node.table} ${x} WHERE ${filter}${bounds} ` +
    `ORDER BY ${orderBy(x)} LIMIT ${request.limit}`;
  const cursor = needsCursor ? `, ${cursorSql(def.order, x)} AS _cursor` : '';
  const numbered = `SELECT ${x}.*, row_number() OVER (ORDER BY ${orderBy(x)}) AS _n${cursor} FROM (${page}) ${x}`;
  // GROUP BY (): one row, also when nothing selected aggregates (pageInfo { hasPreviousPage } only).
  return `(SELECT ${object} FROM (${numbered}) ${q} GROUP BY ())`;
}

export type FastRoot = 'users' | 'me';

/**
 * The statement answering root field `root` (info: its resolve info) for ctx's viewer: one row,
 * column `result`, the field's value as JSON (no row: null). Throws Unsupported.
 */
export function compileRead(root: FastRoot, ctx: Context, info: GraphQLResolveInfo): { sql: string; params: unknown[] } {
  const st = new Statement(ctx, info);
  if (info.fieldNodes.some((n) => n.directives?.length)) throw new Unsupported('directive');
  if (root === 'users') {
    // Query.users's own scope (operator users:read) ran before its resolver.
    const args = argumentsOf(st, 'Query', [...info.fieldNodes]);
    return { sql: `SELECT ${connectionJson(st, USERS_ROOT, args, subSelections([...info.fieldNodes]))} AS result`, params: st.params };
  }
  const me = ctx.viewer.kind === 'user' ? ctx.viewer.user.id : null;
  if (!me) throw new Unsupported('viewer');
  const u = st.alias();
  const columns = new Set<string>();
  const json = nodeJson(st, USER, u, subSelections([...info.fieldNodes]), columns);
  return { sql: `SELECT ${json} AS result FROM ${USER.table} ${u} WHERE ${u}.id = ${st.param(me)}::uuid`, params: st.params };
}
