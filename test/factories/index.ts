// Typed fixture builders: rows written straight through Prisma, for tests that need a world
// of a given shape (the demo seed is tested on its own).
import { randomUUID } from 'node:crypto';
import type { AgeClass, PrismaClient, SessionScope, UserType, MembershipRole, CollectiveType } from '../../src/generated/prisma/client.ts';
import { generateToken, hashToken } from '../../src/auth/tokens.ts';

/** The global id the API gives row `id` of node type `type`: base64 of `Type:id`, Pothos's encoding. */
export const gid = (type: string, id: string) => Buffer.from(`${type}:${id}`).toString('base64');

/**
 * The row id inside a global id: what follows the first colon of its base64 decoding. Never throws:
 * a malformed id gives '' (or garbage), which the test's assertions then catch.
 */
export const rawId = (globalId: string) => Buffer.from(globalId, 'base64').toString().split(':').slice(1).join(':');

export async function createUser(prisma: PrismaClient, data: { userType?: UserType; language?: string; country?: string } = {}) {
  return prisma.user.create({
    data: { userType: data.userType ?? 'TEENAGER', language: data.language ?? 'fr', country: data.country ?? 'FR', ageClass: data.userType === 'PARENT' ? 'ADULT' : 'PRETEEN' },
  });
}

/** Opens a session directly (what signIn does) and returns its bearer token. */
export async function createSession(prisma: PrismaClient, userId: string, scope: SessionScope = 'FULL', ttlMs = 3600_000) {
  const token = generateToken();
  const session = await prisma.appSession.create({
    data: { userId, origin: 'test', scope, tokenHash: hashToken(token), expiresAt: new Date(Date.now() + ttlMs) },
  });
  return { token, session };
}

/**
 * A user who went through the sign-in pipeline as far as `scope`, with a session there: past
 * ONBOARDING they have accepted the terms (a user_consent row). `profile` overwrites language and
 * age class (null clears them). Returns the user row, the session's bearer token and its row.
 */
export async function person(
  prisma: PrismaClient,
  userType: UserType = 'PARENT',
  scope: SessionScope = 'FULL',
  profile: { language?: string | null; ageClass?: AgeClass | null } = {},
) {
  let user = await createUser(prisma, { userType });
  if ('language' in profile || 'ageClass' in profile) user = await prisma.user.update({ where: { id: user.id }, data: profile });
  if (scope !== 'ONBOARDING') await prisma.userConsent.create({ data: { userId: user.id } });
  const { token, session } = await createSession(prisma, user.id, scope);
  return { user, token, session };
}

export async function createApiKey(prisma: PrismaClient, permissions: string[], extra: { expiresAt?: Date; isActive?: boolean } = {}) {
  const key = generateToken();
  const row = await prisma.apiKey.create({ data: { name: `test-${randomUUID().slice(0, 8)}`, keyHash: hashToken(key), permissions, ...extra } });
  return { key, row };
}

export async function createCollective(
  prisma: PrismaClient,
  members: { userId: string; role: MembershipRole }[],
  data: { name?: string; type?: CollectiveType; parentId?: string; parentalConsentGranted?: boolean } = {},
) {
  return prisma.collective.create({
    data: {
      name: data.name ?? `Collectif ${randomUUID().slice(0, 6)}`,
      type: data.type ?? 'FAMILY',
      parentId: data.parentId,
      parentalConsentGranted: data.parentalConsentGranted ?? false,
      memberships: { create: members },
    },
  });
}

/** n users, each with `conversations` conversations of `chatSessions` chat sessions, in `collectives` shared collectives. */
export async function createPopulation(
  prisma: PrismaClient,
  n: number,
  shape = { conversations: 3, chatSessions: 2, collectives: 2 },
) {
  const users = [];
  const base = Date.UTC(2026, 9, 1);
  for (let i = 0; i < n; i++) {
    const user = await createUser(prisma);
    for (let c = 0; c < shape.conversations; c++) {
      await prisma.conversation.create({
        data: {
          userId: user.id,
          title: `Conversation ${i}-${c}`,
          conversationType: c % 2 ? 'INCIDENT' : 'GENERAL',
          updatedAt: new Date(base + (i * 100 + c) * 60_000),
          chatSessions: { create: Array.from({ length: shape.chatSessions }, () => ({})) },
        },
      });
    }
    users.push(user);
  }
  const collectives = [];
  for (let k = 0; k < shape.collectives; k++) {
    collectives.push(
      await createCollective(
        prisma,
        users.map((u, i) => ({ userId: u.id, role: i === 0 ? ('OWNER' as const) : ('MEMBER' as const) })),
        { name: `Classe ${k}`, type: 'CLASS' },
      ),
    );
  }
  return { users, collectives };
}
