// Operator writes over X-Api-Key: feature flags and localized content, permission by permission;
// and the API key creation script (the function: test/api-keys.test.ts).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { dbKind, serverUrl } from './helpers/env.ts';
import { codesOf, useTestApp } from './helpers/app.ts';
import { createApiKey as createTestKey, createSession, createUser } from './factories/index.ts';
import { hashToken } from '../src/auth/tokens.ts';
import { rulesMatch, type FlagSubject } from '../src/schema/flags/evaluate.ts';
import { openDatabase } from '../src/db/database.ts';

const UPSERT_FLAG = /* GraphQL */ `
  mutation UpsertFlag($input: UpsertFeatureFlagInput!) {
    upsertFeatureFlag(input: $input) { created featureFlag { name description enabled environment visibility variant } }
  }
`;
const DELETE_FLAG = /* GraphQL */ `
  mutation DeleteFlag($input: DeleteFeatureFlagInput!) { deleteFeatureFlag(input: $input) { deletedName deleted } }
`;
const UPSERT_CONTENT = /* GraphQL */ `
  mutation UpsertContent($input: UpsertLocalizedContentInput!) {
    upsertLocalizedContent(input: $input) { created localizedContent { category language variant key value updatedAt } }
  }
`;
const FLAGS = /* GraphQL */ `{ featureFlags { name enabled } }`;

