import { z } from 'zod';
import { builder } from '../../builder.ts';
import { notFound } from '../../errors.ts';
import * as E from '../../generated/prisma/enums.ts';
import { recordConversationAnalytics } from '../../analytics/record.ts';
import { optionalText, rowId } from '../../input/fields.ts';
import { ConversationNode } from '../conversations/conversation.ts';
import { AnalyticsMoodEnum, AnswerTypeEnum, CopingStrategyEnum, MessageCategoryEnum } from './enums.ts';
import { parseInput } from '../arguments.ts';
import { inTransaction } from '../../db/transaction.ts';
import { operatorKey } from '../../auth/caller.ts';

/**
 * Bounds of one recording: generous for a long conversation, small enough for one transaction. The
 * lists declare `maxItems` (src/input/bounds.ts): the input rules' default of 100 would refuse them first.
 */
export const ANALYTICS_LIMITS = { freeTextMax: 5000, itemsMax: 1000, messageIndexMax: 99_999, chatbotVersionMax: 50 } as const;
const L = ANALYTICS_LIMITS;
const indexDescription = `The message's 0-based index in the conversation (0 to ${L.messageIndexMax}).`;

const item = <V extends string>(name: string, valueField: V, type: typeof MessageCategoryEnum | typeof AnalyticsMoodEnum | typeof CopingStrategyEnum | typeof AnswerTypeEnum) =>
  builder.inputType(name, {
    description: `One message's ${valueField}, by the message's index in the conversation.`,
    fields: (t) => ({
      messageIndex: t.int({ required: true, description: indexDescription }),
      [valueField]: t.field({ type, required: true }),
    }),
  });

const MessageCategoryInput = item('CategorizedMessageInput', 'category', MessageCategoryEnum);
const MoodInput = item('CategorizedMoodInput', 'mood', AnalyticsMoodEnum);
const StrategyInput = item('CategorizedStrategyInput', 'strategy', CopingStrategyEnum);
const AnswerTypeInput = item('CategorizedAnswerTypeInput', 'answerType', AnswerTypeEnum);

const RecordConversationAnalyticsInput = builder.inputType('RecordConversationAnalyticsInput', {
  description: 'Input of recordConversationAnalytics: what the chatbot extracted from one conversation (categories, moods, strategies, answer types).',
  fields: (t) => ({
    conversationId: t.globalID({ for: ConversationNode, required: true, description: 'Global ID of the conversation analysed.', validate: rowId('Conversation') }),
    chatbotVersion: t.string({
      required: true,
      description: `The chatbot version that extracted these analytics: 1 to ${L.chatbotVersionMax} characters of letters, digits, ".", "_", "+" and "-". Recording again with the same conversation and version replaces the earlier recording.`,
    }),
    language: t.field({ type: 'LanguageCode', required: true, description: 'The conversation\'s language (ISO 639-1).' }),
    bullyingMessage: t.string({ required: false, description: `The situation described, at most ${L.freeTextMax} characters. Stored for the platform's offline analysis; never returned by this API.` }),
    summary: t.string({ required: false, description: `At most ${L.freeTextMax} characters. Stored; never returned by this API.` }),
    mood: t.field({ type: AnalyticsMoodEnum, required: false, description: 'The overall mood of the conversation.' }),
    strategy: t.field({ type: CopingStrategyEnum, required: false, description: 'The main strategy proposed.' }),
    messages: t.field({ extensions: { maxItems: L.itemsMax }, type: [MessageCategoryInput], required: false, description: `Message categories, at most ${L.itemsMax}; a message may have several, each once.` }),
    moods: t.field({ extensions: { maxItems: L.itemsMax }, type: [MoodInput], required: false, description: `The mood at each categorized message, at most ${L.itemsMax}, one per message index.` }),
    strategies: t.field({ extensions: { maxItems: L.itemsMax }, type: [StrategyInput], required: false, description: `Strategies proposed, at most ${L.itemsMax}; each (index, strategy) once.` }),
    answerTypes: t.field({ extensions: { maxItems: L.itemsMax }, type: [AnswerTypeInput], required: false, description: `Companion answer types, at most ${L.itemsMax}; each (index, type) once.` }),
  }),
});

