// The process's message store, chosen by configuration: MongoDB when MONGODB_URL is set,
// otherwise the app.message table of the relational database (the embedded default), read through
// the client routed for the running operation (a replica for a query, when there are replicas).
import type { Config } from '../config.ts';
import type { Database } from '../db/database.ts';
import type { MessageStore } from './types.ts';
import { createPgMessageStore } from './pg-store.ts';
import { createMongoMessageStore } from './mongo-store.ts';

/** Call once per process (startServer does): a MongoDB store owns a client and its pool. No I/O here. */
export function createMessageStore(config: Pick<Config, 'messages'>, db: Pick<Database, 'routed'>): MessageStore {
  const m = config.messages;
  if (m.mongoUrl) {
    return createMongoMessageStore({ url: m.mongoUrl, database: m.mongoDatabase, maxPoolSize: m.mongoMaxPoolSize, timeoutMs: m.timeoutMs });
  }
  return createPgMessageStore(db.routed);
}
