// Query.searchDocuments and the operator mutations ingestDocument / deleteDocument, through GraphQL.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from './helpers/db.ts';
import { dbKind } from './helpers/env.ts';
import { codesOf, createTestApp } from './helpers/app.ts';
import { createApiKey, createSession, createUser } from './factories/index.ts';
import { DELETE, INGEST, SEARCH, type SearchResultShape } from './helpers/search.ts';
import { HashEmbedder } from '../src/search/hash-embedder.ts';
import { cosineSimilarity, parseVector } from '../src/search/vector.ts';

type Collection = 'YOUTH' | 'ADULT';
interface Doc {
  collection: Collection;
  source: string;
  title: string;
  language: string;
  content: string;
  metadata?: Record<string, unknown>;
}

const DOCS: Doc[] = [
  {
    collection: 'YOUTH',
    source: 'youth/cyberharcelement.md',
    title: 'Cyberharcèlement : que faire ?',
    language: 'fr',
    content:
      '# Cyberharcèlement\n\nSi on t’insulte sur les réseaux sociaux, garde des captures d’écran comme preuves.\n\n## Bloquer et signaler\n\nBloque le compte qui te harcèle et signale-le à la plateforme. Parles-en à un adulte de confiance.',
    metadata: { tags: ['réseaux', 'preuves'], audience: 'collège' },
  },
  {
    collection: 'YOUTH',
    source: 'youth/recreation.md',
    title: 'Exclu à la récré',
    language: 'fr',
    content: '# Exclu à la récré\n\nQuand un groupe t’exclut de la cour de récréation, ce n’est pas de ta faute. Cherche d’autres élèves, un club ou une activité.',
  },
  {
    collection: 'YOUTH',
    source: 'youth/moqueries.md',
    title: 'Moqueries sur le physique',
    language: 'fr',
    content: '# Moqueries sur le physique\n\nLes moqueries répétées sur ton corps, tes vêtements ou ta taille sont du harcèlement. Tu as le droit d’en parler.',
  },
  {
    collection: 'YOUTH',
    source: 'youth/en/online-bullying.md',
    title: 'Online bullying',
    language: 'en',
    content: '# Online bullying\n\nIf someone insults you on social networks, keep screenshots as evidence, block the account and tell a trusted adult.',
  },
  {
    collection: 'ADULT',
    source: 'adult/signes.md',
    title: 'Repérer les signes du harcèlement',
    language: 'fr',
    content:
      '# Repérer les signes\n\nUn enfant harcelé dort mal, perd l’appétit, refuse d’aller à l’école. Parents : observez les changements de comportement et ouvrez le dialogue sans juger.',
  },
  {
    collection: 'ADULT',
    source: 'adult/ecole.md',
    title: 'Contacter l’école',
    language: 'fr',
    content: '# Contacter l’école\n\nParents, demandez un rendez-vous au chef d’établissement et gardez une trace écrite des échanges avec l’équipe éducative.',
  },
];

