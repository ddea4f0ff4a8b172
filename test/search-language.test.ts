// Language-aware search: chunks' tsvectors in their document's language (stemmed, accents folded),
// queries parsed in the requested / caller's / every language; filtered HNSW searches that keep
// scanning (iterative index scans); `npm run ingest` embedding with the configured provider.
import { execFile } from 'node:child_process';
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from './helpers/db.ts';
import { dbKind } from './helpers/env.ts';
import { createTestApp } from './helpers/app.ts';
import { createSession, createUser } from './factories/index.ts';
import { SEARCH, startEmbeddingServer, type EmbeddingServer, type SearchResultShape } from './helpers/search.ts';
import { openDatabase } from '../src/db/database.ts';
import { Prisma } from '../src/generated/prisma/client.ts';
import { CachedEmbedder } from '../src/search/embedding-cache.ts';
import { HashEmbedder } from '../src/search/hash-embedder.ts';
import { ingestDocument } from '../src/search/ingest.ts';
import { searchChunks, searchStatement, type SearchParams } from '../src/search/search.ts';
import { toVectorLiteral } from '../src/search/vector.ts';

const run = promisify(execFile);
const repo = path.resolve(import.meta.dirname, '..');

describe(`language-aware full text (${dbKind})`, () => {
  let db: TestDatabase;
  let gql: ReturnType<typeof createTestApp>['gql'];

  beforeAll(async () => {
    db = await createTestDatabase();
    ({ gql } = createTestApp(db, { RAG_CACHE_ENABLED: 'false' }));
    const embedder = new CachedEmbedder(db.prisma, new HashEmbedder());
    const docs = [
      { source: 'fr.md', language: 'fr', title: 'Harcèlement', content: '# Harcèlement\n\nQuand un élève est harcelé par les autres, les moqueries se répètent chaque jour.' },
      { source: 'en.md', language: 'en', title: 'Bullying', content: '# Bullying\n\nWhen the bullies keep insulting a classmate, the teasing repeats every day.' },
      { source: 'de.md', language: 'de', title: 'Mobbing', content: '# Mobbing\n\nWenn Mitschüler jemanden beleidigen und auslachen, wiederholen sich die Beleidigungen.' },
      { source: 'nl.md', language: 'nl', title: 'Pesten', content: '# Pesten\n\nAls klasgenoten iemand uitlachen, is dat pesten.' },
    ];
    for (const d of docs) await ingestDocument(db.prisma, embedder, { collection: 'YOUTH', ...d });
  });
  afterAll(() => db?.destroy());

  const lexemes = async (source: string) => {
    const rows = await db.prisma.$queryRaw<{ tsv: string }[]>`
      SELECT string_agg(c.content_tsv::text, ' ') AS tsv FROM rag.document_chunk c JOIN rag.document d ON d.id = c.document_id WHERE d.source = ${source}`;
    return rows[0].tsv;
  };

  it('stores each chunk stemmed in its document language, accents folded, stop words dropped', async () => {
    const fr = await lexemes('fr.md');
    expect(fr).toContain("'harcel'"); // harcèlement and harcelé, folded and stemmed alike
    expect(fr).toContain("'elev'"); // élève, folded then stemmed
    expect(fr).not.toMatch(/'les'|'par'/);
    expect(await lexemes('en.md')).toContain("'bulli'");
    expect(await lexemes('de.md')).toContain("'beleid'");
    // No configuration of its own: unaccent + simple (no stemming, nothing dropped).
    expect(await lexemes('nl.md')).toContain("'klasgenoten'");
  });

  it('re-parses a document\'s chunks when its language changes', async () => {
    await db.prisma.document.updateMany({ where: { source: 'nl.md' }, data: { language: 'en' } });
    expect(await lexemes('nl.md')).not.toContain("'is'"); // an English stop word
    await db.prisma.document.updateMany({ where: { source: 'nl.md' }, data: { language: 'nl' } });
    expect(await lexemes('nl.md')).toContain("'is'");
  });

  async function fullTextSources(query: string, language: string | null, textLanguage: string | null) {
    // A zero vector: HYBRID ranks by its full-text half alone.
    const params: SearchParams = { collection: 'YOUTH', language, textLanguage, mode: 'HYBRID', first: 5, minScore: 0 };
    const rows = await searchChunks(db.prisma, { params, vector: new Array(384).fill(0), textTerms: query.split(' '), efSearch: 40 });
    const docs = await db.prisma.document.findMany({ where: { id: { in: rows.map((r) => r.documentId) } } });
    return rows.map((r) => docs.find((d) => d.id === r.documentId)!.source);
  }

  it('parses the query in the requested language, else every language', async () => {
    // "harcelements" and "HARCELER": other inflections, no accents.
    expect(await fullTextSources('harcelements', 'fr', 'fr')).toEqual(['fr.md']);
    expect(await fullTextSources('HARCELER', null, 'fr')).toEqual(['fr.md']);
    expect(await fullTextSources('bullied', null, 'en')).toEqual(['en.md']);
    // Parsed in French, "bullied" is not stemmed to the English "bulli": no match.
    expect(await fullTextSources('bullied', null, 'fr')).toEqual([]);
    // Every language: each configuration's parse, OR-ed.
    expect((await fullTextSources('bullied harcelé', null, null)).sort()).toEqual(['en.md', 'fr.md']);
  });

  it('searchDocuments parses with the language argument, else the caller\'s language, else every language', async () => {
    const ask = async (userLanguage: string | null, language?: string) => {
      const user = await createUser(db.prisma, { userType: 'TEENAGER', language: userLanguage ?? undefined });
      if (userLanguage === null) await db.prisma.user.update({ where: { id: user.id }, data: { language: null } });
      const { token } = await createSession(db.prisma, user.id);
      const r = await gql<{ searchDocuments: SearchResultShape[] }>(SEARCH, { query: 'bullied', mode: 'HYBRID', first: 5, ...(language ? { language } : {}) }, { token });
      expect(r.errors).toBeUndefined();
      return r.data!.searchDocuments.map((x) => x.document.source);
    };
    expect((await ask('en'))[0]).toBe('en.md');
    expect((await ask(null))[0]).toBe('en.md');
    expect(await ask('fr', 'en')).toEqual(['en.md']);
  });

  it('refuses tsquery syntax smuggled in the query as plain words', async () => {
    expect(await fullTextSources("harcel:* | ! & ( ' \\", null, null)).toEqual(expect.any(Array));
  });
});

