// Issue 11: a seeded, bounded property-based test. fast-check generates operations from the
// schema (test/helpers/fuzz-operations.ts) and runs them as anonymous, teenager, parent and
// operator, over POST and GET. For every one: no HTTP 5xx, no INTERNAL_SERVER_ERROR, every
// error has a code, and no stack trace or internal text in any error. The server answers a
// normal query afterwards.
//
//   FUZZ_RUNS=20000 npm run test:fuzz                  a longer run
//   FUZZ_SEED=123 FUZZ_PATH=45:0 npm run test:fuzz     replays a failure (both printed on failure)
import { beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { dbKind } from './helpers/env.ts';
import { useTestApp } from './helpers/app.ts';
import { createApiKey, createCollective, createSession, createUser, gid } from './factories/index.ts';
import { operationArb, printOperation, type OperationPlan, type Pools, type Viewer } from './helpers/fuzz-operations.ts';

const RUNS = Number(process.env.FUZZ_RUNS ?? 2000);
const SEED = process.env.FUZZ_SEED ? Number(process.env.FUZZ_SEED) : undefined;
const PATH = process.env.FUZZ_PATH || undefined;
/** FUZZ_COLLECT=1: run every operation and print one reproduction per kind of fault found. */
const COLLECT = !!process.env.FUZZ_COLLECT;

/** Text that must never reach a client: drivers, SQL, stack frames, file paths. */
const INTERNAL = /prisma|pglite|postgres(?!ql-compatible)|node_modules|\/src\/|\.ts:\d+|\bat [\w.<>]+ \(|\bSQL\b|SQLSTATE|violates|constraint|relation "|ECONN|syntax error at|invalid byte sequence|unsupported Unicode|stack/i;

const short = (v: unknown) =>
  JSON.stringify(v, (_k, x) => (typeof x === 'string' && x.length > 80 ? `${x.slice(0, 80)}…(${x.length} chars)` : Array.isArray(x) && x.length > 5 ? [...x.slice(0, 5), `…(${x.length} items)`] : x));

describe(`fuzz: operations generated from the schema (${dbKind})`, () => {
  const api = useTestApp();
  const auth: Record<Viewer, Record<string, string>> = { anonymous: {}, teenager: {}, parent: {}, operator: {} };
  const pools: Pools = { ids: [], cursors: [] };

  async function signInEveryone() {
    auth.teenager = { authorization: `Bearer ${(await createSession(api.prisma, teenId, 'FULL')).token}` };
    auth.parent = { authorization: `Bearer ${(await createSession(api.prisma, parentId, 'FULL')).token}` };
  }
  let teenId: string;
  let parentId: string;

  beforeAll(async () => {
    const teen = await createUser(api.prisma, { userType: 'TEENAGER' });
    const parent = await createUser(api.prisma, { userType: 'PARENT' });
    teenId = teen.id;
    parentId = parent.id;
    await signInEveryone();
    auth.operator = { 'x-api-key': (await createApiKey(api.prisma, ['*'])).key };
    const family = await createCollective(api.prisma, [{ userId: parent.id, role: 'OWNER' }, { userId: teen.id, role: 'MEMBER' }], { parentalConsentGranted: true });
    // Real ids and cursors, then the same made stale by deleting their rows.
    const conversations: { id: string; chatSessions: { id: string }[] }[] = [];
    for (let i = 0; i < 4; i++) {
      conversations.push(await api.prisma.conversation.create({ data: { userId: teen.id, title: `c${i}`, conversationType: 'GENERAL', chatSessions: { create: [{}] } }, include: { chatSessions: true } }));
    }
    const page = await api.gql(`{ me { conversations(first: 10) { edges { cursor node { id } } } } }`, {}, { headers: auth.teenager });
    const edges = page.data.me.conversations.edges as { cursor: string; node: { id: string } }[];
    pools.cursors.push(...edges.map((e) => e.cursor));
    pools.ids.push(
      ...conversations.map((c) => gid('Conversation', c.id)),
      ...conversations.map((c) => gid('ChatSession', c.chatSessions[0].id)),
      gid('Collective', family.id),
      gid('User', teen.id),
      gid('User', parent.id),
      gid('User', conversations[0].id), // a real row's key under another type
    );
    await api.prisma.conversation.delete({ where: { id: conversations[3].id } }); // its id and cursor are now stale
  });

  async function run(plan: OperationPlan) {
    const { query, variables } = printOperation(plan);
    const headers: Record<string, string> = { accept: 'application/graphql-response+json, application/json', ...auth[plan.viewer] };
    let res: Response;
    const vars = JSON.stringify(variables);
    if (plan.get && vars.length < 4000) {
      res = await api.app.yoga.fetch(`http://test.local/graphql?query=${encodeURIComponent(query)}&variables=${encodeURIComponent(vars)}`, { headers });
    } else {
      res = await api.app.yoga.fetch('http://test.local/graphql', { method: 'POST', headers: { ...headers, 'content-type': 'application/json' }, body: JSON.stringify({ query, variables }) });
    }
    const text = await res.text();
    await api.app.drainBackground();
    // Signing out ends the fuzz's own sessions: sign in again for the next operations.
    if (plan.root.name.startsWith('signOut')) await signInEveryone();
    return { query, variables, status: res.status, text };
  }

  // Bounded by the number of runs; the timeout leaves room for a loaded machine.
  it(`${RUNS} generated operations: no 5xx, no INTERNAL_SERVER_ERROR, no internal text`, { timeout: 60_000 + RUNS * 150 }, async () => {
    const ops = operationArb(api.app.schema, pools);
    const failures: string[] = [];
    const kinds = new Map<string, { count: number; example: string }>();
    const started = Date.now();
    const cpu = process.cpuUsage();
    const timing = new Map<string, { n: number; ms: number }>();
    const details = await fc.check(
      fc.asyncProperty(ops, async (plan) => {
        const t0 = performance.now();
        const r = await run(plan);
        if (COLLECT) {
          const t = timing.get(plan.root.name) ?? { n: 0, ms: 0 };
          t.n++;
          t.ms += performance.now() - t0;
          timing.set(plan.root.name, t);
        }
        const problem = (reason: string) => {
          const text = `${reason}\n  as ${plan.viewer} via ${plan.get ? 'GET' : 'POST'}\n  query: ${r.query}\n  variables: ${short(r.variables)}\n  status ${r.status}: ${r.text.slice(0, 600)}`;
          if (!COLLECT) return text;
          const kind = `${reason} in ${plan.root.name}`;
          const seen = kinds.get(kind) ?? { count: 0, example: text };
          seen.count++;
          kinds.set(kind, seen);
          return null;
        };
        const fail = (reason: string) => {
          const text = problem(reason);
          if (text) throw new Error(text);
        };
        if (r.status >= 500) return fail(`HTTP ${r.status}`);
        let body: { errors?: { message: string; extensions?: { code?: string } }[] };
        try {
          body = JSON.parse(r.text);
        } catch {
          return fail('the reply is not JSON');
        }
        for (const e of body.errors ?? []) {
          if (!e.extensions?.code) return fail('an error without extensions.code');
          if (e.extensions.code === 'INTERNAL_SERVER_ERROR') return fail('INTERNAL_SERVER_ERROR');
          if (INTERNAL.test(JSON.stringify(e))) return fail('internal text in an error');
        }
      }),
      { numRuns: RUNS, seed: SEED, path: PATH, endOnFailure: !PATH, verbose: 0 },
    );
    if (details.failed) {
      const cause = details.errorInstance instanceof Error ? details.errorInstance.message : String(details.errorInstance);
      failures.push(`after ${details.numRuns} operations: ${cause}\nReplay: FUZZ_SEED=${details.seed} FUZZ_PATH=${details.counterexamplePath} npm run test:fuzz`);
    }
    if (COLLECT) {
      const used = process.cpuUsage(cpu);
      console.info(`fuzz: ${details.numRuns} operations in ${((Date.now() - started) / 1000).toFixed(1)} s (${((used.user + used.system) / 1e6).toFixed(1)} s of CPU), seed ${details.seed}`);
      const slowest = [...timing].sort((a, b) => b[1].ms - a[1].ms).slice(0, 8);
      console.info(`time by root field: ${slowest.map(([f, t]) => `${f} ${t.n}x ${(t.ms / t.n).toFixed(0)} ms`).join(', ')}`);
      for (const [kind, { count, example }] of kinds) failures.push(`${count} x ${kind}\n${example}`);
    }
    expect(failures.join('\n\n'), `seed ${details.seed}`).toBe('');
    // The server still answers a normal query.
    const health = await api.gql('{ health { status } }');
    expect(health.data.health.status).toBe('ok');
    const me = await api.gql('{ me { id } }', {}, { headers: auth.teenager });
    expect(me.errors).toBeUndefined();
  });
});
