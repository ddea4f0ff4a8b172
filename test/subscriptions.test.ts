// Subscriptions in one process (SSE through yoga.fetch, in-process event bus): who may subscribe,
// what each event carries, per-event re-authorization (signed out, consent withdrawn, demoted:
// the stream completes), events only after commit. The cross-instance proof, over Redis and both
// transports, is test/subscriptions-cluster.test.ts.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from './helpers/db.ts';
import { dbKind } from './helpers/env.ts';
import { codesOf, createTestApp } from './helpers/app.ts';
import { openSse } from './helpers/sse.ts';
import { createApiKey, createCollective, createSession, createUser } from './factories/index.ts';
import { afterCommit } from '../src/events/after-commit.ts';
import { createContext } from '../src/context.ts';
import { anonymous } from '../src/auth/viewer.ts';
import { inTransaction } from '../src/db/transaction.ts';

const gid = (type: string, id: string) => Buffer.from(`${type}:${id}`).toString('base64');

const MESSAGE_ADDED = /* GraphQL */ `subscription($id: ID!) { messageAdded(chatSessionId: $id) { id text role } }`;
const SESSION_CHANGED = /* GraphQL */ `subscription { sessionChanged { id scope } }`;
const ACTIVITY = /* GraphQL */ `subscription($id: ID!) { collectiveActivity(collectiveId: $id) { kind role member { id } membership { role } invitation { id } } }`;
const SEND = /* GraphQL */ `mutation($input: SendMessageInput!) { sendMessage(input: $input) { message { id } } }`;
const APPEND = /* GraphQL */ `mutation($input: AppendMessagesInput!) { appendMessages(input: $input) { count } }`;

