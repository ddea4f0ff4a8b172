// A graphql-ws client (the `ws` package as its WebSocket) with subscriptions read as queues, for
// tests against a real server.
import WebSocket from 'ws';
import { createClient, type Client } from 'graphql-ws';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll } from 'vitest';
import type { App } from '../../src/app.ts';
import { attachWebSocket } from '../../src/http/websocket.ts';

export interface WsConnection {
  client: Client;
  /** The close event's code once the socket closed (1001: the server is going away). */
  readonly closed: Promise<number>;
}

export function connectWs(url: string, connectionParams: Record<string, string>): WsConnection {
  let closedWith!: (code: number) => void;
  const closed = new Promise<number>((resolve) => (closedWith = resolve));
  const client = createClient({
    url,
    webSocketImpl: WebSocket,
    connectionParams,
    lazy: false,
    retryAttempts: 0,
    // The close is what tests look at (`closed`); graphql-ws would also print it.
    onNonLazyError: () => undefined,
    on: { closed: (event) => closedWith((event as { code: number }).code) },
  });
  return { client, closed };
}

export interface WsSubscription<T = any> {
  next(timeoutMs?: number): Promise<{ data?: T; errors?: readonly { message: string; extensions?: Record<string, unknown> }[] } | null>;
  /** 'complete' when the server completed it, 'error' when it failed or the socket dropped it. */
  readonly ended: Promise<'complete' | 'error'>;
  close(): void;
}

export function subscribeWs<T = any>(connection: WsConnection, query: string, variables: Record<string, unknown> = {}, extensions?: Record<string, unknown>): WsSubscription<T> {
  const queue: any[] = [];
  const waiters: ((v: any) => void)[] = [];
  const deliver = (v: any) => (waiters.length ? waiters.shift()!(v) : queue.push(v));
  let endedWith!: (how: 'complete' | 'error') => void;
  const ended = new Promise<'complete' | 'error'>((resolve) => (endedWith = resolve));
  const unsubscribe = connection.client.subscribe(
    { query, variables, ...(extensions ? { extensions } : {}) },
    {
      next: (value) => deliver(value),
      error: (err) => {
        // A refused operation arrives as an error list; a dropped socket as a CloseEvent.
        if (Array.isArray(err)) deliver({ errors: err });
        deliver(null);
        endedWith('error');
      },
      complete: () => {
        deliver(null);
        endedWith('complete');
      },
    },
  );
  return {
    ended,
    close: unsubscribe,
    next(timeoutMs = 5000) {
      if (queue.length) return Promise.resolve(queue.shift());
      return new Promise((resolve, reject) => {
        const wrapped = (v: any) => {
          clearTimeout(timer);
          resolve(v);
        };
        const timer = setTimeout(() => {
          waiters.splice(waiters.indexOf(wrapped), 1);
          reject(new Error(`no WebSocket event within ${timeoutMs} ms`));
        }, timeoutMs);
        waiters.push(wrapped);
      });
    },
  };
}

/**
 * An HTTP server on a free port with graphql-ws attached (src/http/websocket.ts) for a describe
 * block's app: started before its tests, closed after them and before useTestApp drops the
 * database (after-hooks run last-registered first). `url`: its ws:// endpoint.
 */
export function useWsServer(api: { app: App }, resolveDocument?: Parameters<typeof attachWebSocket>[3]) {
  let server: Server | undefined;
  let ws: ReturnType<typeof attachWebSocket> | undefined;
  let url = '';
  beforeAll(async () => {
    server = createServer(api.app.yoga);
    ws = attachWebSocket(server, api.app.yoga, '/graphql', resolveDocument);
    await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
    url = `ws://127.0.0.1:${(server.address() as AddressInfo).port}/graphql`;
  });
  afterAll(async () => {
    await api.app.events.close();
    await ws?.close();
    await new Promise((resolve) => server?.close(resolve));
  });
  return { get url() { return url; } };
}
