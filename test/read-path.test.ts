// The fast read path (src/read-path) against the ordinary path, on one database: two apps, one
// with FAST_READ_PATH=off. Generated selections of the `users` and `me` trees, for every kind of
// viewer, must give identical responses (data and errors); the supported documents must actually
// take the fast path (the fallback counter says so), in a statement count that does not grow with
// the rows; and the SQL each supported document generates is snapshot-tested.
import { beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { createTestApp, useTestApp } from './helpers/app.ts';
import { fastCount, response } from './helpers/read-path.ts';
import { createApiKey, createCollective, createSession, createUser } from './factories/index.ts';
import { encodeCursor } from '../src/schema/pagination.ts';
import { FAST_SQL_TAG } from '../src/read-path/index.ts';

const fast = useTestApp();
let ordinary: ReturnType<typeof createTestApp>;
type Viewer = { name: string; token?: string; apiKey?: string };
const viewers: Viewer[] = [];
const cursors: string[] = [];

beforeAll(async () => {
  ordinary = createTestApp(fast.db, { FAST_READ_PATH: 'off' });
  const p = fast.prisma;
  const base = Date.UTC(2026, 9, 1);
  const owner = await createUser(p);
  const other = await createUser(p);
  const parent = await createUser(p, { userType: 'PARENT' });
  const admin = await createUser(p, { userType: 'PARENT' });
  await p.parentalConsent.create({ data: { parentId: parent.id, teenagerId: owner.id } });
  await createCollective(p, [
    { userId: admin.id, role: 'ADMIN' },
    { userId: owner.id, role: 'MEMBER' },
  ]);
  // Conversations with equal update times (the id breaks the tie), empty ones, and nulls.
  for (const [u, user] of [owner, other, parent].entries()) {
    for (let c = 0; c < 4 - u; c++) {
      const conversation = await p.conversation.create({
        data: {
          userId: user.id,
          title: c === 1 ? null : `Conversation ${u}-${c}`,
          summary: c === 2 ? `Résumé ${c}` : null,
          currentMonster: c === 0 ? 'betty' : null,
          conversationType: c % 2 ? 'INCIDENT' : 'GENERAL',
          updatedAt: new Date(base + (c === 3 ? 2 : c) * 60_000 + 123),
          chatSessions: { create: Array.from({ length: c }, (_, s) => ({ createdAt: new Date(base + s * 1000 + 7) })) },
        },
      });
      cursors.push(encodeCursor([conversation.updatedAt, conversation.id]));
    }
  }
  cursors.push(encodeCursor([new Date(base + 1000), '00000000-0000-4000-8000-000000000000']), encodeCursor([new Date(0), 'ffffffff-ffff-4fff-8fff-ffffffffffff']), 'not-a-cursor', '');
  for (const [name, user] of Object.entries({ owner, 'another teenager': other, parent, 'collective admin': admin })) {
    viewers.push({ name, token: (await createSession(p, user.id)).token });
  }
  for (const permissions of [['users:read', 'conversations:read'], ['users:read'], ['conversations:read'], [], ['*']]) {
    viewers.push({ name: `operator [${permissions.join(', ')}]`, apiKey: (await createApiKey(p, permissions)).key });
  }
  viewers.push({ name: 'anonymous' });
}, 120_000);

async function both(query: string, viewer: Viewer, variables?: Record<string, unknown>) {
  const options = { token: viewer.token, apiKey: viewer.apiKey };
  const [a, b] = [await fast.gql(query, variables, options), await ordinary.gql(query, variables, options)];
  return { fast: a, ordinary: b };
}

// Generated selections: subsets of each level's fields, aliases, fragments, __typename, page
// arguments (valid, out of range, cursors of this world and not), and sometimes a directive.
// An alias unique to its field (a shared one would be a validation error, not a read).
const pick = (fields: string[]) => fc.subarray(fields, { minLength: 1 }).chain((f) => fc.tuple(...f.map((x) => fc.constantFrom(x, x, `${x}2: ${x}`))));
const pageArgs = (extra: fc.Arbitrary<string> = fc.constant('')) =>
  fc
    .tuple(fc.constantFrom(null, 0, 1, 2, 5, 101, -1), fc.option(fc.nat().map((i) => JSON.stringify(cursors[i % cursors.length])), { freq: 2 }), fc.constantFrom(null, null, null, null, null, null, '1'), extra)
    .map(([first, after, last, x]) => {
      const args = [first === null ? '' : `first: ${first}`, after ? `after: ${after}` : '', last ? `last: ${last}` : '', x].filter(Boolean);
      return args.length ? `(${args.join(', ')})` : '';
    });
const wrap = (typename: string) => (inner: string) =>
  fc.constantFrom(inner, inner, inner, `... on ${typename} { ${inner} }`, `__typename ${inner}`, `${inner} ... @include(if: true) { __typename }`);
const connection = (typename: string, node: fc.Arbitrary<string>, args: fc.Arbitrary<string>) =>
  fc
    .tuple(
      args,
      fc.subarray(['totalCount', 'edges', 'pageInfo', 'cursors'], { minLength: 1 }),
      node,
      fc.subarray(['hasNextPage', 'hasPreviousPage', 'startCursor', 'endCursor', '__typename'], { minLength: 1 }),
    )
    .map(([a, parts, n, info]) => ({ a, body: parts.map((p) => (p === 'edges' ? `edges { node { ${n} } }` : p === 'cursors' ? 'c: edges { cursor }' : p === 'pageInfo' ? `pageInfo { ${info.join(' ')} }` : p)).join(' '), typename }));
const chatSession = pick(['id', 'threadId', 'createdAt', '__typename']).map((f) => f.join(' ')).chain(wrap('ChatSession'));
const conversation = fc
  .tuple(pick(['id', 'title', 'summary', 'conversationType', 'currentMonster', 'createdAt', 'updatedAt']), fc.option(connection('ChatSession', chatSession, pageArgs())))
  .map(([f, c]) => `${f.join(' ')} ${c ? `chatSessions${c.a} { ${c.body} }` : ''}`)
  .chain(wrap('Conversation'));
const typeArg = fc.constantFrom('', '', 'type: INCIDENT', 'type: GENERAL');
const user = fc
  .tuple(pick(['id', 'userType', 'language', 'ageClass', 'country', 'school', 'createdAt', 'lastSeenAt']), fc.option(connection('Conversation', conversation, pageArgs(typeArg)), { freq: 4 }))
  .map(([f, c]) => `${f.join(' ')} ${c ? `conversations${c.a} { ${c.body} }` : ''}`)
  .chain(wrap('User'));
const meDocument = user.map((u) => `{ me { ${u} } }`);
const usersDocument = connection('User', user, pageArgs()).map((c) => `query Tree { users${c.a} { ${c.body} } }`);
// A second root field: the fast result is then walked by per-field execution (installFastFields)
// instead of being written whole (operation.ts); both must answer as the ordinary path.
const withSecondRoot = (document: fc.Arbitrary<string>) => document.map((d) => d.replace('{', '{ __typename '));

describe('fast read path: parity with the ordinary path', () => {
  it('answers generated `me` and `users` selections exactly as the ordinary path, for every kind of viewer', async () => {
    const before = { me: await fastCount(fast.app, 'me'), users: await fastCount(fast.app, 'users') };
    await fc.assert(
      fc.asyncProperty(fc.oneof(meDocument, usersDocument, withSecondRoot(meDocument), withSecondRoot(usersDocument)), fc.constantFrom(...viewers), async (query, viewer) => {
        const r = await both(query, viewer);
        expect(response(r.fast), `${viewer.name}: ${query}`).toEqual(response(r.ordinary));
        // In the same key order too (a response is an ordered map, in selection order).
        expect(JSON.stringify(r.fast.data), `${viewer.name}: ${query}`).toBe(JSON.stringify(r.ordinary.data));
      }),
      { numRuns: 250 },
    );
    // Answered by the fast path at all (which share depends on the random viewers drawn; the
    // next test holds the share for the viewers it serves).
    expect(await fastCount(fast.app, 'me')).toBeGreaterThan(before.me);
    expect(await fastCount(fast.app, 'users')).toBeGreaterThan(before.users);
  }, 300_000);

  it('is not vacuous: for the viewers it serves, a good share of generated selections take the fast path (about 45 % here; the rest fall back on what it does not know), still with parity', async () => {
    const served = { me: viewers.find((v) => v.name === 'owner')!, users: viewers.find((v) => v.name === 'operator [users:read, conversations:read]')! };
    for (const [root, documents] of [['me', meDocument], ['users', usersDocument]] as const) {
      const before = await fastCount(fast.app, root);
      await fc.assert(
        fc.asyncProperty(documents, async (query) => {
          const r = await both(query, served[root]);
          expect(response(r.fast), `${served[root].name}: ${query}`).toEqual(response(r.ordinary));
        }),
        { numRuns: 60 },
      );
      const answered = (await fastCount(fast.app, root)) - before;
      console.log(`fast read path: ${root}: ${answered} of 60 generated selections answered fast`);
      expect(answered, root).toBeGreaterThanOrEqual(12);
    }
  }, 300_000);

  it('answers from variables, fragments and repeated fields as the ordinary path does', async () => {
    const operator = viewers.find((v) => v.name === 'operator [users:read, conversations:read]')!;
    const owner = viewers.find((v) => v.name === 'owner')!;
    const query = `query Tree($n: Int, $after: String, $type: ConversationType) {
      users(first: $n) { edges { node { ...U id } } }
      me { ...U conversations(first: 1, after: $after, type: $type) { totalCount } }
    }
    fragment U on User { id conversations(first: 2, after: $after, type: $type) { edges { cursor node { id updatedAt } } pageInfo { endCursor hasNextPage } } }`;
    for (const viewer of [operator, owner]) {
      for (const variables of [{ n: 2 }, { n: 3, after: cursors[0], type: 'GENERAL' }, { n: 1, after: 'junk' }]) {
        const r = await both(query, viewer, variables);
        expect(response(r.fast)).toEqual(response(r.ordinary));
      }
    }
  });
});

describe('fast read path: what it answers, and how', () => {
  const operatorRead = '{ users(first: 20) { edges { node { id conversations(first: 5) { edges { node { id conversationType updatedAt chatSessions(first: 10) { totalCount edges { node { id createdAt } } } } } } } } } }';
  const meRead = '{ me { id conversations(first: 5) { totalCount edges { node { id title updatedAt chatSessions(first: 10) { totalCount edges { node { id createdAt } } } } } } } }';

  it('answers the benchmark reads with one tree statement, whatever the rows (plus the viewer lookup)', async () => {
    const operator = viewers.find((v) => v.name === 'operator [users:read, conversations:read]')!;
    const owner = viewers.find((v) => v.name === 'owner')!;
    // Warm: a viewer's first request may also refresh its activity timestamp.
    await both(meRead, owner);
    await both(operatorRead, operator);
    const count = { me: await fastCount(fast.app, 'me'), users: await fastCount(fast.app, 'users') };
    const small = await both(operatorRead.replace('first: 20', 'first: 1'), operator);
    const large = await both(operatorRead, operator);
    const me = await both(meRead, owner);
    expect(response(large.fast)).toEqual(response(large.ordinary));
    expect(response(me.fast)).toEqual(response(me.ordinary));
    expect(large.fast.errors).toBeUndefined();
    expect(large.fast.sql).toBe(2);
    expect(small.fast.sql).toBe(2);
    expect(me.fast.sql).toBe(2);
    expect(await fastCount(fast.app, 'users')).toBe(count.users + 2);
    expect(await fastCount(fast.app, 'me')).toBe(count.me + 1);
  });

  it('generates the statement of each supported document (snapshot)', async () => {
    const operator = viewers.find((v) => v.name === 'operator [users:read, conversations:read]')!;
    const owner = viewers.find((v) => v.name === 'owner')!;
    const treeSql = (log: string[]) => log.find((s) => s.startsWith(FAST_SQL_TAG));
    const documents: [string, Viewer][] = [
      [operatorRead, operator],
      [meRead, owner],
      ['{ me { id conversations(first: 2, type: INCIDENT) { pageInfo { hasNextPage endCursor } } } }', owner],
      ['{ users(first: 2) { totalCount pageInfo { startCursor } } }', operator],
    ];
    for (const [query, viewer] of documents) expect(treeSql((await fast.gql(query, {}, { token: viewer.token, apiKey: viewer.apiKey })).sqlLog)).toMatchSnapshot(query);
  });

  it('answers a query of one fast root field whole, without per-field execution, in the same bytes order', async () => {
    const operator = viewers.find((v) => v.name === 'operator [users:read, conversations:read]')!;
    const owner = viewers.find((v) => v.name === 'owner')!;
    const whole = async (root: string) =>
      (await fast.app.metrics.getSingleMetric('graphql_fast_read_path_operations_total')!.get()).values.filter((v) => v.labels.root === root).reduce((a, v) => a + v.value, 0);
    for (const [root, query, viewer] of [
      ['users', operatorRead, operator],
      ['me', meRead, owner],
      ['me', 'query Me($n: Int) { mine: me { __typename ...F } } fragment F on User { id conversations(first: $n) { edges { node { __typename id } cursor } totalCount } }', owner],
    ] as const) {
      const before = await whole(root);
      const r = await both(query, viewer, { n: 2 });
      expect(r.fast.errors).toBeUndefined();
      expect(JSON.stringify(r.fast.data)).toBe(JSON.stringify(r.ordinary.data));
      expect(await whole(root), query).toBe(before + 1);
    }
    // With a second root field, or with a directive, the operation is executed field by field.
    const before = await whole('me');
    for (const query of [`{ __typename ${meRead.slice(1)}`, '{ me @include(if: true) { id } }']) {
      const r = await both(query, owner);
      expect(response(r.fast)).toEqual(response(r.ordinary));
    }
    expect(await whole('me')).toBe(before);
  });

  it('answers two selections of the same list under different keys apart, each with its own fields, on the fast path', async () => {
    const operator = viewers.find((v) => v.name === 'operator [users:read, conversations:read]')!;
    const owner = viewers.find((v) => v.name === 'owner')!;
    const conversations = 'conversations(first: 3) { edges { cursor node { id } } e2: edges { node { updatedAt title } } pageInfo { hasNextPage endCursor } }';
    for (const [root, query, viewer] of [
      ['users', `{ users(first: 2) { edges { node { id ${conversations.replace(' title', '')} } } e2: edges { cursor node { createdAt } } } }`, operator],
      ['me', `{ me { id ${conversations} } }`, owner],
    ] as const) {
      const before = await fastCount(fast.app, root);
      const r = await both(query, viewer);
      expect(r.fast.errors).toBeUndefined();
      expect(JSON.stringify(r.fast.data)).toBe(JSON.stringify(r.ordinary.data));
      expect(await fastCount(fast.app, root), query).toBe(before + 1);
    }
  });

  it('on a whole operation over the complexity limit, answers as the ordinary path before any tree statement', async () => {
    const operator = viewers.find((v) => v.name === 'operator [users:read, conversations:read]')!;
    const heavy = await both('{ users(first: 100) { edges { node { conversations(first: 100) { edges { node { chatSessions(first: 100) { edges { node { id createdAt } } } } } } } } } }', operator);
    expect(response(heavy.fast)).toEqual(response(heavy.ordinary));
    expect(heavy.fast.errors?.[0]?.extensions?.code).toBeDefined();
    expect(heavy.fast.sqlLog.filter((s) => s.startsWith(FAST_SQL_TAG))).toEqual([]);
  });

  it('falls back, counted by reason, for what it does not know, and when switched off', async () => {
    const owner = viewers.find((v) => v.name === 'owner')!;
    const outcomes = async () => (await fast.app.metrics.getSingleMetric('graphql_fast_read_path_total')!.get()).values;
    const of = async (outcome: string) => (await outcomes()).filter((v) => v.labels.outcome === outcome).reduce((a, v) => a + v.value, 0);
    for (const [query, reason] of [
      ['{ me { id collectives { id } } }', 'field'],
      ['{ me { id @include(if: true) } }', 'directive'],
      ['{ me { conversations(last: 1) { totalCount } } }', 'argument'],
    ] as const) {
      const before = await of(reason);
      const r = await both(query, owner);
      expect(response(r.fast)).toEqual(response(r.ordinary));
      expect(await of(reason)).toBe(before + 1);
    }
    // The ordinary app never takes it.
    const metric = await ordinary.app.metrics.getSingleMetric('graphql_fast_read_path_total')!.get();
    expect(metric.values.filter((v) => v.labels.outcome === 'fast')).toEqual([]);
  });
});
