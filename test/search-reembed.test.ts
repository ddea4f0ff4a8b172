// The start-up check of stored vectors against the configured embedder, and `npm run reembed`.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pino from 'pino';
import { createTestDatabase, type TestDatabase } from './helpers/db.ts';
import { dbKind } from './helpers/env.ts';
import { testConfig } from './helpers/app.ts';
import { HashEmbedder } from '../src/search/hash-embedder.ts';
import { CachedEmbedder } from '../src/search/embedding-cache.ts';
import { ingestDocument, questionsText } from '../src/search/ingest.ts';
import { assertEmbeddingsMatch, EmbeddingMismatchError, storedEmbeddingState } from '../src/search/embedding-state.ts';
import { reembed } from '../src/search/reembed.ts';
import { searchChunks } from '../src/search/search.ts';
import { parseVector } from '../src/search/vector.ts';
import { prepareDatabase } from '../src/server.ts';

const DOCS = [
  ['harcelement.md', '# Harcèlement\n\nLe harcèlement, ce sont des violences répétées.\n\n## Que faire\n\nParles-en à un adulte de confiance.'],
  ['sommeil.md', '# Sommeil\n\nÉteins les écrans une heure avant de dormir.'],
  ['sport.md', '# Sport\n\nCourir ou nager réduit le stress.'],
] as const;
/** Authored questions of sommeil.md: their index-only row is re-embedded like any chunk. */
const QUESTIONS = ['Je n’arrive pas à m’endormir le soir, tu as des conseils ?'];

