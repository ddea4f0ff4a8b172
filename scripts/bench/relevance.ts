// Relevance of document search on the demo knowledge base (content/kb), measured with the labelled
// questions of test/fixtures/search-questions.json: hit@1, hit@5 and MRR (over the top 10) per
// language, split (tuning / held-out) and mode. Used by `npm run bench:search -- --relevance` and
// test/search-relevance.test.ts.
//
// The search service measured is the caller's: the benchmark builds it with the server's factory
// (the configured EMBEDDINGS_* provider, relevance-main.ts), the test suite with the test
// configuration. This file itself uses only APIs that the commit before language-aware search
// also had (ingestPath, SearchService), so the benchmark can run it against an older checkout
// (`--before <git revision>`) and print both.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { PrismaClient } from '../../src/generated/prisma/client.ts';
import { ingestPath } from '../../src/search/ingest.ts';
import type { Embedder } from '../../src/search/embedder.ts';
import type { SearchParams } from '../../src/search/search.ts';
import { SearchService } from '../../src/search/service.ts';

const here = path.dirname(fileURLToPath(import.meta.url));
export const KNOWLEDGE_BASE_DIR = path.resolve(here, '../../content/kb');
export const QUESTIONS_FILE = path.resolve(here, '../../test/fixtures/search-questions.json');

export interface LabelledQuestion {
  id: string;
  language: string;
  collection: 'YOUTH' | 'ADULT';
  split: 'tuning' | 'heldout';
  question: string;
  /** Sources (relative to content/kb) of the documents that answer it. */
  answers: string[];
}

export function loadQuestions(file = QUESTIONS_FILE): LabelledQuestion[] {
  return (JSON.parse(readFileSync(file, 'utf8')) as { questions: LabelledQuestion[] }).questions;
}

/** VECTOR and HYBRID as the API runs them; FULL_TEXT is the full-text half of HYBRID alone. */
export const RELEVANCE_MODES = ['VECTOR', 'HYBRID', 'FULL_TEXT'] as const;
export type RelevanceMode = (typeof RELEVANCE_MODES)[number];

/** Results looked at per question (MRR counts ranks up to this). */
const DEPTH = 10;

export interface Scores {
  questions: number;
  hitAt1: number;
  hitAt5: number;
  mrr: number;
}

export interface RelevanceRow extends Scores {
  language: string;
  split: 'tuning' | 'heldout';
  mode: RelevanceMode;
}

export interface RelevanceReport {
  rows: RelevanceRow[];
  /** Per question and mode, the 1-based rank of the first answering result (null: not in the top 10). */
  ranks: Record<string, Partial<Record<RelevanceMode, number | null>>>;
}

/** Ingests content/kb with the search service's embedder (its provider behind the level-1 cache). */
export async function ingestKnowledgeBase(prisma: PrismaClient, service: SearchService) {
  return ingestPath(prisma, service.embedder, KNOWLEDGE_BASE_DIR, { root: KNOWLEDGE_BASE_DIR });
}

const score = (ranks: (number | null)[]): Scores => ({
  questions: ranks.length,
  hitAt1: ranks.filter((r) => r === 1).length / ranks.length,
  hitAt5: ranks.filter((r) => r !== null && r <= 5).length / ranks.length,
  mrr: ranks.reduce<number>((s, r) => s + (r ? 1 / r : 0), 0) / ranks.length,
});

/**
 * Asks every question in every mode through `service` (its level-2 cache should be off, or a
 * repeated question is answered from it), as a caller of the question's language would without a
 * language filter (the query parsed in that language; documents of every language compete), in
 * the question's collection. Rank = position of the first result whose document answers.
 */
export async function evaluateRelevance(
  prisma: PrismaClient,
  questions: LabelledQuestion[],
  service: SearchService,
  options: { efSearch?: number } = {},
): Promise<RelevanceReport> {
  const dimensions = service.embedder.dimensions;
  // FULL_TEXT: a service whose provider's vectors have no direction, so HYBRID ranks by its
  // full-text half alone (query handling, expansion included, unchanged).
  const zero: Embedder = { model: 'zero', dimensions, embed: async (texts) => texts.map(() => new Array<number>(dimensions).fill(0)) };
  const fullText = new SearchService(prisma, zero, { efSearch: options.efSearch ?? 40, ragCache: { enabled: false, ttlSeconds: 60, maxDistance: 0.05 } });
  const documents = await prisma.document.findMany({ select: { id: true, source: true } });
  const sourceOf = new Map(documents.map((d) => [d.id, d.source]));
  const ranks: RelevanceReport['ranks'] = {};
  const noDefer = () => {};

  for (const q of questions) {
    const params = { collection: q.collection, language: null, textLanguage: q.language, first: DEPTH, minScore: 0 };
    const answers = new Set(q.answers);
    const rankOf = (results: { documentId: string }[]) => {
      const i = results.findIndex((r) => answers.has(sourceOf.get(r.documentId) ?? ''));
      return i < 0 ? null : i + 1;
    };
    ranks[q.id] = {};
    for (const mode of RELEVANCE_MODES) {
      const userType = q.collection === 'YOUTH' ? 'TEENAGER' : 'PARENT';
      const { results } = await (mode === 'FULL_TEXT' ? fullText : service).search(
        { text: q.question, userType, params: { ...params, mode: mode === 'FULL_TEXT' ? 'HYBRID' : mode } as SearchParams },
        noDefer,
      );
      ranks[q.id][mode] = rankOf(results);
    }
  }

  const rows: RelevanceRow[] = [];
  const languages = [...new Set(questions.map((q) => q.language))];
  for (const split of ['tuning', 'heldout'] as const) {
    for (const language of [...languages, 'all']) {
      const subset = questions.filter((q) => q.split === split && (language === 'all' || q.language === language));
      if (subset.length === 0) continue;
      for (const mode of RELEVANCE_MODES) rows.push({ language, split, mode, ...score(subset.map((q) => ranks[q.id][mode] ?? null)) });
    }
  }
  return { rows, ranks };
}

const f2 = (x: number) => x.toFixed(2);

/** A Markdown table: one line per split and language, hit@1 / hit@5 / MRR per mode. */
export function relevanceTable(report: RelevanceReport): string {
  const lines = [
    `| split | language | questions | ${RELEVANCE_MODES.map((m) => `${m} hit@1 / hit@5 / MRR`).join(' | ')} |`,
    `|---|---|---|${RELEVANCE_MODES.map(() => '---').join('|')}|`,
  ];
  const keys = [...new Set(report.rows.map((r) => `${r.split}|${r.language}`))];
  for (const key of keys) {
    const [split, language] = key.split('|');
    const cells = RELEVANCE_MODES.map((mode) => {
      const r = report.rows.find((x) => x.split === split && x.language === language && x.mode === mode)!;
      return `${f2(r.hitAt1)} / ${f2(r.hitAt5)} / ${f2(r.mrr)}`;
    });
    const n = report.rows.find((x) => x.split === split && x.language === language)!.questions;
    lines.push(`| ${split} | ${language} | ${n} | ${cells.join(' | ')} |`);
  }
  return lines.join('\n');
}
