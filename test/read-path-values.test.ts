// Stored values at the edges of what the fast read path (src/read-path) writes itself: every
// timestamp column it reads (selected, or only a cursor's sort key) and every column whose
// GraphQL type is a scalar or enum of this schema, set to each value of a list (in range and
// out of it), read by the owner's `me` tree and an operator's `users` tree, as a whole operation
// (the response text written by the fast path) and as a field of a larger one (values handed to
// graphql-js). Both must answer byte for byte as FAST_READ_PATH=off; a value the ordinary path
// refuses must be left to it (counted `value`, or refused by graphql-js's serialization of the
// fast path's values), one it accepts must be served fast.
import { beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, useTestApp } from './helpers/app.ts';
import { createApiKey, createSession, createUser } from './factories/index.ts';
import type { App } from '../src/app.ts';
import { FAST_ENUM_COLUMNS } from '../src/read-path/compile.ts';
import { getDatamodel } from '../src/generated/pothos-types.ts';

const fast = useTestApp();
let ordinary: ReturnType<typeof createTestApp>;
let token = '';
let apiKey = '';
let userId = '';
let secondId = '';

/** A column the fast path reads, the rows of the fixture user it is set on, and the selection of it in each tree. */
type Target = { table: string; column: string; rows: string; me: string; users: string };
const owned = (table: string) => (table === 'app."user"' ? 'id = $1' : table === 'app.conversation' ? 'user_id = $1' : 'conversation_id IN (SELECT id FROM app.conversation WHERE user_id = $1)');
const meOf = (user: string, conversation = 'id', session = 'id') =>
  `{ me { ${user} conversations(first: 3) { edges { cursor node { ${conversation} chatSessions(first: 3) { edges { cursor node { ${session} } } pageInfo { endCursor hasNextPage } } } } pageInfo { endCursor } } } }`;
const usersOf = (user: string, conversation = 'id', session = 'id') =>
  `{ users(first: 50) { edges { cursor node { ${user} conversations(first: 3) { edges { cursor node { ${conversation} chatSessions(first: 3) { edges { cursor node { ${session} } } } } } } } } } }`;
const target = (table: string, column: string, field: [user?: string, conversation?: string, session?: string]): Target => ({
  table,
  column,
  rows: owned(table),
  me: meOf(...(field as [string, string?, string?])),
  users: usersOf(...(field as [string, string?, string?])),
});
// The sort keys (users.created_at, conversation.updated_at, chat_session.created_at) are read for
// the cursors even where the field is not selected: `id` alone covers that case.
const TIMES: Target[] = [
  target('app."user"', 'created_at', ['createdAt']),
  target('app."user"', 'created_at', ['id']),
  target('app."user"', 'last_seen_at', ['lastSeenAt']),
  target('app.conversation', 'created_at', ['id', 'createdAt']),
  target('app.conversation', 'updated_at', ['id', 'updatedAt']),
  target('app.conversation', 'updated_at', ['id', 'id']),
  target('app.chat_session', 'created_at', ['id', 'id', 'createdAt']),
  target('app.chat_session', 'created_at', ['id', 'id', 'id']),
];
// [stored value, whether the ordinary path serves it]
const TIME_VALUES: [string, boolean][] = [
  ['0001-01-01 00:00:00+00', true],
  ['9999-12-31 23:59:59.999999+00', true],
  ['2026-03-29 02:30:00.9999 Europe/Paris', true],
  ['0001-12-31 23:59:59.999999+00 BC', false],
  ['0044-03-15 12:00:00+00 BC', false],
  ['10000-01-01 00:00:00+00', false],
  ['infinity', false],
  ['-infinity', false],
];
const LEAVES: [Target, string, boolean][] = [
  [target('app."user"', 'country', ['country']), 'XX', false],
  [target('app."user"', 'country', ['country']), 'fr', true],
  [target('app."user"', 'country', ['country']), 'CH', true],
  [target('app."user"', 'language', ['language']), 'ZZ', true],
  [target('app."user"', 'school', ['school']), '\u2028"\\\u0007', true],
  [target('app.conversation', 'current_monster', ['id', 'currentMonster']), '\u{1F9D2}\u200D', true],
];
const CASES = [...TIMES.flatMap((t) => TIME_VALUES.map(([v, served]) => [t, v, served] as [Target, string, boolean])), ...LEAVES];

