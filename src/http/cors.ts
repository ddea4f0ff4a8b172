// CORS from configuration. This API authenticates with headers (Authorization, X-Api-Key), never
// cookies, so browsers never need credentials mode: `Access-Control-Allow-Credentials` is never
// sent, and a wildcard is only ever a wildcard without credentials.
//   CORS_ORIGINS unset: development/test allow any origin (`*`); production sends no CORS headers
//                       (same-origin only).
//   CORS_ORIGINS=https://a.example,https://b.example: exactly those origins; `*`: any origin.
import type { YogaServerOptions } from 'graphql-yoga';
import type { Config } from '../config.ts';

type CorsOption = NonNullable<YogaServerOptions<object, object>['cors']>;

export function corsOptions(config: Pick<Config, 'cors'>): CorsOption {
  const { origins } = config.cors;
  if (origins.length === 0) return false;
  return {
    origin: origins.includes('*') ? '*' : [...origins],
    credentials: false,
    methods: ['GET', 'POST', 'OPTIONS'],
    // x-primary-until: read-your-writes across instances (src/db/routing.ts), returned and sent back.
    allowedHeaders: ['authorization', 'content-type', 'accept', 'x-api-key', 'x-request-id', 'x-primary-until', 'x-graphql-yoga-csrf', 'graphql-preflight'],
    exposedHeaders: ['x-request-id', 'x-primary-until'],
    maxAge: 600,
  };
}
