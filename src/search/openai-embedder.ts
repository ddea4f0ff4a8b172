// Any OpenAI-compatible embeddings endpoint (OpenAI, Azure-style proxies, vLLM, Ollama, TEI,
// LocalAI...): POST {model, input: [...]} -> {data: [{index, embedding}]}.
// Batches the input, times out each request, retries what is worth retrying (429, 5xx, network
// errors, timeouts) with exponential backoff and jitter, and checks every vector it returns.
// The API key only ever goes into the Authorization header: never into errors or logs.
import { z } from 'zod';
import type { Embedder } from './embedder.ts';

export interface OpenAIEmbedderOptions {
  /** The endpoint (`https://host/v1/embeddings`) or a base URL (`https://host` or `https://host/v1`). */
  url: string;
  model: string;
  apiKey?: string;
  dimensions: number;
  /** Texts per request (default 64). */
  batchSize?: number;
  /** Per request, each attempt (default 30 s). */
  timeoutMs?: number;
  /** Retries after the first attempt (default 4). */
  maxRetries?: number;
  /** First backoff delay; doubles each retry, with jitter (default 500 ms). */
  retryBaseMs?: number;
  /** Upper bound for one wait, Retry-After included (default 30 s). */
  retryMaxDelayMs?: number;
  /** Also send `dimensions` in the request (OpenAI's text-embedding-3 models can shorten vectors; many servers reject the field). */
  sendDimensions?: boolean;
  /** A pino-compatible logger for retries. */
  logger?: { warn(obj: object, msg?: string): void };
}

export class EmbeddingRequestError extends Error {
  constructor(
    message: string,
    readonly status?: number,
    readonly retryable = false,
    /** The server's Retry-After, in milliseconds. */
    readonly retryAfterMs?: number,
  ) {
    super(message);
    this.name = 'EmbeddingRequestError';
  }
}

const ResponseSchema = z.object({
  data: z
    .array(
      z.object({
        index: z.number().int().min(0).optional(),
        // zod 4 numbers are finite: NaN and Infinity fail here.
        embedding: z.array(z.number()),
      }),
    ),
});

export function embeddingsEndpoint(url: string): string {
  const u = new URL(url);
  const path = u.pathname.replace(/\/+$/, '');
  if (!/\/embeddings$/.test(path)) u.pathname = /\/v\d+$/.test(path) ? `${path}/embeddings` : `${path}/v1/embeddings`;
  return u.toString();
}

