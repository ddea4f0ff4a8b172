// Runs autocannon in a child process (scripts/bench/load-generator.mjs): on 2 cores a load
// generator in the server's process takes CPU from the server it measures.
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const GENERATOR = fileURLToPath(new URL('./load-generator.mjs', import.meta.url));

export interface LoadOptions {
  url: string;
  headers: Record<string, string>;
  body: string;
  connections: number;
  /** Seconds. */
  duration: number;
}

export interface LoadResult {
  /** Mean requests per second over the run. */
  rps: number;
  /** Latency percentiles, milliseconds. */
  p50: number;
  p99: number;
  /** Responses received. */
  requests: number;
  /** Connection errors, timeouts and non-2xx responses. */
  errors: number;
}

/** One autocannon run against `url` (POST), in its own Node process. */
export async function runLoad(options: LoadOptions): Promise<LoadResult> {
  const { stdout } = await promisify(execFile)(process.execPath, [GENERATOR, JSON.stringify({ ...options, method: 'POST' })], {
    maxBuffer: 64 * 1024 * 1024,
  });
  const r = JSON.parse(stdout.trim().split('\n').at(-1)!);
  return {
    rps: r.requests.average,
    p50: r.latency.p50,
    p99: r.latency.p99,
    requests: r.requests.total,
    errors: r.errors + r.timeouts + r.non2xx,
  };
}
