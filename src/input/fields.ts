// The rules input fields share, declared on the fields themselves with `validate: { schema }`
// (@pothos/plugin-zod; a refusal is BAD_USER_INPUT naming each issue's path, src/builder.ts).
// What every String already passes before execution (no NUL, no lone surrogate, NFC: rules.ts)
// and what a scalar or enum already refuses (LanguageCode, enums) is not checked again here.
// Lengths count characters as PostgreSQL's varchar does (code points), so an emoji counts once
// and whatever passes here fits the column.
import { z } from 'zod';
import { CountryCodeResolver } from 'graphql-scalars';
import { isUuid } from '../visibility.ts';


/** Every ISO 639-1 code (184), lower case: what the LanguageCode scalar accepts. */
export const ISO_639_1: ReadonlySet<string> = new Set(
  (
    'aa ab ae af ak am an ar as av ay az ba be bg bh bi bm bn bo br bs ca ce ch co cr cs cu cv cy da de dv dz ' +
    'ee el en eo es et eu fa ff fi fj fo fr fy ga gd gl gn gu gv ha he hi ho hr ht hu hy hz ia id ie ig ii ik ' +
    'io is it iu ja jv ka kg ki kj kk kl km kn ko kr ks ku kv kw ky la lb lg li ln lo lt lu lv mg mh mi mk ml ' +
    'mn mr ms mt my na nb nd ne ng nl nn no nr nv ny oc oj om or os pa pi pl ps pt qu rm rn ro ru rw sa sc sd ' +
    'se sg si sk sl sm sn so sq sr ss st su sv sw ta te tg th ti tk tl tn to tr ts tt tw ty ug uk ur uz ve vi ' +
    'vo wa wo xh yi yo za zh zu'
  ).split(' '),
);

/** The languages the product is written in; the others fall back to French. */
export const SUPPORTED_LANGUAGES = ['fr', 'en', 'es', 'it', 'de', 'pt'] as const;

/** A language code inside a JSON value (targeting rules), where no scalar checks it. */
export const languageCode = z.string().refine((v) => ISO_639_1.has(v), { message: 'must be an ISO 639-1 language code in lower case, e.g. "fr"' });

/** The CountryCode scalar's list (what User.country can serialize), in upper case only. */
export const isCountryCode = (v: string) => {
  if (!/^[A-Z]{2}$/.test(v)) return false;
  try {
    CountryCodeResolver.parseValue(v);
    return true;
  } catch {
    return false;
  }
};

export const countryCode = z.string().refine(isCountryCode, { message: 'must be an ISO 3166-1 alpha-2 country code in upper case, e.g. "FR"' });

export const charCount = (s: string) => [...s].length;

/** The refinement "at most `max` characters" (code points), worded as every text rule words it: `.refine(...atMostChars(n))`. */
export const atMostChars = (max: number) => [(s: string) => charCount(s) <= max, { message: `must have at most ${max} characters` }] as const;

/** Trimmed text of min..max characters. */
export const boundedText = (min: number, max: number) =>
  z
    .string()
    .trim()
    .refine((s) => charCount(s) >= min, { message: min === 1 ? 'must not be blank' : `must have at least ${min} characters` })
    .refine(...atMostChars(max));

/** Optional trimmed text of at most max characters: blank means none (null). */
export const optionalText = (max: number) =>
  z
    .string()
    .trim()
    .refine(...atMostChars(max))
    .transform((s) => (s === '' ? null : s));

/**
 * A field's `validate` option from a shared rule. The rule may transform (trim, blank to null, a
 * decoded global ID's key lower-cased); the resolver reads the transformed value, which Pothos's
 * types, made from the field's GraphQL type, do not describe: hence the cast.
 */
export const check = (schema: z.ZodType) => ({ schema: schema as z.ZodType<never> });

/** The message of every refused global ID input: the same whatever was wrong with it. */
export const notAnIdOf = (typenames: readonly string[]) => `must be the ID of ${/^[AEIOU]/.test(typenames[0] ?? '') ? 'an' : 'a'} ${typenames.join(' or ')}`;

/**
 * A global ID input (`t.globalID({ for })`, decoded and type-checked by Pothos) that must name a
 * row: its key is a UUID, lower-cased here. Lookups (`conversation(id:)`) do not use it: there a
 * key that cannot name a row answers NOT_FOUND, like a missing one.
 */
export const rowId = (typename: string) =>
  check(
    z
      .custom<{ typename: string; id: string }>((v) => typeof (v as { id?: unknown })?.id === 'string' && isUuid((v as { id: string }).id), {
        message: notAnIdOf([typename]),
      })
      .transform((g) => ({ typename: g.typename, id: g.id.toLowerCase() })),
  );
