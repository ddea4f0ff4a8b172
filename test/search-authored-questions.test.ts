// A document's authored questions (front matter `questions`): validated at ingest, indexed as one
// index-only row per document that both the full-text and the vector rankings see, never shown as
// a result's content. And ties in ranking broken by source and ordinal, not by random chunk ids.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from './helpers/db.ts';
import { dbKind } from './helpers/env.ts';
import { codesOf, createTestApp } from './helpers/app.ts';
import { createApiKey, createSession, createUser } from './factories/index.ts';
import { INGEST, SEARCH, type SearchResultShape } from './helpers/search.ts';
import type { Embedder } from '../src/search/embedder.ts';
import { CachedEmbedder } from '../src/search/embedding-cache.ts';
import { HashEmbedder } from '../src/search/hash-embedder.ts';
import { chunkText } from '../src/search/chunker.ts';
import { ingestDocument, ingestPath, IngestError, questionsText, sha256, type DocumentInput } from '../src/search/ingest.ts';
import { fullTextTerms } from '../src/search/query-text.ts';
import { searchChunks, type SearchParams } from '../src/search/search.ts';
import { SearchService } from '../src/search/service.ts';

/** Counts the texts that reach the provider. */
class CountingEmbedder implements Embedder {
  texts: string[] = [];
  readonly inner = new HashEmbedder();
  readonly model = this.inner.model;
  readonly dimensions = this.inner.dimensions;
  async embed(texts: string[]) {
    this.texts.push(...texts);
    return this.inner.embed(texts);
  }
}

// "portable" is only in the questions: the body says "téléphone".
const PHONE_BODY =
  '# Le téléphone confisqué\n\nTes parents gardent ton téléphone la nuit ? Ils veulent souvent protéger ton sommeil.\n\n' +
  '## En parler\n\nPropose un accord : des horaires, une pièce où il se recharge, et une discussion calme avec eux.';
const PHONE_QUESTIONS = ['Mes parents me prennent mon portable le soir, c’est normal ?', 'Comment récupérer mon portable sans me disputer ?'];

const DOCS: DocumentInput[] = [
  { collection: 'YOUTH', source: 'q/telephone.md', title: 'Le téléphone confisqué', language: 'fr', content: PHONE_BODY, questions: PHONE_QUESTIONS },
  {
    collection: 'YOUTH',
    source: 'q/insultes.md',
    title: 'Insultes en ligne',
    language: 'fr',
    content: '# Insultes en ligne\n\nSi on t’insulte sur un réseau social, fais des captures d’écran et bloque le compte.',
    questions: ['Quelqu’un m’insulte sur Insta, je fais quoi ?'],
  },
  { collection: 'YOUTH', source: 'q/cantine.md', title: 'Seul à la cantine', language: 'fr', content: '# Seul à la cantine\n\nManger seul arrive. Rejoins un club ou invite un élève de ta classe.' },
  { collection: 'YOUTH', source: 'q/sleep-en.md', title: 'Sleep', language: 'en', content: '# Sleep\n\nScreens off one hour before bed helps you sleep.' },
];

const contentChunks = new Set(DOCS.flatMap((d) => chunkText(d.content)));

