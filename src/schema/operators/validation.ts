// What operators may write: flag names, targeting rules in exactly the shape that
// src/schema/flags/evaluate.ts understands (anything else would silently switch a flag off), and
// content keys. (JSON values are bounded, NUL-free and non-null before execution: src/input/rules.ts
// and their non-null type; languages and countries are the shared rules of src/input/fields.ts.)
import { z } from 'zod';
import { AgeClass, UserType } from '../../generated/prisma/enums.ts';
import { countryCode, languageCode } from '../../input/fields.ts';

export const FLAG_NAME = /^[a-z][a-z0-9_]{1,99}$/;
export const flagName = z.string().regex(FLAG_NAME, 'must match ^[a-z][a-z0-9_]{1,99}$ (lower case, digits, _; 2 to 100 characters)');

export const CONTENT_KEY = /^[a-z0-9_.-]{1,200}$/i;
export const contentKey = z.string().regex(CONTENT_KEY, 'must be 1 to 200 letters, digits, _ . or -');

/** A rule on one attribute: the value itself, or { in: [values] }. */
const attributeRule = <T extends z.ZodType<string>>(value: T) =>
  z.union([value, z.strictObject({ in: z.array(value).min(1, 'must list at least one value').max(500) })], {
    error: 'must be a value or { "in": [values] }',
  });

export const targetingRules = z.strictObject(
  {
    language: attributeRule(languageCode).optional(),
    country: attributeRule(countryCode).optional(),
    ageClass: attributeRule(z.enum(AgeClass)).optional(),
    userType: attributeRule(z.enum(UserType)).optional(),
    rollout: z.strictObject({ percentage: z.number().min(0).max(100) }).optional(),
  },
  { error: (issue) => (issue.code === 'unrecognized_keys' ? `unknown rule(s): ${issue.keys.join(', ')}; known: language, country, ageClass, userType, rollout` : 'must be an object of rules') },
);
export type TargetingRules = z.output<typeof targetingRules>;
