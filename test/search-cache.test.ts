// The two cache levels of document search, seen through GraphQL with a provider that counts its
// calls (a local OpenAI-compatible server answering with the hash embedder's vectors).
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from './helpers/db.ts';
import { dbKind } from './helpers/env.ts';
import { createTestApp } from './helpers/app.ts';
import { createApiKey, createSession, createUser } from './factories/index.ts';
import { DELETE, INGEST, SEARCH, startEmbeddingServer, type EmbeddingServer, type SearchResultShape } from './helpers/search.ts';
import { HashEmbedder } from '../src/search/hash-embedder.ts';
import { cosineSimilarity } from '../src/search/vector.ts';
import { keyText, lookupRagCache, writeRagCache } from '../src/search/rag-cache.ts';
import type { SearchParams } from '../src/search/search.ts';

const QUERY = "Que faire quand on se moque de moi sur les réseaux sociaux et qu'on m'insulte tous les jours au collège ?";
/** Same words once case, accents and punctuation are folded: the same hash embedding (distance 0). */
const SAME_EMBEDDING = "que faire quand on se moque de moi sur les reseaux sociaux et qu'on m'insulte tous les jours au college";
/** One word left out: about 0.07 from QUERY, within the test's threshold of 0.1. */
const NEAR = "Que faire quand on se moque de moi sur les réseaux et qu'on m'insulte tous les jours au collège ?";
/** One word changed: about 0.13 from QUERY, beyond it. */
const FARTHER = "Que faire quand on se moque de moi sur les réseaux sociaux et qu'on m'insulte tous les jours au lycée ?";
const UNRELATED = 'Comment bien dormir quand on a peur de la rentrée ?';

const youth = (source: string, content: string) => ({ collection: 'YOUTH', source, title: source, language: 'fr', content });
const CORPUS = [
  youth('reseaux.md', '# Insultes en ligne\n\nQuand on se moque de toi sur les réseaux sociaux, garde des captures d’écran, bloque et signale le compte.'),
  youth('college.md', '# Au collège\n\nSi on t’insulte tous les jours au collège, parles-en au CPE ou à un professeur de confiance.'),
  youth('sommeil.md', '# Bien dormir\n\nAvant la rentrée, la peur empêche parfois de dormir : respire lentement et éteins les écrans une heure avant.'),
  youth('amis.md', '# Se faire des amis\n\nUn club, un sport ou une activité aide à rencontrer des élèves qui te ressemblent.'),
];

interface Result {
  searchDocuments: SearchResultShape[];
}

