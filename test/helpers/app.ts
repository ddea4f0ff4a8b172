// Runs GraphQL over HTTP semantics through yoga.fetch (no port), counting the SQL statements
// each request sends; useTestApp() gives a describe block its app and fresh database.
import pino from 'pino';
import { afterAll, beforeAll } from 'vitest';
import type { TypedDocumentNode } from '@graphql-typed-document-node/core';
import { print, type DocumentNode, type GraphQLFormattedError } from 'graphql';
import { createApp, type App, type AppDeps } from '../../src/app.ts';
import { loadConfig, type Config } from '../../src/config.ts';
import { countSql } from '../../src/db/instrument.ts';
import { createTestDatabase, type TestDatabase } from './db.ts';
import { person } from '../factories/index.ts';

export interface GqlOptions {
  token?: string;
  apiKey?: string;
  headers?: Record<string, string>;
  /** The socket address yoga sees for the request. */
  remoteAddress?: string;
}

export interface GqlResult<T> {
  status: number;
  data: T | null | undefined;
  errors?: GraphQLFormattedError[];
  extensions?: Record<string, unknown>;
  /** SQL statements the request sent, background work excluded. */
  sql: number;
  sqlLog: string[];
}

export function testConfig(db: TestDatabase, env: Record<string, string> = {}): Config {
  const base = loadConfig({ APP_ENV: 'test', LOG_LEVEL: 'silent', ...env });
  return Object.freeze({ ...base, database: db.config });
}

export function createTestApp(db: TestDatabase, env: Record<string, string> = {}, deps: Partial<Pick<AppDeps, 'messages' | 'notifier' | 'log'>> = {}) {
  const config = testConfig(db, env);
  const app: App = createApp({ config, db, log: pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' }), ...deps });

  async function gql<TData = any, TVars = Record<string, unknown>>(
    document: string | DocumentNode | TypedDocumentNode<TData, TVars>,
    variables?: TVars,
    options: GqlOptions = {},
  ): Promise<GqlResult<TData>> {
    const headers: Record<string, string> = { 'content-type': 'application/json', accept: 'application/graphql-response+json', ...options.headers };
    if (options.token) headers.authorization = `Bearer ${options.token}`;
    if (options.apiKey) headers['x-api-key'] = options.apiKey;
    const query = typeof document === 'string' ? document : print(document);
    const { result: response, counter } = await countSql(
      async () => {
        const res = await app.yoga.fetch(
          'http://test.local/graphql',
          { method: 'POST', headers, body: JSON.stringify({ query, variables }) },
          { req: { socket: { remoteAddress: options.remoteAddress ?? '127.0.0.1' } } },
        );
        return { status: res.status, body: await res.json() };
      },
      true,
    );
    // Read the count before background work (activity timestamps) adds to it.
    const sql = counter.statements;
    const sqlLog = [...(counter.log ?? [])];
    await app.drainBackground();
    return { status: response.status, ...response.body, sql, sqlLog };
  }

  return { app, config, gql };
}

/** The codes of a result's errors, in order. */
export const codesOf = (r: { errors?: GraphQLFormattedError[] }) => (r.errors ?? []).map((e) => e.extensions?.code);

export interface TestAppOptions {
  /** The database pool's size on PostgreSQL (default 10); larger where a test runs requests at once. */
  poolMax?: number;
  /** Configuration variables over the test defaults (APP_ENV=test, LOG_LEVEL=silent). */
  env?: Record<string, string>;
  /** Dependencies to inject; a function of the fresh database where they need it (a message store). */
  deps?: Partial<Pick<AppDeps, 'messages' | 'notifier' | 'log'>> | ((db: TestDatabase) => Partial<Pick<AppDeps, 'messages' | 'notifier' | 'log'>>);
}

export type TestApp = ReturnType<typeof createTestApp> & {
  db: TestDatabase;
  prisma: TestDatabase['prisma'];
  /** factories' person() on this database: a user with a session at `scope` (default a PARENT at FULL). */
  person: (...args: Parameters<typeof person> extends [unknown, ...infer Rest] ? Rest : never) => ReturnType<typeof person>;
};

/**
 * The app and its own fresh database for the enclosing describe block (or file): created in a
 * beforeAll, the database dropped in an afterAll. Call it at the top of the block; its members
 * are usable from the block's hooks and tests (reading one earlier throws). `options` may be a
 * function, run inside that beforeAll, for settings that need something started first (an SMTP
 * server's URL). The block's own afterAll hooks run before this one drops the database (Vitest
 * runs after-hooks last-registered first), so they may still close streams over it.
 */
export function useTestApp(options: TestAppOptions | (() => TestAppOptions | Promise<TestAppOptions>) = {}): TestApp {
  let db: TestDatabase | undefined;
  let api: ReturnType<typeof createTestApp> | undefined;
  beforeAll(async () => {
    const o = typeof options === 'function' ? await options() : options;
    db = await createTestDatabase({ poolMax: o.poolMax });
    api = createTestApp(db, o.env, typeof o.deps === 'function' ? o.deps(db) : o.deps);
  });
  afterAll(async () => {
    await db?.destroy();
  });
  const ready = () => {
    if (!db || !api) throw new Error('useTestApp: read before its beforeAll ran (call it at the top of a describe block)');
    return { db, api };
  };
  return {
    get db() { return ready().db; },
    get prisma() { return ready().db.prisma; },
    get app() { return ready().api.app; },
    get config() { return ready().api.config; },
    gql: (...args) => ready().api.gql(...args),
    person: (...args) => person(ready().db.prisma, ...args),
  } as TestApp;
}
