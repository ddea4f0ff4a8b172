// The MongoDB the message tests talk to, over the wire through the official driver:
// - MONGODB_URL, when set: that server (a real MongoDB, or anything else speaking its protocol);
// - otherwise, with MONGODB_TEST_SERVER=congodb: CongoDB (@push.rocks/smartmongo 2.2.0, a
//   MongoDB-wire-compatible server in TypeScript), started by global-setup on a free loopback port;
// - otherwise none: the MongoDB variants are skipped with a notice.
// What answers is identified by the server itself (buildInfo), not by how it was configured, so
// tests that need a real MongoDB skip on CongoDB however it was reached.
import { randomBytes } from 'node:crypto';
import net from 'node:net';
import { inject, type TestContext } from 'vitest';
import { MongoClient } from 'mongodb';
import { createMongoMessageStore } from '../../src/messages/mongo-store.ts';
import type { MessageStore } from '../../src/messages/types.ts';

export type MongoTestServer = 'congodb';
const TEST_SERVERS: readonly MongoTestServer[] = ['congodb'];

/** MONGODB_TEST_SERVER, validated: an unknown value is a configuration error, never a silent skip. */
export function mongoTestServer(env: NodeJS.ProcessEnv = process.env): MongoTestServer | undefined {
  const value = env.MONGODB_TEST_SERVER || undefined;
  if (value === undefined) return undefined;
  if (!TEST_SERVERS.includes(value as MongoTestServer)) {
    throw new Error(`MONGODB_TEST_SERVER must be one of ${TEST_SERVERS.join(', ')} (or unset), not ${JSON.stringify(value)}`);
  }
  return value as MongoTestServer;
}

/** A TCP port nothing listens on at the moment of asking, on 127.0.0.1. */
export const freePort = () =>
  new Promise<number>((resolve, reject) => {
    const probe = net.createServer().once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as net.AddressInfo;
      probe.close(() => resolve(port));
    });
  });

/**
 * Starts CongoDB in memory on 127.0.0.1 (global-setup, once per run; a test for its own). Without
 * a port, a free one is found first (CongoDB does not report the one it got for port 0); another
 * process taking it in between makes start() fail with EADDRINUSE, so that is retried.
 */
export async function startCongoDb(port?: number): Promise<{ url: string; stop(): Promise<void> }> {
  const { CongoServer } = await import('@push.rocks/smartmongo/dist_ts/congodb/index.js');
  for (let attempt = 1; ; attempt++) {
    const server = new CongoServer({ host: '127.0.0.1', port: port ?? (await freePort()), storage: 'memory' });
    try {
      await server.start();
      // directConnection: one standalone server, whatever it says about replica sets.
      return { url: `${server.getConnectionUri()}/?directConnection=true`, stop: () => server.stop() };
    } catch (err) {
      if (port !== undefined || (err as NodeJS.ErrnoException).code !== 'EADDRINUSE' || attempt === 5) throw err;
    }
  }
}

/** The URL of the MongoDB for this run, or undefined when there is none. */
export function mongoTestUrl(): string | undefined {
  return process.env.MONGODB_URL || inject('congoDbUrl') || undefined;
}

/** What the server says it is: CongoDB reports gitVersion "congodb" in buildInfo. */
export async function identifyServer(client: MongoClient): Promise<'congodb' | 'mongodb'> {
  const info = await client.db('admin').command({ buildInfo: 1 });
  return info.gitVersion === 'congodb' ? 'congodb' : 'mongodb';
}

/** Adds a connection-string option (mongodb:// or mongodb+srv://, one host or several). */
export function withUriOption(url: string, name: string, value: string) {
  if (url.includes('?')) return `${url}&${name}=${value}`;
  const hostsEnd = url.indexOf('/', url.indexOf('://') + 3);
  return hostsEnd === -1 ? `${url}/?${name}=${value}` : `${url}?${name}=${value}`;
}

/**
 * For a test that rests on something CongoDB only pretends to do (limit: what): skipped on
 * CongoDB, with the reason on stderr too (the default reporter does not print skip notes), and
 * run on a real MongoDB.
 */
export function needsRealMongo(ctx: TestContext, server: 'congodb' | 'mongodb', limit: string) {
  if (server !== 'congodb') return;
  console.warn(`[mongodb] SKIPPED on CongoDB, needs a real MongoDB (${limit}): ${ctx.task.name}`);
  ctx.skip(`needs a real MongoDB: ${limit}`);
}

export interface OpenedMongoStore {
  store: MessageStore & { client: MongoClient };
  database: string;
  server: 'congodb' | 'mongodb';
  cleanup(): Promise<void>;
}

/** A MongoDB message store on its own database (`test_messages_<random>`), dropped by cleanup(). */
export async function openMongoTestStore(url: string, options: { timeoutMs?: number; monitorCommands?: boolean } = {}): Promise<OpenedMongoStore> {
  const database = `test_messages_${randomBytes(6).toString('hex')}`;
  // monitorCommands: the driver then emits commandStarted for every command sent.
  const clientUrl = options.monitorCommands ? withUriOption(url, 'monitorCommands', 'true') : url;
  const store = createMongoMessageStore({ url: clientUrl, database, maxPoolSize: 4, timeoutMs: options.timeoutMs ?? 5000 });
  try {
    await store.init();
    const server = await identifyServer(store.client);
    return {
      store,
      database,
      server,
      async cleanup() {
        try {
          await store.client.db(database).dropDatabase();
        } finally {
          await store.close();
        }
      },
    };
  } catch (err) {
    await store.close();
    throw err;
  }
}

declare module 'vitest' {
  export interface ProvidedContext {
    /** Set by global-setup when it started CongoDB; empty otherwise. */
    congoDbUrl: string;
  }
}
