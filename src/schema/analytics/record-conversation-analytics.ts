import { z } from 'zod';
import { builder } from '../../builder.ts';
import { notFound } from '../../errors.ts';
import { recordConversationAnalytics, type ConversationAnalyticsInput } from '../../analytics/record.ts';
import { check, optionalText, rowId } from '../../input/fields.ts';
import { ConversationNode } from '../conversations/conversation.ts';
import { AnalyticsMoodEnum, AnswerTypeEnum, CopingStrategyEnum, MessageCategoryEnum } from './enums.ts';
import { inTransaction } from '../../db/transaction.ts';
import { operatorKey } from '../../auth/caller.ts';

/**
 * Bounds of one recording: generous for a long conversation, small enough for one transaction. The
 * lists declare `maxItems` (src/input/bounds.ts): the input rules' default of 100 would refuse them first.
 */
export const ANALYTICS_LIMITS = { freeTextMax: 5000, itemsMax: 1000, messageIndexMax: 99_999, chatbotVersionMax: 50 } as const;
const L = ANALYTICS_LIMITS;
const indexDescription = `The message's 0-based index in the conversation (0 to ${L.messageIndexMax}).`;

const messageIndex = z.number().int().min(0).max(L.messageIndexMax);

/**
 * The rule of a list of categorized items: each messageIndex in range, and each key (the values of
 * `keyFields`) at most once. Duplicates are looked for only among well-formed items (the pipe stops
 * at the first list's issues). Null stays null; at most itemsMax items is the list's `maxItems`.
 */
const items = (...keyFields: string[]) =>
  check(
    z.array(z.looseObject({ messageIndex })).pipe(
      z.array(z.looseObject({ messageIndex: z.number() })).superRefine((rows, ctx) => {
        const seen = new Set<string>();
        rows.forEach((row, i) => {
          const key = keyFields.map((f) => String(row[f])).join(':');
          if (seen.has(key)) ctx.addIssue({ code: 'custom', path: [i], message: 'duplicate item' });
          seen.add(key);
        });
      }),
    ),
  );

const chatbotVersion = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9._+-]*$/, 'letters, digits, ".", "_", "+" and "-", starting with a letter or digit')
  .max(L.chatbotVersionMax, `at most ${L.chatbotVersionMax} characters`);

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
      validate: check(chatbotVersion),
    }),
    language: t.field({ type: 'LanguageCode', required: true, description: 'The conversation\'s language (ISO 639-1).' }),
    bullyingMessage: t.string({ required: false, description: `The situation described, at most ${L.freeTextMax} characters. Stored for the platform's offline analysis; never returned by this API.`, validate: check(optionalText(L.freeTextMax)) }),
    summary: t.string({ required: false, description: `At most ${L.freeTextMax} characters. Stored; never returned by this API.`, validate: check(optionalText(L.freeTextMax)) }),
    mood: t.field({ type: AnalyticsMoodEnum, required: false, description: 'The overall mood of the conversation.' }),
    strategy: t.field({ type: CopingStrategyEnum, required: false, description: 'The main strategy proposed.' }),
    messages: t.field({ validate: items('messageIndex', 'category'), extensions: { maxItems: L.itemsMax }, type: [MessageCategoryInput], required: false, description: `Message categories, at most ${L.itemsMax}; a message may have several, each once.` }),
    moods: t.field({ validate: items('messageIndex'), extensions: { maxItems: L.itemsMax }, type: [MoodInput], required: false, description: `The mood at each categorized message, at most ${L.itemsMax}, one per message index.` }),
    strategies: t.field({ validate: items('messageIndex', 'strategy'), extensions: { maxItems: L.itemsMax }, type: [StrategyInput], required: false, description: `Strategies proposed, at most ${L.itemsMax}; each (index, strategy) once.` }),
    answerTypes: t.field({ validate: items('messageIndex', 'answerType'), extensions: { maxItems: L.itemsMax }, type: [AnswerTypeInput], required: false, description: `Companion answer types, at most ${L.itemsMax}; each (index, type) once.` }),
  }),
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
      // Each field passed its own rule (or its type) before this resolver: what is left is naming
      // absent values null and absent lists empty, as the recording expects.
      const a = args.input;
      const input: ConversationAnalyticsInput = {
        conversationId: a.conversationId.id,
        chatbotVersion: a.chatbotVersion,
        language: a.language,
        bullyingMessage: a.bullyingMessage ?? null,
        summary: a.summary ?? null,
        mood: a.mood ?? null,
        strategy: a.strategy ?? null,
        // The item types come from one factory (item) whose computed key TypeScript cannot name.
        messages: (a.messages ?? []) as ConversationAnalyticsInput['messages'],
        moods: (a.moods ?? []) as ConversationAnalyticsInput['moods'],
        strategies: (a.strategies ?? []) as ConversationAnalyticsInput['strategies'],
        answerTypes: (a.answerTypes ?? []) as ConversationAnalyticsInput['answerTypes'],
      };
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
