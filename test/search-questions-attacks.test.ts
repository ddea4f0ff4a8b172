// Attacks on authored questions and the search around them (issue 16), each kept as a regression:
// a stored zero vector (a question or chunk with no word the embedder keeps) must never reach a
// score as NaN, and an ingest that keeps losing to concurrent ingests of the same document is a
// CONFLICT (retry), not BAD_USER_INPUT, with the document left whole: one input's chunks and
// questions, one questions row. Lengths (titles, sources, questions) count characters as the API's
// rules and the VarChar columns do: code points, not UTF-16 units.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from './helpers/db.ts';
import { dbKind } from './helpers/env.ts';
import { codesOf, createTestApp } from './helpers/app.ts';
import { createApiKey, createSession, createUser } from './factories/index.ts';
import { INGEST, SEARCH, type SearchResultShape } from './helpers/search.ts';
import { HashEmbedder } from '../src/search/hash-embedder.ts';
import { chunkText } from '../src/search/chunker.ts';
import { documentHash, ingestPath, questionsText } from '../src/search/ingest.ts';
import { searchChunks, type SearchParams } from '../src/search/search.ts';

describe(`authored questions under attack (${dbKind})`, () => {
  let db: TestDatabase;
  let gql: ReturnType<typeof createTestApp>['gql'];
  let parent: string;
  let writer: string;
  const hash = new HashEmbedder();

  beforeAll(async () => {
    db = await createTestDatabase();
    ({ gql } = createTestApp(db, { RAG_CACHE_ENABLED: 'false' }));
    parent = (await createSession(db.prisma, (await createUser(db.prisma, { userType: 'PARENT' })).id, 'FULL')).token;
    writer = (await createApiKey(db.prisma, ['documents:write'])).key;
  });
  afterAll(() => db?.destroy());

  const ingest = (input: Record<string, unknown>) =>
    gql<{ ingestDocument: { status: string } }>(INGEST, { input: { collection: 'ADULT', title: 'T', language: 'fr', ...input } }, { apiKey: writer });

  const rowsOf = (source: string) =>
    db.prisma.$queryRaw<{ ordinal: number; content: string; index_only: boolean; norm: number }[]>`
      SELECT c.ordinal, c.content, c.index_only, vector_norm(c.embedding)::float8 AS norm
      FROM rag.document_chunk c JOIN rag.document d ON d.id = c.document_id WHERE d.source = ${source} ORDER BY c.ordinal`;

  describe('zero vectors', () => {
    // "Et moi ?" and "Et toi ?" are stop words only: the hash embedder keeps nothing of them.
    const SLEEP = '# Sommeil\n\nLes écrans le soir retardent le sommeil.';
    beforeAll(async () => {
      expect((await ingest({ source: 'zero/questions.md', content: SLEEP, questions: ['Et moi ?'] })).errors).toBeUndefined();
      expect((await ingest({ source: 'zero/chunk.md', content: 'Et toi ?' })).errors).toBeUndefined();
    });

    it('are what the hash embedder gives such texts, and are stored as they are', async () => {
      expect(Math.hypot(...hash.embedOne('Et moi ?'))).toBe(0);
      expect((await rowsOf('zero/questions.md')).map((r) => [r.index_only, r.norm > 0])).toEqual([[false, true], [true, false]]);
      expect((await rowsOf('zero/chunk.md')).map((r) => r.norm)).toEqual([0]);
    });

    it('VECTOR and HYBRID answer with finite scores, and never rank a zero vector by its (undefined) distance', async () => {
      for (const mode of ['VECTOR', 'HYBRID']) {
        for (const query of ['chat chien', 'sommeil']) {
          const r = await gql<{ searchDocuments: SearchResultShape[] }>(SEARCH, { query, mode, first: 5 }, { token: parent });
          expect(r.errors).toBeUndefined();
          const results = r.data!.searchDocuments;
          // zero/chunk.md shares no word with either query and has no direction: found by neither ranking.
          expect(results.map((x) => [x.document.source, x.content])).toEqual([['zero/questions.md', SLEEP]]);
          expect(results.every((x) => Number.isFinite(x.score) && x.score >= 0 && x.score <= 1)).toBe(true);
        }
      }
    });

    it('minScore leaves them out, with HNSW and with the exact scan', async () => {
      const [vector] = await hash.embed(['chat chien']);
      const params: SearchParams = { collection: 'ADULT', language: null, textLanguage: 'fr', mode: 'VECTOR', first: 5, minScore: 0.5 };
      for (const exact of [false, true]) {
        expect(await searchChunks(db.prisma, { params, vector, textTerms: [], efSearch: 40, exact })).toEqual([]);
        const all = await searchChunks(db.prisma, { params: { ...params, minScore: 0 }, vector, textTerms: [], efSearch: 40, exact });
        expect(all.map((x) => x.content)).toEqual([SLEEP]);
      }
    });
  });

  describe('concurrent ingests of one document with different questions', () => {
    const inputs = Array.from({ length: 6 }, (_, i) => ({
      source: 'race/questions.md',
      content: `# Écrans\n\nVersion ${i} : ${'des écrans le soir, '.repeat(i + 1)}fin.\n\n## Section ${i}\n\nTexte ${i}.`,
      questions: [`Question ${i} sur les écrans ?`, `Encore ${i} ?`],
    }));

    it('each either wins or answers CONFLICT; the document is one input whole, with one questions row', async () => {
      const results = await Promise.all(inputs.map((input) => ingest(input)));
      for (const r of results) {
        if (r.errors) expect(codesOf(r)).toEqual(['CONFLICT']);
        else expect(['CREATED', 'UPDATED']).toContain(r.data!.ingestDocument.status);
      }
      expect(results.some((r) => !r.errors)).toBe(true);
      const doc = await db.prisma.document.findFirstOrThrow({ where: { source: 'race/questions.md' } });
      const winner = inputs.find((i) => documentHash(i.content, i.questions) === doc.contentHash);
      expect(winner).toBeDefined();
      const rows = await rowsOf('race/questions.md');
      expect(rows.map((r) => [r.ordinal, r.content, r.index_only])).toEqual([
        ...chunkText(winner!.content).map((c, i) => [i, c, false]),
        [chunkText(winner!.content).length, questionsText(winner!.questions), true],
      ]);
      // A loser sent again succeeds.
      const loser = inputs[results.findIndex((r) => r.errors) === -1 ? 0 : results.findIndex((r) => r.errors)];
      const again = await ingest(loser);
      expect(again.errors).toBeUndefined();
      expect((await rowsOf('race/questions.md')).filter((r) => r.index_only).map((r) => r.content)).toEqual([questionsText(loser.questions)]);
    });
  });

  describe('lengths count characters (code points), as the API rules do', () => {
    const emoji = (n: number) => '😀'.repeat(n); // one character, two UTF-16 units

    it('ingestDocument takes a title of 300, a source of 500 and questions of 300 such characters, and refuses one more', async () => {
      const ok = await ingest({ source: emoji(500), title: emoji(300), content: 'Du texte.', questions: [emoji(300)] });
      expect(ok.errors).toBeUndefined();
      const doc = await db.prisma.document.findFirstOrThrow({ where: { source: emoji(500) } });
      expect(doc.title).toBe(emoji(300));
      for (const over of [{ source: 'len/a.md', title: emoji(301) }, { source: emoji(501) }, { source: 'len/b.md', questions: [emoji(301)] }]) {
        expect(codesOf(await ingest({ content: 'Du texte.', ...over }))).toEqual(['BAD_USER_INPUT']);
      }
      expect(await db.prisma.document.count({ where: { source: { in: ['len/a.md', 'len/b.md', emoji(501)] } } })).toBe(0);
    });

    it('npm run ingest shortens a long heading title without splitting a character', async () => {
      const dir = await mkdtemp(path.join(os.tmpdir(), 'ingest-lengths-'));
      try {
        // An odd number of UTF-16 units before the emoji: a UTF-16 cut would end on half of one.
        await writeFile(path.join(dir, 'long.md'), `---\ncollection: ADULT\nlanguage: fr\n---\n# a${emoji(400)}\n\nDu texte.`);
        await ingestPath(db.prisma, hash, dir, { root: dir });
        const doc = await db.prisma.document.findFirstOrThrow({ where: { source: 'long.md' } });
        expect(doc.title).toBe(`a${emoji(199)}`);
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    });
  });

  it('npm run ingest reads files as NFC, as the API normalizes its inputs: a decomposed file and the same mutation agree', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'ingest-nfc-'));
    try {
      const question = 'é'.repeat(300); // 600 code points when decomposed
      const body = '# Écrans\n\nÀ éteindre une heure avant de dormir.';
      await writeFile(path.join(dir, 'nfd.md'), `---\ntitle: Écrans\ncollection: ADULT\nlanguage: fr\nquestions:\n  - "${question}"\n---\n${body}`.normalize('NFD'));
      await ingestPath(db.prisma, hash, dir, { root: dir });
      const rows = await rowsOf('nfd.md');
      expect(rows.map((r) => r.content)).toEqual([...chunkText(body), question]);
      const same = await ingest({ source: 'nfd.md', title: 'Écrans', content: body, questions: [question] });
      expect(same.errors).toBeUndefined();
      expect(same.data!.ingestDocument.status).toBe('UNCHANGED');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('ingestDocument counts the questions row as one chunk, as its payload says', async () => {
    const counts = async (questions: string[]) => {
      const r = await gql<{ ingestDocument: Record<string, unknown> }>(INGEST, { input: { collection: 'ADULT', title: 'T', language: 'fr', source: 'count.md', content: 'Un seul paragraphe.', questions } }, { apiKey: writer });
      expect(r.errors).toBeUndefined();
      const { status, chunksEmbedded, chunksKept, chunksDeleted } = r.data!.ingestDocument;
      return { status, chunksEmbedded, chunksKept, chunksDeleted };
    };
    expect(await counts(['Une question ?'])).toEqual({ status: 'CREATED', chunksEmbedded: 2, chunksKept: 0, chunksDeleted: 0 });
    expect(await counts(['Une autre question ?'])).toEqual({ status: 'UPDATED', chunksEmbedded: 1, chunksKept: 1, chunksDeleted: 1 });
    expect(await counts([])).toEqual({ status: 'UPDATED', chunksEmbedded: 0, chunksKept: 1, chunksDeleted: 1 });
    expect((await rowsOf('count.md')).map((r) => r.index_only)).toEqual([false]);
  });
});
