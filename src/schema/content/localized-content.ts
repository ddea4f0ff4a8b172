import { builder } from '../../builder.ts';
import { listBound } from '../../input/bounds.ts';
import type { LocalizedContent } from '../../generated/prisma/client.ts';
import { ContentCategoryEnum, FlagVariantEnum } from '../enums.ts';

export const DEFAULT_LANGUAGE = 'fr';

builder.prismaObject('LocalizedContent', {
  description: 'One localized text or JSON value of the chatbot\'s content (UI messages, prompts...), identified by category, language, variant and key (no global ID: client caches key it by those four).',
  fields: (t) => ({
    category: t.expose('category', { type: ContentCategoryEnum }),
    key: t.exposeString('key'),
    language: t.expose('language', { type: 'LanguageCode', description: 'The language the value is in (may be the fallback language).' }),
    variant: t.exposeString('variant', { description: 'TEENAGER, PARENT or ALL.' }),
    value: t.expose('value', { type: 'JSON' }),
    updatedAt: t.expose('updatedAt', { type: 'DateTime' }),
  }),
});

/** Most specific first: the language asked for, then the default language; the variant, then ALL. */
export function pickWithFallback(rows: LocalizedContent[], language: string, variant: string) {
  const rank = (r: LocalizedContent) => (r.language === language ? 0 : 2) + (r.variant === variant ? 0 : 1);
  const best = new Map<string, LocalizedContent>();
  for (const row of rows) {
    const current = best.get(row.key);
    if (!current || rank(row) < rank(current)) best.set(row.key, row);
  }
  return [...best.values()].sort((a, b) => a.key.localeCompare(b.key));
}

builder.queryField('localizedContent', (t) =>
  t.prismaField({
    authScopes: { public: true },
    type: ['LocalizedContent'],
    description:
      'Content of one category for a language and variant, key by key, falling back to variant ALL and then to the default language (fr). Language defaults to the caller\'s, variant to the caller\'s user type.',
    args: {
      category: t.arg({ type: ContentCategoryEnum, required: true }),
      language: t.arg({ type: 'LanguageCode', required: false }),
      variant: t.arg({ type: FlagVariantEnum, required: false }),
      keys: t.arg.stringList({ required: false, ...listBound(undefined, 200) }),
    },
    resolve: async (query, _root, args, ctx) => {
      const user = ctx.viewer.kind === 'user' ? ctx.viewer.user : null;
      const language = args.language ?? user?.language ?? DEFAULT_LANGUAGE;
      const variant = args.variant ?? user?.userType ?? 'ALL';
      const rows = await ctx.prisma.localizedContent.findMany({
        ...query,
        where: {
          category: args.category,
          language: { in: [...new Set([language, DEFAULT_LANGUAGE])] },
          variant: { in: [...new Set([variant, 'ALL'])] },
          ...(args.keys ? { key: { in: args.keys } } : {}),
        },
      });
      return pickWithFallback(rows, language, variant);
    },
  }),
);
