import { z } from 'zod';
import { builder } from '../../builder.ts';
import { notFound } from '../../errors.ts';
import { inTransaction, parseInput, signedIn } from '../mutation-helpers.ts';
import { globalId } from '../conversations/ids.ts';
import { optionalText } from '../../input/fields.ts';

const SubmitFeedbackInput = builder.inputType('SubmitFeedbackInput', {
  description: 'Input of submitFeedback: a rating of one of your chat sessions.',
  fields: (t) => ({
    chatSessionId: t.id({ required: true, description: 'Global ID of one of your chat sessions.' }),
    rating: t.int({ required: true, description: '1 (bad) to 5 (great).' }),
    comment: t.string({ required: false, description: 'Trimmed, at most 2000 characters; blank means no comment.' }),
    isPositive: t.boolean({ required: true }),
  }),
});

const schema = z.object({
  chatSessionId: globalId('ChatSession'),
  rating: z.number().int().min(1).max(5),
  comment: optionalText(2000).nullish(),
  isPositive: z.boolean(),
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
      const input = parseInput(schema, args.input);
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
