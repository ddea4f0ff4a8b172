// OpenTelemetry tracing, end to end: an app with OTEL_EXPORTER_OTLP_ENDPOINT set exports its
// spans to a real OTLP/HTTP receiver on a loopback port (the outer edge: a tiny HTTP server that
// decodes the exporter's JSON), one trace per request with parse, validate, execute and SQL spans.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pino from 'pino';
import { createTestDatabase, type TestDatabase } from './helpers/db.ts';
import { dbKind } from './helpers/env.ts';
import { testConfig } from './helpers/app.ts';
import { createApp, type App } from '../src/app.ts';
import { loadConfig } from '../src/config.ts';
import { EXPORT_TIMEOUT_MS } from '../src/observability/tracing.ts';
import { createSession, createUser } from './factories/index.ts';

interface OtlpSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  kind: number;
  attributes: { key: string; value: { stringValue?: string; intValue?: number | string } }[];
  status?: { code?: number };
}

/** An OTLP/HTTP trace receiver: every POST to /v1/traces is decoded and its spans kept. */
async function startReceiver() {
  const spans: OtlpSpan[] = [];
  const resources: Record<string, unknown>[] = [];
  const requests: { path: string; contentType: string }[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      requests.push({ path: req.url ?? '', contentType: String(req.headers['content-type']) });
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
      for (const rs of body.resourceSpans ?? []) {
        resources.push(Object.fromEntries(rs.resource.attributes.map((a: OtlpSpan['attributes'][0]) => [a.key, a.value.stringValue])));
        for (const ss of rs.scopeSpans ?? []) spans.push(...ss.spans);
      }
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}`, spans, resources, requests, close: () => new Promise((r) => server.close(r)) };
}

const attr = (span: OtlpSpan, key: string) => {
  const v = span.attributes.find((a) => a.key === key)?.value;
  return v?.stringValue ?? (v?.intValue === undefined ? undefined : Number(v.intValue));
};

describe(`OpenTelemetry tracing to an OTLP/HTTP receiver (${dbKind})`, () => {
  let db: TestDatabase;
  let receiver: Awaited<ReturnType<typeof startReceiver>>;
  let app: App;
  let token: string;

  beforeAll(async () => {
    db = await createTestDatabase();
    receiver = await startReceiver();
    token = await createUser(db.prisma).then((u) => createSession(db.prisma, u.id)).then((s) => s.token);
    app = createApp({
      config: testConfig(db, { OTEL_EXPORTER_OTLP_ENDPOINT: `${receiver.url}/`, OTEL_SERVICE_NAME: 'api-under-test' }),
      db,
      log: pino({ level: 'silent' }),
    });
  });
  afterAll(async () => {
    await app?.shutdownTracing();
    await receiver?.close();
    await db?.destroy();
  });

  const post = (body: unknown, headers: Record<string, string> = {}) =>
    app.yoga.fetch('http://test.local/graphql', {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}`, ...headers },
      body: JSON.stringify(body),
    });

  it('exports one trace per request: request → parse, validate, execute → SQL statements', async () => {
    const callerTrace = '4bf92f3577b34da6a3ce929d0e0e4736';
    const secret = 87; // a variable value: never exported (as text: "first":87 or 87 alone)
    const res = await post(
      { query: 'query MyConversations($first: Int) { me { id conversations(first: $first) { totalCount } } }', variables: { first: secret }, operationName: 'MyConversations' },
      { traceparent: `00-${callerTrace}-00f067aa0ba902b7-01` },
    );
    expect(res.status).toBe(200);
    expect((await res.json()).errors).toBeUndefined();
    const second = await post({ query: 'query Again { me { id } }' });
    expect(second.status).toBe(200);
    await second.json();

    await app.shutdownTracing(); // flushes the batch to the receiver
    expect(receiver.requests.length).toBeGreaterThan(0);
    expect(receiver.requests.every((r) => r.path === '/v1/traces' && r.contentType.startsWith('application/json'))).toBe(true);
    expect(receiver.resources[0]).toMatchObject({ 'service.name': 'api-under-test' });

    const trace = receiver.spans.filter((s) => s.traceId === callerTrace);
    const byName = (name: string) => trace.filter((s) => s.name === name);
    // The caller's W3C trace context is continued: the request span's parent is the caller's span.
    const [request] = byName('POST /graphql');
    expect(request).toBeDefined();
    expect(request.parentSpanId).toBe('00f067aa0ba902b7');
    expect(request.kind).toBe(2); // SERVER
    expect(attr(request, 'http.response.status_code')).toBe(200);

    const [parse] = byName('graphql.parse');
    const [validate] = byName('graphql.validate');
    const [execute] = byName('query.MyConversations');
    for (const span of [parse, validate, execute]) expect(span?.parentSpanId).toBe(request.spanId);
    expect(attr(execute, 'graphql.execute.operationName')).toBe('MyConversations');
    // The document is exported because it has no inline argument (whose literal could be personal).
    expect(attr(execute, 'graphql.execute.document')).toMatch(/conversations\(first: \$first\)/);

    // Every SQL statement of the request is a CLIENT span under the request (the session lookup
    // under the request span, the resolvers' statements under the execution).
    const sql = trace.filter((s) => attr(s, 'db.system.name') === 'postgresql');
    expect(sql.length).toBeGreaterThanOrEqual(2);
    for (const s of sql) {
      expect(s.kind).toBe(3); // CLIENT
      expect([request.spanId, execute.spanId]).toContain(s.parentSpanId);
      expect(s.name).toMatch(/^[A-Z]+$/);
      // The statement's first keyword, after a leading comment (the fast read path's tag).
      expect(String(attr(s, 'db.query.text'))).toMatch(new RegExp(`^(?:/\\*[^*]*\\*/\\s*)?${s.name}`, 'i'));
    }
    expect(sql.some((s) => s.parentSpanId === execute.spanId && s.name === 'SELECT')).toBe(true);

    // The second request is its own trace.
    const again = receiver.spans.find((s) => s.name === 'query.Again');
    expect(again && again.traceId).not.toBe(callerTrace);
    expect(receiver.spans.filter((s) => s.traceId === again!.traceId && s.name === 'POST /graphql')).toHaveLength(1);

    // Never exported: variable values, the bearer token.
    const everything = JSON.stringify(receiver.spans);
    expect(everything).not.toMatch(/\b87\b/);
    expect(everything).not.toContain(token);
  });

  it('never exports an error message: a variable that does not coerce is quoted by graphql-js before masking', async () => {
    // Its own app: the first test shut the other one's tracing down.
    const local = createApp({ config: testConfig(db, { OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url }), db, log: pino({ level: 'silent' }) });
    const story = 'my-secret-story-about-school'; // a child's message text
    const send = (body: unknown) =>
      Promise.resolve(
        local.yoga.fetch('http://test.local/graphql', {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: `Bearer ${token}`, 'x-request-id': 'req-tracing-1' },
          body: JSON.stringify(body),
        }),
      ).then((r) => r.json());
    const bad = await send({
      query: 'mutation Append($input: AppendMessagesInput!) { appendMessages(input: $input) { count } }',
      variables: { input: { chatSessionId: 'x', messages: [{ content: story }] } },
    });
    expect(bad.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    const badInt = await send({ query: 'query Page($f: Int) { me { id conversations(first: $f) { totalCount } } }', variables: { f: 'my-secret-int-value' } });
    expect(badInt.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    await local.shutdownTracing();

    const everything = JSON.stringify(receiver.spans);
    expect(everything).not.toContain(story);
    expect(everything).not.toContain('my-secret-int-value');
    // What is kept instead: the status, and the codes the client was shown, on the request span.
    const mine = receiver.spans.filter((s) => s.attributes.some((a) => a.key === 'http.request.id' && a.value.stringValue === 'req-tracing-1'));
    expect(mine).toHaveLength(2);
    for (const span of mine) {
      const codes = span.attributes.find((a) => a.key === 'graphql.error.codes')?.value as { arrayValue?: { values: { stringValue: string }[] } };
      expect(codes?.arrayValue?.values.map((v) => v.stringValue)).toContain('BAD_USER_INPUT');
    }
    const execute = receiver.spans.find((s) => s.name === 'mutation.Append');
    expect(execute?.status?.code).toBe(2); // ERROR
  });

  it('a collector that never answers, or is not there, slows neither requests nor shutdown', async () => {
    // Accepts the connection and never replies (a hung collector); and a closed port.
    const hung = createServer(() => {});
    await new Promise<void>((resolve) => hung.listen(0, '127.0.0.1', resolve));
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const closedPort = (closed.address() as AddressInfo).port;
    await new Promise((r) => closed.close(r));
    try {
      for (const endpoint of [`http://127.0.0.1:${(hung.address() as AddressInfo).port}`, `http://127.0.0.1:${closedPort}`]) {
        const local = createApp({ config: testConfig(db, { OTEL_EXPORTER_OTLP_ENDPOINT: endpoint }), db, log: pino({ level: 'silent' }) });
        const res = await local.yoga.fetch('http://test.local/graphql', {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
          body: JSON.stringify({ query: '{ me { id } }' }),
        });
        expect(res.status).toBe(200);
        expect((await res.json()).data.me.id).toBeTruthy();
        // The SDK's defaults would wait 10 s per export and 30 s per flush; shutdown waits at most
        // EXPORT_TIMEOUT_MS (+ 0.5 s) for the last batch. Bound generous for a loaded machine.
        const started = Date.now();
        await local.shutdownTracing();
        expect(Date.now() - started).toBeLessThan(EXPORT_TIMEOUT_MS + 3_000);
      }
    } finally {
      hung.closeAllConnections();
      await new Promise((r) => hung.close(r));
    }
  });

  it('is off unless OTEL_EXPORTER_OTLP_ENDPOINT is set, and a bad endpoint is one clear configuration error', () => {
    expect(loadConfig({ APP_ENV: 'test' }).tracing).toBeUndefined();
    expect(loadConfig({ APP_ENV: 'test', OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318' }).tracing).toEqual({
      tracesUrl: 'http://collector:4318/v1/traces',
      serviceName: 'youth-safety-graphql-api',
    });
    expect(() => loadConfig({ OTEL_EXPORTER_OTLP_ENDPOINT: 'collector:4318' })).toThrow(/^Invalid configuration: OTEL_EXPORTER_OTLP_ENDPOINT: /);
  });
});
