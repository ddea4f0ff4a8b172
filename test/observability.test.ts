// What an operator sees: /metrics in Prometheus format (and who may read it), request ids on
// responses and on every log line of the request, and one access-log line per request.
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pino from 'pino';
import { createTestDatabase, type TestDatabase } from './helpers/db.ts';
import { dbKind } from './helpers/env.ts';
import { testConfig } from './helpers/app.ts';
import { createApp } from '../src/app.ts';
import { schema } from '../src/schema/index.ts';
import { countSql, sqlTotals } from '../src/db/instrument.ts';
import { createSession, createUser } from './factories/index.ts';
import { SEARCH } from './helpers/search.ts';

/** An app whose log lines are kept, parsed, in `lines`. */
function appWithLog(db: TestDatabase, env: Record<string, string> = {}) {
  const lines: Record<string, any>[] = [];
  const raw: string[] = [];
  const stream = new Writable({
    write(chunk, _enc, done) {
      raw.push(String(chunk));
      for (const l of String(chunk).split('\n').filter(Boolean)) lines.push(JSON.parse(l));
      done();
    },
  });
  const app = createApp({ config: testConfig(db, env), db, log: pino({ level: 'debug' }, stream) });
  const post = (body: unknown, headers: Record<string, string> = {}) =>
    app.yoga.fetch('http://test.local/graphql', { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });
  return { app, lines, raw, post };
}

