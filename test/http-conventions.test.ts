// HTTP conventions: CORS from configuration, CSRF prevention for requests a browser sends without
// a preflight, graceful shutdown under a burst (a real child process), and configuration errors
// that read as one line.
import { spawn, type ChildProcess } from 'node:child_process';
import http from 'node:http';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from './helpers/db.ts';
import { dbKind } from './helpers/env.ts';
import { createTestApp } from './helpers/app.ts';
import { loadConfig } from '../src/config.ts';

const root = path.resolve(import.meta.dirname, '..');

describe(`CORS and CSRF (${dbKind})`, () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase();
  });
  afterAll(() => db.destroy());

  const preflight = (env: Record<string, string>, origin: string) =>
    createTestApp(db, env).app.yoga.fetch('http://test.local/graphql', {
      method: 'OPTIONS',
      headers: { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization,content-type' },
    });

  it('development allows any origin, never with credentials', async () => {
    const res = await preflight({}, 'https://anything.example');
    // whatwg-node answers "any origin" by reflecting it; without credentials that is the same as *.
    expect(['*', 'https://anything.example']).toContain(res.headers.get('access-control-allow-origin'));
    expect(res.headers.get('access-control-allow-credentials')).toBeNull();
    expect(res.headers.get('access-control-allow-headers')).toMatch(/authorization/);
  });

  it('production sends no CORS headers unless CORS_ORIGINS is set, then only to those origins', async () => {
    expect((await preflight({ APP_ENV: 'production' }, 'https://app.example')).headers.get('access-control-allow-origin')).toBeNull();
    const env = { APP_ENV: 'production', CORS_ORIGINS: 'https://app.example, https://admin.example:8443' };
    const ok = await preflight(env, 'https://admin.example:8443');
    expect(ok.headers.get('access-control-allow-origin')).toBe('https://admin.example:8443');
    expect(ok.headers.get('access-control-allow-credentials')).toBeNull();
    const evil = await preflight(env, 'https://evil.example');
    expect(evil.headers.get('access-control-allow-origin') ?? '').not.toMatch(/evil|\*/);
    const star = await preflight({ APP_ENV: 'production', CORS_ORIGINS: '*' }, 'https://x.example');
    expect(['*', 'https://x.example']).toContain(star.headers.get('access-control-allow-origin'));
    expect(star.headers.get('access-control-allow-credentials')).toBeNull();
    // A GraphQL response also carries the exposed request id header for allowed origins.
    const { app } = createTestApp(db, env);
    const res = await app.yoga.fetch('http://test.local/graphql', { method: 'POST', headers: { origin: 'https://app.example', 'content-type': 'application/json' }, body: '{"query":"{ health { status } }"}' });
    expect(res.headers.get('access-control-allow-origin')).toBe('https://app.example');
    expect(res.headers.get('access-control-expose-headers')).toMatch(/x-request-id/);
  });

  it('once shutdown starts, /ready answers 503 while /health stays live', async () => {
    const { app } = createTestApp(db);
    expect((await app.yoga.fetch('http://test.local/ready')).status).toBe(200);
    app.startDraining();
    expect((await app.yoga.fetch('http://test.local/ready')).status).toBe(503);
    expect((await app.yoga.fetch('http://test.local/health')).status).toBe(200);
  });

  it('CORS_ORIGINS with a path, a bad scheme or junk is refused at start-up, naming the variable', () => {
    for (const bad of ['https://app.example/path', 'ftp://x.example', 'app.example', 'https://a.example,javascript:alert(1)']) {
      expect(() => loadConfig({ CORS_ORIGINS: bad })).toThrow(/^Invalid configuration: CORS_ORIGINS/);
    }
  });

  it('CSRF: a GET or a form/text POST without a preflight-forcing header is refused; JSON and credentialed requests pass', async () => {
    const { app } = createTestApp(db);
    const q = encodeURIComponent('{ health { status } }');
    const bare = await app.yoga.fetch(`http://test.local/graphql?query=${q}`, { headers: { accept: 'application/json' } });
    expect(bare.status).toBe(403);
    const text = await app.yoga.fetch('http://test.local/graphql', { method: 'POST', headers: { 'content-type': 'text/plain' }, body: '{"query":"{ health { status } }"}' });
    expect(text.status).toBe(403);
    const marked = await app.yoga.fetch(`http://test.local/graphql?query=${q}`, { headers: { accept: 'application/json', 'x-graphql-yoga-csrf': '1' } });
    expect(marked.status).toBe(200);
    const json = await app.yoga.fetch('http://test.local/graphql', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"query":"{ health { status } }"}' });
    expect(json.status).toBe(200);
    // GraphiQL's page itself is a plain GET and still opens.
    expect((await app.yoga.fetch('http://test.local/graphql', { headers: { accept: 'text/html' } })).status).toBe(200);
  });
});

