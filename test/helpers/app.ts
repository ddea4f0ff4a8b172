// Runs GraphQL over HTTP semantics through yoga.fetch (no port), counting the SQL statements
// each request sends.
import pino from 'pino';
import type { TypedDocumentNode } from '@graphql-typed-document-node/core';
import { print, type DocumentNode, type GraphQLFormattedError } from 'graphql';
import { createApp, type App, type AppDeps } from '../../src/app.ts';
import { loadConfig, type Config } from '../../src/config.ts';
import { countSql } from '../../src/db/instrument.ts';
import type { TestDatabase } from './db.ts';

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