describe(`search caches (${dbKind})`, () => {
  let db: TestDatabase;
  let provider: EmbeddingServer;
  let app: ReturnType<typeof createTestApp>;
  let teen: string;
  let parent: string;
  let writer: string;
  const model = 'test-hash-384';

  beforeAll(async () => {
    db = await createTestDatabase();
    provider = await startEmbeddingServer();
    // A development server: there every caller sees the cache markers these tests read. Elsewhere
    // only operators holding search:diagnostics do (see the describe block below).
    app = createTestApp(db, {
      APP_ENV: 'development',
      EMBEDDINGS_PROVIDER: 'openai',
      EMBEDDINGS_URL: provider.url,
      EMBEDDINGS_MODEL: model,
      RAG_CACHE_MAX_DISTANCE: '0.1',
    });
    teen = (await createSession(db.prisma, (await createUser(db.prisma, { userType: 'TEENAGER' })).id)).token;
    parent = (await createSession(db.prisma, (await createUser(db.prisma, { userType: 'PARENT' })).id)).token;
    writer = (await createApiKey(db.prisma, ['documents:write'])).key;
    for (const input of CORPUS) expect((await app.gql(INGEST, { input }, { apiKey: writer })).errors).toBeUndefined();
  });
  afterAll(async () => {
    await db?.destroy();
    await provider?.close();
  });
  beforeEach(() => provider.reset());

  const search = (query: string, variables: Record<string, unknown> = {}, token = teen) => app.gql<Result>(SEARCH, { query, ...variables }, { token });
  const traceOf = (r: { extensions?: Record<string, unknown> }) => (r.extensions?.search as Record<string, unknown>).searchDocuments;
  const comparable = (r: { data?: Result | null }) => r.data!.searchDocuments.map(({ fromCache: _f, ...rest }) => rest);

  it('the threshold pairs are what they claim', async () => {
    const [q, same, near, farther, unrelated] = await new HashEmbedder().embed([QUERY, SAME_EMBEDDING, NEAR, FARTHER, UNRELATED]);
    const distance = (v: number[]) => 1 - cosineSimilarity(q, v);
    expect(distance(same)).toBeCloseTo(0, 10);
    expect(distance(near)).toBeGreaterThan(0.02);
    expect(distance(near)).toBeLessThan(0.1);
    expect(distance(farther)).toBeGreaterThan(0.1);
    expect(distance(unrelated)).toBeGreaterThan(0.5);
  });

  it('a first search misses both levels; a repeat is answered by level 2 with the same results and no provider call', async () => {
    const first = await search(QUERY);
    expect(first.errors).toBeUndefined();
    expect(traceOf(first)).toEqual({ embeddingCache: 'miss', resultCache: 'miss' });
    expect(provider.calls).toBe(1);
    expect(first.data!.searchDocuments.length).toBeGreaterThan(0);
    expect(first.data!.searchDocuments.every((r) => !r.fromCache)).toBe(true);
    // Written after the operation: whatever the request sent before answering comes first.
    const writeAt = first.sqlLog.findIndex((s) => /INSERT INTO cache\.rag_cache/.test(s));
    const searchAt = first.sqlLog.findIndex((s) => /to_tsquery/.test(s));
    expect(searchAt).toBeGreaterThanOrEqual(0);
    if (writeAt >= 0) expect(writeAt).toBeGreaterThan(first.sqlLog.findIndex((s) => /FROM "rag"\."document"/.test(s)));
    const [row] = await db.prisma.$queryRaw<{ id: string; expected: string; chunks: string[]; hits: number; generation: number }[]>`
      SELECT id, md5(query || '|' || user_type) AS expected, document_ids AS chunks, hit_count AS hits, generation
      FROM cache.rag_cache WHERE query = ${keyText({ collection: 'YOUTH', language: null, textLanguage: 'fr', mode: 'HYBRID', first: 5, minScore: 0 }, QUERY)} AND user_type = 'TEENAGER'`;
    expect(row.id).toBe(row.expected);
    expect(row.hits).toBe(0);
    const chunkIds = await db.prisma.documentChunk.findMany({ where: { id: { in: row.chunks } }, select: { id: true, content: true } });
    const contentOf = new Map(chunkIds.map((c) => [c.id, c.content]));
    expect(row.chunks.map((id) => contentOf.get(id))).toEqual(first.data!.searchDocuments.map((r) => r.content));

    provider.reset();
    const again = await search(QUERY);
    expect(traceOf(again)).toEqual({ embeddingCache: 'hit', resultCache: 'hit' });
    expect(provider.calls).toBe(0);
    expect(comparable(again)).toEqual(comparable(first));
    expect(again.data!.searchDocuments.every((r) => r.fromCache)).toBe(true);
    // The hit skipped the search: no full-text or HNSW statement.
    expect(again.sqlLog.some((s) => /hnsw\.ef_search|to_tsquery/.test(s))).toBe(false);
    const [{ hit_count }] = await db.prisma.$queryRaw<{ hit_count: number }[]>`SELECT hit_count FROM cache.rag_cache WHERE id = ${row.id}`;
    expect(hit_count).toBe(1);
  });

  it('a near-identical query within the threshold is answered by level 2; a farther or unrelated one is searched', async () => {
    const first = await search(QUERY);
    const same = await search(SAME_EMBEDDING);
    expect(traceOf(same)).toEqual({ embeddingCache: 'miss', resultCache: 'hit' });
    expect(comparable(same)).toEqual(comparable(first));
    const near = await search(NEAR);
    expect(traceOf(near)).toEqual({ embeddingCache: 'miss', resultCache: 'hit' });
    expect(comparable(near)).toEqual(comparable(first));
    const farther = await search(FARTHER);
    expect(traceOf(farther)).toEqual({ embeddingCache: 'miss', resultCache: 'miss' });
    const unrelated = await search(UNRELATED);
    expect(traceOf(unrelated)).toEqual({ embeddingCache: 'miss', resultCache: 'miss' });
    expect(unrelated.data!.searchDocuments[0].document.source).toBe('sommeil.md');
  });

  it('level 1: a repeated text never reaches the provider again, even when level 2 cannot answer', async () => {
    await search(UNRELATED);
    provider.reset();
    // Other parameters: another level-2 entry, the same text and embedding.
    for (const variables of [{ first: 3 }, { mode: 'VECTOR' }, { language: 'fr' }, { minScore: 0.2 }]) {
      const r = await search(UNRELATED, variables);
      expect(traceOf(r), JSON.stringify(variables)).toEqual({ embeddingCache: 'hit', resultCache: 'miss' });
    }
    expect(provider.calls).toBe(0);
    const [{ n }] = await db.prisma.$queryRaw<{ n: number }[]>`SELECT count(*)::int AS n FROM cache.embedding_cache WHERE model = ${model}`;
    expect(n).toBeGreaterThan(CORPUS.length);
  });

  it('entries answer only their own parameters and user type', async () => {
    const five = await search(QUERY);
    expect(traceOf(five)).toMatchObject({ resultCache: 'hit' });
    const two = await search(QUERY, { first: 2 });
    expect(traceOf(two)).toMatchObject({ resultCache: 'miss' });
    expect(two.data!.searchDocuments).toHaveLength(2);
    expect(traceOf(await search(QUERY, { first: 2 }))).toMatchObject({ resultCache: 'hit' });
    // A parent searching the same collection with the same words: another user type, another entry.
    const asParent = await search(QUERY, { collection: 'YOUTH' }, parent);
    expect(traceOf(asParent)).toMatchObject({ resultCache: 'miss' });
  });

  it('an ingest or a delete in the collection invalidates its entries; one in the other collection does not', async () => {
    expect(traceOf(await search(QUERY))).toMatchObject({ resultCache: 'hit' });
    const adult = await app.gql(INGEST, { input: { ...youth('guide.md', '# Guide parents\n\nParlez avec votre enfant.'), collection: 'ADULT' } }, { apiKey: writer });
    expect(adult.errors).toBeUndefined();
    expect(traceOf(await search(QUERY))).toMatchObject({ resultCache: 'hit' });

    const added = await app.gql(INGEST, { input: youth('nouveau.md', '# Réseaux sociaux\n\nSur les réseaux sociaux, tu peux rendre ton compte privé.') }, { apiKey: writer });
    expect(added.data.ingestDocument.status).toBe('CREATED');
    const afterIngest = await search(QUERY);
    expect(traceOf(afterIngest)).toMatchObject({ resultCache: 'miss' });
    expect(afterIngest.data!.searchDocuments.some((r) => r.document.source === 'nouveau.md')).toBe(true);
    expect(traceOf(await search(QUERY))).toMatchObject({ resultCache: 'hit' });

    // An unchanged re-ingest writes nothing, and invalidates nothing.
    expect((await app.gql(INGEST, { input: youth('nouveau.md', '# Réseaux sociaux\n\nSur les réseaux sociaux, tu peux rendre ton compte privé.') }, { apiKey: writer })).data.ingestDocument.status).toBe('UNCHANGED');
    expect(traceOf(await search(QUERY))).toMatchObject({ resultCache: 'hit' });

    await app.gql(DELETE, { id: added.data.ingestDocument.document.id }, { apiKey: writer });
    const afterDelete = await search(QUERY);
    expect(traceOf(afterDelete)).toMatchObject({ resultCache: 'miss' });
    expect(afterDelete.data!.searchDocuments.some((r) => r.document.source === 'nouveau.md')).toBe(false);
  });

  it('a search that ran while the collection changed stores its results under the old generation: never served', async () => {
    const params: SearchParams = { collection: 'YOUTH', language: null, textLanguage: null, mode: 'VECTOR', first: 4, minScore: 0 };
    const [vector] = await new HashEmbedder().embed(['course de lenteur']);
    const lookup = () => lookupRagCache(db.prisma, { userType: 'TEENAGER', params, model: `${model}@384`, vector, maxDistance: 0.1, ttlSeconds: 60 });
    const before = await lookup();
    expect(before.hit).toBeNull();
    // The collection changes between the search's lookup and its (deferred) write.
    await app.gql(INGEST, { input: youth('lenteur.md', '# Lenteur\n\nUne course de lenteur.') }, { apiKey: writer });
    await writeRagCache(db.prisma, { userType: 'TEENAGER', params, normalizedText: 'course de lenteur', model: `${model}@384`, vector, results: [], generation: before.generation });
    const after = await lookup();
    expect(after.generation).toBeGreaterThan(before.generation);
    expect(after.hit).toBeNull();
    // Written at the current generation, it answers.
    await writeRagCache(db.prisma, { userType: 'TEENAGER', params, normalizedText: 'course de lenteur', model: `${model}@384`, vector, results: [], generation: after.generation });
    expect((await lookup()).hit).toMatchObject({ distance: 0, results: [] });
  });

  it('entries expire after RAG_CACHE_TTL_SECONDS', async () => {
    await search(UNRELATED);
    expect(traceOf(await search(UNRELATED))).toMatchObject({ resultCache: 'hit' });
    await db.prisma.$executeRaw`UPDATE cache.rag_cache SET created_at = now() - interval '2 days'`;
    expect(traceOf(await search(UNRELATED))).toMatchObject({ resultCache: 'miss' });
    expect(traceOf(await search(UNRELATED))).toMatchObject({ resultCache: 'hit' });
  });

  it('RAG_CACHE_ENABLED=false: every search searches', async () => {
    const off = createTestApp(db, { APP_ENV: 'development', EMBEDDINGS_PROVIDER: 'openai', EMBEDDINGS_URL: provider.url, EMBEDDINGS_MODEL: model, RAG_CACHE_ENABLED: 'false' });
    for (let i = 0; i < 2; i++) {
      const r = await off.gql<Result>(SEARCH, { query: QUERY }, { token: teen });
      expect(traceOf(r)).toEqual({ embeddingCache: 'hit', resultCache: 'disabled' });
    }
  });
});