/** Starts `node src/main.ts` on a free port; resolves once it logs that it is ready. */
function startChild(env: Record<string, string>) {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
    cwd: root,
    env: { PATH: process.env.PATH!, HOME: process.env.HOME ?? '/tmp', HOST: '127.0.0.1', PORT: '0', PGLITE_DATA_DIR: 'memory://', AUTO_SEED: 'false', LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: Record<string, any>[] = [];
  let stderr = '';
  child.stderr!.on('data', (d) => (stderr += d));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const ready = new Promise<string>((resolve, reject) => {
    let buf = '';
    child.stdout!.on('data', (d) => {
      buf += d;
      let i;
      while ((i = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, i);
        buf = buf.slice(i + 1);
        try {
          const parsed = JSON.parse(line);
          lines.push(parsed);
          if (parsed.msg === 'GraphQL API ready') resolve(parsed.url);
        } catch {
          /* not a log line */
        }
      }
    });
    exited.then((code) => reject(new Error(`server exited (${code}) before it was ready: ${stderr}`)));
  });
  ready.catch(() => {}); // a child that is meant to fail is awaited through `exited`
  return { child, ready, exited, lines, stderr: () => stderr };
}

/** One request on its own connection (no keep-alive pool): resets show up as errors. */
function post(url: string, body: string) {
  return new Promise<{ status: number; body: string } | { error: string }>((resolve) => {
    const req = http.request(url, { method: 'POST', agent: false, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } }, (res) => {
      let data = '';
      res.on('data', (d) => (data += d));
      res.on('end', () => resolve({ status: res.statusCode!, body: data }));
      res.on('error', (err) => resolve({ error: (err as NodeJS.ErrnoException).code ?? err.message }));
    });
    req.on('error', (err) => resolve({ error: (err as NodeJS.ErrnoException).code ?? err.message }));
    req.end(body);
  });
}

describe('graceful shutdown of the real server process', () => {
  let server: ReturnType<typeof startChild> | undefined;
  afterAll(() => {
    if (server && server.child.exitCode === null) server.child.kill('SIGKILL');
  });

  it('SIGTERM during a burst of 30 concurrent requests: every request is answered, then the process exits 0 in time', async () => {
    // A generous deadline: on a loaded machine the burst itself takes seconds; the test asserts
    // that the drain answers everything and exits 0 before the deadline, not a speed.
    server = startChild({ SHUTDOWN_TIMEOUT_MS: '60000' });
    const url = await server.ready;
    // 10 aliases of the health check: 10 statements each, so the burst is still being served
    // (queued on the embedded database's single connection) when the signal arrives.
    const query = `{ ${Array.from({ length: 10 }, (_, i) => `h${i}: health { status database }`).join(' ')} }`;
    const body = JSON.stringify({ query });
    expect((await post(url, body)) as { status: number }).toMatchObject({ status: 200 });

    const burst = Array.from({ length: 30 }, () => post(url, body));
    await new Promise((resolve) => setTimeout(resolve, 30));
    const signalledAt = Date.now();
    server.child.kill('SIGTERM');
    const results = await Promise.all(burst);
    const code = await server.exited;
    const tookMs = Date.now() - signalledAt;

    const failures = results.filter((r) => 'error' in r || r.status !== 200);
    expect(failures, JSON.stringify(failures.slice(0, 3))).toEqual([]);
    for (const r of results as { body: string }[]) expect(JSON.parse(r.body).data.h9.status).toBe('ok');
    expect(code).toBe(0);
    expect(tookMs).toBeLessThan(60_000);
    expect(server.lines.some((l) => l.msg === 'shut down cleanly')).toBe(true);
    // Nothing listens any more.
    expect(await post(url, body)).toEqual({ error: 'ECONNREFUSED' });
  }, 240_000); // the child's start (tsx, migrations) is slow on a loaded machine; the drain itself is not

  it('a configuration error is one line naming the variable, with no stack trace', async () => {
    const bad = startChild({ PORT: 'eighty', CORS_ORIGINS: 'https://ok.example' });
    const code = await bad.exited;
    expect(code).toBe(1);
    const text = bad.stderr().trim();
    expect(text.split('\n')).toHaveLength(1);
    expect(text).toMatch(/^Invalid configuration: PORT: /);
    expect(text).not.toMatch(/\bat .*\(|node:internal|\.ts:\d+/);
  }, 120_000);
});