beforeAll(async () => {
  ordinary = createTestApp(fast.db, { FAST_READ_PATH: 'off' });
  const p = fast.prisma;
  const user = await createUser(p);
  userId = user.id;
  for (let c = 0; c < 2; c++) await p.conversation.create({ data: { userId: user.id, title: `t${c}`, conversationType: 'GENERAL', chatSessions: { create: [{}, {}] } } });
  secondId = (await createUser(p)).id;
  token = (await createSession(p, user.id)).token;
  apiKey = (await createApiKey(p, ['*'])).key;
}, 120_000);

async function outcomes(app: App, outcome: string) {
  const metric = await app.metrics.getSingleMetric('graphql_fast_read_path_total')!.get();
  return metric.values.filter((v) => v.labels.outcome === outcome).reduce((a, v) => a + v.value, 0);
}

describe('fast read path: stored values at the edges of what it writes', () => {
  it.each(CASES.map(([t, value, served]) => [`${t.table}.${t.column} = ${JSON.stringify(value)} (${t.me.slice(7, 40)}…)`, t, value, served] as const))(
    '%s',
    async (_, t, value, served) => {
      const saved = await fast.prisma.$queryRawUnsafe<{ id: string; v: unknown }[]>(`SELECT id, ${t.column}::text AS v FROM ${t.table} WHERE ${t.rows}`, userId);
      await fast.prisma.$executeRawUnsafe(`UPDATE ${t.table} SET ${t.column} = $2 WHERE ${t.rows}`, userId, value);
      try {
        let refused = false;
        const queries: [string, { token?: string; apiKey?: string }][] = [
          [t.me, { token }],
          [`{ __typename ${t.me.slice(1)}`, { token }],
          [t.users, { apiKey }],
          [`{ __typename ${t.users.slice(1)}`, { apiKey }],
        ];
        for (const [query, options] of queries) {
          const before = { fast: await outcomes(fast.app, 'fast'), value: await outcomes(fast.app, 'value') };
          const [a, b] = [await fast.gql(query, {}, options), await ordinary.gql(query, {}, options)];
          const after = { fast: await outcomes(fast.app, 'fast'), value: await outcomes(fast.app, 'value') };
          // Byte for byte: key order and escapes included.
          expect(JSON.stringify({ s: a.status, d: a.data, e: a.errors }), query).toBe(JSON.stringify({ s: b.status, d: b.data, e: b.errors }));
          // What the ordinary path serves is served fast; what it refuses is either left to it
          // (`value`) or read fast and refused by graphql-js's own serialization.
          if (b.errors === undefined) expect(after, `served fast: ${query}`).toEqual({ fast: before.fast + 1, value: before.value });
          else expect(after.fast + after.value, query).toBe(before.fast + before.value + 1);
          refused ||= b.errors !== undefined;
        }
        expect(refused, 'the ordinary path refuses the value (else it serves it)').toBe(!served);
      } finally {
        for (const row of saved) await fast.prisma.$executeRawUnsafe(`UPDATE ${t.table} SET ${t.column} = $2::${t.column.endsWith('_at') ? 'timestamptz' : 'text'} WHERE id = $1::uuid`, row.id, row.v);
      }
    },
  );
});