describe(`searchDocuments and document mutations (${dbKind})`, () => {
  let db: TestDatabase;
  let gql: ReturnType<typeof createTestApp>['gql'];
  let teen: string;
  let parent: string;
  let onboarding: string;
  let writer: string;
  let reader: string;
  const ids = new Map<string, string>();

  beforeAll(async () => {
    db = await createTestDatabase();
    // The level-2 cache has its own tests (search-cache): here every search really searches.
    ({ gql } = createTestApp(db, { RAG_CACHE_ENABLED: 'false' }));
    const t = await createUser(db.prisma, { userType: 'TEENAGER' });
    const p = await createUser(db.prisma, { userType: 'PARENT' });
    teen = (await createSession(db.prisma, t.id, 'FULL')).token;
    parent = (await createSession(db.prisma, p.id, 'FULL')).token;
    onboarding = (await createSession(db.prisma, t.id, 'ONBOARDING')).token;
    writer = (await createApiKey(db.prisma, ['documents:write'])).key;
    reader = (await createApiKey(db.prisma, ['flags:write'])).key;
    for (const doc of DOCS) {
      const r = await gql(INGEST, { input: doc }, { apiKey: writer });
      expect(r.errors).toBeUndefined();
      ids.set(doc.source, r.data.ingestDocument.document.id);
    }
  });
  afterAll(() => db?.destroy());

  const search = async (token: string, variables: Record<string, unknown>) => {
    const r = await gql<{ searchDocuments: SearchResultShape[] }>(SEARCH, variables, { token });
    return r;
  };

  describe('ingestDocument / deleteDocument', () => {
    it('ingests a document: created, chunked, embedded; metadata without the _ingest bookkeeping', async () => {
      const r = await gql(INGEST, { input: { ...DOCS[0], source: 'youth/extra.md', title: '  Titre  ' } }, { apiKey: writer });
      expect(r.errors).toBeUndefined();
      const p = r.data.ingestDocument;
      expect(p).toMatchObject({ status: 'CREATED', chunksKept: 0, chunksDeleted: 0, document: { title: 'Titre', source: 'youth/extra.md', collection: 'YOUTH', language: 'fr' } });
      expect(p.chunksEmbedded).toBeGreaterThanOrEqual(1);
      expect(p.document.metadata).toEqual({ tags: ['réseaux', 'preuves'], audience: 'collège' });
      const stored = await db.prisma.document.findFirstOrThrow({ where: { source: 'youth/extra.md' } });
      expect(stored.metadata).toMatchObject({ _ingest: { embeddingModel: 'hash-v2-384' } });

      const again = await gql(INGEST, { input: { ...DOCS[0], source: 'youth/extra.md', title: 'Titre' } }, { apiKey: writer });
      expect(again.data.ingestDocument).toMatchObject({ status: 'UNCHANGED', chunksEmbedded: 0 });
      const edited = await gql(INGEST, { input: { ...DOCS[0], source: 'youth/extra.md', title: 'Titre', content: `${DOCS[0].content}\n\nUne phrase de plus.` } }, { apiKey: writer });
      expect(edited.data.ingestDocument.status).toBe('UPDATED');
      expect(edited.data.ingestDocument.chunksKept).toBeGreaterThanOrEqual(1);

      const del = await gql(DELETE, { id: p.document.id }, { apiKey: writer });
      expect(del.data.deleteDocument).toEqual({ deletedDocumentId: p.document.id, deleted: true });
      expect(await db.prisma.documentChunk.count({ where: { documentId: stored.id } })).toBe(0);
      const twice = await gql(DELETE, { id: p.document.id }, { apiKey: writer });
      expect(twice.data.deleteDocument.deleted).toBe(false);
    });

    it('needs an API key holding documents:write', async () => {
      const input = { ...DOCS[1], source: 'youth/x.md' };
      expect(codesOf(await gql(INGEST, { input }))).toEqual(['UNAUTHENTICATED']);
      expect(codesOf(await gql(INGEST, { input }, { token: teen }))).toEqual(['FORBIDDEN']);
      expect(codesOf(await gql(INGEST, { input }, { apiKey: reader }))).toEqual(['FORBIDDEN']);
      expect(codesOf(await gql(DELETE, { id: ids.get(DOCS[1].source) }, { apiKey: reader }))).toEqual(['FORBIDDEN']);
      expect(codesOf(await gql(DELETE, { id: ids.get(DOCS[1].source) }, { token: parent }))).toEqual(['FORBIDDEN']);
      expect(await db.prisma.document.count({ where: { source: 'youth/x.md' } })).toBe(0);
    });

    it('refuses bad input with BAD_USER_INPUT', async () => {
      const bad = [
        { ...DOCS[1], title: '   ' },
        { ...DOCS[1], source: 'x'.repeat(501) },
        { ...DOCS[1], content: ' \n ' },
        { ...DOCS[1], metadata: { _ingest: { embeddingModel: 'forged' } } },
        { ...DOCS[1], metadata: ['not', 'an', 'object'] },
      ];
      for (const input of bad) expect(codesOf(await gql(INGEST, { input: { ...input, source: input.source === DOCS[1].source ? 'youth/bad.md' : input.source } }, { apiKey: writer }))).toEqual(['BAD_USER_INPUT']);
      expect(codesOf(await gql(INGEST, { input: { ...DOCS[1], language: 'FR' } }, { apiKey: writer }))).toEqual(['BAD_USER_INPUT']);
      expect(codesOf(await gql(DELETE, { id: 'not-a-global-id' }, { apiKey: writer }))).toEqual(['BAD_USER_INPUT']);
    });
  });

  describe('searchDocuments', () => {
    it('finds the matching chunk first: rank, score in [0, 1] best first, chunk text and its document', async () => {
      const r = await search(teen, { query: 'Comment bloquer et signaler un compte qui me harcèle sur les réseaux sociaux ?' });
      expect(r.errors).toBeUndefined();
      const results = r.data!.searchDocuments;
      expect(results.length).toBeGreaterThan(0);
      expect(results.length).toBeLessThanOrEqual(5);
      expect(results[0].document).toMatchObject({ source: 'youth/cyberharcelement.md', title: 'Cyberharcèlement : que faire ?', collection: 'YOUTH', language: 'fr' });
      expect(results[0].content).toMatch(/Bloque le compte/);
      expect(results.map((x) => x.rank)).toEqual(results.map((_, i) => i + 1));
      for (let i = 0; i < results.length; i++) {
        expect(results[i].score).toBeGreaterThanOrEqual(0);
        expect(results[i].score).toBeLessThanOrEqual(1);
        if (i > 0) expect(results[i].score).toBeLessThanOrEqual(results[i - 1].score);
        expect(results[i].fromCache).toBe(false);
      }
      // Cache markers are for operators and development servers only (search-cache.test.ts).
      expect(r.extensions?.search).toBeUndefined();
    });

    it('VECTOR: the score is the cosine similarity of query and chunk', async () => {
      const query = 'moqueries sur mon corps et mes vêtements';
      const r = await search(teen, { query, mode: 'VECTOR', first: 3 });
      const results = r.data!.searchDocuments;
      expect(results[0].document.source).toBe('youth/moqueries.md');
      const [q] = await new HashEmbedder().embed([query]);
      for (const result of results) {
        const [row] = await db.prisma.$queryRaw<{ embedding: string }[]>`
          SELECT embedding::text AS embedding FROM rag.document_chunk WHERE content = ${result.content}`;
        expect(result.score).toBeCloseTo(Math.max(0, cosineSimilarity(q, parseVector(row.embedding))), 5);
      }
    });

    it('HYBRID: a chunk ranked first by both rankings scores 1', async () => {
      const r = await search(teen, { query: 'exclu de la cour de récréation', mode: 'HYBRID', first: 3 });
      expect(r.data!.searchDocuments[0]).toMatchObject({ rank: 1, score: 1, document: { source: 'youth/recreation.md' } });
    });

    it('defaults the collection from the user type; a teenager cannot search ADULT; a parent may search YOUTH', async () => {
      const adultQuery = 'parents : enfant harcelé qui dort mal et refuse d’aller à l’école, rendez-vous avec le chef d’établissement';
      for (const mode of ['VECTOR', 'HYBRID']) {
        const asTeen = await search(teen, { query: adultQuery, mode, first: 20 });
        expect(asTeen.errors).toBeUndefined();
        // Isolation: however close the ADULT chunks, a teenager never receives one.
        expect(asTeen.data!.searchDocuments.length).toBeGreaterThan(0);
        expect(asTeen.data!.searchDocuments.every((x) => x.document.collection === 'YOUTH')).toBe(true);
        const asParent = await search(parent, { query: adultQuery, mode });
        expect(asParent.data!.searchDocuments[0].document.collection).toBe('ADULT');
        expect(asParent.data!.searchDocuments.every((x) => x.document.collection === 'ADULT')).toBe(true);
      }
      const forbidden = await search(teen, { query: adultQuery, collection: 'ADULT' });
      expect(codesOf(forbidden)).toEqual(['FORBIDDEN']);
      expect(forbidden.data).toBeNull();
      const parentYouth = await search(parent, { query: 'exclu à la récré', collection: 'YOUTH' });
      expect(parentYouth.data!.searchDocuments[0].document.source).toBe('youth/recreation.md');
    });

    it('filters by language', async () => {
      const query = 'insults on social networks: screenshots, block the account';
      const en = await search(teen, { query, language: 'en' });
      expect(en.data!.searchDocuments.length).toBeGreaterThan(0);
      expect(en.data!.searchDocuments.every((x) => x.document.language === 'en')).toBe(true);
      const fr = await search(teen, { query, language: 'fr' });
      expect(fr.data!.searchDocuments.every((x) => x.document.language === 'fr')).toBe(true);
      const none = await search(teen, { query, language: 'de' });
      expect(none.data!.searchDocuments).toEqual([]);
    });

    it('minScore leaves out weaker results; first bounds the count', async () => {
      const query = 'harcèlement';
      const all = (await search(teen, { query, first: 20, mode: 'VECTOR' })).data!.searchDocuments;
      expect(all.length).toBeGreaterThan(2);
      const cut = (all[0].score + all[all.length - 1].score) / 2;
      const some = (await search(teen, { query, first: 20, mode: 'VECTOR', minScore: cut })).data!.searchDocuments;
      expect(some.length).toBeGreaterThan(0);
      expect(some.length).toBeLessThan(all.length);
      expect(some.every((x) => x.score >= cut)).toBe(true);
      expect((await search(teen, { query, first: 2 })).data!.searchDocuments).toHaveLength(2);
    });

    it('resolves the documents of all results in one query', async () => {
      const r = await search(teen, { query: 'harcèlement moqueries récré réseaux sociaux adulte', first: 10 });
      const results = r.data!.searchDocuments;
      expect(new Set(results.map((x) => x.document.id)).size).toBeGreaterThanOrEqual(3);
      const documentQueries = r.sqlLog.filter((s) => /FROM "rag"\."document"/.test(s));
      expect(documentQueries).toHaveLength(1);
      // Session, level-1 read, SET LOCALs, search, documents: a constant, whatever the result count.
      // Cache writes come after the operation (the background queue, possibly before gql returns).
      const isCacheWrite = (s: string) => /^\s*(INSERT INTO|UPDATE) cache\./.test(s);
      const onPath = r.sqlLog.filter((s) => !isCacheWrite(s) && !/^(BEGIN|COMMIT)/.test(s));
      expect(onPath).toHaveLength(5);
      const firstWrite = r.sqlLog.findIndex(isCacheWrite);
      if (firstWrite >= 0) expect(firstWrite).toBeGreaterThan(r.sqlLog.findIndex((s) => /FROM "rag"\."document"/.test(s)));
    });

    it('needs a FULL user session', async () => {
      const query = 'harcèlement';
      expect(codesOf(await gql(SEARCH, { query }))).toEqual(['UNAUTHENTICATED']);
      expect(codesOf(await gql(SEARCH, { query }, { token: onboarding }))).toEqual(['CONSENT_REQUIRED']);
      expect(codesOf(await gql(SEARCH, { query }, { apiKey: writer }))).toEqual(['FORBIDDEN']);
    });

    it('refuses empty, blank and over-long queries and out-of-range first/minScore with BAD_USER_INPUT', async () => {
      for (const variables of [
        { query: '' },
        { query: '   \n ' },
        { query: 'x'.repeat(501) },
        { query: 'ok', first: 0 },
        { query: 'ok', first: 21 },
        { query: 'ok', minScore: 1.5 },
        { query: 'ok', minScore: -0.1 },
      ]) {
        expect(codesOf(await search(teen, variables)), JSON.stringify(variables).slice(0, 60)).toEqual(['BAD_USER_INPUT']);
      }
      // A top-level argument is named as it is, not as a field of an `input` it does not have.
      const tooMany = await search(teen, { query: 'ok', first: 21 });
      expect((tooMany.errors![0].extensions!.issues as { path: string }[]).map((i) => i.path)).toEqual(['first']);
      // 500 characters after trimming is fine.
      expect((await search(teen, { query: `  ${'harcèlement '.repeat(50).slice(0, 500)}  ` })).errors).toBeUndefined();
      // Nothing to search for (punctuation only): no results, no error.
      expect((await search(teen, { query: '?!…' })).data!.searchDocuments).toEqual([]);
    });

    it('stops returning a deleted document', async () => {
      const input = { collection: 'YOUTH', source: 'youth/tmp.md', title: 'Éphémère', language: 'fr', content: '# Zygomatique\n\nLe mot zygomatique est rare.' };
      const id = (await gql(INGEST, { input }, { apiKey: writer })).data.ingestDocument.document.id;
      expect((await search(teen, { query: 'zygomatique' })).data!.searchDocuments[0].document.id).toBe(id);
      await gql(DELETE, { id }, { apiKey: writer });
      const after = (await search(teen, { query: 'zygomatique' })).data!.searchDocuments;
      expect(after.some((x) => x.document.id === id)).toBe(false);
    });
  });

  describe('Document node visibility', () => {
    const NODE = `query($id: ID!) { node(id: $id) { __typename ... on Document { title metadata } } }`;

    it('teenagers see YOUTH documents, parents both collections, operators with documents:write all', async () => {
      const youth = ids.get('youth/moqueries.md');
      const adult = ids.get('adult/signes.md');
      expect((await gql(NODE, { id: youth }, { token: teen })).data.node).toMatchObject({ __typename: 'Document', title: 'Moqueries sur le physique', metadata: {} });
      const hidden = await gql(NODE, { id: adult }, { token: teen });
      expect(codesOf(hidden)).toEqual(['NOT_FOUND']);
      expect((await gql(NODE, { id: adult }, { token: parent })).data.node.title).toBe('Repérer les signes du harcèlement');
      expect((await gql(NODE, { id: youth }, { token: parent })).data.node.title).toBe('Moqueries sur le physique');
      expect((await gql(NODE, { id: adult }, { apiKey: writer })).data.node.title).toBe('Repérer les signes du harcèlement');
      expect(codesOf(await gql(NODE, { id: adult }, { apiKey: reader }))).toEqual(['NOT_FOUND']);
      expect(codesOf(await gql(NODE, { id: youth }, { token: onboarding }))).toEqual(['NOT_FOUND']);
      // Lookups by id need a caller (Query.node declares `authenticated`): anonymous is told to sign in, whatever the id.
      expect(codesOf(await gql(NODE, { id: youth }))).toEqual(['UNAUTHENTICATED']);
    });
  });
});