describe(`filtered HNSW searches keep scanning (${dbKind})`, () => {
  let db: TestDatabase;
  const MAJORITY = 500;
  const MINORITY = 30;

  beforeAll(async () => {
    db = await createTestDatabase();
    // Most chunks (fr) sit close to the query; a few (de) far from it.
    const rand = (seed: number) => () => ((seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0) / 2 ** 32);
    const r = rand(7);
    const near = () => Array.from({ length: 384 }, (_, i) => (i < 8 ? 1 : 0) + (r() - 0.5) * 0.2);
    const far = () => Array.from({ length: 384 }, (_, i) => (i >= 8 && i < 16 ? 1 : 0) + (r() - 0.5) * 0.2);
    const insert = async (language: string, count: number, vector: () => number[]) => {
      const [doc] = await db.prisma.document.createManyAndReturn({ data: [{ collection: 'YOUTH', source: `${language}.md`, title: language, language, contentHash: language }] });
      const literals = Array.from({ length: count }, () => toVectorLiteral(vector()));
      await db.prisma.$executeRaw`
        INSERT INTO rag.document_chunk (id, document_id, ordinal, content, content_hash, embedding)
        SELECT gen_random_uuid(), ${doc.id}::uuid, t.o, 'chunk ' || t.o, md5(t.o::text), t.e::vector
        FROM unnest(${literals}::text[]) WITH ORDINALITY AS t(e, o)`;
    };
    await insert('fr', MAJORITY, near);
    await insert('de', MINORITY, far);
    await db.prisma.$executeRawUnsafe('ANALYZE rag.document_chunk');
    await db.prisma.$executeRawUnsafe('ANALYZE rag.document');
  }, 300_000);
  afterAll(() => db?.destroy());

  const query = Array.from({ length: 384 }, (_, i) => (i < 8 ? 1 : 0));
  const params: SearchParams = { collection: 'YOUTH', language: 'de', textLanguage: 'de', mode: 'VECTOR', first: 20, minScore: 0 };

  /** The search statement with iterative scans on or off, forced through the HNSW index (a table this small would be sorted). */
  async function rowsWith(iterative: 'off' | 'relaxed_order') {
    const statement = searchStatement({ params, vector: query, textTerms: [], efSearch: 10 })!;
    const [, , plan, rows] = await db.prisma.$transaction([
      db.prisma.$queryRaw`SELECT set_config('hnsw.ef_search', '10', true), set_config('hnsw.iterative_scan', ${iterative}, true)`,
      db.prisma.$queryRaw`SELECT set_config('enable_seqscan', 'off', true), set_config('enable_sort', 'off', true)`,
      db.prisma.$queryRaw<Record<string, string>[]>(Prisma.sql`EXPLAIN ${statement}`),
      db.prisma.$queryRaw<unknown[]>(statement),
    ]);
    expect(plan.map((p) => Object.values(p)[0]).join('\n')).toContain('document_chunk_embedding_hnsw_idx');
    return rows;
  }

  it('returns `first` results of the filtered language although the nearest chunks are all of another', async () => {
    // Without iterative scans HNSW stops after ef_search candidates, all filtered out.
    expect((await rowsWith('off')).length).toBeLessThan(params.first);
    expect(await rowsWith('relaxed_order')).toHaveLength(params.first);
    // As the API runs it (searchChunks sets relaxed_order itself).
    const rows = await searchChunks(db.prisma, { params, vector: query, textTerms: [], efSearch: 10 });
    expect(rows).toHaveLength(params.first);
    // Best first although the scan may return them slightly out of order.
    expect(rows.map((x) => x.score)).toEqual([...rows.map((x) => x.score)].sort((a, b) => b - a));
  });

  it('returns all matching chunks when fewer than `first` exist', async () => {
    const rows = await searchChunks(db.prisma, { params: { ...params, first: MINORITY + 5 > 20 ? 20 : MINORITY }, vector: query, textTerms: [], efSearch: 10 });
    expect(rows.length).toBe(Math.min(20, MINORITY));
  });
});

