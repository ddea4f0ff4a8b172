// The chat frontend's conversation flow through the SDK's typed documents
// (src/client/operations/conversations.graphql): each step's payload carries what a normalized
// cache needs, and another teenager's ids answer as missing ones. Written by following
// CONTRIBUTING.md ("To add a mutation", step 3, and "To add a test").
import { describe, expect, it } from 'vitest';
import { dbKind } from './helpers/env.ts';
import { codesOf, useTestApp } from './helpers/app.ts';
import { gid, rawId } from './factories/index.ts';
import {
  DeleteConversationDocument,
  MyConversationsDocument,
  RenameConversationDocument,
  SendMessageDocument,
  StartChatSessionDocument,
  StartConversationDocument,
  SubmitFeedbackDocument,
} from '../src/client/generated/graphql.ts';

describe(`the SDK's conversation flow (${dbKind})`, () => {
  const api = useTestApp();

  it('starts, continues, renames, rates and deletes a conversation, each payload enough for the cache', async () => {
    const teen = await api.person('TEENAGER');
    const as = { token: teen.token };
    const started = await api.gql(StartConversationDocument, { input: { conversationType: 'INCIDENT', title: 'Au collège' } }, as);
    expect(started.errors).toBeUndefined();
    const { conversation, chatSession, owner } = started.data!.startConversation;
    expect(owner).toMatchObject({ id: gid('User', teen.user.id), conversations: { totalCount: 1 } });
    expect(conversation).toMatchObject({ title: 'Au collège', conversationType: 'INCIDENT' });
    expect(chatSession.threadId).toBe(rawId(chatSession.id));

    const second = await api.gql(StartChatSessionDocument, { input: { conversationId: conversation.id } }, as);
    expect(second.errors).toBeUndefined();
    expect(second.data!.startChatSession.conversation).toMatchObject({ id: conversation.id, chatSessions: { totalCount: 2 } });

    const sent = await api.gql(SendMessageDocument, { input: { chatSessionId: chatSession.id, text: 'ils me clashent sur snap' } }, as);
    expect(sent.errors).toBeUndefined();
    expect(sent.data!.sendMessage.message).toMatchObject({ role: 'USER', text: 'ils me clashent sur snap' });
    expect(sent.data!.sendMessage.conversation.id).toBe(conversation.id);

    const renamed = await api.gql(RenameConversationDocument, { input: { conversationId: conversation.id, title: 'Sur Snapchat' } }, as);
    expect(renamed.data!.renameConversation.conversation).toMatchObject({ id: conversation.id, title: 'Sur Snapchat' });

    const rated = await api.gql(SubmitFeedbackDocument, { input: { chatSessionId: chatSession.id, rating: 4, isPositive: true } }, as);
    expect(rated.errors).toBeUndefined();
    expect(rated.data!.submitFeedback.feedback).toMatchObject({ rating: 4, isPositive: true, comment: null });

    const listed = await api.gql(MyConversationsDocument, { first: 5 }, as);
    expect(listed.data!.me!.conversations.edges.map((e) => e.node.title)).toEqual(['Sur Snapchat']);

    const deleted = await api.gql(DeleteConversationDocument, { input: { conversationId: conversation.id } }, as);
    expect(deleted.errors).toBeUndefined();
    expect(deleted.data!.deleteConversation).toEqual({ deletedConversationId: conversation.id, owner: { id: owner.id, conversations: { totalCount: 0 } } });
    expect(await api.prisma.conversation.count({ where: { userId: teen.user.id } })).toBe(0);
  });

  it("another teenager's conversation and session answer exactly as missing ones, and change nothing", async () => {
    const owner = await api.person('TEENAGER');
    const other = await api.person('TEENAGER');
    const started = await api.gql(StartConversationDocument, { input: { conversationType: 'GENERAL' } }, { token: owner.token });
    const { conversation, chatSession } = started.data!.startConversation;
    const missingConversation = gid('Conversation', '00000000-0000-4000-8000-000000000000');
    const missingSession = gid('ChatSession', '00000000-0000-4000-8000-000000000000');
    const as = { token: other.token };
    for (const [theirs, missing] of [
      [() => api.gql(RenameConversationDocument, { input: { conversationId: conversation.id, title: 'x' } }, as), () => api.gql(RenameConversationDocument, { input: { conversationId: missingConversation, title: 'x' } }, as)],
      [() => api.gql(DeleteConversationDocument, { input: { conversationId: conversation.id } }, as), () => api.gql(DeleteConversationDocument, { input: { conversationId: missingConversation } }, as)],
      [() => api.gql(StartChatSessionDocument, { input: { conversationId: conversation.id } }, as), () => api.gql(StartChatSessionDocument, { input: { conversationId: missingConversation } }, as)],
      [() => api.gql(SendMessageDocument, { input: { chatSessionId: chatSession.id, text: 'hi' } }, as), () => api.gql(SendMessageDocument, { input: { chatSessionId: missingSession, text: 'hi' } }, as)],
      [() => api.gql(SubmitFeedbackDocument, { input: { chatSessionId: chatSession.id, rating: 1, isPositive: false } }, as), () => api.gql(SubmitFeedbackDocument, { input: { chatSessionId: missingSession, rating: 1, isPositive: false } }, as)],
    ] as const) {
      const [a, b] = [await theirs(), await missing()];
      expect(codesOf(a)).toEqual(['NOT_FOUND']);
      expect({ errors: a.errors?.map((e) => e.message), data: a.data }).toEqual({ errors: b.errors?.map((e) => e.message), data: b.data });
    }
    const row = await api.prisma.conversation.findUniqueOrThrow({ where: { id: rawId(conversation.id) }, include: { chatSessions: true } });
    expect(row.title).toBeNull();
    expect(row.chatSessions).toHaveLength(1);
    expect(await api.prisma.feedback.count({ where: { sessionId: rawId(chatSession.id) } })).toBe(0);
  });
});