describe(`subscriptions in one process (${dbKind})`, () => {
  let db: TestDatabase;
  let api: ReturnType<typeof createTestApp>;
  const sse = (query: string, variables: Record<string, unknown>, auth: Record<string, string>) =>
    openSse((url, init) => api.app.yoga.fetch(url, init, { req: { socket: { remoteAddress: '127.0.0.1' } } }), 'http://test.local/graphql', query, variables, auth);
  const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

  async function teenWithChat(scope: 'FULL' | 'PENDING_CONSENT' = 'FULL') {
    const user = await createUser(db.prisma);
    const { token } = await createSession(db.prisma, user.id, scope);
    const conv = await db.prisma.conversation.create({ data: { userId: user.id, conversationType: 'INCIDENT', chatSessions: { create: [{}] } }, include: { chatSessions: true } });
    return { user, token, chatSessionId: gid('ChatSession', conv.chatSessions[0].id) };
  }

  beforeAll(async () => {
    db = await createTestDatabase();
    api = createTestApp(db);
  });
  afterAll(async () => {
    await api.app.events.close();
    await db?.close();
  });

  it('the owner receives messages from sendMessage and appendMessages; an API key with messages:read follows the same session', async () => {
    const teen = await teenWithChat();
    const writer = await createApiKey(db.prisma, ['messages:write']);
    const reader = await createApiKey(db.prisma, ['messages:read']);
    const mine = await sse(MESSAGE_ADDED, { id: teen.chatSessionId }, bearer(teen.token));
    const backend = await sse(MESSAGE_ADDED, { id: teen.chatSessionId }, { 'x-api-key': reader.key });
    expect(mine.status).toBe(200);
    expect(codesOf(await api.gql(SEND, { input: { chatSessionId: teen.chatSessionId, text: 'salut' } }, { token: teen.token }))).toEqual([]);
    const append = await api.gql(APPEND, { input: { chatSessionId: teen.chatSessionId, messages: [{ role: 'ASSISTANT', text: 'bonjour' }, { role: 'SYSTEM', text: 'note' }] } }, { apiKey: writer.key });
    expect(append.errors).toBeUndefined();
    for (const stream of [mine, backend]) {
      const texts = [];
      for (let i = 0; i < 3; i++) texts.push((await stream.next())!.data!.messageAdded);
      expect(texts.map((m: any) => [m.role, m.text])).toEqual([['USER', 'salut'], ['ASSISTANT', 'bonjour'], ['SYSTEM', 'note']]);
      stream.close();
    }
  });

  it('someone else, a key without messages:read, a PENDING_CONSENT session and anonymous are refused at subscribe time', async () => {
    const teen = await teenWithChat();
    const other = await teenWithChat();
    const pending = await teenWithChat('PENDING_CONSENT');
    const key = await createApiKey(db.prisma, ['conversations:read']);
    const codes = async (auth: Record<string, string>, id = teen.chatSessionId) => {
      const s = await sse(MESSAGE_ADDED, { id }, auth);
      const first = await s.next();
      expect(await s.ended).toBe('complete');
      return (first?.errors ?? []).map((e) => e.extensions?.code);
    };
    expect(await codes(bearer(other.token))).toEqual(['NOT_FOUND']);
    expect(await codes(bearer(other.token), gid('ChatSession', '00000000-0000-4000-8000-000000000000'))).toEqual(['NOT_FOUND']);
    expect(await codes({ 'x-api-key': key.key })).toEqual(['FORBIDDEN']);
    expect(await codes(bearer(pending.token), pending.chatSessionId)).toEqual(['CONSENT_REQUIRED']);
    expect(await codes({})).toEqual(['UNAUTHENTICATED']);
  });

  it('a parent granting consent reaches sessionChanged at once; withdrawing it completes messageAdded', async () => {
    const teen = await teenWithChat('PENDING_CONSENT');
    await db.prisma.userConsent.create({ data: { userId: teen.user.id } });
    const parent = await createUser(db.prisma, { userType: 'PARENT' });
    const { token: parentToken } = await createSession(db.prisma, parent.id, 'FULL');
    await createCollective(db.prisma, [{ userId: parent.id, role: 'OWNER' }, { userId: teen.user.id, role: 'MEMBER' }]);
    const changes = await sse(SESSION_CHANGED, {}, bearer(teen.token));
    expect((await changes.next())!.data!.sessionChanged.scope).toBe('PENDING_CONSENT');
    const grant = await api.gql(`mutation($input: GrantParentalConsentInput!) { grantParentalConsent(input: $input) { __typename } }`, { input: { teenagerId: gid('User', teen.user.id) } }, { token: parentToken });
    expect(grant.errors).toBeUndefined();
    expect((await changes.next())!.data!.sessionChanged.scope).toBe('FULL');
    const messages = await sse(MESSAGE_ADDED, { id: teen.chatSessionId }, bearer(teen.token));
    const revoke = await api.gql(`mutation($input: RevokeParentalConsentInput!) { revokeParentalConsent(input: $input) { revoked } }`, { input: { teenagerId: gid('User', teen.user.id) } }, { token: parentToken });
    expect(revoke.data).toEqual({ revokeParentalConsent: { revoked: true } });
    expect((await changes.next())!.data!.sessionChanged.scope).toBe('PENDING_CONSENT');
    expect(await messages.next()).toBeNull();
    expect(await messages.ended).toBe('complete');
    changes.close();
  });

  it('collectiveActivity: owners and admins hear joins and role changes; a member is refused; a demoted admin\'s stream completes', async () => {
    const owner = await createUser(db.prisma, { userType: 'PARENT' });
    const admin = await createUser(db.prisma, { userType: 'PARENT' });
    const member = await createUser(db.prisma, { userType: 'PARENT' });
    const joiner = await createUser(db.prisma, { userType: 'PARENT' });
    const [o, a, m, j] = await Promise.all([owner, admin, member, joiner].map((u) => createSession(db.prisma, u.id, 'FULL')));
    const collective = await createCollective(db.prisma, [
      { userId: owner.id, role: 'OWNER' },
      { userId: admin.id, role: 'ADMIN' },
      { userId: member.id, role: 'MEMBER' },
    ]);
    const id = gid('Collective', collective.id);
    const refused = await sse(ACTIVITY, { id }, bearer(m.token));
    expect(codesOf((await refused.next())!)).toEqual(['FORBIDDEN']);
    const ownerStream = await sse(ACTIVITY, { id }, bearer(o.token));
    const adminStream = await sse(ACTIVITY, { id }, bearer(a.token));
    const invite = await api.gql(`mutation($input: CreateInvitationInput!) { createInvitation(input: $input) { token invitation { id } } }`, { input: { collectiveId: id, language: 'fr' } }, { token: o.token });
    expect(invite.errors).toBeUndefined();
    const accepted = await api.gql(`mutation($input: AcceptInvitationInput!) { acceptInvitation(input: $input) { membership { id } } }`, { input: { token: invite.data.createInvitation.token } }, { token: j.token });
    expect(accepted.errors).toBeUndefined();
    for (const stream of [ownerStream, adminStream]) {
      expect((await stream.next())!.data!.collectiveActivity).toEqual({
        kind: 'MEMBER_JOINED',
        role: 'MEMBER',
        member: { id: gid('User', joiner.id) },
        membership: { role: 'MEMBER' },
        invitation: { id: invite.data.createInvitation.invitation.id },
      });
    }
    const adminMembership = await db.prisma.collectiveMembership.findFirstOrThrow({ where: { userId: admin.id, collectiveId: collective.id } });
    const demote = await api.gql(`mutation($input: UpdateMemberRoleInput!) { updateMemberRole(input: $input) { membership { role } } }`, { input: { membershipId: gid('CollectiveMembership', adminMembership.id), role: 'MEMBER' } }, { token: o.token });
    expect(demote.errors).toBeUndefined();
    expect((await ownerStream.next())!.data!.collectiveActivity).toMatchObject({ kind: 'ROLE_CHANGED', role: 'MEMBER', member: { id: gid('User', admin.id) } });
    expect(await adminStream.next()).toBeNull();
    expect(await adminStream.ended).toBe('complete');
    ownerStream.close();
  });

  it('sign-out elsewhere ends sessionChanged and messageAdded', async () => {
    const teen = await teenWithChat();
    const changes = await sse(SESSION_CHANGED, {}, bearer(teen.token));
    const messages = await sse(MESSAGE_ADDED, { id: teen.chatSessionId }, bearer(teen.token));
    expect((await changes.next())!.data!.sessionChanged.scope).toBe('FULL');
    expect(codesOf(await api.gql(`mutation { signOut { endedSessionIds } }`, {}, { token: teen.token }))).toEqual([]);
    expect(await changes.next()).toBeNull();
    expect(await changes.ended).toBe('complete');
    expect(await messages.next()).toBeNull();
    expect(await messages.ended).toBe('complete');
  });

  it('a stream given up before its first read, or open at shutdown, releases its sources', async () => {
    const { createEventBus } = await import('../src/events/bus.ts');
    const bus = createEventBus({ redis: null, keyPrefix: 't', log: api.app.services.log });
    const unread = await bus.stream([{ topic: 'sessionsChanged', id: 'u1' }], async () => []);
    const reading = await bus.stream([{ topic: 'sessionsChanged', id: 'u2' }], async (d) => [d.payload]);
    expect(bus.openStreams).toBe(2);
    await (unread as AsyncIterableIterator<unknown>).return!();
    expect(bus.openStreams).toBe(1);
    const next = (reading as AsyncIterableIterator<unknown>).next();
    bus.publish({ topic: 'sessionsChanged', id: 'u2', payload: { userId: 'u2' } });
    expect(await next).toEqual({ done: false, value: { userId: 'u2' } });
    await bus.close();
    expect(bus.openStreams).toBe(0);
    expect(await (reading as AsyncIterableIterator<unknown>).next()).toMatchObject({ done: true });
  });

  it('events queued in a transaction that rolls back are never published', async () => {
    const teen = await teenWithChat();
    const changes = await sse(SESSION_CHANGED, {}, bearer(teen.token));
    await changes.next();
    const ctx = createContext(api.app.services, anonymous, null);
    await expect(
      inTransaction(ctx, async (tx) => {
        afterCommit({ topic: 'sessionsChanged', id: teen.user.id, payload: { userId: teen.user.id } });
        await tx.appSession.updateMany({ where: { userId: teen.user.id }, data: { scope: 'ONBOARDING' } });
        throw new Error('rolled back');
      }),
    ).rejects.toThrow('rolled back');
    // A committed change of the same kind arrives, and is the first thing the stream sees.
    await inTransaction(ctx, async (tx) => {
      await tx.appSession.updateMany({ where: { userId: teen.user.id }, data: { scope: 'PENDING_CONSENT' } });
      afterCommit({ topic: 'sessionsChanged', id: teen.user.id, payload: { userId: teen.user.id } });
    });
    expect((await changes.next())!.data!.sessionChanged.scope).toBe('PENDING_CONSENT');
    changes.close();
  });
});
