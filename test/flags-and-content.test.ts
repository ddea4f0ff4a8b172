import { beforeAll, describe, expect, it } from 'vitest';
import { dbKind } from './helpers/env.ts';
import { useTestApp } from './helpers/app.ts';
import { createSession, createUser } from './factories/index.ts';
import { isFlagOn, rolloutBucket, rulesMatch, type FlagSubject } from '../src/schema/flags/evaluate.ts';

const teen: FlagSubject = { userId: 'u-1', userType: 'TEENAGER', language: 'fr', country: 'FR', ageClass: 'PRETEEN' };
const flag = (over: Partial<Parameters<typeof isFlagOn>[0]> = {}) => ({
  name: 'f',
  isEnabled: true,
  environment: 'ALL' as const,
  variant: 'ALL' as const,
  visibility: 'ALL' as const,
  targetingRules: null,
  ...over,
});

describe('feature flag evaluation (pure)', () => {
  it('needs the flag enabled, the environment and the variant to match', () => {
    expect(isFlagOn(flag(), teen, 'DEVELOPMENT')).toBe(true);
    expect(isFlagOn(flag({ isEnabled: false }), teen, 'DEVELOPMENT')).toBe(false);
    expect(isFlagOn(flag({ environment: 'PRODUCTION' }), teen, 'DEVELOPMENT')).toBe(false);
    expect(isFlagOn(flag({ environment: 'PRODUCTION' }), teen, 'PRODUCTION')).toBe(true);
    expect(isFlagOn(flag({ variant: 'PARENT' }), teen, 'DEVELOPMENT')).toBe(false);
    expect(isFlagOn(flag({ variant: 'TEENAGER' }), teen, 'DEVELOPMENT')).toBe(true);
  });

  it('matches attributes by equality and by `in` lists; unknown or malformed rules fail closed', () => {
    expect(rulesMatch({ language: 'fr', country: { in: ['FR', 'BE'] } }, teen, 'f')).toBe(true);
    expect(rulesMatch({ language: 'en' }, teen, 'f')).toBe(false);
    expect(rulesMatch({ ageClass: { in: ['TEENAGER'] } }, teen, 'f')).toBe(false);
    expect(rulesMatch({ shoeSize: 42 }, teen, 'f')).toBe(false);
    expect(rulesMatch({ language: 7 }, teen, 'f')).toBe(false);
    expect(rulesMatch([1, 2], teen, 'f')).toBe(false);
    expect(rulesMatch({ country: 'FR' }, { ...teen, country: null }, 'f')).toBe(false);
  });

  it('rolls out by a stable hash of user and flag: the same answer every time, about the asked share overall', () => {
    expect(rolloutBucket('u-1', 'f')).toBe(rolloutBucket('u-1', 'f'));
    const users = Array.from({ length: 4000 }, (_, i) => `user-${i}`);
    const on = users.filter((u) => rulesMatch({ rollout: { percentage: 25 } }, { ...teen, userId: u }, 'new_onboarding')).length;
    expect(on / users.length).toBeGreaterThan(0.22);
    expect(on / users.length).toBeLessThan(0.28);
    // Independent per flag: the 25% of one flag is not the 25% of another.
    const other = users.filter((u) => rulesMatch({ rollout: { percentage: 25 } }, { ...teen, userId: u }, 'dark_mode'));
    const both = other.filter((u) => rulesMatch({ rollout: { percentage: 25 } }, { ...teen, userId: u }, 'new_onboarding')).length;
    expect(both / users.length).toBeLessThan(0.1);
    expect(rulesMatch({ rollout: { percentage: 100 } }, { ...teen, userId: null }, 'f')).toBe(false);
  });
});

