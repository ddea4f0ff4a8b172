// A frontend's walk through the demo world with the generated SDK's typed documents: the same
// operations the SDK ships are executed against the server, so the SDK is exercised every run.
import { beforeAll, describe, expect, it } from 'vitest';
import { dbKind } from './helpers/env.ts';
import { codesOf, useTestApp } from './helpers/app.ts';
import { gid } from './factories/index.ts';
import { defaultContentDir, demoIds, seedDatabase } from '../src/seed/index.ts';
import { defaultGraphiqlQuery } from '../src/schema/graphiql.ts';
import {
  CollectiveClimateDocument,
  CollectiveInvitationsDocument,
  CollectiveMembersDocument,
  ConversationDocument,
  FeatureFlagsDocument,
  LocalizedContentDocument,
  MeDocument,
  MyCollectivesDocument,
  MyConversationsDocument,
  NodeDocument,
  SignInDocument,
} from '../src/client/generated/graphql.ts';


describe(`demo walkthrough with the generated SDK (${dbKind})`, () => {
  const api = useTestApp({ env: { MAX_QUERY_COMPLEXITY: '20000' } });
  const tokens: Record<string, string> = {};
  beforeAll(async () => {
    await seedDatabase(api.prisma, { contentDir: defaultContentDir });
    for (const loginId of ['demo-parent-moreau', 'demo-lea-moreau', 'demo-teacher-5eb', 'demo-student-01', 'demo-student-03']) {
      const r = await api.gql(SignInDocument, { input: { idp: 'MOCK_IDP', loginId, origin: 'web_react' } });
      expect(r.errors).toBeUndefined();
      expect(r.data!.signIn.created).toBe(false);
      tokens[loginId] = r.data!.signIn.token;
    }
  });

  it('demo users sign in to the scope their consents give them', async () => {
    const parent = await api.gql(MeDocument, {}, { token: tokens['demo-parent-moreau'] });
    expect(parent.data!.me!.userType).toBe('PARENT');
    expect(parent.data!.me!.sessions.find((s) => s.current)!.scope).toBe('FULL');
    const pending = await api.gql(MeDocument, {}, { token: tokens['demo-student-03'] });
    expect(pending.data!.me!.sessions.find((s) => s.current)!.scope).toBe('PENDING_CONSENT');
  });

  it('a teenager pages through their own conversations, newest first, with chat sessions', async () => {
    const first = await api.gql(MyConversationsDocument, { first: 1 }, { token: tokens['demo-lea-moreau'] });
    expect(first.errors).toBeUndefined();
    const conn = first.data!.me!.conversations;
    expect(conn.totalCount).toBeGreaterThanOrEqual(2);
    expect(conn.edges).toHaveLength(1);
    expect(conn.pageInfo.hasNextPage).toBe(true);
    const next = await api.gql(MyConversationsDocument, { first: 10, after: conn.pageInfo.endCursor }, { token: tokens['demo-lea-moreau'] });
    const all = [conn.edges[0], ...next.data!.me!.conversations.edges].map((e) => e.node);
    expect(all).toHaveLength(conn.totalCount);
    const times = all.map((c) => Date.parse(c.updatedAt));
    expect(times).toEqual([...times].sort((a, b) => b - a));
    expect(all.every((c) => c.chatSessions.totalCount >= 1)).toBe(true);
    const incidents = await api.gql(MyConversationsDocument, { first: 20, type: 'INCIDENT' }, { token: tokens['demo-lea-moreau'] });
    expect(incidents.data!.me!.conversations.edges.every((e) => e.node.conversationType === 'INCIDENT')).toBe(true);
  });

  it("a teenager's conversation is private, even from the parent who owns the family", async () => {
    const mine = await api.gql(MyConversationsDocument, { first: 1 }, { token: tokens['demo-lea-moreau'] });
    const id = mine.data!.me!.conversations.edges[0].node.id;
    const own = await api.gql(ConversationDocument, { id }, { token: tokens['demo-lea-moreau'] });
    expect(own.data!.conversation!.id).toBe(id);
    const byParent = await api.gql(ConversationDocument, { id }, { token: tokens['demo-parent-moreau'] });
    const missing = await api.gql(ConversationDocument, { id: gid('Conversation', '00000000-0000-4000-8000-000000000000') }, { token: tokens['demo-parent-moreau'] });
    expect(codesOf(byParent)).toEqual(['NOT_FOUND']);
    expect(byParent.errors).toEqual(missing.errors);
    const viaNode = await api.gql(NodeDocument, { id }, { token: tokens['demo-parent-moreau'] });
    expect(codesOf(viaNode)).toEqual(['NOT_FOUND']);
    // The parent can see the teen's profile, but not the conversations on it.
    const profile = await api.gql(`query($id: ID!) { user(id: $id) { userType conversations(first: 1) { totalCount } } }`, { id: gid('User', demoIds.leaMoreau) }, { token: tokens['demo-parent-moreau'] });
    expect(codesOf(profile)).toEqual(['FORBIDDEN']);
    expect(profile.errors![0].path).toEqual(['user', 'conversations']);
  });

  it('owners see their collective, its members with their consent state, and its invitations', async () => {
    const mine = await api.gql(MyCollectivesDocument, {}, { token: tokens['demo-parent-moreau'] });
    expect(mine.errors).toBeUndefined();
    const family = mine.data!.me!.memberships.find((m) => m.collective.name === 'Famille Moreau')!;
    expect(family.role).toBe('OWNER');
    expect(family.collective.members.totalCount).toBe(3);
    const members = await api.gql(CollectiveMembersDocument, { id: family.collective.id, first: 10 }, { token: tokens['demo-parent-moreau'] });
    expect(members.errors).toBeUndefined();
    expect(members.data!.collective!.members.edges.map((e) => e.node.user!.userType).sort()).toEqual(['PARENT', 'TEENAGER', 'TEENAGER']);
    expect(members.data!.collective!.members.edges.every((e) => e.node.user!.hasConsented)).toBe(true);
    const invitations = await api.gql(CollectiveInvitationsDocument, { id: family.collective.id, first: 10 }, { token: tokens['demo-parent-moreau'] });
    expect(invitations.errors).toBeUndefined();
    expect(invitations.data!.collective!.invitations.totalCount).toBeGreaterThan(0);
  });

  it('a teacher (admin) pages the class by role; a plain member sees the list but not the profiles or invitations', async () => {
    const classId = gid('Collective', demoIds.class5eB);
    const students = await api.gql(CollectiveMembersDocument, { id: classId, first: 100, role: 'MEMBER' }, { token: tokens['demo-teacher-5eb'] });
    expect(students.errors).toBeUndefined();
    expect(students.data!.collective!.members.totalCount).toBe(30);
    expect(students.data!.collective!.members.edges.filter((e) => !e.node.user!.hasConsented)).toHaveLength(0);

    const asStudent = await api.gql(`query($id: ID!) { collective(id: $id) { members(first: 5) { totalCount edges { node { role } } } } }`, { id: classId }, { token: tokens['demo-student-01'] });
    expect(asStudent.errors).toBeUndefined();
    expect(asStudent.data.collective.members.totalCount).toBeGreaterThanOrEqual(30);
    // The list with profiles: each fellow member's user is null, without an error; only their own is there.
    const profiles = await api.gql(CollectiveMembersDocument, { id: classId, first: 100 }, { token: tokens['demo-student-01'] });
    expect(profiles.errors).toBeUndefined();
    const users = profiles.data!.collective!.members.edges.map((e) => e.node.user);
    expect(users.length).toBeGreaterThanOrEqual(30);
    expect(users.filter((u) => u !== null).map((u) => u!.id)).toEqual([gid('User', demoIds.student(1))]);
    const invitations = await api.gql(CollectiveInvitationsDocument, { id: classId, first: 3 }, { token: tokens['demo-student-01'] });
    expect(codesOf(invitations)).toEqual(['FORBIDDEN']);
  });

  it('a stranger gets the same NOT_FOUND for a collective they cannot see as for a missing one', async () => {
    const hidden = await api.gql(CollectiveMembersDocument, { id: gid('Collective', demoIds.familyMoreau), first: 1 }, { token: tokens['demo-teacher-5eb'] });
    const missing = await api.gql(CollectiveMembersDocument, { id: gid('Collective', '00000000-0000-4000-8000-000000000000'), first: 1 }, { token: tokens['demo-teacher-5eb'] });
    expect(codesOf(hidden)).toEqual(['NOT_FOUND']);
    expect(hidden.errors).toEqual(missing.errors);
  });

  it('flags and localized content answer anonymous callers too', async () => {
    const flags = await api.gql(FeatureFlagsDocument, {});
    expect(flags.errors).toBeUndefined();
    const content = await api.gql(LocalizedContentDocument, { category: 'UI_MESSAGES', language: 'en' });
    expect(content.errors).toBeUndefined();
  });

  it("GraphiQL's default query runs cleanly for a demo teenager", async () => {
    const r = await api.gql(defaultGraphiqlQuery, {}, { token: tokens['demo-lea-moreau'] });
    expect(r.errors).toBeUndefined();
    expect(r.data.me.conversations.totalCount).toBeGreaterThan(0);
  });

  it('the teacher of 5e B reads the class climate: counts only, every one from at least k pupils', async () => {
    const r = await api.gql(CollectiveClimateDocument, { collectiveId: gid('Collective', demoIds.class5eB) }, { token: tokens['demo-teacher-5eb'] });
    expect(r.errors).toBeUndefined();
    const climate = r.data!.analyticsSummary;
    console.log(`[${dbKind}] 5e B climate: ${JSON.stringify(climate)}`);
    expect(climate.k).toBe(5);
    expect(climate.conversations).toBeGreaterThan(10);
    expect(climate.byCategory.length).toBeGreaterThanOrEqual(2);
    expect(climate.byCollectiveType).toEqual([{ value: 'CLASS', conversations: climate.conversations }]);
    expect(climate.moodImprovement.share).toBeGreaterThan(0.5);
    // A pupil of the class may not.
    const pupil = await api.gql(CollectiveClimateDocument, { collectiveId: gid('Collective', demoIds.class5eB) }, { token: tokens['demo-student-01'] });
    expect(codesOf(pupil)).toEqual(['NOT_FOUND']);
  });
});
