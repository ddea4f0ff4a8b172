// Boots the service: database, migrations, first-run demo data, yoga on an HTTP server.
// main.ts and the benchmarks share it; it never touches process signals.
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from 'pino';
import type { Config } from './config.ts';
import { openDatabase, type Database } from './db/database.ts';
import { applyMigrations } from './db/migrate/runner.ts';
import { createApp } from './app.ts';
import { createSearchService } from './search/factory.ts';
import type { SearchService } from './search/service.ts';
import { assertEmbeddingsMatch } from './search/embedding-state.ts';
import { defaultContentDir, isSeeded, seedDatabase } from './seed/index.ts';
import { knowledgeBaseSeeder } from './seed/knowledge-base.ts';
import { createMessageStore } from './messages/factory.ts';
import { startOutboxWorker } from './messages/outbox.ts';
import { createNotifier } from './notifications/notifier.ts';
import { startNotificationWorker } from './notifications/outbox.ts';
import { connectionDrainer } from './http/drain.ts';
import { attachWebSocket } from './http/websocket.ts';
import { persistedDocumentResolver } from './http/persisted-operations.ts';
import { connectRedis } from './redis.ts';

/**
 * Migrations, then the demo data when asked for and not yet there, embedded with the search
 * service's provider; then the check that the stored vectors are that provider's.
 */
export async function prepareDatabase(db: Database, config: Config, log: Logger, search: SearchService = createSearchService(config, db, log)) {
  if (config.autoMigrate) {
    const { applied, total } = await applyMigrations(db, { log: (line) => log.info(line) });
    log.info({ applied: applied.length, total }, 'migrations up to date');
  }
  if (config.autoSeed && !(await isSeeded(db.prisma))) {
    log.info('loading demo data (first start, or resuming one that was interrupted)');
    const summary = await seedDatabase(db.prisma, {
      // Resuming: insert what is missing, keep demo rows already there as they are now.
      overwrite: false,
      contentDir: defaultContentDir,
      knowledgeBase: knowledgeBaseSeeder(search.embedder, (line) => log.info(line)),
      log: (line) => log.info(line),
    });
    log.info(summary, 'demo data loaded');
  }
  // Stored vectors of another embedding model or width: refuse to start (npm run reembed).
  await assertEmbeddingsMatch(db, search.embedder);
}

export async function startServer(config: Config, log: Logger) {
  const db = await openDatabase(config.database, { log: (line) => log.warn(line) });
  // One search service per process: the API, the first-run seed and the model check share its provider.
  const search = createSearchService(config, db, log);
  try {
    await prepareDatabase(db, config, log, search);
  } catch (err) {
    await db.close();
    throw err;
  }
  // One message store per process (MongoDB: one client, one bounded pool), and the worker that
  // retries message deletions the store missed.
  const messages = createMessageStore(config, db);
  await messages.init().catch((err) => log.error({ err, store: messages.kind }, 'message store not ready at start-up; indexes will be created on retry'));
  const outbox = startOutboxWorker({ db, messages, log, config });
  // Consent-code mails: SMTP, or the development mailbox table; retried by their own outbox worker.
  const notifier = createNotifier(config, db.prisma);
  if (notifier.kind === 'mailbox' && config.production) {
    log.error('SMTP_URL is not set: consent codes go to the development mailbox table instead of parents');
  }
  const mailOutbox = startNotificationWorker({ db, notifier, log, config });
  // Redis when REDIS_URL is set: subscription events and rate-limit counters shared by instances.
  const redis = connectRedis(config, log);
  const app = createApp({ config, db, log, messages, notifier, search, redis });
  const server = createServer(app.yoga);
  // graphql-ws on the same port and path as HTTP (SSE is yoga's own, on the same endpoint).
  const websocket = attachWebSocket(server, app.yoga, '/graphql', persistedDocumentResolver(config));
  const drainer = connectionDrainer(server, Math.floor(config.shutdownTimeoutMs / 2));
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(config.port, config.host, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const url = `http://${config.host === '0.0.0.0' ? 'localhost' : config.host}:${port}/graphql`;
  log.info({ url, database: db.kind, messageStore: messages.kind, notifier: notifier.kind, events: app.events.kind }, 'GraphQL API ready');

  let closing: Promise<void> | undefined;
  const close = () =>
    (closing ??= (async () => {
      // /ready turns 503 at once, so a load balancer stops routing here.
      app.startDraining();
      // Open subscriptions complete (SSE streams end, WebSocket clients get Complete, then a 1001
      // close): their clients reconnect to another instance instead of waiting on this one.
      await app.events.close();
      await websocket.close();
      // Stop accepting; every request already sent (in flight, or queued behind PGlite's single
      // connection) is answered, then its connection ends (src/http/drain.ts).
      await drainer.drain();
      // Then the background work those requests scheduled, the outbox worker, and the pools.
      await app.yoga.dispose();
      await app.drainBackground();
      await outbox.stop();
      await mailOutbox.stop();
      await notifier.close();
      await messages.close();
      await db.close();
      await app.shutdownTracing();
      await redis?.close();
    })());
  return { url, port, app, db, server, websocket, close };
}