describe(`stored embeddings: start-up check and re-embedding (${dbKind})`, () => {
  let db: TestDatabase;
  const original = new HashEmbedder();
  /** Another model of the same width: other weights, another vector space. */
  const other = new HashEmbedder({ weights: { words: 1, bigrams: 0, trigrams: 0.5 } });

  beforeAll(async () => {
    db = await createTestDatabase();
  });
  afterAll(() => db?.destroy());

  const chunkVectors = async () =>
    (await db.prisma.$queryRaw<{ content: string; embedding: string }[]>`SELECT content, embedding::text AS embedding FROM rag.document_chunk ORDER BY id`).map((r) => ({
      content: r.content,
      vector: parseVector(r.embedding),
    }));

  it('an empty knowledge base matches any embedder of the column\'s width', async () => {
    await expect(assertEmbeddingsMatch(db, original)).resolves.toBeUndefined();
    await expect(assertEmbeddingsMatch(db, other)).resolves.toBeUndefined();
    const err = await assertEmbeddingsMatch(db, new HashEmbedder({ dimensions: 256 })).catch((e: Error) => e);
    expect(err).toBeInstanceOf(EmbeddingMismatchError);
    expect(String(err)).toMatch(/vector\(384\).*256-dimensional/);
    expect(String(err)).toMatch(/npm run reembed/);
  });

  it('refuses another model once documents were embedded, naming it and `npm run reembed`', async () => {
    const embedder = new CachedEmbedder(db.prisma, original);
    for (const [source, content] of DOCS) {
      const questions = source === 'sommeil.md' ? QUESTIONS : undefined;
      await ingestDocument(db.prisma, embedder, { collection: 'YOUTH', source, title: source, language: 'fr', content, questions, metadata: { keep: source } });
    }
    expect(await storedEmbeddingState(db.prisma)).toEqual({ columnDimensions: 384, models: [{ model: 'hash-v2-384', documents: 3 }] });
    await expect(assertEmbeddingsMatch(db, original)).resolves.toBeUndefined();
    const err = await assertEmbeddingsMatch(db, other).catch((e: Error) => e);
    expect(err).toBeInstanceOf(EmbeddingMismatchError);
    expect((err as Error).message).toContain(`configured embeddings (${other.model}, 384 dimensions)`);
    expect((err as Error).message).toContain('3 document(s) were embedded with hash-v2-384');
    expect((err as Error).message).toContain('npm run reembed');
  });

  it('the server refuses to start on a mismatch (prepareDatabase)', async () => {
    const config = { ...testConfig(db, { AUTO_SEED: 'false', EMBEDDINGS_DIMENSIONS: '256' }) };
    await expect(prepareDatabase(db, config, pino({ level: 'silent' }))).rejects.toThrow(/npm run reembed/);
    await expect(prepareDatabase(db, testConfig(db, { AUTO_SEED: 'false' }), pino({ level: 'silent' }))).resolves.toBeUndefined();
  });

  it('reembed: every chunk re-embedded with the configured model, metadata updated, both caches cleared; then a no-op', async () => {
    await db.prisma.$executeRaw`
      INSERT INTO cache.rag_cache (id, query, user_type, embedding, document_ids, scores, collection, scope, model, generation)
      VALUES ('x', 'q', 'TEENAGER', '[1,0]'::vector, '{}', '{}', 'YOUTH', 's', 'hash-v2-384@384', 0)`;
    const before = await chunkVectors();
    const result = await reembed(db, other, { batchSize: 2 });
    expect(result).toMatchObject({ model: other.model, dimensions: null, documents: 3, chunks: before.length, indexRebuilt: true, cleared: { ragCache: 1 } });
    expect(result.cleared.embeddingCache).toBeGreaterThanOrEqual(before.length);

    const after = await chunkVectors();
    expect(after.map((c) => c.content)).toEqual(before.map((c) => c.content));
    expect(after.map((c) => c.content)).toContain(questionsText(QUESTIONS));
    const expected = await other.embed(after.map((c) => c.content));
    after.forEach((c, i) => c.vector.forEach((x, j) => expect(x).toBeCloseTo(expected[i][j], 6)));
    const docs = await db.prisma.document.findMany({ orderBy: { source: 'asc' } });
    for (const doc of docs) expect(doc.metadata).toMatchObject({ keep: doc.source, _ingest: { embeddingModel: other.model } });
    expect(await db.query(`SELECT model FROM cache.embedding_cache WHERE model <> $1`, [other.model])).toEqual([]);
    expect(await db.query(`SELECT 1 FROM cache.rag_cache`)).toEqual([]);
    expect(await db.query(`SELECT indexname FROM pg_indexes WHERE indexname = 'document_chunk_embedding_hnsw_idx'`)).toHaveLength(1);

    await expect(assertEmbeddingsMatch(db, other)).resolves.toBeUndefined();
    await expect(assertEmbeddingsMatch(db, original)).rejects.toThrow(EmbeddingMismatchError);
    expect(await reembed(db, other)).toMatchObject({ documents: 0, chunks: 0, indexRebuilt: false });

    // The new vectors answer the new model's queries.
    const [q] = await other.embed(['éteindre les écrans avant de dormir']);
    const hits = await searchChunks(db.prisma, { params: { collection: 'YOUTH', language: null, textLanguage: null, mode: 'VECTOR', first: 1, minScore: 0 }, vector: q, textTerms: [], efSearch: 40 });
    expect(hits[0].content).toMatch(/Éteins les écrans/);
  });

  it('reembed to another width: the column becomes vector(N), the HNSW index is rebuilt', async () => {
    const narrow = new HashEmbedder({ dimensions: 256 });
    const result = await reembed(db, narrow);
    expect(result).toMatchObject({ dimensions: { from: 384, to: 256 }, documents: 3, indexRebuilt: true });
    expect((await storedEmbeddingState(db.prisma)).columnDimensions).toBe(256);
    expect((await chunkVectors()).every((c) => c.vector.length === 256)).toBe(true);
    const [index] = await db.query<{ indexdef: string }>(`SELECT indexdef FROM pg_indexes WHERE indexname = 'document_chunk_embedding_hnsw_idx'`);
    expect(index.indexdef).toMatch(/USING hnsw \(embedding vector_cosine_ops\)/);
    await expect(assertEmbeddingsMatch(db, narrow)).resolves.toBeUndefined();
    await expect(assertEmbeddingsMatch(db, original)).rejects.toThrow(/vector\(256\)/);
  });
});
