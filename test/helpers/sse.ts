// A subscription over Server-Sent Events as yoga serves it (graphql-sse's distinct-connections
// mode): POST with Accept: text/event-stream, then `event: next` / `event: complete` frames.
// Works with yoga.fetch (no port) and with the global fetch against a real server.

export interface SseStream<T = any> {
  /** HTTP status of the response. */
  status: number;
  /** The next `next` payload ({ data, errors }), or null when the stream completed/ended first. Rejects after timeoutMs. */
  next(timeoutMs?: number): Promise<{ data?: T; errors?: { message: string; extensions?: Record<string, unknown> }[] } | null>;
  /** Resolves with how the stream ended: 'complete' (a complete event, then end) or 'end' (cut without one). */
  readonly ended: Promise<'complete' | 'end'>;
  close(): void;
}

type FetchFn = (url: string, init: RequestInit) => Promise<Response> | Response;

export async function openSse<T = any>(fetchFn: FetchFn, url: string, query: string, variables: Record<string, unknown> = {}, headers: Record<string, string> = {}): Promise<SseStream<T>> {
  const abort = new AbortController();
  const res = await fetchFn(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'text/event-stream', ...headers },
    body: JSON.stringify({ query, variables }),
    signal: abort.signal,
  });
  const queue: ({ data?: T; errors?: any[] } | null)[] = [];
  const waiters: ((v: { data?: T; errors?: any[] } | null) => void)[] = [];
  const deliver = (v: { data?: T; errors?: any[] } | null) => (waiters.length ? waiters.shift()!(v) : queue.push(v));
  let sawComplete = false;
  const ended = (async () => {
    if (!res.body) return 'end' as const;
    const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
    let buffer = '';
    try {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        buffer += value;
        let cut: number;
        while ((cut = buffer.indexOf('\n\n')) >= 0) {
          const frame = buffer.slice(0, cut);
          buffer = buffer.slice(cut + 2);
          const event = /^event: (.*)$/m.exec(frame)?.[1];
          const data = frame
            .split('\n')
            .filter((l) => l.startsWith('data:'))
            .map((l) => l.slice(5).trimStart())
            .join('\n');
          if (event === 'next' && data) deliver(JSON.parse(data));
          if (event === 'complete') sawComplete = true;
        }
      }
    } catch {
      // aborted or cut
    }
    deliver(null);
    return sawComplete ? ('complete' as const) : ('end' as const);
  })();
  return {
    status: res.status,
    ended,
    next(timeoutMs = 5000) {
      if (queue.length) return Promise.resolve(queue.shift()!);
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
          waiters.splice(waiters.indexOf(wrapped), 1);
          reject(new Error(`no SSE event within ${timeoutMs} ms`));
        }, timeoutMs);
        const wrapped = (v: any) => {
          clearTimeout(timer);
          resolve(v);
        };
        waiters.push(wrapped);
      });
    },
    close: () => abort.abort(),
  };
}
