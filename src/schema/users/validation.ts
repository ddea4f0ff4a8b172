// Input rules shared by the mutations: languages (ISO 639-1), countries (ISO 3166-1 alpha-2) and
// bounded free text. Lengths count characters as PostgreSQL's varchar does (code points), so an
// emoji counts once and whatever passes here fits the column.
import { z } from 'zod';
import { CountryCodeResolver } from 'graphql-scalars';

/** Every ISO 639-1 code (184), lower case. */
export const ISO_639_1 = new Set(
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

export const languageCode = z
  .string()
  .refine((v) => ISO_639_1.has(v), { message: 'must be an ISO 639-1 language code in lower case, e.g. "fr"' });

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

/** PostgreSQL text cannot hold NUL; refuse it here rather than fail in the database. */
const noNul = (s: string) => !s.includes('\u0000');

/** Trimmed text of min..max characters. */
export const boundedText = (min: number, max: number) =>
  z
    .string()
    .trim()
    .refine(noNul, { message: 'must not contain NUL characters' })
    .refine((s) => charCount(s) >= min, { message: min === 1 ? 'must not be blank' : `must have at least ${min} characters` })
    .refine((s) => charCount(s) <= max, { message: `must have at most ${max} characters` });

/** Optional trimmed text of at most max characters: blank means none (null). */
export const optionalText = (max: number) =>
  z
    .string()
    .trim()
    .refine(noNul, { message: 'must not contain NUL characters' })
    .refine((s) => charCount(s) <= max, { message: `must have at most ${max} characters` })
    .transform((s) => (s === '' ? null : s));