/** Retry-After in milliseconds: delta-seconds or an HTTP date. */
function retryAfterMs(header: string | null): number | undefined {
  if (!header) return undefined;
  const seconds = Number(header.trim());
  if (Number.isFinite(seconds) && seconds >= 0) return seconds * 1000;
  const date = Date.parse(header);
  return Number.isFinite(date) ? Math.max(0, date - Date.now()) : undefined;
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export class OpenAIEmbedder implements Embedder {
  readonly model: string;
  readonly dimensions: number;
  /** The endpoint as errors and logs show it: no userinfo, no query string (either may hold a key). */
  readonly endpoint: string;
  readonly #url: string;
  private readonly options: Required<Omit<OpenAIEmbedderOptions, 'url' | 'apiKey' | 'logger'>> & Pick<OpenAIEmbedderOptions, 'logger'>;
  /** ES private fields: not enumerable, so logging or serializing the embedder cannot reveal them. */
  readonly #authorization: string | undefined;
  readonly #secrets: string[];

  constructor(options: OpenAIEmbedderOptions) {
    if (!options.model) throw new Error('OpenAIEmbedder: model is required');
    if (!Number.isInteger(options.dimensions) || options.dimensions <= 0) throw new Error('OpenAIEmbedder: dimensions must be a positive integer');
    // fetch refuses URLs with credentials: user:password@ becomes Basic auth (unless a key is set).
    const url = new URL(embeddingsEndpoint(options.url));
    this.#authorization = options.apiKey
      ? `Bearer ${options.apiKey}`
      : url.username || url.password
        ? `Basic ${Buffer.from(`${decodeURIComponent(url.username)}:${decodeURIComponent(url.password)}`).toString('base64')}`
        : undefined;
    this.#secrets = [options.apiKey, url.password && decodeURIComponent(url.password)].filter((x): x is string => !!x);
    url.username = '';
    url.password = '';
    this.#url = url.toString();
    url.search = '';
    this.endpoint = url.toString();
    this.model = options.model;
    this.dimensions = options.dimensions;
    // `??` per field: an explicit undefined (from optional config) still gets the default.
    this.options = {
      model: options.model,
      dimensions: options.dimensions,
      logger: options.logger,
      batchSize: options.batchSize ?? 64,
      timeoutMs: options.timeoutMs ?? 30_000,
      maxRetries: options.maxRetries ?? 4,
      retryBaseMs: options.retryBaseMs ?? 500,
      retryMaxDelayMs: options.retryMaxDelayMs ?? 30_000,
      sendDimensions: options.sendDimensions ?? false,
    };
    if (!(this.options.batchSize >= 1)) throw new Error('OpenAIEmbedder: batchSize must be >= 1');
  }

  async embed(texts: string[]): Promise<number[][]> {
    const out: number[][] = [];
    // Sequential batches: a provider's rate limit is better served by a steady stream than a burst.
    for (let i = 0; i < texts.length; i += this.options.batchSize) {
      out.push(...(await this.embedBatch(texts.slice(i, i + this.options.batchSize))));
    }
    return out;
  }

  private async embedBatch(input: string[]): Promise<number[][]> {
    const { maxRetries, retryBaseMs, retryMaxDelayMs, logger } = this.options;
    for (let attempt = 0; ; attempt++) {
      try {
        return await this.request(input);
      } catch (err) {
        const e = err instanceof EmbeddingRequestError ? err : new EmbeddingRequestError(String(err), undefined, false);
        if (!e.retryable || attempt >= maxRetries) throw e;
        const backoff = Math.min(retryMaxDelayMs, retryBaseMs * 2 ** attempt);
        // "Equal jitter": at least half the backoff, so retries still spread out under load.
        let delay = backoff / 2 + Math.random() * (backoff / 2);
        if (e.retryAfterMs !== undefined) delay = Math.min(retryMaxDelayMs, e.retryAfterMs);
        logger?.warn({ endpoint: this.endpoint, status: e.status, attempt: attempt + 1, delayMs: Math.round(delay) }, `embedding request failed, retrying: ${e.message}`);
        await sleep(delay);
      }
    }
  }

  /** Some servers echo the key they rejected: never let it into an error message. */
  private redact(text: string): string {
    return this.#secrets.reduce((t, secret) => t.split(secret).join('[redacted]'), text);
  }

  private async request(input: string[]): Promise<number[][]> {
    const headers: Record<string, string> = { 'content-type': 'application/json', accept: 'application/json' };
    if (this.#authorization) headers.authorization = this.#authorization;
    const body: Record<string, unknown> = { model: this.model, input };
    if (this.options.sendDimensions) body.dimensions = this.dimensions;

    let res: Response;
    try {
      res = await fetch(this.#url, {
        method: 'POST',
        headers,
        body: JSON.stringify(body),
        signal: AbortSignal.timeout(this.options.timeoutMs),
      });
    } catch (err) {
      const name = (err as Error)?.name;
      const cause = (err as { cause?: { code?: string; message?: string } })?.cause;
      const reason =
        name === 'TimeoutError' || name === 'AbortError'
          ? `timed out after ${this.options.timeoutMs} ms`
          : `failed: ${this.redact(cause?.code ?? cause?.message ?? (err as Error)?.message ?? String(err))}`;
      throw new EmbeddingRequestError(`embedding request to ${this.endpoint} ${reason}`, undefined, true);
    }

    let text: string;
    try {
      text = await res.text();
    } catch (err) {
      const name = (err as Error)?.name;
      const reason = name === 'TimeoutError' || name === 'AbortError' ? `timed out after ${this.options.timeoutMs} ms` : 'response body was cut';
      throw new EmbeddingRequestError(`embedding request to ${this.endpoint} ${reason}`, res.status, true);
    }

    if (!res.ok) {
      throw new EmbeddingRequestError(
        `embedding request to ${this.endpoint} failed with HTTP ${res.status}: ${this.redact(text).slice(0, 200).replace(/\s+/g, ' ')}`,
        res.status,
        res.status === 429 || res.status >= 500,
        retryAfterMs(res.headers.get('retry-after')),
      );
    }

    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      throw new EmbeddingRequestError(`embedding response from ${this.endpoint} is not JSON`, res.status);
    }
    const parsed = ResponseSchema.safeParse(json);
    if (!parsed.success) {
      throw new EmbeddingRequestError(`embedding response from ${this.endpoint} has an unexpected shape: ${parsed.error.issues[0]?.message}`, res.status);
    }
    const data = parsed.data.data;
    if (data.length !== input.length) {
      throw new EmbeddingRequestError(`embedding response has ${data.length} vectors for ${input.length} inputs`, res.status);
    }
    // Servers are allowed to answer out of order; `index` says where each vector belongs.
    const vectors = new Array<number[] | undefined>(input.length);
    data.forEach((item, position) => {
      const index = item.index ?? position;
      if (index >= input.length || vectors[index]) throw new EmbeddingRequestError(`embedding response has a bad or repeated index ${index}`, res.status);
      if (item.embedding.length !== this.dimensions) {
        throw new EmbeddingRequestError(
          `model ${this.model} returned ${item.embedding.length}-dimensional vectors, ${this.dimensions} configured`,
          res.status,
        );
      }
      vectors[index] = item.embedding;
    });
    return vectors as number[][];
  }
}
