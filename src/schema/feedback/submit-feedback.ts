import { builder } from '../../builder.ts';
import { notFound } from '../../errors.ts';
import { inTransaction } from '../../db/transaction.ts';
import { signedIn } from '../../auth/caller.ts';
import { ChatSessionNode } from '../conversations/chat-session.ts';
import { check, optionalText, rowId } from '../../input/fields.ts';

const SubmitFeedbackInput = builder.inputType('SubmitFeedbackInput', {
  description: 'Input of submitFeedback: a rating of one of your chat sessions.',
  fields: (t) => ({
    chatSessionId: t.globalID({ for: ChatSessionNode, required: true, description: 'Global ID of one of your chat sessions.', validate: rowId('ChatSession') }),
    rating: t.int({ required: true, description: '1 (bad) to 5 (great).', validate: { min: 1, max: 5 } }),
    comment: t.string({ required: false, description: 'Trimmed, at most 2000 characters; blank means no comment.', validate: check(optionalText(2000)) }),
    isPositive: t.boolean({ required: true }),
  }),
});

const SubmitFeedbackPayload = builder.objectRef<{ feedbackId: string }>('SubmitFeedbackPayload').implement({
  description: 'Result of submitFeedback: the stored feedback.',
  fields: (t) => ({
    feedback: t.prismaField({
      type: 'Feedback',
      resolve: (query, p, _a, ctx) => ctx.prisma.feedback.findUniqueOrThrow({ ...query, where: { id: p.feedbackId } }),
    }),
  }),
});

builder.mutationField('submitFeedback', (t) =>
  t.field({
    authScopes: { session: 'FULL' },
    type: SubmitFeedbackPayload,
    description: 'Rates one of your chat sessions. Needs a FULL session; NOT_FOUND for a chat session that is not yours.',
    args: { input: t.arg({ type: SubmitFeedbackInput, required: true }) },
    resolve: async (_root, args, ctx) => {
      const { user } = signedIn(ctx);
      const input = { ...args.input, chatSessionId: args.input.chatSessionId.id };
      const feedbackId = await inTransaction(ctx, async (tx) => {
        const own = await tx.chatSession.findFirst({
          where: { id: input.chatSessionId, conversation: { userId: user.id } },
          select: { id: true },
        });
        if (!own) throw notFound();
        const feedback = await tx.feedback.create({
          data: { sessionId: own.id, rating: input.rating, comment: input.comment ?? null, isPositive: input.isPositive },
          select: { id: true },
        });
        return feedback.id;
      });
      return { feedbackId };
    },
  }),
);
