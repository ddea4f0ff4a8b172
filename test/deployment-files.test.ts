// The Dockerfile and compose.yaml cannot be run here (no Docker engine): these checks read them
// and hold the facts a deployment relies on. Plus production's configuration defaults.
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { loadConfig } from '../src/config.ts';

const root = path.resolve(import.meta.dirname, '..');
const read = (f: string) => readFileSync(path.join(root, f), 'utf8');

/** Dockerfile instructions (continuation lines joined, comments dropped), split into stages. */
function dockerStages(text: string) {
  const lines = text.replace(/\\\n\s*/g, ' ').split('\n').map((l) => l.trim()).filter((l) => l && !l.startsWith('#'));
  const stages: { from: string; name?: string; steps: { op: string; args: string }[] }[] = [];
  for (const line of lines) {
    const [, op, args] = /^(\w+)\s+(.*)$/.exec(line)!;
    if (op.toUpperCase() === 'FROM') {
      const m = /^(\S+)(?:\s+AS\s+(\S+))?/i.exec(args)!;
      stages.push({ from: m[1], name: m[2], steps: [] });
    } else stages.at(-1)!.steps.push({ op: op.toUpperCase(), args });
  }
  return stages;
}

describe('Dockerfile', () => {
  const stages = dockerStages(read('Dockerfile'));
  const runtime = stages.at(-1)!;
  const steps = (op: string, stage = runtime) => stage.steps.filter((s) => s.op === op).map((s) => s.args);

  it('builds in one stage with the lockfile and tsc, and runs compiled JavaScript with plain node in another', () => {
    expect(stages).toHaveLength(2);
    const build = stages[0];
    expect(steps('RUN', build).join('\n')).toMatch(/npm ci\b/);
    expect(steps('RUN', build).join('\n')).toMatch(/npm run -s build/);
    expect(steps('RUN', build).join('\n')).toMatch(/npm prune --omit=dev/);
    expect(JSON.parse(read('package.json')).scripts.build).toMatch(/^tsc -p tsconfig\.build\.json/);
    expect(JSON.parse(steps('CMD')[0])).toEqual(['node', '--max-semi-space-size=64', 'src/main.js']);
    expect(steps('COPY').some((c) => /--from=build .*\/app\/dist\/src \.\/src$/.test(c))).toBe(true);
    // No TypeScript loader at run time.
    expect(steps('CMD').join(' ') + steps('ENTRYPOINT').join(' ')).not.toMatch(/tsx|ts-node|--import/);
  });

  it('runs as a non-root user under an init process, in production, with a health check on /ready', () => {
    expect(runtime.from).toMatch(/^node:22-/);
    expect(steps('USER')).toEqual(['node']);
    expect(JSON.parse(steps('ENTRYPOINT')[0])).toEqual(['/usr/bin/tini', '--']);
    const env = steps('ENV').join(' ');
    expect(env).toMatch(/NODE_ENV=production/);
    expect(env).toMatch(/APP_ENV=production/);
    expect(steps('HEALTHCHECK')[0]).toMatch(/\/ready/);
  });

  it('copies only files that exist, and the build context leaves out local and secret files', () => {
    for (const stage of stages) {
      for (const copy of steps('COPY', stage).filter((c) => !c.includes('--from='))) {
        const sources = copy.replace(/--\S+/g, '').trim().split(/\s+/).slice(0, -1);
        for (const src of sources) expect(existsSync(path.join(root, src)), src).toBe(true);
      }
    }
    const ignored = read('.dockerignore').split('\n').map((l) => l.trim());
    for (const entry of ['.git', 'node_modules', 'dist', '.data', '.env', 'src/generated', 'test/artifacts']) expect(ignored).toContain(entry);
  });
});

describe('compose.yaml', () => {
  const compose = parse(read('compose.yaml'));
  const services = compose.services as Record<string, any>;

  it('has PostgreSQL with pgvector, MongoDB, Redis and the API, each with a health check', () => {
    expect(Object.keys(services).sort()).toEqual(['api', 'mongodb', 'postgres', 'redis']);
    expect(services.postgres.image).toMatch(/^pgvector\/pgvector:/);
    expect(services.mongodb.image).toMatch(/^mongo:/);
    expect(services.redis.image).toMatch(/^redis:/);
    for (const [name, s] of Object.entries(services)) expect(s.healthcheck?.test, name).toBeTruthy();
  });

  it('starts the API after its dependencies are healthy, in production, pointed at them by service name', () => {
    const api = services.api;
    expect(api.build).toBe('.');
    for (const dep of ['postgres', 'mongodb', 'redis']) expect(api.depends_on[dep]).toEqual({ condition: 'service_healthy' });
    expect(api.environment.APP_ENV).toBe('production');
    expect(new URL(api.environment.DATABASE_URL.replace(/\$\{[^}]+\}/g, 'x')).hostname).toBe('postgres');
    expect(new URL(api.environment.MONGODB_URL).hostname).toBe('mongodb');
    expect(api.environment.AUTO_SEED).toBeUndefined();
    expect(api.healthcheck.test.join(' ')).toMatch(/\/ready/);
    // Docker's SIGKILL comes after the drain's own deadline.
    expect(parseInt(api.stop_grace_period, 10) * 1000).toBeGreaterThan(Number(api.environment.SHUTDOWN_TIMEOUT_MS));
    // Secrets come from the environment, never from the file.
    expect(services.postgres.environment.POSTGRES_PASSWORD).toMatch(/^\$\{POSTGRES_PASSWORD:\?/);
  });
});

describe('production configuration', () => {
  it('never loads demo data, even on the embedded database; asking for it is a configuration error', () => {
    expect(loadConfig({ APP_ENV: 'production' }).autoSeed).toBe(false);
    expect(loadConfig({ APP_ENV: 'development' }).autoSeed).toBe(true);
    expect(() => loadConfig({ APP_ENV: 'production', AUTO_SEED: 'true' })).toThrow(/^Invalid configuration: AUTO_SEED: /);
  });

  it('turns off GraphiQL, introspection, the mock identity provider, CORS and unauthenticated metrics', () => {
    const c = loadConfig({ APP_ENV: 'production' });
    expect(c).toMatchObject({ graphiql: false, introspection: false, mockIdpEnabled: false });
    expect(c.cors.origins).toEqual([]);
    expect(c.metrics.enabled).toBe(false);
    expect(loadConfig({ APP_ENV: 'production', METRICS_TOKEN: 'x'.repeat(16) }).metrics).toMatchObject({ enabled: true, token: 'x'.repeat(16) });
  });
});
