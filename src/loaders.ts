// Per-request DataLoaders for what the Prisma plugin's selections do not cover (owners of
// conversations and chat sessions, terms consents). Created lazily, never shared across requests.
// The caller's roles are auth/caller.ts's.
import DataLoader from 'dataloader';
import type { PrismaClient } from './generated/prisma/client.ts';

export class Loaders {
  #source: { readonly prisma: PrismaClient };
  #cache = new Map<string, unknown>();
  /** `source.prisma` is read at each batch: database routing may choose the client after the loaders exist. */
  constructor(source: { readonly prisma: PrismaClient }) {
    this.#source = source;
  }

  #lazy<T>(name: string, make: () => T): T {
    if (!this.#cache.has(name)) this.#cache.set(name, make());
    return this.#cache.get(name) as T;
  }

  /** conversationId -> owner's userId. */
  get conversationOwner() {
    return this.#lazy('conversationOwner', () =>
      new DataLoader<string, string | null>(async (ids) => {
        const rows = await this.#source.prisma.conversation.findMany({ where: { id: { in: [...ids] } }, select: { id: true, userId: true } });
        const map = new Map(rows.map((r) => [r.id, r.userId]));
        return ids.map((id) => map.get(id) ?? null);
      }),
    );
  }

  /** chatSessionId -> the userId owning its conversation, or null (no such chat session). */
  get chatSessionOwner() {
    return this.#lazy('chatSessionOwner', () =>
      new DataLoader<string, string | null>(async (ids) => {
        const rows = await this.#source.prisma.chatSession.findMany({
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
        const rows = await this.#source.prisma.userConsent.groupBy({
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
