// Issue 11, kinds 5 and 7: malformed HTTP requests are the client's 4xx with an extensions.code
// (never originalError), and client mistakes are logged at debug on one line without a stack;
// only unexpected errors reach the error level.
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pino from 'pino';
import { createTestDatabase, type TestDatabase } from './helpers/db.ts';
import { dbKind } from './helpers/env.ts';
import { testConfig } from './helpers/app.ts';
import { createApp, type App } from '../src/app.ts';
import { createSession } from './factories/index.ts';

interface LogLine {
  level: number;
  msg: string;
  err?: { stack?: string };
  [key: string]: unknown;
}

describe(`HTTP edges and error logs (${dbKind})`, () => {
  let db: TestDatabase;
  let app: App;
  const lines: LogLine[] = [];

  beforeAll(async () => {
    db = await createTestDatabase();
    const sink = new Writable({
      write(chunk, _enc, done) {
        for (const line of String(chunk).split('\n').filter(Boolean)) lines.push(JSON.parse(line));
        done();
      },
    });
    app = createApp({ config: testConfig(db), db, log: pino({ level: 'debug' }, sink) });
  });
  afterAll(() => db.destroy());

  // A non-browser client: it sends the header that CSRF prevention asks of GET requests.
  const fetch = (url: string, init: RequestInit = {}) =>
    app.yoga.fetch(new URL(url, 'http://test.local'), { ...init, headers: { 'x-graphql-yoga-csrf': '1', ...(init.headers as Record<string, string>) } });
  const GRAPHQL_JSON = 'application/graphql-response+json';

  it('malformed GET variables or extensions are HTTP 400 BAD_REQUEST, never an internal error', async () => {
    for (const qs of ['variables={bad', 'variables=undefined', 'extensions=[']) {
      const res = await fetch(`/graphql?query=${encodeURIComponent('{health{status}}')}&${qs}`, { headers: { accept: GRAPHQL_JSON } });
      expect(res.status, qs).toBe(400);
      const body = await res.json();
      expect(body.errors[0].extensions.code, qs).toBe('BAD_REQUEST');
      expect(body.errors[0].extensions.originalError, qs).toBeUndefined();
    }
    // Well-formed GET still works.
    const ok = await fetch(`/graphql?query=${encodeURIComponent('query($x: Boolean!) { health @include(if: $x) { status } }')}&variables=${encodeURIComponent('{"x":true}')}`);
    expect(ok.status).toBe(200);
    expect((await ok.json()).data.health.status).toBe('ok');
  });

  it('a POST form, a multipart body and an unreadable media type are 4xx with a code, like the same mistake over GET', async () => {
    const form = (body: string) =>
      fetch('/graphql', { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', accept: GRAPHQL_JSON }, body });
    for (const qs of ['variables={bad', 'variables=undefined', 'extensions=[']) {
      const res = await form(`query=${encodeURIComponent('{health{status}}')}&${qs}`);
      expect(res.status, qs).toBe(400);
      expect((await res.json()).errors[0].extensions, qs).toMatchObject({ code: 'BAD_REQUEST', parameter: qs.split('=')[0] });
    }
    const ok = await form(`query=${encodeURIComponent('{health{status}}')}&variables=${encodeURIComponent('{}')}`);
    expect((await ok.json()).data.health.status).toBe('ok');

    const multipart = (fields: Record<string, string>) => {
      const body = new FormData();
      for (const [k, v] of Object.entries(fields)) body.append(k, v);
      return fetch('/graphql', { method: 'POST', headers: { accept: GRAPHQL_JSON }, body });
    };
    for (const fields of [{ operations: '{bad', map: '{}' }, { operations: '{"query":"{health{status}}"}', map: '[bad' }, { map: '{}' }] as Record<string, string>[]) {
      const res = await multipart(fields);
      expect(res.status, JSON.stringify(fields)).toBe(400);
      const [error] = (await res.json()).errors;
      expect(error.extensions, JSON.stringify(fields)).toEqual({ code: 'BAD_REQUEST' });
    }
    expect((await (await multipart({ operations: '{"query":"{health{status}}"}' })).json()).data.health.status).toBe('ok');

    for (const headers of [{ 'content-type': 'text/plain' }, {}] as Record<string, string>[]) {
      const res = await fetch('/graphql', { method: 'POST', headers, body: new TextEncoder().encode('{"query":"{health{status}}"}') });
      expect(res.status, JSON.stringify(headers)).toBe(415);
      expect((await res.json()).errors[0].extensions.code).toBe('UNSUPPORTED_MEDIA_TYPE');
    }
  });

  it('every 4xx reply carries an extensions.code and no originalError', async () => {
    const cases: [string, RequestInit, string?][] = [
      ['/graphql', { method: 'POST', headers: { 'content-type': 'application/json', accept: GRAPHQL_JSON }, body: '{"query": "{ health { status } }"' }],
      ['/graphql', { method: 'POST', headers: { 'content-type': 'application/json', accept: GRAPHQL_JSON }, body: '42' }],
      ['/graphql', { method: 'POST', headers: { 'content-type': 'application/json', accept: GRAPHQL_JSON }, body: '{}' }],
      ['/graphql', { method: 'POST', headers: { 'content-type': 'application/json', accept: GRAPHQL_JSON }, body: '{"query": "{ health { status } }", "variables": 7}' }],
      ['/graphql', { method: 'PUT', headers: { 'content-type': 'application/json', accept: GRAPHQL_JSON }, body: '{"query": "{ health { status } }"}' }],
      [`/graphql?query=${encodeURIComponent('mutation { signOut { endedSessionIds } }')}`, { headers: { accept: GRAPHQL_JSON } }],
      ['/graphql', { method: 'POST', headers: { 'content-type': 'application/json', accept: GRAPHQL_JSON }, body: '{"query": "{ health { "}' }],
      ['/graphql', { method: 'POST', headers: { 'content-type': 'application/json', accept: GRAPHQL_JSON }, body: '{"query": "{ nope }"}' }],
    ];
    // A browser's simple GET without the CSRF header (the helper adds it; this one goes around it).
    const csrf = await app.yoga.fetch(new URL(`/graphql?query=${encodeURIComponent('{health{status}}')}`, 'http://test.local'), { headers: { accept: GRAPHQL_JSON } });
    expect(csrf.status).toBe(403);
    expect((await csrf.json()).errors.every((e: { extensions?: { code?: unknown; originalError?: unknown } }) => typeof e.extensions?.code === 'string' && !e.extensions.originalError)).toBe(true);
    for (const [url, init] of cases) {
      const res = await fetch(url, init);
      const label = `${init.method ?? 'GET'} ${url} ${String(init.body ?? '')}`;
      expect(res.status, label).toBeGreaterThanOrEqual(400);
      expect(res.status, label).toBeLessThan(500);
      const body = await res.json();
      for (const error of body.errors) {
        expect(typeof error.extensions?.code, label).toBe('string');
        expect(error.extensions.originalError, label).toBeUndefined();
      }
    }
  });

  it('client mistakes are logged at debug, one line, no stack; nothing reaches the error level', async () => {
    lines.length = 0;
    const post = (query: string, variables?: unknown) =>
      fetch('/graphql', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query, variables }) });
    await post('query($id: ID!) { conversation(id: $id) { id } }', { id: 'garbage' });
    await post('query($n: [String!]) { featureFlags(names: $n) { name } }', { n: 7 });
    await post('{ me { id } }');
    await post('mutation($i: SignInInput!) { signIn(input: $i) { token } }', { i: { idp: 'MOCK_IDP', loginId: 'a\u0000', origin: 'x' } });
    await post('mutation { acceptTerms(input: { capabilities: {} }) { session { id } } }');
    await fetch(`/graphql?query=${encodeURIComponent('{health{status}}')}&variables={bad`);
    expect(lines.filter((l) => l.level >= 50)).toEqual([]);
    const clientLines = lines.filter((l) => l.code);
    expect(clientLines.length).toBeGreaterThanOrEqual(4);
    for (const l of clientLines) {
      expect(l.level).toBeLessThanOrEqual(30);
      expect(JSON.stringify(l)).not.toMatch(/"stack"|\\n\s+at /);
    }
  });

  it('a variable that does not coerce is named with its path and reason, never with its value (reply and log)', async () => {
    // graphql-js echoes the offending value, for a missing field the whole input object: here a
    // child's story and a sign-in's capabilities, which must reach neither the client's reply nor the log.
    const SECRET = 'SECRET-STORY-of-a-child-0c41';
    lines.length = 0;
    const RECORD = 'mutation($i: RecordConversationAnalyticsInput!) { recordConversationAnalytics(input: $i) { created } }';
    const base = { conversationId: 'Q29udmVyc2F0aW9uOjE=', chatbotVersion: '1', language: 'fr', bullyingMessage: `${SECRET} "quoted"; and more` };
    const cases: [string, unknown, RegExp][] = [
      [RECORD, { i: { ...base, chatbotVersion: undefined } }, /^Variable "\$i" got an invalid value; Field "chatbotVersion" of required type "String!" was not provided\.$/],
      [RECORD, { i: { ...base, mood: SECRET } }, /^Variable "\$i" got an invalid value at "i\.mood"; Value <redacted> does not exist in "AnalyticsMood" enum\.$/],
      [RECORD, { i: { ...base, messages: [{ messageIndex: SECRET, category: 'INSULTS' }] } }, /^Variable "\$i" got an invalid value at "i\.messages\[0\]\.messageIndex"; Int cannot represent non-integer value: <redacted>$/],
      // Our own scalar (LanguageCode) refusing the value: graphql-js wraps a coded error of ours.
      [RECORD, { i: { ...base, language: SECRET } }, /^Variable "\$i" got an invalid value at "i\.language"; LanguageCode must be an ISO 639-1 code in lower case, e\.g\. "fr"$/],
      ['query($f: AnalyticsSummaryFilter) { analyticsSummary(filter: $f) { k } }', { f: { since: SECRET } }, /^Variable "\$f" got an invalid value at "f\.since"; DateTime cannot represent an invalid date-time-string <redacted>\.$/],
      ['mutation($i: SignInInput!) { signIn(input: $i) { token } }', { i: { loginId: 'a', origin: 'x', capabilities: { note: SECRET } } }, /^Variable "\$i" got an invalid value; Field "idp" of required type "IdentityProvider!" was not provided\.$/],
    ];
    for (const [query, variables, message] of cases) {
      const res = await fetch('/graphql', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query, variables }) });
      const body = await res.json();
      expect(body.errors[0].extensions.code).toBe('BAD_USER_INPUT');
      expect(body.errors[0].message).toMatch(message);
      expect(JSON.stringify(body)).not.toContain('SECRET');
    }
    expect(lines.some((l) => l.code === 'BAD_USER_INPUT')).toBe(true);
    expect(JSON.stringify(lines)).not.toContain('SECRET');
  });

  it('an unexpected error is logged at error level with its stack, once', async () => {
    const broken = await createTestDatabase();
    const sinkLines: LogLine[] = [];
    const sink = new Writable({
      write(chunk, _enc, done) {
        for (const line of String(chunk).split('\n').filter(Boolean)) sinkLines.push(JSON.parse(line));
        done();
      },
    });
    const brokenApp = createApp({ config: testConfig(broken), db: broken, log: pino({ level: 'debug' }, sink) });
    await broken.destroy();
    const res = await brokenApp.yoga.fetch('http://test.local/graphql', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query: '{ featureFlags { name } }' }),
    });
    const body = await res.json();
    expect(body.errors[0].extensions.code).toBe('INTERNAL_SERVER_ERROR');
    const errors = sinkLines.filter((l) => l.level >= 50);
    expect(errors).toHaveLength(1);
    expect(errors[0].err?.stack).toBeTruthy();
  });

  it('a Prisma field answering null without a row (anonymous me with relations, an ended session) is null, not an internal error', async () => {
    const post = async (query: string, headers: Record<string, string> = {}) =>
      (await fetch('/graphql', { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify({ query }) })).json();
    const me = await post('{ me { id memberships { id } conversations { totalCount } } }');
    expect(me).toEqual({ data: { me: null } });
    const user = await db.prisma.user.create({ data: { userType: 'PARENT' } });
    const { token } = await createSession(db.prisma, user.id);
    const out = await post('mutation { signOutEverywhere { session { id user { id } } } }', { authorization: `Bearer ${token}` });
    expect(out).toEqual({ data: { signOutEverywhere: { session: null } } });
  });
});
