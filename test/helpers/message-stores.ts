// Message store decorators for tests: one counts calls per method, one fails on demand.
import { AsyncLocalStorage } from 'node:async_hooks';
import type { MessageStore } from '../../src/messages/types.ts';

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