describe(`authored questions and deterministic ties (${dbKind})`, () => {
  let db: TestDatabase;
  let gql: ReturnType<typeof createTestApp>['gql'];
  let teen: string;
  let parent: string;
  let writer: string;
  const provider = new CountingEmbedder();
  let embedder: CachedEmbedder;
  const sourceOf = new Map<string, string>();

  beforeAll(async () => {
    db = await createTestDatabase();
    ({ gql } = createTestApp(db, { RAG_CACHE_ENABLED: 'false' }));
    teen = (await createSession(db.prisma, (await createUser(db.prisma, { userType: 'TEENAGER' })).id, 'FULL')).token;
    parent = (await createSession(db.prisma, (await createUser(db.prisma, { userType: 'PARENT' })).id, 'FULL')).token;
    writer = (await createApiKey(db.prisma, ['documents:write'])).key;
    embedder = new CachedEmbedder(db.prisma, provider);
    for (const d of DOCS) sourceOf.set((await ingestDocument(db.prisma, embedder, d)).document.id, d.source);
  });
  afterAll(() => db?.destroy());

  const rowsOf = (source: string) =>
    db.prisma.$queryRaw<{ ordinal: number; content: string; index_only: boolean; has_embedding: boolean }[]>`
      SELECT c.ordinal, c.content, c.index_only, c.embedding IS NOT NULL AS has_embedding
      FROM rag.document_chunk c JOIN rag.document d ON d.id = c.document_id WHERE d.source = ${source} ORDER BY c.ordinal`;

  const search = async (token: string, variables: Record<string, unknown>) => {
    const r = await gql<{ searchDocuments: SearchResultShape[] }>(SEARCH, variables, { token });
    expect(r.errors).toBeUndefined();
    return r.data!.searchDocuments;
  };

  /** HYBRID's full-text half alone (a zero vector), as the relevance benchmark measures it. */
  const fullText = async (query: string, extra: Partial<SearchParams> = {}) => {
    const params: SearchParams = { collection: 'YOUTH', language: null, textLanguage: 'fr', mode: 'HYBRID', first: 10, minScore: 0, ...extra };
    return searchChunks(db.prisma, { params, vector: new Array(384).fill(0), textTerms: fullTextTerms(query), efSearch: 40 });
  };

  const expectContentOnly = (results: { content: string }[]) => {
    for (const r of results) {
      expect(contentChunks.has(r.content)).toBe(true);
      expect(r.content).not.toMatch(/portable/i);
    }
  };

  describe('indexing', () => {
    it('stores the questions as one index-only row after the content chunks, embedded, one question per line', async () => {
      const rows = await rowsOf('q/telephone.md');
      const chunks = chunkText(PHONE_BODY);
      expect(rows.map((r) => [r.ordinal, r.index_only])).toEqual([...chunks.map((_, i) => [i, false]), [chunks.length, true]]);
      expect(rows.at(-1)!.content).toBe(PHONE_QUESTIONS.join('\n'));
      expect(rows.every((r) => r.has_embedding)).toBe(true);
      expect(await rowsOf('q/cantine.md')).toEqual(chunkText(DOCS[2].content).map((content, ordinal) => ({ ordinal, content, index_only: false, has_embedding: true })));
    });

    it('the content hash covers the questions; a document without questions keeps sha256(content)', async () => {
      const phone = await db.prisma.document.findFirstOrThrow({ where: { source: 'q/telephone.md' } });
      const cantine = await db.prisma.document.findFirstOrThrow({ where: { source: 'q/cantine.md' } });
      expect(cantine.contentHash).toBe(sha256(DOCS[2].content));
      expect(phone.contentHash).not.toBe(sha256(PHONE_BODY));
      expect(phone.metadata).not.toHaveProperty('questions');
    });

    it('re-ingests: unchanged is a no-op; changed questions re-embed only their row; removed questions delete it', async () => {
      const doc = { ...DOCS[0], source: 'q/reingest.md' };
      const n = chunkText(PHONE_BODY).length;
      await ingestDocument(db.prisma, embedder, doc);
      provider.texts = [];
      expect(await ingestDocument(db.prisma, embedder, doc)).toMatchObject({ status: 'unchanged', chunksEmbedded: 0 });
      // Whitespace around a question is not a change.
      expect(await ingestDocument(db.prisma, embedder, { ...doc, questions: doc.questions!.map((q) => `  ${q} `) })).toMatchObject({ status: 'unchanged' });
      expect(provider.texts).toEqual([]);

      const changed = ['Mon père confisque mon portable, que faire ?'];
      expect(await ingestDocument(db.prisma, embedder, { ...doc, questions: changed })).toMatchObject({ status: 'updated', chunksEmbedded: 1, chunksKept: n, chunksDeleted: 1 });
      expect(provider.texts).toEqual([questionsText(changed)]);

      // Content edited, questions kept: the questions row moves after the new chunk, not re-embedded.
      provider.texts = [];
      const longer = `${PHONE_BODY}\n\n## Et après\n\nFaites le point ensemble au bout d’une semaine.`;
      const edited = await ingestDocument(db.prisma, embedder, { ...doc, content: longer, questions: changed });
      expect(provider.texts).not.toContain(questionsText(changed));
      expect(edited.chunksEmbedded).toBe(chunkText(longer).length - n);
      const rows = await rowsOf('q/reingest.md');
      expect(rows.at(-1)).toMatchObject({ ordinal: chunkText(longer).length, index_only: true, content: questionsText(changed) });

      expect(await ingestDocument(db.prisma, embedder, { ...doc, content: longer, questions: [] })).toMatchObject({ status: 'updated', chunksEmbedded: 0, chunksDeleted: 1 });
      expect((await rowsOf('q/reingest.md')).some((r) => r.index_only)).toBe(false);
      expect((await db.prisma.document.findFirstOrThrow({ where: { source: 'q/reingest.md' } })).contentHash).toBe(sha256(longer));
      await db.prisma.document.deleteMany({ where: { source: 'q/reingest.md' } });
    });

    it('a document without content gets no questions row (nothing could be shown for it)', async () => {
      await ingestDocument(db.prisma, embedder, { ...DOCS[0], source: 'q/empty.md', content: '' });
      expect(await rowsOf('q/empty.md')).toEqual([]);
      await db.prisma.document.deleteMany({ where: { source: 'q/empty.md' } });
    });
  });

  describe('validation', () => {
    let dir: string;
    beforeAll(async () => {
      dir = await mkdtemp(path.join(os.tmpdir(), 'ingest-questions-'));
    });
    afterAll(() => rm(dir, { recursive: true, force: true }));

    const file = async (name: string, questionsYaml: string) => {
      const full = path.join(dir, name);
      await writeFile(full, `---\ntitle: T\nlanguage: fr\ncollection: YOUTH\ntags: [x]\n${questionsYaml}\n---\n# T\n\nDu texte.`);
      return full;
    };

    it('refuses a bad questions value in front matter, naming the file, before writing anything', async () => {
      const before = await db.prisma.document.count();
      const cases: [string, string, RegExp][] = [
        ['scalar.md', 'questions: une seule question', /scalar\.md: questions must be a list of strings/],
        ['many.md', `questions:\n${Array.from({ length: 13 }, (_, i) => `  - question ${i} ?`).join('\n')}`, /many\.md: questions: at most 12, got 13/],
        ['blank.md', 'questions:\n  - "ok ?"\n  - "   "', /blank\.md: questions\[1\] is empty/],
        ['long.md', `questions:\n  - "${'a'.repeat(301)}"`, /long\.md: questions\[0\] is longer than 300 characters/],
        ['number.md', 'questions:\n  - 42', /number\.md: questions\[0\] must be a string, got number/],
        ['nested.md', 'questions:\n  - [a, b]', /nested\.md: questions\[0\] must be a string, got object/],
        ['nul.md', 'questions:\n  - "a\\0b"', /nul\.md: questions\[0\] contains a NUL character/],
      ];
      for (const [name, yaml, message] of cases) {
        const full = await file(name, yaml);
        await expect(ingestPath(db.prisma, embedder, full, { root: dir })).rejects.toThrow(message);
        await rm(full);
      }
      expect(await db.prisma.document.count()).toBe(before);
    });

    it('accepts 12 questions of 300 characters (trimmed), and none; keeps them out of the metadata', async () => {
      const twelve = Array.from({ length: 12 }, (_, i) => `  - "  ${String(i).padEnd(300, 'x')}  "`).join('\n');
      await file('ok.md', `questions:\n${twelve}`);
      await file('none.md', 'questions:');
      const totals = await ingestPath(db.prisma, embedder, dir, { root: dir });
      expect(totals).toMatchObject({ files: 2, created: 2 });
      const ok = await db.prisma.document.findFirstOrThrow({ where: { source: 'ok.md' } });
      expect(ok.metadata).toMatchObject({ tags: ['x'] });
      expect(ok.metadata).not.toHaveProperty('questions');
      const rows = await rowsOf('ok.md');
      expect(rows.at(-1)!.content.split('\n')).toHaveLength(12);
      expect((await rowsOf('none.md')).some((r) => r.index_only)).toBe(false);
      await db.prisma.document.deleteMany({ where: { source: { in: ['ok.md', 'none.md'] } } });
    });

    it('ingestDocument and the ingestDocument mutation refuse bad questions (IngestError, BAD_USER_INPUT), writing nothing', async () => {
      await expect(ingestDocument(db.prisma, embedder, { ...DOCS[2], source: 'q/bad.md', questions: [''] })).rejects.toThrow(IngestError);
      const input = { collection: 'YOUTH', source: 'q/bad.md', title: 'T', language: 'fr', content: 'Du texte.' };
      expect(codesOf(await gql(INGEST, { input: { ...input, questions: ['  '] } }, { apiKey: writer }))).toEqual(['BAD_USER_INPUT']);
      expect(codesOf(await gql(INGEST, { input: { ...input, questions: ['x'.repeat(301)] } }, { apiKey: writer }))).toEqual(['BAD_USER_INPUT']);
      expect(codesOf(await gql(INGEST, { input: { ...input, questions: Array.from({ length: 13 }, (_, i) => `q${i}`) } }, { apiKey: writer }))).toEqual(['BAD_USER_INPUT']);
      expect(await db.prisma.document.count({ where: { source: 'q/bad.md' } })).toBe(0);
      const ok = await gql(INGEST, { input: { ...input, questions: ['Une question ?'] } }, { apiKey: writer });
      expect(ok.errors).toBeUndefined();
      expect((await rowsOf('q/bad.md')).at(-1)).toMatchObject({ index_only: true, content: 'Une question ?' });
      await db.prisma.document.deleteMany({ where: { source: 'q/bad.md' } });
    });
  });

  describe('search', () => {
    it('finds a document by a word only its questions contain, in VECTOR, HYBRID and full text, showing its content', async () => {
      for (const mode of ['VECTOR', 'HYBRID']) {
        const results = await search(teen, { query: 'portable', mode, first: 5 });
        expect(results[0].document.source).toBe('q/telephone.md');
        expect(chunkText(PHONE_BODY)).toContain(results[0].content);
        expectContentOnly(results);
      }
      const text = await fullText('portable');
      expect(text.map((r) => sourceOf.get(r.documentId))).toEqual(['q/telephone.md']);
      expectContentOnly(text);
    });

    it('respects filters and first: language, collection, one result', async () => {
      for (const mode of ['VECTOR', 'HYBRID']) {
        const one = await search(teen, { query: 'portable', mode, first: 1, language: 'fr' });
        expect(one.map((r) => r.document.source)).toEqual(['q/telephone.md']);
        expectContentOnly(one);
        const english = await search(teen, { query: 'portable', mode, first: 5, language: 'en' });
        expect(english.every((r) => r.document.language === 'en')).toBe(true);
        const adult = await search(parent, { query: 'portable', mode, first: 5, collection: 'ADULT' });
        expect(adult.every((r) => r.document.collection === 'ADULT')).toBe(true);
      }
      expect(await fullText('portable', { language: 'en' })).toEqual([]);
    });

    it('VECTOR: a chunk reached through its content and its document\'s questions is listed once', async () => {
      const results = await search(teen, { query: 'portable téléphone parents nuit sommeil', mode: 'VECTOR', first: 20 });
      const ids = results.map((r) => r.content);
      expect(new Set(ids).size).toBe(ids.length);
      expect(results.filter((r) => r.document.source === 'q/telephone.md')).toHaveLength(chunkText(PHONE_BODY).length);
      expectContentOnly(results);
    });

    it('HYBRID: a document found through its questions is one result, scored above one found by neither', async () => {
      const results = await search(teen, { query: 'insta portable', mode: 'HYBRID', first: 20 });
      const sources = results.map((r) => r.document.source);
      expect(new Set(sources).size).toBe(sources.length);
      expect(sources.slice(0, 2).sort()).toEqual(['q/insultes.md', 'q/telephone.md']);
      expectContentOnly(results);
    });

    it('HYBRID: a document found only through its questions (no content chunk among the candidates) shows its content chunk nearest the query', async () => {
      // More documents nearer the query vector than the candidate list holds (k = 40 for first = 5).
      const fillers = Array.from({ length: 45 }, (_, i) => ({
        collection: 'YOUTH' as const,
        source: `q/filler-${String(i).padStart(2, '0')}.md`,
        title: 'Cantine',
        language: 'fr',
        content: `# Cantine ${i}\n\nManger seul à la cantine, rejoindre un club, inviter un élève (${i}).`,
      }));
      for (const f of fillers) await ingestDocument(db.prisma, embedder, f);
      const hash = new HashEmbedder();
      const [vector] = await hash.embed(['manger seul à la cantine, rejoindre un club']);
      const params: SearchParams = { collection: 'YOUTH', language: null, textLanguage: 'fr', mode: 'HYBRID', first: 5, minScore: 0 };
      const results = await searchChunks(db.prisma, { params, vector, textTerms: ['portable'], efSearch: 100 });
      expect(sourceOf.get(results[0].documentId)).toBe('q/telephone.md');
      const chunks = chunkText(PHONE_BODY);
      const similarity = (v: number[]) => v.reduce((s, x, i) => s + x * vector[i], 0);
      const vectors = await hash.embed(chunks);
      const nearest = chunks[vectors.map(similarity).reduce((best, x, i, all) => (x > all[best] ? i : best), 0)];
      expect(results[0].content).toBe(nearest);
      expectContentOnly(results.filter((r) => sourceOf.has(r.documentId)));
      await db.prisma.document.deleteMany({ where: { source: { in: fillers.map((f) => f.source) } } });
    });

    it('the result cache answers with the same content chunks', async () => {
      const service = new SearchService(db.prisma, new HashEmbedder(), { efSearch: 40, ragCache: { enabled: true, ttlSeconds: 60, maxDistance: 0.05 } });
      const tasks: Promise<unknown>[] = [];
      const defer = (task: () => Promise<unknown>) => void tasks.push(task());
      const request = { text: 'mon portable le soir', userType: 'TEENAGER', params: { collection: 'YOUTH', language: null, textLanguage: 'fr', mode: 'HYBRID', first: 3, minScore: 0 } as SearchParams };
      const first = await service.search(request, defer);
      await Promise.all(tasks);
      const second = await service.search(request, defer);
      expect(second.trace.resultCache).toBe('hit');
      expect(second.results.map((r) => r.content)).toEqual(first.results.map((r) => r.content));
      expect(sourceOf.get(first.results[0].documentId)).toBe('q/telephone.md');
      expectContentOnly(second.results);
      await Promise.all(tasks);
    });
  });

  describe('ties', () => {
    // Five documents with the same text: equal distances, equal full-text ranks.
    const TIED = '# Respirer\n\nInspire lentement par le nez, compte jusqu’à quatre, puis expire par la bouche.';
    // Upper and lower case: byte order (C) differs from a locale's order, which would differ between databases.
    const sources = ['tie/e.md', 'tie/C.md', 'tie/a.md', 'tie/D.md', 'tie/b.md'];
    const orders = async () => {
      const out: string[][] = [];
      for (const mode of ['VECTOR', 'HYBRID']) out.push((await search(parent, { query: 'inspirer expirer compter', mode, first: 10 })).map((r) => r.document.source));
      const text = await fullText('inspirer expirer compter', { collection: 'ADULT' });
      const ids = await db.prisma.document.findMany({ where: { id: { in: text.map((r) => r.documentId) } } });
      out.push(text.map((r) => ids.find((d) => d.id === r.documentId)!.source));
      return out;
    };
    const ingestAll = async (order: string[]) => {
      for (const source of order) await ingestDocument(db.prisma, embedder, { collection: 'ADULT', source, title: 'Respirer', language: 'fr', content: TIED });
    };

    it('are broken by document source, the same after the documents are ingested again (new chunk ids)', async () => {
      await ingestAll(sources);
      const sorted = [...sources].sort();
      const first = await orders();
      expect(first).toEqual([sorted, sorted, sorted]);
      await db.prisma.document.deleteMany({ where: { source: { in: sources } } });
      await ingestAll([...sources].reverse());
      expect(await orders()).toEqual(first);
    });
  });
});