const messageIndex = z.number().int().min(0).max(L.messageIndexMax);
/** A list of categorized items, each key (what `keyOf` returns) at most once. */
const items = <T extends z.ZodRawShape>(shape: T, keyOf: (row: z.output<z.ZodObject<T>>) => string) =>
  z
    .array(z.object(shape))
    .max(L.itemsMax, `at most ${L.itemsMax} items`)
    .nullish()
    .transform((rows) => rows ?? [])
    .superRefine((rows, ctx) => {
      const seen = new Set<string>();
      rows.forEach((row, i) => {
        const key = keyOf(row);
        if (seen.has(key)) ctx.addIssue({ code: 'custom', path: [i], message: 'duplicate item' });
        seen.add(key);
      });
    });

const schema = z.object({
  chatbotVersion: z
    .string()
    .regex(/^[A-Za-z0-9][A-Za-z0-9._+-]*$/, 'letters, digits, ".", "_", "+" and "-", starting with a letter or digit')
    .max(L.chatbotVersionMax, `at most ${L.chatbotVersionMax} characters`),
  language: z.string(), // the LanguageCode scalar checked it (ISO 639-1)
  bullyingMessage: optionalText(L.freeTextMax).nullish().transform((v) => v ?? null),
  summary: optionalText(L.freeTextMax).nullish().transform((v) => v ?? null),
  mood: z.enum(E.AnalyticsMood).nullish().transform((v) => v ?? null),
  strategy: z.enum(E.CopingStrategy).nullish().transform((v) => v ?? null),
  messages: items({ messageIndex, category: z.enum(E.MessageCategory) }, (r) => `${r.messageIndex}:${r.category}`),
  moods: items({ messageIndex, mood: z.enum(E.AnalyticsMood) }, (r) => `${r.messageIndex}`),
  strategies: items({ messageIndex, strategy: z.enum(E.CopingStrategy) }, (r) => `${r.messageIndex}:${r.strategy}`),
  answerTypes: items({ messageIndex, answerType: z.enum(E.AnswerType) }, (r) => `${r.messageIndex}:${r.answerType}`),
});

const RecordConversationAnalyticsPayload = builder
  .objectRef<{ conversationId: string; chatbotVersion: string; created: boolean }>('RecordConversationAnalyticsPayload')
  .implement({
    description: 'What was recorded, without any of it: analytics are read only as aggregates (analyticsSummary).',
    fields: (t) => ({
      conversationId: t.globalID({ resolve: (p) => ({ type: 'Conversation', id: p.conversationId }) }),
      chatbotVersion: t.exposeString('chatbotVersion'),
      created: t.exposeBoolean('created', { description: 'False when this conversation and version had analytics already: they were replaced.' }),
    }),
  });

builder.mutationField('recordConversationAnalytics', (t) =>
  t.field({
    type: RecordConversationAnalyticsPayload,
    description:
      'The chatbot backend records one conversation\'s analytics (seed 001 "Analytics Tables"): idempotent on (conversation, chatbot version), categories replaced whole, in one transaction. ' +
      'The memberships of a teenager author are snapshotted for collective views. Needs an API key holding analytics:write; NOT_FOUND for a missing conversation.',
    authScopes: { operator: 'analytics:write' },
    args: { input: t.arg({ type: RecordConversationAnalyticsInput, required: true }) },
    resolve: async (_root, args, ctx) => {
      const operator = operatorKey(ctx);
      const input = { ...parseInput(schema, args.input), conversationId: args.input.conversationId.id };
      const recorded = await inTransaction(ctx, async (tx) => {
        const result = await recordConversationAnalytics(tx, input);
        if (!result) throw notFound();
        return result;
      });
      ctx.log.info(
        { apiKey: operator.apiKey.name, conversation: input.conversationId, chatbotVersion: input.chatbotVersion, created: recorded.created },
        'conversation analytics recorded',
      );
      return { conversationId: input.conversationId, chatbotVersion: input.chatbotVersion, created: recorded.created };
    },
  }),
);