describe(`featureFlags and localizedContent over GraphQL (${dbKind})`, () => {
  const api = useTestApp();
  let teenToken: string;
  let parentToken: string;
  beforeAll(async () => {
    await api.prisma.featureFlag.createMany({
      data: [
        { name: 'everyone', isEnabled: true },
        { name: 'teens_only', isEnabled: true, variant: 'TEENAGER' },
        { name: 'backend_only', isEnabled: true, visibility: 'BACKEND' },
        { name: 'prod_only', isEnabled: true, environment: 'PRODUCTION' },
        { name: 'english_speakers', isEnabled: true, targetingRules: { language: { in: ['en'] } } },
        { name: 'off', isEnabled: false },
      ],
    });
    await api.prisma.localizedContent.createMany({
      data: [
        { category: 'UI_MESSAGES', language: 'fr', variant: 'ALL', key: 'welcome', value: 'Bienvenue' },
        { category: 'UI_MESSAGES', language: 'fr', variant: 'ALL', key: 'send', value: 'Envoyer' },
        { category: 'UI_MESSAGES', language: 'fr', variant: 'TEENAGER', key: 'welcome', value: 'Salut !' },
        { category: 'UI_MESSAGES', language: 'en', variant: 'ALL', key: 'welcome', value: 'Welcome' },
        { category: 'PROMPTS', language: 'fr', variant: 'ALL', key: 'system', value: { template: 'Tu es bienveillant.', version: 1 } },
      ],
    });
    const t = await createUser(api.prisma, { userType: 'TEENAGER', language: 'fr' });
    const p = await createUser(api.prisma, { userType: 'PARENT', language: 'en' });
    teenToken = (await createSession(api.prisma, t.id)).token;
    parentToken = (await createSession(api.prisma, p.id)).token;
  });

  const FLAGS = `query($only: Boolean) { featureFlags(onlyEnabled: $only) { name enabled } }`;

  it('never lists backend flags, and evaluates the rest for the caller', async () => {
    const teen = await api.gql(FLAGS, { only: false }, { token: teenToken });
    const names = teen.data.featureFlags.map((f: { name: string }) => f.name);
    expect(names).not.toContain('backend_only');
    expect(Object.fromEntries(teen.data.featureFlags.map((f: { name: string; enabled: boolean }) => [f.name, f.enabled]))).toEqual({
      everyone: true,
      teens_only: true,
      prod_only: false,
      english_speakers: false,
      off: false,
    });
    const parent = await api.gql(FLAGS, { only: true }, { token: parentToken });
    expect(parent.data.featureFlags.map((f: { name: string }) => f.name).sort()).toEqual(['english_speakers', 'everyone']);
    const anonymous = await api.gql(FLAGS, { only: true });
    expect(anonymous.data.featureFlags.map((f: { name: string }) => f.name)).toEqual(['everyone']);
  });

  const CONTENT = `query($l: LanguageCode, $v: FlagVariant) { localizedContent(category: UI_MESSAGES, language: $l, variant: $v) { key value language variant } }`;

  it('falls back key by key: the variant to ALL, then the language to French', async () => {
    const teen = await api.gql(CONTENT, {}, { token: teenToken });
    expect(teen.data.localizedContent).toEqual([
      { key: 'send', value: 'Envoyer', language: 'fr', variant: 'ALL' },
      { key: 'welcome', value: 'Salut !', language: 'fr', variant: 'TEENAGER' },
    ]);
    const english = await api.gql(CONTENT, { l: 'en' });
    expect(english.data.localizedContent).toEqual([
      { key: 'send', value: 'Envoyer', language: 'fr', variant: 'ALL' },
      { key: 'welcome', value: 'Welcome', language: 'en', variant: 'ALL' },
    ]);
    const german = await api.gql(CONTENT, { l: 'de', v: 'PARENT' });
    expect(german.data.localizedContent.map((c: { language: string }) => c.language)).toEqual(['fr', 'fr']);
    const bad = await api.gql(CONTENT, { l: 'FRA' });
    expect(bad.errors?.[0].message).toMatch(/LanguageCode/);
  });

  it('returns JSON values as they are stored', async () => {
    const r = await api.gql(`{ localizedContent(category: PROMPTS) { key value } }`);
    expect(r.data.localizedContent).toEqual([{ key: 'system', value: { template: 'Tu es bienveillant.', version: 1 } }]);
  });
});
