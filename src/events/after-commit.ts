// Events a write announces are published only once its transaction has committed: a subscriber
// never hears of a row that was rolled back. Code deep inside a transaction (the consent pipeline)
// queues events here without knowing who publishes them; inTransaction publishes the queue after
// commit and drops it when the transaction fails (and starts a fresh one on each retry).
import { AsyncLocalStorage } from 'node:async_hooks';
import type { BusEvent } from './topics.ts';

const queued = new AsyncLocalStorage<BusEvent[]>();

/** Queues an event for after the enclosing transaction commits; outside a transaction (seeds, scripts), nothing. */
export function afterCommit(event: BusEvent) {
  queued.getStore()?.push(event);
}

/** Runs fn with a fresh queue; returns fn's result and what it queued. */
export async function collectingEvents<T>(fn: () => Promise<T>): Promise<{ result: T; events: BusEvent[] }> {
  const events: BusEvent[] = [];
  const result = await queued.run(events, fn);
  return { result, events };
}
