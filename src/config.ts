// The environment is read and validated here, once; everything else receives a frozen Config.
import { z } from 'zod';

const bool = z
  .enum(['true', 'false', '1', '0', 'yes', 'no'])
  .transform((v) => v === 'true' || v === '1' || v === 'yes');

/** Attempts allowed per window; 0: no limit. */
const rateLimit = z.coerce.number().int().min(0).max(1_000_000);

const EnvSchema = z.object({
  APP_ENV: z.enum(['development', 'staging', 'production', 'test']).default('development'),
  HOST: z.string().default('0.0.0.0'),
  PORT: z.coerce.number().int().min(0).max(65535).default(4000),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),

  DATABASE_URL: z.string().url().optional(),
  // Scale-out (issue 17): streaming read replicas for reads outside mutations, the window after
  // a viewer's own write during which its reads stay on the primary, and a direct (non-pooled)
  // URL for what needs a session of its own (migrations' advisory lock) when DATABASE_URL is a
  // transaction pooler such as PgBouncer.
  DATABASE_REPLICA_URLS: z
    .string()
    .transform((v) => v.split(',').map((u) => u.trim()).filter(Boolean))
    .pipe(z.array(z.string().regex(/^postgres(ql)?:\/\/\S+$/, 'comma-separated postgres:// URLs')).max(16, 'at most 16 replicas'))
    .optional(),
  READ_YOUR_WRITES_MS: z.coerce.number().int().min(0).max(600_000).default(5000),
  DIRECT_DATABASE_URL: z.string().regex(/^postgres(ql)?:\/\/\S+$/, 'a postgres:// URL').optional(),
  DB_POOL_MAX: z.coerce.number().int().min(1).max(200).default(10),
  DB_POOL_TIMEOUT_MS: z.coerce.number().int().min(100).default(5000),
  DB_STATEMENT_TIMEOUT_MS: z.coerce.number().int().min(0).default(15000),
  // Named prepared statements for the hot raw statements (the fast read path's tree, the session
  // and API key lookups). auto: on unless DIRECT_DATABASE_URL says DATABASE_URL is a transaction pooler
  // (PgBouncer before 1.21 cannot keep them).
  DB_PREPARED_STATEMENTS: z.enum(['auto', 'on', 'off']).default('auto'),
  PGLITE_DATA_DIR: z.string().default('.data/pglite'),

  AUTO_MIGRATE: bool.default(true),
  AUTO_SEED: bool.optional(),

  SESSION_TTL_HOURS: z.coerce.number().int().min(1).default(24 * 30),
  SESSION_TOUCH_INTERVAL_SECONDS: z.coerce.number().int().min(0).default(60),
  INVITATION_TTL_DAYS: z.coerce.number().int().min(1).max(365).default(7),
  PUBLIC_BASE_URL: z.string().url().default('http://localhost:4000'),
  TRUST_PROXY: bool.default(false),
  ENABLE_MOCK_IDP: bool.optional(),

  EMBEDDINGS_PROVIDER: z.enum(['hash', 'openai']).default('hash'),
  EMBEDDINGS_URL: z.string().url().optional(),
  EMBEDDINGS_MODEL: z.string().optional(),
  EMBEDDINGS_API_KEY: z.string().optional(),
  EMBEDDINGS_DIMENSIONS: z.coerce.number().int().min(8).max(4096).default(384),
  EMBEDDINGS_TIMEOUT_MS: z.coerce.number().int().min(100).default(15000),

  // Document search (issue 5): HNSW's candidate list per query, and the level-2 (semantic) result cache.
  HNSW_EF_SEARCH: z.coerce.number().int().min(1).max(1000).default(40),
  RAG_CACHE_ENABLED: bool.default(true),
  RAG_CACHE_TTL_SECONDS: z.coerce.number().int().min(1).default(86_400),
  RAG_CACHE_MAX_DISTANCE: z.coerce.number().min(0).max(2).default(0.05),

  GRAPHIQL: bool.optional(),
  INTROSPECTION: bool.optional(),
  MAX_QUERY_DEPTH: z.coerce.number().int().min(2).default(10),
  MAX_QUERY_COMPLEXITY: z.coerce.number().int().min(10).default(25000),

  // Message transcripts: MongoDB when MONGODB_URL is set, else the app.message table.
  MONGODB_URL: z.string().regex(/^mongodb(\+srv)?:\/\//, 'a mongodb:// or mongodb+srv:// URL').optional(),
  MONGODB_DATABASE: z.string().regex(/^[A-Za-z0-9_-]{1,63}$/, 'letters, digits, _ and - (at most 63)').default('youth_safety'),
  MONGODB_MAX_POOL_SIZE: z.coerce.number().int().min(1).max(500).default(10),
  MESSAGE_STORE_TIMEOUT_MS: z.coerce.number().int().min(100).default(5000),
  OUTBOX_RETRY_INTERVAL_MS: z.coerce.number().int().min(10).default(5000),

  // Conversation analytics (issue 18): a published aggregate cell needs this many distinct
  // teenagers; never below 3, whatever the deployment wants.
  ANALYTICS_MIN_TEENAGERS: z.coerce.number().int().min(3, 'must be at least 3 (k-anonymity floor)').max(1000).default(5),
  // Verifiable parental consent (issue 9): mails through SMTP when SMTP_URL is set, else the
  // development mailbox table; the one-time code's lifetime.
  SMTP_URL: z.string().regex(/^smtps?:\/\/[^\s]+$/, 'an smtp:// or smtps:// URL').optional(),
  MAIL_FROM: z.string().trim().min(3).max(200).default('Youth safety <no-reply@localhost>'),
  MAIL_TIMEOUT_MS: z.coerce.number().int().min(100).default(10_000),
  CONSENT_CODE_TTL_HOURS: z.coerce.number().int().min(1).max(24 * 30).default(72),
  // Observability (issue 12): /metrics is open outside production; in production only with a token.
  // HTTP (issue 12): browser origins allowed by CORS, and the shutdown deadline.
  CORS_ORIGINS: z
    .string()
    .transform((v) => v.split(',').map((o) => o.trim()).filter(Boolean))
    .pipe(z.array(z.string().regex(/^(\*|https?:\/\/[A-Za-z0-9.-]+(:\d{1,5})?)$/, 'comma-separated origins like https://app.example (scheme://host[:port], no path), or *')))
    .optional(),
  SHUTDOWN_TIMEOUT_MS: z.coerce.number().int().min(100).max(600_000).default(10_000),
  // Trusted documents: off | allow | require (src/http/persisted-operations.ts).
  PERSISTED_OPERATIONS: z.enum(['off', 'allow', 'require']).default('allow'),
  PERSISTED_OPERATIONS_API_KEYS: bool.default(true),
  // The fast read path (src/read-path): on by default; off answers every read the ordinary way.
  FAST_READ_PATH: z.enum(['on', 'off']).default('on'),
  METRICS_TOKEN: z.string().min(16, 'at least 16 characters').regex(/^\S+$/, 'no spaces').optional(),
  // OpenTelemetry tracing (issue 12): off unless an OTLP/HTTP collector is named. The standard
  // variable names, so the usual collector settings carry over; spans go to <endpoint>/v1/traces.
  OTEL_EXPORTER_OTLP_ENDPOINT: z.string().url().regex(/^https?:\/\//, 'an http:// or https:// URL').optional(),
  OTEL_SERVICE_NAME: z.string().trim().min(1).max(100).default('youth-safety-graphql-api'),
  // Shared state across instances (issue 15): subscription events and rate-limit counters go
  // through Redis when REDIS_URL is set; in-process otherwise (one instance only).
  REDIS_URL: z.string().regex(/^rediss?:\/\/\S+$/, 'a redis:// or rediss:// URL').optional(),
  REDIS_KEY_PREFIX: z.string().regex(/^[A-Za-z0-9_.:-]{1,64}$/, 'letters, digits and _ . : - (at most 64)').default('ysa'),
  // Rate limits (src/rate-limit): attempts per RATE_LIMIT_WINDOW_SECONDS, per client address and
  // per user; 0 turns that limit off.
  RATE_LIMIT_WINDOW_SECONDS: z.coerce.number().int().min(1).max(86_400).default(60),
  RATE_LIMIT_SIGN_IN_PER_IP: rateLimit.default(1000),
  RATE_LIMIT_SIGN_IN_PER_USER: rateLimit.default(60),
  RATE_LIMIT_PARENTAL_REQUEST_PER_IP: rateLimit.default(300),
  RATE_LIMIT_PARENTAL_REQUEST_PER_USER: rateLimit.default(30),
  RATE_LIMIT_CONSENT_CODE_PER_IP: rateLimit.default(300),
  RATE_LIMIT_CONSENT_CODE_PER_USER: rateLimit.default(30),
  RATE_LIMIT_INVITATION_PREVIEW_PER_IP: rateLimit.default(1000),
  RATE_LIMIT_INVITATION_PREVIEW_PER_USER: rateLimit.default(120),
  RATE_LIMIT_ACCEPT_INVITATION_PER_IP: rateLimit.default(1000),
  RATE_LIMIT_ACCEPT_INVITATION_PER_USER: rateLimit.default(60),
});

export type Env = z.input<typeof EnvSchema>;

/**
 * APP_ENV alone, validated by the same rule as loadConfig's (unset or empty: development). For the
 * schema builder, which is built when its module is imported, before any Config exists; everything
 * else reads `config.env`. Throws "Invalid configuration: APP_ENV: ..." on any other value.
 */
export function appEnv(env: Record<string, string | undefined> = process.env): Config['env'] {
  const parsed = EnvSchema.shape.APP_ENV.safeParse(env.APP_ENV || undefined);
  if (!parsed.success) throw new Error(`Invalid configuration: APP_ENV: ${parsed.error.issues[0]?.message}`);
  return parsed.data;
}

export function loadConfig(env: Record<string, string | undefined> = process.env) {
  const parsed = EnvSchema.safeParse(
    Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== '')),
  );
  if (parsed.success && parsed.data.EMBEDDINGS_PROVIDER === 'openai' && !(parsed.data.EMBEDDINGS_URL && parsed.data.EMBEDDINGS_MODEL)) {
    throw new Error('Invalid configuration: EMBEDDINGS_PROVIDER=openai needs EMBEDDINGS_URL and EMBEDDINGS_MODEL');
  }
  if (parsed.success && parsed.data.APP_ENV === 'production' && parsed.data.AUTO_SEED) {
    // The demo world has public sign-ins and invitation tokens: never in production.
    throw new Error('Invalid configuration: AUTO_SEED: demo data is never loaded when APP_ENV=production');
  }
  if (parsed.success && !parsed.data.DATABASE_URL && (parsed.data.DATABASE_REPLICA_URLS?.length || parsed.data.DIRECT_DATABASE_URL)) {
    // Replicas and a direct URL only make sense next to a PostgreSQL primary (PGlite is one process).
    const name = parsed.data.DIRECT_DATABASE_URL ? 'DIRECT_DATABASE_URL' : 'DATABASE_REPLICA_URLS';
    throw new Error(`Invalid configuration: ${name}: needs DATABASE_URL (a PostgreSQL primary)`);
  }
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ');
    throw new Error(`Invalid configuration: ${problems}`);
  }
  const e = parsed.data;
  const production = e.APP_ENV === 'production';
  return Object.freeze({
    env: e.APP_ENV,
    production,
    host: e.HOST,
    port: e.PORT,
    logLevel: e.LOG_LEVEL,
    database: Object.freeze(
      e.DATABASE_URL
        ? {
            kind: 'postgres' as const,
            url: e.DATABASE_URL,
            poolMax: e.DB_POOL_MAX,
            poolTimeoutMs: e.DB_POOL_TIMEOUT_MS,
            statementTimeoutMs: e.DB_STATEMENT_TIMEOUT_MS,
            /** Streaming read replicas (same schema, read-only); empty: every statement goes to url. */
            replicaUrls: Object.freeze(e.DATABASE_REPLICA_URLS ?? []),
            /** After a viewer's mutation, its reads stay on the primary this long (ms; 0: never). */
            readYourWritesMs: e.READ_YOUR_WRITES_MS,
            /** Session-level work (migrations' advisory lock) bypasses a transaction pooler through this URL; unset: url. */
            directUrl: e.DIRECT_DATABASE_URL,
            /** Hot raw statements as named prepared statements (parsed and planned once per connection). */
            preparedStatements: preparesStatements(e.DB_PREPARED_STATEMENTS, e.DIRECT_DATABASE_URL),
          }
        : { kind: 'pglite' as const, dataDir: e.PGLITE_DATA_DIR },
    ),
    autoMigrate: e.AUTO_MIGRATE,
    // Demo data is loaded on first start of the embedded database unless told otherwise, and
    // never in production (its sign-ins and invitation tokens are public).
    autoSeed: !production && (e.AUTO_SEED ?? !e.DATABASE_URL),
    sessionTtlMs: e.SESSION_TTL_HOURS * 3600_000,
    sessionTouchIntervalMs: e.SESSION_TOUCH_INTERVAL_SECONDS * 1000,
    invitationTtlMs: e.INVITATION_TTL_DAYS * 86_400_000,
    publicBaseUrl: e.PUBLIC_BASE_URL.replace(/\/+$/, ''),
    trustProxy: e.TRUST_PROXY,
    mockIdpEnabled: e.ENABLE_MOCK_IDP ?? !production,
    embeddings: Object.freeze({
      provider: e.EMBEDDINGS_PROVIDER,
      url: e.EMBEDDINGS_URL,
      model: e.EMBEDDINGS_MODEL,
      apiKey: e.EMBEDDINGS_API_KEY,
      dimensions: e.EMBEDDINGS_DIMENSIONS,
      timeoutMs: e.EMBEDDINGS_TIMEOUT_MS,
    }),
    search: Object.freeze({
      /** hnsw.ef_search for each vector query (SET LOCAL in the query's transaction). */
      efSearch: e.HNSW_EF_SEARCH,
      ragCache: Object.freeze({
        enabled: e.RAG_CACHE_ENABLED,
        ttlSeconds: e.RAG_CACHE_TTL_SECONDS,
        /** A cached query answers a new one when their embeddings are at most this cosine distance apart. */
        maxDistance: e.RAG_CACHE_MAX_DISTANCE,
      }),
    }),
    graphiql: e.GRAPHIQL ?? !production,
    introspection: e.INTROSPECTION ?? !production,
    maxQueryDepth: e.MAX_QUERY_DEPTH,
    maxQueryComplexity: e.MAX_QUERY_COMPLEXITY,
    cors: Object.freeze({
      /** Exact origins, or ['*']; empty: no CORS headers. Unset: '*' outside production, none in production. */
      origins: Object.freeze(e.CORS_ORIGINS ?? (production ? [] : ['*'])),
    }),
    /** On SIGTERM/SIGINT: in-flight requests and background work get this long, then the process exits anyway. */
    shutdownTimeoutMs: e.SHUTDOWN_TIMEOUT_MS,
    persistedOperations: Object.freeze({
      mode: e.PERSISTED_OPERATIONS,
      /** In require mode, callers with an API key (operators, scripts) may still send any document. */
      apiKeysMayRunAnyDocument: e.PERSISTED_OPERATIONS_API_KEYS,
    }),
    metrics: Object.freeze({
      /** Off in production unless METRICS_TOKEN is set. */
      enabled: !production || Boolean(e.METRICS_TOKEN),
      /** When set, /metrics needs `Authorization: Bearer <token>` (any environment). */
      token: e.METRICS_TOKEN,
    }),
    /** OpenTelemetry traces over OTLP/HTTP (JSON); undefined: tracing off (src/observability/tracing.ts). */
    tracing: e.OTEL_EXPORTER_OTLP_ENDPOINT
      ? Object.freeze({
          /** Where spans are posted: the endpoint's /v1/traces, as the OTLP exporters' convention. */
          tracesUrl: `${e.OTEL_EXPORTER_OTLP_ENDPOINT.replace(/\/+$/, '')}/v1/traces`,
          serviceName: e.OTEL_SERVICE_NAME,
        })
      : undefined,
    messages: Object.freeze({
      mongoUrl: e.MONGODB_URL,
      mongoDatabase: e.MONGODB_DATABASE,
      mongoMaxPoolSize: e.MONGODB_MAX_POOL_SIZE,
      /** Bounds every message-store call made on a request's path (and MongoDB server selection). */
      timeoutMs: e.MESSAGE_STORE_TIMEOUT_MS,
      /** The outbox worker's poll interval, and the base of its exponential backoff. */
      outboxRetryIntervalMs: e.OUTBOX_RETRY_INTERVAL_MS,
    }),
    analytics: Object.freeze({
      /** k: the distinct teenagers (conversation authors) a published aggregate cell needs. */
      minTeenagers: e.ANALYTICS_MIN_TEENAGERS,
    }),
    notifications: Object.freeze({
      /** SMTP server for outgoing mail; unset: mails go to the development mailbox table. */
      smtpUrl: e.SMTP_URL,
      from: e.MAIL_FROM,
      /** Bounds one mail delivery (connection, greeting, each SMTP exchange). */
      timeoutMs: e.MAIL_TIMEOUT_MS,
      /** The notification outbox's poll interval and backoff base: the message outbox's. */
      retryIntervalMs: e.OUTBOX_RETRY_INTERVAL_MS,
    }),
    /** Whether the hot read trees (src/read-path) are answered by one generated SQL statement. */
    fastReadPath: e.FAST_READ_PATH === 'on',
    redis: Object.freeze({
      /** Unset: events and rate-limit counters stay in this process. */
      url: e.REDIS_URL,
      /** Prefix of every Redis key and pub/sub channel this deployment uses (several may share one Redis). */
      keyPrefix: e.REDIS_KEY_PREFIX,
    }),
    rateLimits: Object.freeze({
      windowSeconds: e.RATE_LIMIT_WINDOW_SECONDS,
      /** Attempts per window and per client address / per user (0: unlimited). */
      signIn: Object.freeze({ perIp: e.RATE_LIMIT_SIGN_IN_PER_IP, perUser: e.RATE_LIMIT_SIGN_IN_PER_USER }),
      requestParentalAuthorization: Object.freeze({ perIp: e.RATE_LIMIT_PARENTAL_REQUEST_PER_IP, perUser: e.RATE_LIMIT_PARENTAL_REQUEST_PER_USER }),
      consentCode: Object.freeze({ perIp: e.RATE_LIMIT_CONSENT_CODE_PER_IP, perUser: e.RATE_LIMIT_CONSENT_CODE_PER_USER }),
      invitationPreview: Object.freeze({ perIp: e.RATE_LIMIT_INVITATION_PREVIEW_PER_IP, perUser: e.RATE_LIMIT_INVITATION_PREVIEW_PER_USER }),
      acceptInvitation: Object.freeze({ perIp: e.RATE_LIMIT_ACCEPT_INVITATION_PER_IP, perUser: e.RATE_LIMIT_ACCEPT_INVITATION_PER_USER }),
    }),
    /** How long a parental consent code is valid after its mail was sent. */
    consentCodeTtlMs: e.CONSENT_CODE_TTL_HOURS * 3600_000,
  });
}

export type Config = ReturnType<typeof loadConfig>;
export type DatabaseConfig = Config['database'];

/** DB_PREPARED_STATEMENTS: `auto` is on unless a DIRECT_DATABASE_URL says DATABASE_URL is a transaction pooler. */
export const preparesStatements = (setting: 'auto' | 'on' | 'off', directUrl: string | undefined) => (setting === 'auto' ? !directUrl : setting === 'on');
