// What the fast read path's parity tests share: the metric that shows a root field took the
// fast path, and the part of a response both paths must agree on.
import type { App } from '../../src/app.ts';

/** How many root fields named `root` took the fast path in `app` so far (the metric's sum). */
export async function fastCount(app: App, root: string) {
  const metric = await app.metrics.getSingleMetric('graphql_fast_read_path_total')!.get();
  return metric.values.filter((v) => v.labels.root === root && v.labels.outcome === 'fast').reduce((a, v) => a + v.value, 0);
}

/** Status, data and errors of a result: what the two paths must answer alike (SQL counts differ). */
export const response = (r: { status: number; data: unknown; errors?: unknown }) => ({ status: r.status, data: r.data, errors: r.errors });