describe(`npm run ingest uses the configured embedding provider (${dbKind})`, () => {
  let server: EmbeddingServer;
  let folder: string;
  let env: Record<string, string>;
  let db: TestDatabase | undefined;
  let dataDir: string | undefined;

  beforeAll(async () => {
    server = await startEmbeddingServer();
    folder = await mkdtemp(path.join(os.tmpdir(), 'ingest-script-'));
    await mkdir(path.join(folder, 'kb'));
    await writeFile(path.join(folder, 'kb', 'fr-test.md'), '---\ntitle: Essai\nlanguage: fr\ncollection: YOUTH\n---\n# Essai\n\nUn texte pour le fournisseur configuré.\n');
    if (dbKind === 'postgres') {
      db = await createTestDatabase();
      env = { DATABASE_URL: (db.config as { url: string }).url };
    } else {
      dataDir = path.join(folder, 'pglite');
      env = { PGLITE_DATA_DIR: dataDir };
    }
  });
  afterAll(async () => {
    await server?.close();
    await db?.destroy();
    await rm(folder, { recursive: true, force: true });
  });

  const ingest = (extra: Record<string, string>) =>
    run(process.execPath, ['--import', 'tsx', 'scripts/ingest.ts', path.join(folder, 'kb')], {
      cwd: repo,
      env: { ...process.env, ...env, LOG_LEVEL: 'silent', ...extra },
      timeout: 120_000,
    });

  async function storedModels() {
    const opened = db ?? (await openDatabase({ kind: 'pglite', dataDir: dataDir! }));
    try {
      const rows = await opened.prisma.$queryRaw<{ model: string }[]>`SELECT metadata -> '_ingest' ->> 'embeddingModel' AS model FROM rag.document`;
      return rows.map((r) => r.model);
    } finally {
      if (!db) await opened.close();
    }
  }

  it('embeds with EMBEDDINGS_PROVIDER=openai through the endpoint, and refuses to mix in another model', async () => {
    const openai = { EMBEDDINGS_PROVIDER: 'openai', EMBEDDINGS_URL: server.url, EMBEDDINGS_MODEL: 'stand-in-model', EMBEDDINGS_API_KEY: 'k' };
    const { stdout } = await ingest(openai);
    expect(stdout).toMatch(/1 files: 1 created/);
    expect(server.texts.some((t) => t.includes('fournisseur configuré'))).toBe(true);
    expect(await storedModels()).toEqual(['stand-in-model']);

    // The local model now would write vectors of another space next to these: refused, nothing written.
    await writeFile(path.join(folder, 'kb', 'fr-autre.md'), '---\ntitle: Autre\nlanguage: fr\ncollection: YOUTH\n---\n# Autre\n\nUn second texte.\n');
    const err = (await ingest({ EMBEDDINGS_PROVIDER: 'hash' }).catch((e: { stderr: string }) => e)) as { stderr: string };
    expect(err.stderr).toContain('npm run reembed');
    expect(await storedModels()).toEqual(['stand-in-model']);
  }, 240_000);
});
