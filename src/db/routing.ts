// Which server answers a GraphQL operation, when DATABASE_REPLICA_URLS names streaming replicas:
// - mutations: the primary (their reads too: a check-then-write must not read a lagging copy);
// - queries: a replica, unless the viewer wrote within READ_YOUR_WRITES_MS (read-your-writes),
//   or the request carries a still-valid `X-Primary-Until` from an earlier mutation's response;
// - everything outside an operation (workers, scripts, background writes): the primary.
// The whole operation goes to one client: ctx.prisma, the loaders and the process-wide services
// holding `db.routed` (message store, search) all use the client chosen here. This is our own
// small router, not @prisma/extension-read-replicas: that extension decides per Prisma call and
// sends every $queryRaw and every $transaction to the primary, i.e. exactly our heaviest reads
// (vector and full-text search, analytics, last messages), and would read a lagging replica
// inside mutations unless every call site said $primary().
import { AsyncLocalStorage } from 'node:async_hooks';
import type { PrismaClient } from '../generated/prisma/client.ts';

/** The client chosen for one operation of `primary`'s database (starts as the primary; chosen once the document is known). */
export interface Route {
  readonly primary: PrismaClient;
  client: PrismaClient;
}

const routes = new AsyncLocalStorage<Route>();

/** Runs fn (an operation's execution) inside `route`. */
export function runRouted<T>(route: Route, fn: () => T): T {
  return routes.run(route, fn);
}

/** The route of the running operation, if any. */
export const currentRoute = () => routes.getStore();

/** Runs fn outside any route (background work scheduled by a query: its writes go to the primary). */
export function runUnrouted<T>(fn: () => T): T {
  return routes.exit(fn);
}

/**
 * A client that forwards every call to the client routed for the running operation (when that
 * route belongs to this primary's database), else to the primary.
 */
export function routedClient(primary: PrismaClient): PrismaClient {
  return new Proxy(primary, {
    get(target, prop) {
      const route = routes.getStore();
      const client = route && route.primary === target ? route.client : target;
      const value = Reflect.get(client, prop);
      return typeof value === 'function' ? value.bind(client) : value;
    },
  });
}

/** The response header (and the request header a client sends back): epoch milliseconds. */
export const PRIMARY_UNTIL_HEADER = 'x-primary-until';

/** Clocks of two instances may differ by this much; a later deadline is not honoured. */
const CLOCK_SKEW_MS = 1000;

/**
 * Read-your-writes: after a viewer's mutation, its reads stay on the primary for `windowMs`.
 * Two forms, both honoured: an in-process map keyed by viewer (user id or API key id: enough
 * with one instance, or with sticky sessions), and the `X-Primary-Until` deadline returned on
 * every mutation's response, which a client sends back so any instance honours it (the form that
 * survives a load balancer spreading requests). A forged deadline only moves the caller's own
 * reads to the primary, for at most `windowMs` per value.
 */
export class ReadYourWrites {
  /** Viewers' deadlines in the order they were set (so oldest first: every deadline is now + windowMs). */
  readonly #until = new Map<string, number>();
  /** Viewers remembered at most; past it the oldest are forgotten (their next reads may go to a replica). */
  static readonly MAX_VIEWERS = 100_000;

  constructor(
    readonly windowMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** Notes a write by these viewers; returns the deadline (epoch ms) until which they read the primary. */
  noteWrite(keys: readonly (string | null)[]): number {
    const until = this.now() + this.windowMs;
    if (this.windowMs === 0) return until;
    this.#prune();
    for (const key of keys) {
      if (!key) continue;
      // Re-inserted, so the map stays ordered by deadline and pruning stops at the first live one.
      this.#until.delete(key);
      this.#until.set(key, until);
    }
    return until;
  }

  /** True while the viewer's last write is younger than the window. */
  pinned(key: string | null): boolean {
    if (!key) return false;
    const until = this.#until.get(key);
    if (until === undefined) return false;
    if (until > this.now()) return true;
    this.#until.delete(key);
    return false;
  }

  /** True when the request sends back a deadline that is still ahead, and not further than one window (plus clock skew). */
  headerPinned(headers: Headers): boolean {
    const raw = headers.get(PRIMARY_UNTIL_HEADER);
    if (!raw || !/^\d{1,16}$/.test(raw)) return false;
    const until = Number(raw);
    const now = this.now();
    return until > now && until - now <= this.windowMs + CLOCK_SKEW_MS;
  }

  /** Viewers currently remembered. */
  get size() {
    return this.#until.size;
  }

  // Amortized O(1) per write: only expired (or, past the cap, oldest) entries are visited.
  #prune() {
    const now = this.now();
    for (const [key, until] of this.#until) {
      if (until > now && this.#until.size < ReadYourWrites.MAX_VIEWERS) break;
      this.#until.delete(key);
    }
  }
}
