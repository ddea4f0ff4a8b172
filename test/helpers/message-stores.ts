// The message stores a test file runs against, and decorators for tests: one counts calls per
// method, one fails on demand.
import { AsyncLocalStorage } from 'node:async_hooks';
import { createPgMessageStore } from '../../src/messages/pg-store.ts';
import type { MessageStore } from '../../src/messages/types.ts';
import type { TestDatabase } from './db.ts';
import { dbKind } from './env.ts';
import { mongoTestUrl, openMongoTestStore } from './mongo.ts';

export interface OpenedStore {
  store: MessageStore;
  /** What actually answers: a real MongoDB and CongoDB are told apart by asking the server. */
  server: 'postgres' | 'mongodb' | 'congodb';
  cleanup(): Promise<void>;
}

export interface StoreUnderTest {
  kind: MessageStore['kind'];
  name: string;
  /** Postgres: the app.message table of db (required). MongoDB: a database of its own, dropped by cleanup(). */
  open(db?: Pick<TestDatabase, 'prisma'>): Promise<OpenedStore>;
}

const KINDS: readonly MessageStore['kind'][] = ['postgres', 'mongodb'];

/** TEST_MESSAGE_STORES (comma-separated postgres, mongodb), validated; undefined when unset. */
function requestedKinds(): MessageStore['kind'][] | undefined {
  const raw = process.env.TEST_MESSAGE_STORES;
  if (!raw) return undefined;
  const kinds = raw.split(',').map((k) => k.trim());
  const unknown = kinds.filter((k) => !KINDS.includes(k as MessageStore['kind']));
  if (unknown.length || kinds.length === 0) throw new Error(`TEST_MESSAGE_STORES takes ${KINDS.join(', ')}, comma-separated; got ${JSON.stringify(raw)}`);
  return kinds as MessageStore['kind'][];
}

/**
 * The stores a message test file runs against: TEST_MESSAGE_STORES when set (asking for mongodb
 * with no MongoDB to talk to is an error), otherwise PostgreSQL always and MongoDB when one is
 * available (MONGODB_URL, or CongoDB started for MONGODB_TEST_SERVER=congodb).
 */
export function messageStoresUnderTest(): { stores: StoreUnderTest[]; mongoMissing: boolean } {
  const mongoUrl = mongoTestUrl();
  const requested = requestedKinds();
  if (requested?.includes('mongodb') && !mongoUrl) {
    throw new Error('TEST_MESSAGE_STORES asks for mongodb, but there is no MongoDB: set MONGODB_URL, or MONGODB_TEST_SERVER=congodb');
  }
  const wanted = (kind: MessageStore['kind']) => (requested ? requested.includes(kind) : kind === 'postgres' || !!mongoUrl);
  const stores: StoreUnderTest[] = [];
  if (wanted('postgres')) {
    stores.push({
      kind: 'postgres',
      name: `postgres (${dbKind})`,
      async open(db) {
        if (!db) throw new Error('the postgres message store needs a test database');
        return { store: createPgMessageStore(db.prisma), server: 'postgres', cleanup: async () => {} };
      },
    });
  }
  if (wanted('mongodb') && mongoUrl) {
    stores.push({
      kind: 'mongodb',
      name: `mongodb over the wire (${process.env.MONGODB_URL ? 'MONGODB_URL' : 'CongoDB'})`,
      open: () => openMongoTestStore(mongoUrl),
    });
  }
  return { stores, mongoMissing: !mongoUrl && !requested };
}

type Method = { [K in keyof MessageStore]: MessageStore[K] extends (...args: never[]) => unknown ? K : never }[keyof MessageStore];

export type StoreCalls = Partial<Record<Method, number>>;

/**
 * Counts calls per method, in total and per measured piece of work: `measure(fn)` counts only the
 * calls made on behalf of fn (its async context, DataLoader dispatches included), so work left
 * over from an earlier request cannot be mistaken for this one's.
 */
export function countingStore(inner: MessageStore) {
  const total: StoreCalls = {};
  const scope = new AsyncLocalStorage<StoreCalls>();
  const bump = (calls: StoreCalls, method: Method) => {
    calls[method] = (calls[method] ?? 0) + 1;
  };
  const store = new Proxy(inner, {
    get(target, prop, receiver) {
      const value = Reflect.get(target, prop, receiver);
      if (typeof value !== 'function') return value;
      return (...args: unknown[]) => {
        bump(total, prop as Method);
        const current = scope.getStore();
        if (current) bump(current, prop as Method);
        return (value as (...a: unknown[]) => unknown).apply(target, args);
      };
    },
  });
  return {
    store,
    total,
    async measure<T>(fn: () => Promise<T>): Promise<{ result: T; calls: StoreCalls }> {
      const calls: StoreCalls = {};
      const result = await scope.run(calls, fn);
      return { result, calls };
    },
  };
}

export type FailureMode = 'ok' | 'reject' | 'hang';

/** deleteByConversation rejects (store down) or never answers (store hung) until set back to 'ok'. */
export function flakyDeletes(inner: MessageStore) {
  const state = { mode: 'ok' as FailureMode, deleteAttempts: 0 };
  const store: MessageStore = {
    ...inner,
    kind: inner.kind,
    async deleteByConversation(conversationId: string) {
      state.deleteAttempts++;
      if (state.mode === 'reject') throw new Error('connect ECONNREFUSED 127.0.0.1:27017 (simulated)');
      if (state.mode === 'hang') return new Promise<number>(() => {});
      return inner.deleteByConversation(conversationId);
    },
  };
  return { store, state };
}
