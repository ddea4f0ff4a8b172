// Mail texts come from localized content (category UI_MESSAGES, variant PARENT): the database's
// rows first (operators edit them with upsertLocalizedContent), else the files under content/ that
// the seed loads, so a database that was never seeded still sends mail. The language asked for,
// else French; placeholders are {name}.
import type { PrismaClient } from '../generated/prisma/client.ts';
import { DEFAULT_LANGUAGE, pickWithFallback } from '../schema/content/localized-content.ts';
import { SUPPORTED_LANGUAGES } from '../input/fields.ts';
import { CONTENT_FILES, LocalizedFile, readContentFile } from '../seed/content.ts';
import { defaultContentDir } from '../seed/index.ts';

export interface MailText {
  language: string;
  subject: string;
  text: string;
}

/** One of the six languages the product is written in; anything else is French. */
export const mailLanguage = (language: string | null | undefined): string =>
  language && (SUPPORTED_LANGUAGES as readonly string[]).includes(language) ? language : DEFAULT_LANGUAGE;

let bundled: Promise<Awaited<ReturnType<typeof readBundled>>> | undefined;
const readBundled = () => readContentFile(defaultContentDir, CONTENT_FILES.localized.UI_MESSAGES, LocalizedFile);

async function fromFiles(key: string, language: string): Promise<string | undefined> {
  const file = await (bundled ??= readBundled());
  for (const lang of [language, DEFAULT_LANGUAGE]) {
    for (const variant of ['PARENT', 'ALL'] as const) {
      const value = file?.[lang]?.[variant]?.[key];
      if (typeof value === 'string') return value;
    }
  }
  return undefined;
}

const fill = (template: string, values: Record<string, string>) => template.replace(/\{(\w+)\}/g, (all, name: string) => values[name] ?? all);

/**
 * The subject and text of a mail to a parent: `<base>.subject` and `<base>.body`, in `language`
 * (falling back to French), with `values` substituted. Throws when neither the database nor the
 * files hold the keys (the outbox then retries, and logs it).
 */
export async function renderMail(prisma: PrismaClient, base: string, language: string, values: Record<string, string>): Promise<MailText> {
  const lang = mailLanguage(language);
  const keys = { subject: `${base}.subject`, body: `${base}.body` };
  const rows = await prisma.localizedContent.findMany({
    where: { category: 'UI_MESSAGES', key: { in: Object.values(keys) }, language: { in: [...new Set([lang, DEFAULT_LANGUAGE])] }, variant: { in: ['PARENT', 'ALL'] } },
  });
  const picked = new Map(pickWithFallback(rows, lang, 'PARENT').map((r) => [r.key, r.value]));
  const text = async (key: string) => {
    const value = picked.get(key);
    const template = typeof value === 'string' ? value : await fromFiles(key, lang);
    if (template === undefined) throw new Error(`no localized content for ${key}`);
    return fill(template, values);
  };
  return { language: lang, subject: (await text(keys.subject)).replace(/[\r\n]+/g, ' '), text: await text(keys.body) };
}
