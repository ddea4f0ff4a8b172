// Feature flags and localized content from the files under content/: validated with zod,
// upserted by their natural keys, and written only where a value differs (so updatedAt keeps
// meaning "the content changed", not "the seed ran").
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import { Prisma, type FeatureFlag, type LocalizedContent, type PrismaClient } from '../generated/prisma/client.ts';
import { demoId } from './ids.ts';
import { planRows, runWrites, type PendingWrite, type TableCount } from './sync.ts';

export class ContentFileError extends Error {
  constructor(
    readonly file: string,
    problem: string,
  ) {
    super(`${file}: ${problem}`);
    this.name = 'ContentFileError';
  }
}

/** The files read, relative to the content folder. */
export const CONTENT_FILES = {
  featureFlags: 'feature-flags.json',
  localized: {
    UI_MESSAGES: 'localized/ui_messages.json',
    PROMPTS: 'localized/prompts.json',
    CONTEXT_QUESTIONS: 'localized/context_questions.json',
  },
} as const;

type LocalizedCategory = keyof typeof CONTENT_FILES.localized;

// Enum values are written in upper case in the database; the files may use either case.
const upperEnum = <const T extends readonly [string, ...string[]]>(values: T) =>
  z.preprocess((v) => (typeof v === 'string' ? v.toUpperCase() : v), z.enum(values));

const jsonValue = z.json();

const FeatureFlagsFile = z
  .array(
    z.strictObject({
      name: z.string().trim().min(1).max(100),
      description: z.string().default(''),
      isEnabled: z.boolean().default(false),
      environment: upperEnum(['DEVELOPMENT', 'STAGING', 'PRODUCTION', 'ALL']).default('ALL'),
      visibility: upperEnum(['FRONTEND', 'BACKEND', 'ALL']).default('ALL'),
      variant: upperEnum(['TEENAGER', 'PARENT', 'ALL']).default('ALL'),
      targetingRules: jsonValue.nullable().default(null),
    }),
  )
  .superRefine((flags, ctx) => {
    const seen = new Set<string>();
    flags.forEach((flag, i) => {
      if (seen.has(flag.name)) ctx.addIssue({ code: 'custom', path: [i, 'name'], message: `duplicate flag name "${flag.name}"` });
      seen.add(flag.name);
    });
  });

export const LocalizedFile = z.record(
  z.string().regex(/^[a-z]{2}$/, 'a language must be a two-letter lower-case code'),
  z.partialRecord(
    upperEnum(['ALL', 'TEENAGER', 'PARENT']),
    z.record(z.string().min(1).max(200, 'a key has at most 200 characters'), jsonValue),
  ),
);

function describeIssues(error: z.ZodError) {
  return error.issues
    .slice(0, 5)
    .map((issue) => `${issue.path.length ? issue.path.map((p) => (typeof p === 'number' ? `[${p}]` : `.${String(p)}`)).join('').replace(/^\./, '') : '(root)'}: ${issue.message}`)
    .concat(error.issues.length > 5 ? [`and ${error.issues.length - 5} more problem(s)`] : [])
    .join('; ');
}

/** Reads and validates one file; undefined when it does not exist. */
export async function readContentFile<S extends z.ZodType>(contentDir: string, relative: string, schema: S): Promise<z.output<S> | undefined> {
  const file = path.join(contentDir, relative);
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new ContentFileError(file, (err as Error).message);
  }
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (err) {
    throw new ContentFileError(file, `invalid JSON: ${(err as Error).message}`);
  }
  const parsed = schema.safeParse(data);
  if (!parsed.success) throw new ContentFileError(file, describeIssues(parsed.error));
  return parsed.data;
}

// Prisma wants a sentinel rather than null for JSON columns.
const nullableJson = (v: Prisma.JsonValue | null) => (v === null ? Prisma.DbNull : (v as Prisma.InputJsonValue));
const requiredJson = (v: Prisma.JsonValue) => (v === null ? Prisma.JsonNull : (v as Prisma.InputJsonValue));

export interface ContentSeedResult {
  featureFlags: TableCount;
  localizedContent: TableCount;
  /** Files that were absent and skipped. */
  skipped: string[];
}

export async function seedContent(
  prisma: PrismaClient,
  contentDir: string,
  options: { log?: (line: string) => void } = {},
): Promise<ContentSeedResult> {
  const log = options.log ?? (() => {});
  const skipped: string[] = [];
  const skip = (relative: string) => {
    skipped.push(relative);
    log(`warning: ${path.join(contentDir, relative)} not found, skipped`);
  };

  // Validate every file before writing anything, so a bad file leaves the database untouched.
  const flags = await readContentFile(contentDir, CONTENT_FILES.featureFlags, FeatureFlagsFile);
  if (!flags) skip(CONTENT_FILES.featureFlags);
  const localized: Omit<LocalizedContent, 'updatedAt'>[] = [];
  const categories: LocalizedCategory[] = [];
  for (const [category, relative] of Object.entries(CONTENT_FILES.localized) as [LocalizedCategory, string][]) {
    const file = await readContentFile(contentDir, relative, LocalizedFile);
    if (!file) {
      skip(relative);
      continue;
    }
    categories.push(category);
    for (const [language, variants] of Object.entries(file)) {
      for (const [variant, entries] of Object.entries(variants ?? {})) {
        for (const [key, value] of Object.entries(entries ?? {})) {
          localized.push({ category, language, variant, key, value: value as Prisma.JsonValue });
        }
      }
    }
  }

  const writes: PendingWrite[] = [];
  const result: ContentSeedResult = {
    featureFlags: { total: 0, created: 0, updated: 0 },
    localizedContent: { total: 0, created: 0, updated: 0 },
    skipped,
  };

  if (flags) {
    const desired: Omit<FeatureFlag, 'id'>[] = flags.map((f) => ({
      ...f,
      targetingRules: f.targetingRules as Prisma.JsonValue | null,
    }));
    const stored = await prisma.featureFlag.findMany({ where: { name: { in: desired.map((f) => f.name) } } });
    const plan = planRows(desired, stored, (r) => r.name);
    if (plan.missing.length) {
      writes.push(
        prisma.featureFlag.createMany({
          data: plan.missing.map((f) => ({ ...f, id: demoId(`feature-flag:${f.name}`), targetingRules: nullableJson(f.targetingRules) })),
          skipDuplicates: true,
        }),
      );
    }
    for (const f of plan.changed) {
      writes.push(prisma.featureFlag.update({ where: { name: f.name }, data: { ...f, targetingRules: nullableJson(f.targetingRules) } }));
    }
    result.featureFlags = { total: desired.length, created: plan.missing.length, updated: plan.changed.length };
  }

  if (categories.length) {
    const stored = await prisma.localizedContent.findMany({
      where: { category: { in: categories } },
      select: { category: true, language: true, variant: true, key: true, value: true },
    });
    const plan = planRows(localized, stored, (r) => JSON.stringify([r.category, r.language, r.variant, r.key]));
    if (plan.missing.length) {
      writes.push(
        prisma.localizedContent.createMany({
          data: plan.missing.map((r) => ({ ...r, value: requiredJson(r.value) })),
          skipDuplicates: true,
        }),
      );
    }
    for (const { category, language, variant, key, value } of plan.changed) {
      writes.push(
        prisma.localizedContent.update({
          where: { category_language_variant_key: { category, language, variant, key } },
          data: { value: requiredJson(value) },
        }),
      );
    }
    result.localizedContent = { total: localized.length, created: plan.missing.length, updated: plan.changed.length };
  }

  await runWrites(prisma, writes);
  return result;
}
