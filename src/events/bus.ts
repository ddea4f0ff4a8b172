// The event bus subscriptions listen on: yoga's createPubSub over Redis pub/sub
// (@graphql-yoga/redis-event-target) when REDIS_URL is set, so an event published on one
// instance reaches subscribers on every instance; over an in-process event target otherwise.
// Every open stream is tracked so that shutdown can end them cleanly (the client sees the
// subscription complete and reconnects elsewhere) instead of cutting connections.
import { createPubSub, map, pipe, Repeater, type PubSubEventTarget } from 'graphql-yoga';
import { setMaxListeners } from 'node:events';
import { createRedisEventTarget } from '@graphql-yoga/redis-event-target';
import type { Logger } from 'pino';
import type { RedisConnections } from '../redis.ts';
import { appError, ErrorCode } from '../errors.ts';
import type { BusEvent, Topics } from './topics.ts';

type TopicName = keyof Topics;
/** One topic to listen on: its name and routing id (a chat session, a user, a collective). */
export type TopicRef = { [K in TopicName]: { topic: K; id: Topics[K][0] } }[TopicName];
/** What arrives on a stream: the topic and its payload. */
export type Delivery = { [K in TopicName]: { topic: K; payload: Topics[K][1] } }[TopicName];

/** What a stream does with one delivery: send these values (none: drop it), or complete the subscription. */
export type Step<T> = T[] | 'end';

export interface EventBus {
  readonly kind: 'redis' | 'memory';
  /** Publishes to every instance's subscribers of the event's topic. Fire-and-forget: never throws. */
  publish(event: BusEvent): void;
  /**
   * A live stream over these topics, resolved once the subscription is in place (Redis acknowledged
   * it), so that an event published after this resolves is delivered. `handle` runs for each
   * delivery, one at a time in arrival order; `initial` once before the first. The stream ends when
   * a step says 'end', when the consumer returns, or when the bus closes.
   */
  stream<T>(topics: TopicRef[], handle: (delivery: Delivery) => Promise<Step<T>>, initial?: () => Promise<Step<T>>): Promise<AsyncIterable<T>>;
  /** Open streams on this instance. */
  readonly openStreams: number;
  /**
   * Ends every open stream (each subscriber sees its subscription complete); later streams end at
   * once. Resolves when every stream has finished and its transport has had a moment to send the
   * completion (before sockets are closed).
   */
  close(): Promise<void>;
}

/** Prefixes every channel with the deployment's key prefix, so several deployments (or test runs) share one Redis. */
function prefixed<T extends PubSubEventTarget<any>>(target: T, prefix: string): T {
  return {
    addEventListener: (type: string, listener: any) => target.addEventListener(`${prefix}:${type}`, listener),
    removeEventListener: (type: string, listener: any) => target.removeEventListener(`${prefix}:${type}`, listener),
    dispatchEvent: (event: CustomEvent) => target.dispatchEvent(new CustomEvent(`${prefix}:${event.type}`, { detail: event.detail })),
  } as unknown as T;
}

/**
 * The two Redis connections as createRedisEventTarget uses them, with each command's failure
 * logged: the target does not await PUBLISH, SUBSCRIBE or UNSUBSCRIBE, and with Redis stopped their
 * rejections would otherwise go unhandled and end the process. A lost event is logged, not fatal.
 */
function guardedClients(redis: RedisConnections, log: Logger) {
  const guard = (command: string) => (err: unknown) => log.error({ err: { message: (err as Error)?.message }, command }, 'redis event command failed');
  const publishClient = { publish: (channel: string, message: string) => redis.commands.publish(channel, message).catch(guard('publish')) };
  const subscribeClient = {
    on: (event: string, listener: (...args: any[]) => void) => redis.subscriber.on(event, listener),
    subscribe: (channel: string) => redis.subscriber.subscribe(channel).catch(guard('subscribe')),
    unsubscribe: (channel: string) => redis.subscriber.unsubscribe(channel).catch(guard('unsubscribe')),
  };
  return { publishClient, subscribeClient } as unknown as Parameters<typeof createRedisEventTarget>[0];
}

