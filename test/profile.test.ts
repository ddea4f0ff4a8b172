// updateProfile: allowed from the first session on; absent fields stay, null clears; every value
// checked against the real code lists before anything is written.
import { describe, expect, it } from 'vitest';
import { dbKind } from './helpers/env.ts';
import { codesOf, useTestApp } from './helpers/app.ts';
import { createApiKey } from './factories/index.ts';
import { ISO_639_1, isCountryCode } from '../src/input/fields.ts';
import type { SessionScope, UserType } from '../src/generated/prisma/client.ts';

const UPDATE = /* GraphQL */ `
  mutation Update($input: UpdateProfileInput!) {
    updateProfile(input: $input) { user { id language ageClass country school } }
  }
`;

describe(`updateProfile (${dbKind})`, () => {
  const api = useTestApp();
  /** A user (a teenager unless said) with a session at `scope`, the first one by default. */
  const person = (scope: SessionScope = 'ONBOARDING', userType: UserType = 'TEENAGER') => api.person(userType, scope);

  it.each(['ONBOARDING', 'PENDING_CONSENT', 'FULL'] as const)('works from a %s session and returns the user', async (scope) => {
    const { user, token } = await person(scope);
    const r = await api.gql(UPDATE, { input: { language: 'it', ageClass: 'TEENAGER', country: 'IT', school: '  Scuola media Dante  ' } }, { token });
    expect(r.errors).toBeUndefined();
    expect(r.data.updateProfile.user).toMatchObject({ language: 'it', ageClass: 'TEENAGER', country: 'IT', school: 'Scuola media Dante' });
    expect(await api.prisma.user.findUniqueOrThrow({ where: { id: user.id } })).toMatchObject({
      language: 'it',
      ageClass: 'TEENAGER',
      country: 'IT',
      school: 'Scuola media Dante',
    });
  });

  it('absent fields are unchanged, explicit null clears, a blank school clears', async () => {
    const { user, token } = await person();
    await api.gql(UPDATE, { input: { school: 'Collège Jean Moulin' } }, { token });
    const r = await api.gql(UPDATE, { input: { country: null, ageClass: null } }, { token });
    expect(r.data.updateProfile.user).toEqual({ id: expect.any(String), language: 'fr', ageClass: null, country: null, school: 'Collège Jean Moulin' });
    const blank = await api.gql(UPDATE, { input: { school: '   ', language: null } }, { token });
    expect(blank.data.updateProfile.user).toMatchObject({ language: null, school: null });
    const nothing = await api.gql(UPDATE, { input: {} }, { token });
    expect(nothing.errors).toBeUndefined();
    expect(await api.prisma.user.findUniqueOrThrow({ where: { id: user.id } })).toMatchObject({ language: null, ageClass: null, country: null, school: null });
  });

  it('accepts any real ISO 639-1 language, not only the six the product is written in', async () => {
    const { token } = await person();
    expect(ISO_639_1.size).toBe(184);
    for (const language of ['ar', 'uk', 'zh', 'wo']) {
      const r = await api.gql(UPDATE, { input: { language } }, { token });
      expect(r.data.updateProfile.user.language).toBe(language);
    }
  });

  it('refuses unknown or mis-cased codes, long schools and impossible age classes with BAD_USER_INPUT, writing nothing', async () => {
    const { user, token } = await person();
    const before = await api.prisma.user.findUniqueOrThrow({ where: { id: user.id } });
    const cases: [Record<string, unknown>, string][] = [
      [{ language: 'xx' }, 'input.language'],
      [{ language: 'FR' }, 'input.language'],
      [{ language: 'fra' }, 'input.language'],
      [{ country: 'ZZ' }, 'input.country'],
      [{ country: 'fr' }, 'input.country'],
      [{ country: 'FRA' }, 'input.country'],
      [{ school: 'é'.repeat(201) }, 'input.school'],
      [{ ageClass: 'ADULT' }, 'input.ageClass'],
      // One bad field spoils the whole update.
      [{ language: 'de', country: 'XX' }, 'input.country'],
    ];
    for (const [input, path] of cases) {
      const r = await api.gql(UPDATE, { input }, { token });
      expect(codesOf(r), JSON.stringify(input)).toEqual(['BAD_USER_INPUT']);
      // Scalar refusals (LanguageCode) come from variable coercion; they name the path too.
      if (r.errors![0].extensions!.issues) expect(r.errors![0].extensions!.issues).toEqual([expect.objectContaining({ path })]);
    }
    expect(await api.prisma.user.findUniqueOrThrow({ where: { id: user.id } })).toEqual(before);
  });

  it('signIn and updateProfile refuse a language that is not ISO 639-1 alike: the LanguageCode scalar, one check', async () => {
    const { user, token } = await person();
    const SIGN_IN = 'mutation($input: SignInInput!) { signIn(input: $input) { created } }';
    const logins = await api.prisma.idpLogin.count();
    for (const language of ['xx', 'qq', 'FR', 'fra']) {
      const profile = await api.gql(UPDATE, { input: { language } }, { token });
      const signIn = await api.gql(SIGN_IN, { input: { idp: 'MOCK_IDP', loginId: `new-${language}`, origin: 'web', language } });
      expect(codesOf(profile), language).toEqual(['BAD_USER_INPUT']);
      expect(codesOf(signIn), language).toEqual(['BAD_USER_INPUT']);
      expect(profile.errors![0].extensions!.issues, language).toEqual([{ path: 'input.language', message: expect.stringContaining('ISO 639-1') }]);
      expect(signIn.errors![0].extensions!.issues).toEqual(profile.errors![0].extensions!.issues);
      // The same refusal written in the document rather than sent as a variable.
      const doc = `mutation { updateProfile(input: { language: "${language}" }) { user { id } } }`;
      const literal = await api.gql(doc, {}, { token });
      expect(codesOf(literal), language).toEqual(['BAD_USER_INPUT']);
      // It points at the literal it refuses, as graphql-js's own literal errors do.
      expect(literal.errors![0].locations, language).toEqual([{ line: 1, column: doc.indexOf('"') + 1 }]);
    }
    expect(await api.prisma.idpLogin.count()).toBe(logins);
    expect((await api.prisma.user.findUniqueOrThrow({ where: { id: user.id } })).language).toBe(user.language);
  });

  it('a parent can only be ADULT', async () => {
    const { token } = await person('FULL', 'PARENT');
    expect(codesOf(await api.gql(UPDATE, { input: { ageClass: 'CHILD' } }, { token }))).toEqual(['BAD_USER_INPUT']);
    expect((await api.gql(UPDATE, { input: { ageClass: 'ADULT' } }, { token })).data.updateProfile.user.ageClass).toBe('ADULT');
  });

  it('the country list is the CountryCode scalar\'s, so every stored value serializes', () => {
    expect(isCountryCode('FR')).toBe(true);
    expect(isCountryCode('BE')).toBe(true);
    expect(isCountryCode('ZZ')).toBe(false);
    expect(isCountryCode('fr')).toBe(false);
  });

  it('anonymous callers are UNAUTHENTICATED, API keys FORBIDDEN', async () => {
    const { key } = await createApiKey(api.prisma, ['*']);
    expect(codesOf(await api.gql(UPDATE, { input: { language: 'en' } }))).toEqual(['UNAUTHENTICATED']);
    expect(codesOf(await api.gql(UPDATE, { input: { language: 'en' } }, { apiKey: key }))).toEqual(['FORBIDDEN']);
  });
});
