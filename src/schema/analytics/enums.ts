// The analytics taxonomy as GraphQL enums, value for value the Prisma enums (analytics schema).
import { builder } from '../../builder.ts';
import * as E from '../../generated/prisma/enums.ts';

export const AnalyticsMoodEnum = builder.enumType(E.AnalyticsMood, {
  name: 'AnalyticsMood',
  description: 'A 5-step mood scale, from worst to best (the order "mood improved" compares in).',
});
export const MessageCategoryEnum = builder.enumType(E.MessageCategory, { name: 'MessageCategory', description: 'What a teenager\'s message is about.' });
export const CopingStrategyEnum = builder.enumType(E.CopingStrategy, { name: 'CopingStrategy', description: 'A coping strategy the companion proposed.' });
export const AnswerTypeEnum = builder.enumType(E.AnswerType, { name: 'AnswerType', description: 'The form of one companion answer.' });