describe('fast read path: rows holding an enum label Prisma does not know (a migration ahead of this build)', () => {
  // [table, column, the row's id (a function: ids are known after beforeAll), query, viewer]
  const newest = `(SELECT id FROM app.conversation WHERE user_id = $1 ORDER BY updated_at DESC, id DESC LIMIT 1)`;
  const oldest = `(SELECT id FROM app.conversation WHERE user_id = $1 ORDER BY updated_at ASC, id ASC LIMIT 1)`;
  const cases: [label: string, sql: string, who: () => string, query: string, viewer: 'token' | 'apiKey'][] = [
    ['user in the page, id only', 'UPDATE app."user" SET age_class = \'ZZ_LATER\' WHERE id = $1', () => secondId, '{ users(first: 5) { edges { node { id } } } }', 'apiKey'],
    ['user in the page, selected', 'UPDATE app."user" SET age_class = \'ZZ_LATER\' WHERE id = $1', () => secondId, '{ users(first: 5) { edges { node { id ageClass } } } }', 'apiKey'],
    ['user just past the page', 'UPDATE app."user" SET age_class = \'ZZ_LATER\' WHERE id = $1', () => secondId, '{ users(first: 1) { edges { node { id } } } }', 'apiKey'],
    ['user past the page, hasNextPage', 'UPDATE app."user" SET age_class = \'ZZ_LATER\' WHERE id = $1', () => secondId, '{ users(first: 1) { pageInfo { hasNextPage } } }', 'apiKey'],
    ['user past the page, cursors only', 'UPDATE app."user" SET age_class = \'ZZ_LATER\' WHERE id = $1', () => secondId, '{ users(first: 1) { edges { cursor } } }', 'apiKey'],
    ['users, count only', 'UPDATE app."user" SET age_class = \'ZZ_LATER\' WHERE id = $1', () => secondId, '{ users { totalCount } }', 'apiKey'],
    ['conversation in the page', `UPDATE app.conversation SET conversation_type = 'ZZ_LATER' WHERE id = ${newest}`, () => userId, '{ me { id conversations(first: 1) { edges { node { id } } } } }', 'token'],
    ['conversation past the page', `UPDATE app.conversation SET conversation_type = 'ZZ_LATER' WHERE id = ${oldest}`, () => userId, '{ me { id conversations(first: 1) { edges { node { id } } } } }', 'token'],
    ['conversation past the page, cursors only', `UPDATE app.conversation SET conversation_type = 'ZZ_LATER' WHERE id = ${oldest}`, () => userId, '{ me { conversations(first: 1) { edges { cursor } } } }', 'token'],
    ['conversation past the page, under users', `UPDATE app.conversation SET conversation_type = 'ZZ_LATER' WHERE id = ${oldest}`, () => userId, '{ users { edges { node { conversations(first: 1) { pageInfo { hasNextPage } edges { node { id } } } } } } }', 'apiKey'],
    ['conversation, filtered out', `UPDATE app.conversation SET conversation_type = 'ZZ_LATER' WHERE id = ${oldest}`, () => userId, '{ me { conversations(type: INCIDENT) { totalCount edges { node { id } } } } }', 'token'],
  ];
  it('checks every enum column of each fast type\'s table', () => {
    const snake = (f: string) => f.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
    for (const [typename, columns] of Object.entries(FAST_ENUM_COLUMNS)) {
      const model = getDatamodel().datamodel.models[typename as 'User'];
      const enums = model.fields.filter((f) => f.kind === 'enum').map((f) => snake(f.name));
      expect(columns.sort(), typename).toEqual(enums.sort());
    }
  });

  it.each(cases)('%s', async (_, sql, who, query, viewer) => {
    // ADD VALUE cannot run in a transaction block, and stays: the rows are set back after.
    await fast.prisma.$executeRawUnsafe(`ALTER TYPE app.age_class ADD VALUE IF NOT EXISTS 'ZZ_LATER'`);
    await fast.prisma.$executeRawUnsafe(`ALTER TYPE app.conversation_type ADD VALUE IF NOT EXISTS 'ZZ_LATER'`);
    await fast.prisma.$executeRawUnsafe(sql, who());
    try {
      const options = viewer === 'token' ? { token } : { apiKey };
      for (const q of [query, `{ __typename ${query.slice(1)}`]) {
        const [a, b] = [await fast.gql(q, {}, options), await ordinary.gql(q, {}, options)];
        expect(JSON.stringify({ s: a.status, d: a.data, e: a.errors }), q).toBe(JSON.stringify({ s: b.status, d: b.data, e: b.errors }));
      }
    } finally {
      await fast.prisma.$executeRawUnsafe(`UPDATE app."user" SET age_class = NULL WHERE age_class = 'ZZ_LATER'`);
      await fast.prisma.$executeRawUnsafe(`UPDATE app.conversation SET conversation_type = 'GENERAL' WHERE conversation_type = 'ZZ_LATER'`);
    }
  });
});