/**
 * The in-process target: Node warns past 10 listeners of one event (a possible leak), but a chat
 * session or a user with many open tabs legitimately has more; open subscriptions are bounded per
 * connection instead (src/http/websocket.ts).
 */
function unboundedTarget() {
  const target = new EventTarget();
  setMaxListeners(0, target);
  return target as PubSubEventTarget<any>;
}

const turn = () => new Promise<void>((resolve) => setImmediate(resolve));

export function createEventBus({ redis, keyPrefix, log }: { redis: RedisConnections | null; keyPrefix: string; log: Logger }): EventBus {
  const pubsub = createPubSub<Topics>(
    { eventTarget: redis ? prefixed(createRedisEventTarget(guardedClients(redis, log)), `${keyPrefix}:events`) : unboundedTarget() },
  );
  const open = new Set<() => void>();
  let closed = false;
  let allEnded: (() => void) | null = null;

  // SUBSCRIBE goes out on the subscriber connection once the stream's sources start; a PING sent
  // after it on the same connection is answered after Redis has acknowledged it.
  const subscribed = async () => {
    await turn();
    if (redis) await redis.subscriber.ping();
  };

  return {
    kind: redis ? 'redis' : 'memory',
    get openStreams() {
      return open.size;
    },
    publish(event) {
      try {
        (pubsub.publish as (topic: string, id: string, payload: unknown) => void)(event.topic, event.id, event.payload);
      } catch (err) {
        log.error({ err, topic: event.topic }, 'event not published');
      }
    },
    async stream<T>(topics: TopicRef[], handle: (delivery: Delivery) => Promise<Step<T>>, initial?: () => Promise<Step<T>>) {
      const sources = topics.map((ref) =>
        pipe(
          (pubsub.subscribe as (topic: string, id: string) => Repeater<unknown>)(ref.topic, ref.id),
          map((payload) => ({ topic: ref.topic, payload }) as Delivery),
        ),
      );
      const merged = Repeater.merge(sources)[Symbol.asyncIterator]();
      // Starting the first read starts every source (and its SUBSCRIBE).
      const first = merged.next();
      try {
        await subscribed();
      } catch (err) {
        // Redis cannot confirm the listener: refuse the subscription clearly rather than open a deaf stream.
        void merged.return?.();
        log.error({ err: { message: (err as Error)?.message } }, 'subscription not put in place: event bus unreachable');
        throw appError(ErrorCode.SERVICE_UNAVAILABLE, 'Live updates are unavailable for a moment: subscribe again shortly', {
          http: { status: 503, headers: { 'Retry-After': '5' } },
        });
      }
      // Registered now, not when the consumer first reads: a stream returned (client gone) or
      // closed (shutdown) before its first read must still release its sources.
      let release!: () => void;
      const released = new Promise<void>((resolve) => (release = resolve));
      const end = () => {
        if (!open.delete(end)) return;
        if (open.size === 0) allEnded?.();
        void merged.return?.();
        release();
      };
      open.add(end);
      const repeater = new Repeater<T>(async (push, stop) => {
        void released.then(() => stop());
        stop.then(end);
        if (closed) end();
        try {
          const opening = initial ? await initial() : [];
          if (opening === 'end') return;
          for (const value of opening) await push(value);
          for (let next = await first; !next.done; next = await merged.next()) {
            const step = await handle(next.value as Delivery);
            if (step === 'end') break;
            for (const value of step) await push(value);
          }
        } finally {
          end();
          stop();
        }
      });
      const iterator = repeater[Symbol.asyncIterator]();
      const stream: AsyncIterableIterator<T> = {
        [Symbol.asyncIterator]: () => stream,
        next: () => iterator.next(),
        return: (value?: unknown) => {
          end();
          return iterator.return(value as T);
        },
        throw: (error?: unknown) => {
          end();
          return iterator.throw(error);
        },
      };
      if (closed) end();
      return stream;
    },
    async close() {
      closed = true;
      const ended = new Promise<void>((resolve) => (open.size === 0 ? resolve() : (allEnded = resolve)));
      for (const end of open) end();
      await ended;
      // The transports (yoga's SSE writer, graphql-ws) send their completion a few turns later.
      await new Promise((resolve) => setTimeout(resolve, 100));
    },
  };
}