describe(`operator mutations (${dbKind})`, () => {
  const api = useTestApp();
  let flagsKey: string;
  let contentKey: string;
  beforeAll(async () => {
    flagsKey = (await createTestKey(api.prisma, ['flags:write'])).key;
    contentKey = (await createTestKey(api.prisma, ['content:write'])).key;
  });

  const flagRow = (name: string) => api.prisma.featureFlag.findUnique({ where: { name } });

  describe('who may call them', () => {
    const calls = [
      [UPSERT_FLAG, { input: { name: 'gate_probe', isEnabled: true } }, 'flags:write'],
      [DELETE_FLAG, { input: { name: 'gate_probe' } }, 'flags:write'],
      [UPSERT_CONTENT, { input: { category: 'UI_MESSAGES', language: 'fr', variant: 'ALL', key: 'gate.probe', value: 'x' } }, 'content:write'],
    ] as const;
    const written = async () => ({ flags: await api.prisma.featureFlag.count(), content: await api.prisma.localizedContent.count() });

    it('a key without the permission is FORBIDDEN; expired or inactive keys are UNAUTHENTICATED', async () => {
      const before = await written();
      const readOnly = await createTestKey(api.prisma, ['users:read', 'conversations:read', 'feedback:read', 'collectives:read']);
      for (const [doc, variables, permission] of calls) {
        const other = permission === 'flags:write' ? contentKey : flagsKey;
        for (const key of [readOnly.key, other]) {
          const r = await api.gql(doc, variables, { apiKey: key });
          expect(codesOf(r)).toEqual(['FORBIDDEN']);
          expect(r.errors![0].message).toContain(permission);
        }
        const expired = await createTestKey(api.prisma, [permission], { expiresAt: new Date(Date.now() - 1000) });
        const inactive = await createTestKey(api.prisma, [permission], { isActive: false });
        expect(codesOf(await api.gql(doc, variables, { apiKey: expired.key }))).toEqual(['UNAUTHENTICATED']);
        expect(codesOf(await api.gql(doc, variables, { apiKey: inactive.key }))).toEqual(['UNAUTHENTICATED']);
        expect(codesOf(await api.gql(doc, variables, { apiKey: 'k'.repeat(43) }))).toEqual(['UNAUTHENTICATED']);
      }
      expect(await written()).toEqual(before);
    });

    it('user sessions are FORBIDDEN, anonymous callers UNAUTHENTICATED', async () => {
      const before = await written();
      const parent = await createUser(api.prisma, { userType: 'PARENT' });
      const { token } = await createSession(api.prisma, parent.id, 'FULL');
      for (const [doc, variables] of calls) {
        expect(codesOf(await api.gql(doc, variables, { token }))).toEqual(['FORBIDDEN']);
        expect(codesOf(await api.gql(doc, variables))).toEqual(['UNAUTHENTICATED']);
      }
      expect(await written()).toEqual(before);
    });

    it("the '*' permission allows everything", async () => {
      const { key } = await createTestKey(api.prisma, ['*']);
      for (const [doc, variables] of calls) expect((await api.gql(doc, variables, { apiKey: key })).errors).toBeUndefined();
    });
  });

  describe('upsertFeatureFlag', () => {
    it('creates with defaults, then updates; the same input twice is idempotent', async () => {
      const input = { name: 'new_onboarding', isEnabled: true, description: '  Nouvel accueil ', targetingRules: { language: { in: ['fr', 'en'] } } };
      const a = await api.gql(UPSERT_FLAG, { input }, { apiKey: flagsKey });
      expect(a.errors).toBeUndefined();
      expect(a.data.upsertFeatureFlag).toEqual({
        created: true,
        featureFlag: { name: 'new_onboarding', description: 'Nouvel accueil', enabled: false, environment: 'ALL', visibility: 'ALL', variant: 'ALL' },
      });
      const first = await flagRow('new_onboarding');
      expect(first).toMatchObject({ isEnabled: true, targetingRules: { language: { in: ['fr', 'en'] } } });
      const b = await api.gql(UPSERT_FLAG, { input }, { apiKey: flagsKey });
      expect(b.data.upsertFeatureFlag.created).toBe(false);
      expect(await flagRow('new_onboarding')).toEqual(first);
      expect(await api.prisma.featureFlag.count({ where: { name: 'new_onboarding' } })).toBe(1);
    });

    it('on update, absent fields keep their value and null resets to the default', async () => {
      await api.gql(
        UPSERT_FLAG,
        { input: { name: 'staged', isEnabled: true, description: 'd', environment: 'STAGING', variant: 'PARENT', targetingRules: { country: 'FR' } } },
        { apiKey: flagsKey },
      );
      await api.gql(UPSERT_FLAG, { input: { name: 'staged', isEnabled: false } }, { apiKey: flagsKey });
      expect(await flagRow('staged')).toMatchObject({ isEnabled: false, description: 'd', environment: 'STAGING', variant: 'PARENT', targetingRules: { country: 'FR' } });
      await api.gql(UPSERT_FLAG, { input: { name: 'staged', isEnabled: true, description: null, environment: null, variant: null, targetingRules: null } }, { apiKey: flagsKey });
      expect(await flagRow('staged')).toMatchObject({ isEnabled: true, description: '', environment: 'ALL', variant: 'ALL', targetingRules: null });
    });

    it('a BACKEND flag is returned to the operator but never listed by Query.featureFlags', async () => {
      const r = await api.gql(UPSERT_FLAG, { input: { name: 'backend_only', isEnabled: true, visibility: 'BACKEND' } }, { apiKey: flagsKey });
      expect(r.data.upsertFeatureFlag.featureFlag).toMatchObject({ name: 'backend_only', visibility: 'BACKEND', enabled: true });
      await api.gql(UPSERT_FLAG, { input: { name: 'frontend_one', isEnabled: true, visibility: 'FRONTEND' } }, { apiKey: flagsKey });
      const teen = await createUser(api.prisma);
      const { token } = await createSession(api.prisma, teen.id, 'FULL');
      for (const options of [{}, { token }, { apiKey: flagsKey }]) {
        const list = await api.gql(FLAGS, {}, options);
        const names = list.data.featureFlags.map((f: { name: string }) => f.name);
        expect(names).toContain('frontend_one');
        expect(names).not.toContain('backend_only');
      }
      const named = await api.gql('{ featureFlags(names: ["backend_only"]) { name } }', {}, { token });
      expect(named.data.featureFlags).toEqual([]);
    });

    it('targeting rules in the shape the evaluator understands are accepted and evaluate as written', async () => {
      const subject: FlagSubject = { userId: '00000000-0000-4000-8000-000000000001', userType: 'TEENAGER', language: 'fr', country: 'FR', ageClass: 'PRETEEN' };
      const valid = [
        {},
        { language: 'fr' },
        { language: { in: ['fr', 'de'] } },
        { country: { in: ['FR', 'BE'] }, ageClass: 'PRETEEN', userType: { in: ['TEENAGER'] } },
        { rollout: { percentage: 100 } },
        { language: 'fr', rollout: { percentage: 100 } },
      ];
      for (const [i, targetingRules] of valid.entries()) {
        const r = await api.gql(UPSERT_FLAG, { input: { name: `rules_ok_${i}`, isEnabled: true, targetingRules } }, { apiKey: flagsKey });
        expect(r.errors, JSON.stringify(targetingRules)).toBeUndefined();
        const stored = (await flagRow(`rules_ok_${i}`))!.targetingRules;
        expect(stored).toEqual(targetingRules);
        expect(rulesMatch(stored, subject, `rules_ok_${i}`)).toBe(true);
      }
      expect(rulesMatch({ rollout: { percentage: 0 } }, subject, 'x')).toBe(false);
    });

    it('anything else in targeting rules, a bad name or a long description is BAD_USER_INPUT, writing nothing', async () => {
      const before = await api.prisma.featureFlag.count();
      const badRules = [
        [],
        'language=fr',
        42,
        { locale: 'fr' },
        { language: 'xx' },
        { language: 'FR' },
        { country: 'fr' },
        { country: 'ZZ' },
        { ageClass: 'teen' },
        { userType: 'teenager' },
        { userType: 'ADMIN' },
        { language: { in: [] } },
        { language: { in: 'fr' } },
        { language: { in: ['fr'], not: ['en'] } },
        { language: { eq: 'fr' } },
        { language: 3 },
        { language: null },
        { rollout: 50 },
        { rollout: { percentage: 101 } },
        { rollout: { percentage: -1 } },
        { rollout: { percentage: '50' } },
        { rollout: { percentage: 50, seed: 1 } },
      ];
      for (const targetingRules of badRules) {
        const r = await api.gql(UPSERT_FLAG, { input: { name: 'rules_bad', isEnabled: true, targetingRules } }, { apiKey: flagsKey });
        expect(codesOf(r), JSON.stringify(targetingRules)).toEqual(['BAD_USER_INPUT']);
        expect((r.errors![0].extensions!.issues as { path: string }[])[0].path).toMatch(/^input\.targetingRules/);
      }
      for (const name of ['A_flag', '1flag', 'x', 'with-dash', 'with space', 'é_flag', `f${'a'.repeat(100)}`, '']) {
        const r = await api.gql(UPSERT_FLAG, { input: { name, isEnabled: true } }, { apiKey: flagsKey });
        expect(codesOf(r), name).toEqual(['BAD_USER_INPUT']);
      }
      const long = await api.gql(UPSERT_FLAG, { input: { name: 'long_desc', isEnabled: true, description: 'x'.repeat(1001) } }, { apiKey: flagsKey });
      expect(codesOf(long)).toEqual(['BAD_USER_INPUT']);
      expect(await api.prisma.featureFlag.count()).toBe(before);
    });

    it('concurrent first upserts of one name make one flag', async () => {
      const results = await Promise.all(
        Array.from({ length: 5 }, (_, i) => api.gql(UPSERT_FLAG, { input: { name: 'raced_flag', isEnabled: i % 2 === 0 } }, { apiKey: flagsKey })),
      );
      expect(results.flatMap(codesOf)).toEqual([]);
      expect(results.filter((r) => r.data.upsertFeatureFlag.created)).toHaveLength(1);
      expect(await api.prisma.featureFlag.count({ where: { name: 'raced_flag' } })).toBe(1);
    });
  });

  describe('deleteFeatureFlag', () => {
    it('deletes by name; deleting again reports deleted: false', async () => {
      await api.gql(UPSERT_FLAG, { input: { name: 'to_delete', isEnabled: true } }, { apiKey: flagsKey });
      const a = await api.gql(DELETE_FLAG, { input: { name: 'to_delete' } }, { apiKey: flagsKey });
      expect(a.data.deleteFeatureFlag).toEqual({ deletedName: 'to_delete', deleted: true });
      expect(await flagRow('to_delete')).toBeNull();
      const b = await api.gql(DELETE_FLAG, { input: { name: 'to_delete' } }, { apiKey: flagsKey });
      expect(b.data.deleteFeatureFlag).toEqual({ deletedName: 'to_delete', deleted: false });
      expect(codesOf(await api.gql(DELETE_FLAG, { input: { name: '' } }, { apiKey: flagsKey }))).toEqual(['BAD_USER_INPUT']);
    });
  });

  describe('upsertLocalizedContent', () => {
    it('creates, then replaces the value; the same input twice changes nothing else; clients read it', async () => {
      const input = { category: 'UI_MESSAGES', language: 'fr', variant: 'TEENAGER', key: 'home.greeting', value: { text: 'Salut !', emoji: '👋' } };
      const a = await api.gql(UPSERT_CONTENT, { input }, { apiKey: contentKey });
      expect(a.errors).toBeUndefined();
      expect(a.data.upsertLocalizedContent).toMatchObject({ created: true, localizedContent: { ...input } });
      const b = await api.gql(UPSERT_CONTENT, { input }, { apiKey: contentKey });
      expect(b.data.upsertLocalizedContent.created).toBe(false);
      const c = await api.gql(UPSERT_CONTENT, { input: { ...input, value: 'Coucou' } }, { apiKey: contentKey });
      expect(c.data.upsertLocalizedContent.localizedContent.value).toBe('Coucou');
      expect(await api.prisma.localizedContent.count({ where: { key: 'home.greeting' } })).toBe(1);
      const read = await api.gql('{ localizedContent(category: UI_MESSAGES, language: "fr", variant: TEENAGER, keys: ["home.greeting"]) { key value } }', {});
      expect(read.data.localizedContent).toEqual([{ key: 'home.greeting', value: 'Coucou' }]);
    });

    it('accepts any JSON value up to 64 KB', async () => {
      for (const [i, value] of [0, false, [1, 'two'], { nested: { deep: [null] } }, 'x'.repeat(60_000)].entries()) {
        const r = await api.gql(UPSERT_CONTENT, { input: { category: 'PROMPTS', language: 'en', variant: 'ALL', key: `json_${i}`, value } }, { apiKey: contentKey });
        expect(r.errors, JSON.stringify(value).slice(0, 50)).toBeUndefined();
        expect(r.data.upsertLocalizedContent.localizedContent.value).toEqual(value);
      }
    });

    it('refuses bad keys, languages, oversized or NUL-bearing values with BAD_USER_INPUT, writing nothing', async () => {
      const before = await api.prisma.localizedContent.count();
      const base = { category: 'PROMPTS', language: 'fr', variant: 'ALL', key: 'ok.key', value: 'v' };
      for (const [patch, path] of [
        [{ key: 'with space' }, 'input.key'],
        [{ key: '' }, 'input.key'],
        [{ key: 'k'.repeat(201) }, 'input.key'],
        [{ key: 'clé' }, 'input.key'],
        [{ language: 'xx' }, 'input.language'],
        [{ value: 'x'.repeat(64 * 1024) }, 'input.value'],
        [{ value: { text: 'a\u0000b' } }, 'input.value'],
      ] as const) {
        const r = await api.gql(UPSERT_CONTENT, { input: { ...base, ...patch } }, { apiKey: contentKey });
        expect(codesOf(r), JSON.stringify(patch).slice(0, 60)).toEqual(['BAD_USER_INPUT']);
        expect(r.errors![0].extensions!.issues).toEqual([expect.objectContaining({ path })]);
      }
      expect(await api.prisma.localizedContent.count()).toBe(before);
    });
  });

  describe('scripts/create-api-key.ts', () => {
    const exec = promisify(execFile);
    // A child process that migrates a fresh embedded database: about 30 s on a quiet machine, far
    // more when other work shares the two cores. The test bounds correctness, not speed.
    const SCRIPT_MS = 200_000;
    const tsx = path.resolve('node_modules/.bin/tsx');
    let tmp: string;
    beforeAll(async () => {
      tmp = await mkdtemp(path.join(os.tmpdir(), 'api-key-script-'));
    }, SCRIPT_MS + 30_000);
    afterAll(() => rm(tmp, { recursive: true, force: true }));

    async function run(args: string[], env: Record<string, string>) {
      const base = Object.fromEntries(Object.entries(process.env).filter(([k]) => k !== 'DATABASE_URL' && k !== 'PGLITE_DATA_DIR'));
      try {
        const { stdout, stderr } = await exec(tsx, ['scripts/create-api-key.ts', ...args], { env: { ...base, APP_ENV: 'test', ...env }, timeout: SCRIPT_MS });
        return { code: 0, stdout, stderr };
      } catch (err) {
        const e = err as { code: number; stdout: string; stderr: string };
        return { code: e.code, stdout: e.stdout, stderr: e.stderr };
      }
    }

    // On PostgreSQL the script writes into this file's database; on PGlite into a fresh folder.
    const target = (): Record<string, string> =>
      serverUrl && api.db.config.kind === 'postgres' ? { DATABASE_URL: api.db.config.url } : { PGLITE_DATA_DIR: path.join(tmp, 'fresh') };

    it('creates a key, prints it once with the warning, stores only its hash', async () => {
      const out = await run(['--name', 'ops', '--permissions', 'flags:write,content:write', '--expires-in-days', '90'], target());
      expect(out.stderr).toBe('');
      expect(out.code).toBe(0);
      expect(out.stdout).toMatch(/shown once and is NOT stored/);
      const key = out.stdout.trim().split('\n').at(-1)!;
      expect(key).toMatch(/^[A-Za-z0-9_-]{43}$/);
      expect(out.stdout.split(key)).toHaveLength(2);
      const check = async (prisma: typeof api.prisma) => {
        const row = await prisma.apiKey.findUniqueOrThrow({ where: { keyHash: hashToken(key) } });
        expect(row).toMatchObject({ name: 'ops', permissions: ['flags:write', 'content:write'], isActive: true });
        const days = (row.expiresAt!.getTime() - Date.now()) / 86_400_000;
        expect(days).toBeGreaterThan(89.9);
        expect(days).toBeLessThanOrEqual(90);
        expect(JSON.stringify(row)).not.toContain(key);
      };
      if (dbKind === 'postgres') {
        await check(api.prisma);
        const r = await api.gql(UPSERT_FLAG, { input: { name: 'via_script_key', isEnabled: true } }, { apiKey: key });
        expect(r.errors).toBeUndefined();
      } else {
        const opened = await openDatabase({ kind: 'pglite', dataDir: path.join(tmp, 'fresh') });
        try {
          await check(opened.prisma);
        } finally {
          await opened.close();
        }
      }
    }, SCRIPT_MS + 30_000);

    it('refuses unknown permissions and bad arguments before touching the database (exit 1)', async () => {
      const before = dbKind === 'postgres' ? await api.prisma.apiKey.count() : 0;
      const untouched = path.join(tmp, 'untouched');
      const env: Record<string, string> = dbKind === 'postgres' ? target() : { PGLITE_DATA_DIR: untouched };
      const cases = [
        ['--name', 'ops', '--permissions', 'flags:write,root'],
        ['--name', 'ops'],
        ['--name', 'ops', '--permissions', 'flags:write', '--expires-in-days', '0'],
        ['--name', 'ops', '--permissions', 'flags:write', '--bogus'],
      ];
      const outs = await Promise.all(cases.map((args) => run(args, env)));
      outs.forEach((out, i) => {
        expect(out.code, cases[i].join(' ')).toBe(1);
        expect(out.stdout).toBe('');
        expect(out.stderr).toContain('Usage:');
      });
      expect(outs[0].stderr).toContain('Unknown permission(s): root');
      if (dbKind === 'postgres') expect(await api.prisma.apiKey.count()).toBe(before);
      else await expect(import('node:fs/promises').then((fs) => fs.stat(untouched))).rejects.toThrow();
    }, SCRIPT_MS + 30_000);

    it('on an embedded folder held by a running process, says so and exits 1', async () => {
      const held = path.join(tmp, 'held');
      await import('node:fs/promises').then((fs) => fs.mkdir(held));
      // This test process stands for the running server: it owns the folder's lock.
      await writeFile(path.join(held, '.owner.pid'), String(process.pid));
      const out = await run(['--name', 'ops', '--permissions', 'flags:write'], { PGLITE_DATA_DIR: held });
      expect(out.code).toBe(1);
      expect(out.stdout).toBe('');
      expect(out.stderr).toContain(`is in use by process ${process.pid}`);
      expect(out.stderr).toMatch(/stop the server first/);
    }, SCRIPT_MS + 30_000);
  });
});