describe(`observability (${dbKind})`, () => {
  let db: TestDatabase;
  let token: string;
  beforeAll(async () => {
    db = await createTestDatabase();
    token = await createUser(db.prisma).then((u) => createSession(db.prisma, u.id)).then((s) => s.token);
  });
  afterAll(() => db.destroy());

  it('/metrics reports operations, durations, error codes, SQL per request, search caches, the pool and the outbox', async () => {
    const { app, post } = appWithLog(db);
    await (await post({ query: 'query Me { me { id conversations(first: 2) { totalCount } } }' }, { authorization: `Bearer ${token}` })).json();
    await (await post({ query: 'query Me { me { id } }' }, { authorization: 'Bearer not-a-real-token-but-long-enough-0000000' })).json();
    await (await post({ query: '{ nope }' })).json();
    await (await post({ query: SEARCH, variables: { query: 'harcèlement' } }, { authorization: `Bearer ${token}` })).json();
    await app.drainBackground();

    const res = await app.yoga.fetch('http://test.local/metrics');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/plain/);
    const text = await res.text();
    expect(text).toMatch(/^graphql_envelop_request\{operationName="Me",operationType="query"\} 1$/m);
    expect(text).toMatch(/^graphql_envelop_request_duration_bucket\{le="[^"]+",operationName="Me",operationType="query"\} 1$/m);
    expect(text).toMatch(/^graphql_yoga_http_duration_count\{operationName="Me",operationType="query",statusCode="200"\} [1-9]$/m);
    expect(text).toMatch(/^graphql_envelop_error_result\{operationName="Anonymous",phase="validate",code="GRAPHQL_VALIDATION_FAILED"\} 1$/m);
    expect(text).toMatch(/^graphql_envelop_error_result\{operationName="Me",phase="context",code="UNAUTHENTICATED"\} 1$/m);
    // Both Me requests (the refused one counts its session lookup too).
    expect(text).toMatch(/^graphql_sql_statements_per_request_count\{operationName="Me"\} 2$/m);
    expect(text).toMatch(/^graphql_sql_statements_per_request_sum\{operationName="Me"\} [1-9]\d*$/m);
    expect(text).toMatch(/^search_cache_lookups_total\{level="embedding",outcome="(hit|miss)"\} 1$/m);
    expect(text).toMatch(/^search_cache_lookups_total\{level="result",outcome="(hit|miss|disabled)"\} 1$/m);
    expect(text).toMatch(/^message_deletion_outbox_rows 0$/m);
    expect(text).toMatch(/^message_deletion_outbox_oldest_age_seconds 0$/m);
    if (dbKind === 'postgres') expect(text).toMatch(/^db_pool_connections\{state="waiting"\} 0$/m);
    expect(text).toMatch(/^process_resident_memory_bytes /m);
  });

  it('operation names from clients cannot flood the metrics with series', async () => {
    const { app, post } = appWithLog(db);
    for (let i = 0; i < 205; i++) await post({ query: `query Op${i} { health { status } }` });
    await post({ query: 'query Weird { health { status } }', operationName: 'Weird' });
    const text = await (await app.yoga.fetch('http://test.local/metrics')).text();
    const names = new Set([...text.matchAll(/^graphql_envelop_request\{operationName="([^"]+)"/gm)].map((m) => m[1]));
    expect(names.size).toBeLessThanOrEqual(201);
    expect(names.has('other')).toBe(true);
    // Every metric with an operationName label, the plugin's phase histograms and summary included.
    const labelled = new Map<string, Set<string>>();
    for (const [, metric, name] of text.matchAll(/^(\w+?)(?:_bucket|_count|_sum)?\{[^}]*operationName="([^"]+)"/gm)) {
      labelled.set(metric, (labelled.get(metric) ?? new Set()).add(name));
    }
    expect([...labelled.keys()]).toEqual(expect.arrayContaining(['graphql_envelop_phase_parse', 'graphql_envelop_phase_validate', 'graphql_envelop_request_time_summary']));
    for (const [metric, set] of labelled) expect(set.size, metric).toBeLessThanOrEqual(202);
  });

  it('no deprecated-field metric while the schema deprecates nothing (the plugin would visit every document for it)', async () => {
    // metrics.ts turns graphql_envelop_deprecated_field off: a field, argument, input field or enum
    // value marked @deprecated must come with that metric declared (labelled with byOperation).
    const deprecated = [...schema.toConfig().types].flatMap((type) => {
      const c = (type as unknown as { toConfig(): unknown }).toConfig() as {
        fields?: Record<string, { deprecationReason?: string | null; args?: Record<string, { deprecationReason?: string | null }> }>;
        values?: Record<string, { deprecationReason?: string | null }>;
      };
      const fields = Object.entries(c.fields ?? {}).flatMap(([f, d]) => [
        ...(d.deprecationReason ? [`${type.name}.${f}`] : []),
        ...Object.entries(d.args ?? {}).flatMap(([a, x]) => (x.deprecationReason ? [`${type.name}.${f}(${a})`] : [])),
      ]);
      const values = Object.entries(c.values ?? {}).flatMap(([v, d]) => (d.deprecationReason ? [`${type.name}.${v}`] : []));
      return [...fields, ...values];
    });
    expect(deprecated).toEqual([]);
    const { app, post } = appWithLog(db);
    await post({ query: '{ health { status } }' });
    const text = await (await app.yoga.fetch('http://test.local/metrics')).text();
    expect(text).not.toMatch(/graphql_envelop_deprecated_field/);
  });

  it('work a request schedules after its response (activity timestamps, cache writes) is not counted as its statements', async () => {
    const { app } = appWithLog(db);
    const before = sqlTotals.statements;
    const { counter } = await countSql(async () => {
      app.services.background(() => db.prisma.$queryRaw`SELECT 1`);
      await app.drainBackground();
    });
    expect(counter.statements).toBe(0);
    // It ran, and the process total counts it.
    expect(sqlTotals.statements - before).toBe(1);
  });

  it('a session refused for a stored label this build does not know says so in the log (503), with its id and never its token', async () => {
    // ADD VALUE cannot run in a transaction block; the label stays in this file's database.
    await db.query(`ALTER TYPE app.session_scope ADD VALUE IF NOT EXISTS 'ZZ_LATER'`);
    const user = await createUser(db.prisma);
    const { token: ahead, session } = await createSession(db.prisma, user.id);
    await db.query(`UPDATE app.app_session SET scope = 'ZZ_LATER' WHERE id = $1`, [session.id]);
    const { post, lines, raw } = appWithLog(db);
    const res = await post({ query: '{ me { id } }' }, { authorization: `Bearer ${ahead}`, 'x-request-id': 'label-ahead-1' });
    expect(res.status).toBe(503);
    const warned = lines.filter((l) => l.level === 40 && /enum label this build does not know/.test(l.msg));
    expect(warned).toEqual([expect.objectContaining({ sessionId: session.id, code: 'SERVICE_UNAVAILABLE', reqId: 'label-ahead-1' })]);
    expect(raw.join('')).not.toContain(ahead);
  });

  it('production: /metrics is off without METRICS_TOKEN, and needs the token when it is set', async () => {
    const off = appWithLog(db, { APP_ENV: 'production' });
    expect((await off.app.yoga.fetch('http://test.local/metrics')).status).toBe(404);
    const secret = 'metrics-secret-0123456789';
    const on = appWithLog(db, { APP_ENV: 'production', METRICS_TOKEN: secret });
    expect((await on.app.yoga.fetch('http://test.local/metrics')).status).toBe(401);
    expect((await on.app.yoga.fetch('http://test.local/metrics', { headers: { authorization: 'Bearer wrong-token-0123456789' } })).status).toBe(401);
    const ok = await on.app.yoga.fetch('http://test.local/metrics', { headers: { authorization: `Bearer ${secret}` } });
    expect(ok.status).toBe(200);
    expect(await ok.text()).toMatch(/^# TYPE graphql_envelop_request counter$/m);
    expect(on.raw.join('')).not.toContain(secret);
  });

  it('a sane x-request-id is echoed, anything else is replaced by a fresh id', async () => {
    const { post } = appWithLog(db);
    expect((await post({ query: '{ health { status } }' }, { 'x-request-id': 'edge-42.a:b_c' })).headers.get('x-request-id')).toBe('edge-42.a:b_c');
    const made = (await post({ query: '{ health { status } }' })).headers.get('x-request-id');
    expect(made).toMatch(/^[0-9a-f-]{36}$/);
    for (const bad of ['has space', 'x'.repeat(129), 'quote"d', 'nul\u0001']) {
      const id = (await post({ query: '{ health { status } }' }, { 'x-request-id': bad })).headers.get('x-request-id');
      expect(id).toMatch(/^[0-9a-f-]{36}$/);
    }
    // Every response carries one, errors and non-GraphQL paths included.
    const { app } = appWithLog(db);
    expect((await app.yoga.fetch('http://test.local/health')).headers.get('x-request-id')).toBeTruthy();
    expect((await post({ query: '{' })).headers.get('x-request-id')).toBeTruthy();
  });

  it('one access-log line per request, with the request id; never the token', async () => {
    const { app, lines, raw, post } = appWithLog(db);
    await (await post({ query: 'query Me { me { id } }' }, { authorization: `Bearer ${token}`, 'x-request-id': 'req-ok' })).json();
    await (await post({ query: 'mutation Nope { signOut { endedSessionIds } }' }, { 'x-request-id': 'req-denied' })).json();
    await (await post({ query: '{ me { id } }' }, { authorization: 'Bearer garbage', 'x-request-id': 'req-badauth' })).json();
    await app.drainBackground();

    const access = lines.filter((l) => l.msg === 'request');
    expect(access.map((l) => l.reqId)).toEqual(['req-ok', 'req-denied', 'req-badauth']);
    expect(access[0]).toMatchObject({ method: 'POST', path: '/graphql', status: 200, operation: 'Me', operationType: 'query', viewer: 'user' });
    expect(access[0].sql).toBeGreaterThan(0);
    expect(access[0].ms).toBeGreaterThan(0);
    expect(access[0].codes).toBeUndefined();
    expect(access[1]).toMatchObject({ operation: 'Nope', operationType: 'mutation', viewer: 'anonymous', codes: ['UNAUTHENTICATED'] });
    expect(access[2]).toMatchObject({ viewer: 'none', codes: ['UNAUTHENTICATED'] });
    expect(raw.join('')).not.toContain(token);
    expect(raw.join('')).not.toMatch(/authorization/i);
  });

  it('every log line of a request carries its id, the masked database error included', async () => {
    const broken = await createTestDatabase();
    const { lines, post } = appWithLog(broken);
    await broken.destroy();
    // health reports the database down in its data; reading flags fails as an outage.
    await (await post({ query: '{ featureFlags { name } }' }, { 'x-request-id': 'req-broken' })).json();
    // PostgreSQL down is an outage (warn); a closed PGlite is an unexpected error: either way,
    // the line that reports it carries the request's id.
    const errorLine = lines.find((l) => l.msg === 'database unavailable' || l.msg === 'unexpected error while executing an operation');
    expect(errorLine?.reqId).toBe('req-broken');
    expect(lines.filter((l) => l.reqId === 'req-broken').length).toBe(lines.length);
  });
});