describe(`search cache markers are for operators and development only (${dbKind})`, () => {
  let db: TestDatabase;
  let app: ReturnType<typeof createTestApp>;
  let writer: string;
  beforeAll(async () => {
    db = await createTestDatabase();
    app = createTestApp(db, { APP_ENV: 'staging', RAG_CACHE_MAX_DISTANCE: '0.1' });
    writer = (await createApiKey(db.prisma, ['documents:write'])).key;
    for (const input of CORPUS) expect((await app.gql(INGEST, { input }, { apiKey: writer })).errors).toBeUndefined();
  });
  afterAll(() => db?.destroy());

  const teenToken = async () => (await createSession(db.prisma, (await createUser(db.prisma, { userType: 'TEENAGER' })).id)).token;
  const comparable = (r: { data?: Result | null }) => r.data!.searchDocuments.map(({ fromCache: _f, ...rest }) => rest);

  it('a classmate repeating a search sees no marker (no extensions.search, fromCache false), though the cache answered', async () => {
    const [first, classmate] = await Promise.all([teenToken(), teenToken()]);
    const a = await app.gql<Result>(SEARCH, { query: QUERY }, { token: first });
    expect(a.errors).toBeUndefined();
    expect(a.extensions?.search).toBeUndefined();
    for (const query of [QUERY, NEAR, SAME_EMBEDDING]) {
      const b = await app.gql<Result>(SEARCH, { query }, { token: classmate });
      expect(b.errors).toBeUndefined();
      expect(b.extensions?.search, query).toBeUndefined();
      expect(b.data!.searchDocuments.every((r) => r.fromCache === false), query).toBe(true);
      // The same results as the first search: the cache did answer (the SQL shows no search ran).
      expect(comparable(b)).toEqual(comparable(a));
      expect(b.sqlLog.some((s) => /to_tsquery/.test(s)), query).toBe(false);
      expect(JSON.stringify(b)).not.toMatch(/"hit"/);
    }
  });

  it('an operator holding search:diagnostics searches any collection and sees the markers; other keys are refused', async () => {
    const teen = await teenToken();
    // The result cache is keyed by the language the query is parsed in: name it, so the operator
    // (who has no language of their own) asks in the same scope as the teenager.
    await app.gql<Result>(SEARCH, { query: UNRELATED, language: 'fr' }, { token: teen });
    const diagnostics = (await createApiKey(db.prisma, ['search:diagnostics'])).key;
    // As the teenagers' audience (YOUTH by default): the entry a teenager's search left.
    const seen = await app.gql<Result>(SEARCH, { query: UNRELATED, language: 'fr' }, { apiKey: diagnostics });
    expect(seen.errors).toBeUndefined();
    expect((seen.extensions?.search as Record<string, unknown>).searchDocuments).toEqual({ embeddingCache: 'hit', resultCache: 'hit' });
    expect(seen.data!.searchDocuments.length).toBeGreaterThan(0);
    expect(seen.data!.searchDocuments.every((r) => r.fromCache)).toBe(true);
    const adult = await app.gql<Result>(SEARCH, { query: UNRELATED, collection: 'ADULT' }, { apiKey: diagnostics });
    expect(adult.errors).toBeUndefined();
    expect((adult.extensions?.search as Record<string, unknown>).searchDocuments).toMatchObject({ resultCache: 'miss' });

    const star = (await createApiKey(db.prisma, ['*'])).key;
    expect((await app.gql<Result>(SEARCH, { query: UNRELATED }, { apiKey: star })).extensions?.search).toBeDefined();
    for (const permissions of [['documents:write'], ['documents:read'], ['users:read']]) {
      const key = (await createApiKey(db.prisma, permissions)).key;
      const r = await app.gql<Result>(SEARCH, { query: UNRELATED }, { apiKey: key });
      expect(r.errors?.map((e) => e.extensions?.code), permissions.join()).toEqual(['FORBIDDEN']);
      expect(r.extensions?.search).toBeUndefined();
    }
  });

  it('production hides them too; development shows them to users', async () => {
    const teen = await teenToken();
    const prod = createTestApp(db, { APP_ENV: 'production', RAG_CACHE_MAX_DISTANCE: '0.1' });
    await prod.gql<Result>(SEARCH, { query: FARTHER }, { token: teen });
    const again = await prod.gql<Result>(SEARCH, { query: FARTHER }, { token: teen });
    expect(again.extensions?.search).toBeUndefined();
    expect(again.data!.searchDocuments.every((r) => !r.fromCache)).toBe(true);
    const dev = createTestApp(db, { APP_ENV: 'development', RAG_CACHE_MAX_DISTANCE: '0.1' });
    const shown = await dev.gql<Result>(SEARCH, { query: FARTHER }, { token: teen });
    expect((shown.extensions?.search as Record<string, unknown>).searchDocuments).toMatchObject({ resultCache: 'hit' });
  });
});
