// The benchmark data set and the read operations bench:api, bench:peers and profile:api drive.
import { randomUUID } from 'node:crypto';
import { generateToken, hashToken } from '../../src/auth/tokens.ts';
import type { PrismaClient } from '../../src/generated/prisma/client.ts';

/** The command-line options of the data set and load that bench:api and bench:peers share (parseArgs form). */
export const BENCH_LOAD_OPTIONS = {
  users: { type: 'string', default: '200' },
  conversations: { type: 'string', default: '5' },
  sessions: { type: 'string', default: '3' },
  connections: { type: 'string', default: '16' },
  duration: { type: 'string', default: '10' },
} as const;

/** The data set's size from those options. */
export const dataSize = (values: { users: string; conversations: string; sessions: string }) => ({
  users: +values.users,
  conversations: +values.conversations,
  sessions: +values.sessions,
});

/** The benchmark data set: n.users teenagers, each with n.conversations conversations of n.sessions chat sessions; an operator key and a session of the first user. */
export async function loadBenchData(prisma: PrismaClient, n: { users: number; conversations: number; sessions: number }) {
  const start = performance.now();
  const base = Date.UTC(2026, 9, 1);
  const users = Array.from({ length: n.users }, (_, i) => ({ id: randomUUID(), userType: 'TEENAGER' as const, language: 'fr', createdAt: new Date(base + i * 1000) }));
  await prisma.user.createMany({ data: users });
  const conversations = users.flatMap((u, i) =>
    Array.from({ length: n.conversations }, (_, c) => ({
      id: randomUUID(),
      userId: u.id,
      title: `Conversation ${c + 1}`,
      conversationType: c % 2 ? ('INCIDENT' as const) : ('GENERAL' as const),
      updatedAt: new Date(base + (i * 100 + c) * 60_000),
    })),
  );
  for (let i = 0; i < conversations.length; i += 5000) await prisma.conversation.createMany({ data: conversations.slice(i, i + 5000) });
  const sessions = conversations.flatMap((c) => Array.from({ length: n.sessions }, () => ({ conversationId: c.id })));
  for (let i = 0; i < sessions.length; i += 5000) await prisma.chatSession.createMany({ data: sessions.slice(i, i + 5000) });
  const key = generateToken();
  await prisma.apiKey.create({ data: { name: 'bench', keyHash: hashToken(key), permissions: ['users:read', 'conversations:read'] } });
  const token = generateToken();
  await prisma.appSession.create({
    data: { userId: users[0].id, origin: 'bench', scope: 'FULL', tokenHash: hashToken(token), expiresAt: new Date(Date.now() + 3600_000) },
  });
  // The teenager's first chat session: where bench:api's write operation sends its messages.
  const chatSession = await prisma.chatSession.findFirstOrThrow({ where: { conversation: { userId: users[0].id } }, select: { id: true } });
  return { key, token, chatSessionId: chatSession.id, seconds: (performance.now() - start) / 1000, rows: users.length + conversations.length + sessions.length };
}

export const CHAT_SESSIONS = 'chatSessions(first: 10) { totalCount edges { node { id createdAt } } }';
export const OPERATIONS = {
  'operator: 20 users -> 5 newest conversations -> chat sessions': `{ users(first: 20) { edges { node { id conversations(first: 5) { edges { node { id conversationType updatedAt ${CHAT_SESSIONS} } } } } } } }`,
  'me -> 5 newest conversations -> chat sessions': `{ me { id conversations(first: 5) { totalCount edges { node { id title updatedAt ${CHAT_SESSIONS} } } } } }`,
};

/** The headers of a benchmark request: the operator's API key for an operator read, else the first user's session. */
export const benchHeaders = (caller: 'operator' | 'user', data: { key: string; token: string }): Record<string, string> =>
  caller === 'operator' ? { 'content-type': 'application/json', 'x-api-key': data.key } : { 'content-type': 'application/json', authorization: `Bearer ${data.token}` };
