// A subscription lives longer than the request that opened it: before each event its caller is
// read again from the database (session still live, its scope, roles and consents; API key still
// active), so a signed-out session or a revoked key stops receiving at the next event. One loader
// per process, batching only (no cache): the thousand subscribers an event fans out to on one
// instance cost one query per kind of caller, not one each.
import DataLoader from 'dataloader';
import type { Database } from '../db/database.ts';
import { liveSessionViewers, permissionsOf, type Viewer } from './viewer.ts';

export type LiveViewer = (viewer: Viewer) => Promise<Viewer | null>;

export function createLiveViewer(db: Pick<Database, 'prisma' | 'queryOn'>): LiveViewer {
  const { prisma } = db;
  const sessions = new DataLoader<string, Viewer | null>(
    async (ids) => {
      // Many subscriptions of one session (tabs, devices) check it in the same batch: ask once.
      // The statement resolveViewer reads a token's session with: a row Prisma could not read (a
      // label this build does not know) ends its own subscription, not the whole batch's.
      const byId = await liveSessionViewers(db, [...new Set(ids)], new Date());
      return ids.map((id) => byId.get(id) ?? null);
    },
    { cache: false, maxBatchSize: 1000 },
  );
  const keys = new DataLoader<string, Viewer | null>(
    async (ids) => {
      const now = new Date();
      const rows = await prisma.apiKey.findMany({ where: { id: { in: [...new Set(ids)] }, isActive: true, OR: [{ expiresAt: null }, { expiresAt: { gt: now } }] } });
      const byId = new Map(
        rows.map((row) => [
          row.id,
          {
            kind: 'operator' as const,
            apiKey: { id: row.id, name: row.name },
            permissions: new Set(permissionsOf(row.permissions)),
          },
        ]),
      );
      return ids.map((id) => byId.get(id) ?? null);
    },
    { cache: false, maxBatchSize: 1000 },
  );
  return async (viewer) => {
    if (viewer.kind === 'user') return sessions.load(viewer.session.id);
    if (viewer.kind === 'operator') return keys.load(viewer.apiKey.id);
    return null;
  };
}
