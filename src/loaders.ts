// Per-request DataLoaders for what the Prisma plugin's selections do not cover (authorization
// facts, derived fields). Created lazily, never shared across requests.
import DataLoader from 'dataloader';
import type { MembershipRole } from './generated/prisma/client.ts';
import type { Context } from './context.ts';

function grouped<K, V>(keys: readonly K[], rows: V[], keyOf: (row: V) => K) {
  const map = new Map<K, V[]>(keys.map((k) => [k, []]));
  for (const row of rows) map.get(keyOf(row))?.push(row);
  return keys.map((k) => map.get(k) ?? []);
}

export class Loaders {
  #ctx: Context;
  #cache = new Map<string, unknown>();
  constructor(ctx: Context) {
    this.#ctx = ctx;
  }

  #lazy<T>(name: string, make: () => T): T {
    if (!this.#cache.has(name)) this.#cache.set(name, make());
    return this.#cache.get(name) as T;
  }

  /** collectiveId -> role, for every collective of each user. */
  get rolesByUser() {
    return this.#lazy('rolesByUser', () =>
      new DataLoader<string, Map<string, MembershipRole>>(async (userIds) => {
        const rows = await this.#ctx.prisma.collectiveMembership.findMany({
          where: { userId: { in: [...userIds] } },
          select: { userId: true, collectiveId: true, role: true },
        });
        return grouped(userIds, rows, (r) => r.userId).map((list) => new Map(list.map((r) => [r.collectiveId, r.role])));
      }),
    );
  }

  /** userId -> collectiveIds seen in membership rows this request (partial, never authoritative for absence). */
  readonly seenMemberships = new Map<string, Set<string>>();

  noteMembership(userId: string, collectiveId: string) {
    let set = this.seenMemberships.get(userId);
    if (!set) this.seenMemberships.set(userId, (set = new Set()));
    set.add(collectiveId);
  }

  /** conversationId -> owner's userId. */
  get conversationOwner() {
    return this.#lazy('conversationOwner', () =>
      new DataLoader<string, string | null>(async (ids) => {
        const rows = await this.#ctx.prisma.conversation.findMany({ where: { id: { in: [...ids] } }, select: { id: true, userId: true } });
        const map = new Map(rows.map((r) => [r.id, r.userId]));
        return ids.map((id) => map.get(id) ?? null);
      }),
    );
  }

  /** chatSessionId -> the userId owning its conversation, or null (no such chat session). */
  get chatSessionOwner() {
    return this.#lazy('chatSessionOwner', () =>
      new DataLoader<string, string | null>(async (ids) => {
        const rows = await this.#ctx.prisma.chatSession.findMany({
          where: { id: { in: [...ids] } },
          select: { id: true, conversation: { select: { userId: true } } },
        });
        const map = new Map(rows.map((r) => [r.id, r.conversation.userId]));
        return ids.map((id) => map.get(id) ?? null);
      }),
    );
  }

  /** The latest terms consent of each user, or null. */
  get consentByUser() {
    return this.#lazy('consentByUser', () =>
      new DataLoader<string, Date | null>(async (userIds) => {
        const rows = await this.#ctx.prisma.userConsent.groupBy({
          by: ['userId'],
          where: { userId: { in: [...userIds] } },
          _max: { createdAt: true },
        });
        const map = new Map(rows.map((r) => [r.userId, r._max.createdAt]));
        return userIds.map((id) => map.get(id) ?? null);
      }),
    );
  }
}
