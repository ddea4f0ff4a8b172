import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { createTestDatabase, type TestDatabase } from './helpers/db.ts';
import { dbKind } from './helpers/env.ts';
import { countSql } from '../src/db/instrument.ts';
import type { Embedder } from '../src/search/embedder.ts';
import { HashEmbedder } from '../src/search/hash-embedder.ts';
import { CachedEmbedder, embeddingCacheKey } from '../src/search/embedding-cache.ts';
import { chunkText } from '../src/search/chunker.ts';
import { deleteDocument, ingestDocument, ingestPath, IngestError, sha256, type DocumentInput } from '../src/search/ingest.ts';
import { cosineSimilarity, parseVector, toVectorLiteral } from '../src/search/vector.ts';

/** Counts what reaches the provider, under the cache. */
class CountingEmbedder implements Embedder {
  calls = 0;
  texts: string[] = [];
  constructor(readonly inner: Embedder = new HashEmbedder()) {}
  get model() {
    return this.inner.model;
  }
  get dimensions() {
    return this.inner.dimensions;
  }
  async embed(texts: string[]) {
    this.calls++;
    this.texts.push(...texts);
    return this.inner.embed(texts);
  }
  reset() {
    this.calls = 0;
    this.texts = [];
  }
}

const TOPICS: Record<string, string[]> = {
  gaming: ['joueur', 'partie', 'micro', 'chat vocal', 'manette', 'pseudo', 'serveur', 'équipe', 'classement', 'console'],
  sleep: ['sommeil', 'nuit', 'écran', 'téléphone', 'réveil', 'fatigue', 'chambre', 'lumière bleue', 'sieste', 'rêve'],
  password: ['mot de passe', 'compte', 'connexion', 'code secret', 'authentification', 'phrase de passe', 'pirate', 'sécurité', 'gestionnaire', 'caractères'],
  breathing: ['respiration', 'souffle', 'inspirer', 'expirer', 'calme', 'poumons', 'compter', 'ventre', 'détente', 'pause'],
  rumours: ['rumeur', 'mensonge', 'réputation', 'bruit qui court', 'couloir', 'histoire inventée', 'démentir', 'vérité', 'confiance', 'répéter'],
};
const FILLER = ['parfois', 'vraiment', 'souvent', 'chaque', 'avec', 'pendant', 'toujours', 'aussi', 'encore', 'ensemble'];

function rng(seed: number) {
  return () => ((seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0) / 2 ** 32);
}

/** A Markdown document about one topic: a title, sections of several paragraphs. */
function topicDocument(topic: string, seed: number, sections = 4): string {
  const r = rng(seed);
  const words = TOPICS[topic];
  const pick = (list: string[]) => list[Math.floor(r() * list.length)];
  const sentence = () => {
    const parts = Array.from({ length: 8 + Math.floor(r() * 8) }, () => (r() < 0.5 ? pick(words) : pick(FILLER)));
    return `${parts.join(' ').replace(/^./, (c) => c.toUpperCase())}.`;
  };
  const out = [`# ${topic} (${seed})`, ''];
  for (let s = 1; s <= sections; s++) {
    out.push(`## Partie ${s}`, '');
    for (let p = 0; p < 3; p++) out.push(Array.from({ length: 3 + Math.floor(r() * 3) }, sentence).join(' '), '');
  }
  return out.join('\n');
}

const doc = (source: string, content: string, extra: Partial<DocumentInput> = {}): DocumentInput => ({
  collection: 'YOUTH',
  title: `Titre de ${source}`,
  source,
  language: 'fr',
  content,
  metadata: { tags: ['test'] },
  ...extra,
});

interface ChunkRow {
  id: string;
  ordinal: number;
  content: string;
  content_hash: string;
  embedding: string;
}

describe(`search ingest (${dbKind})`, () => {
  let db: TestDatabase;
  const provider = new CountingEmbedder();
  let embedder: CachedEmbedder;

  const chunksOf = (documentId: string) =>
    db.prisma.$queryRaw<ChunkRow[]>`
      SELECT id::text AS id, ordinal, content, content_hash, embedding::text AS embedding
      FROM rag.document_chunk WHERE document_id = ${documentId}::uuid ORDER BY ordinal`;

  beforeAll(async () => {
    db = await createTestDatabase();
    embedder = new CachedEmbedder(db.prisma, provider);
  });
  afterAll(() => db?.destroy());

  it('ingests a document: a document row and its chunks, with 384-dimensional embeddings, in one provider call', async () => {
    const content = topicDocument('gaming', 1);
    provider.reset();
    const result = await ingestDocument(db.prisma, embedder, doc('gaming.md', content));
    const expected = chunkText(content);
    expect(expected.length).toBeGreaterThan(3);
    expect(result).toMatchObject({ status: 'created', chunksEmbedded: expected.length, chunksKept: 0, chunksDeleted: 0 });
    expect(provider.calls).toBe(1);

    const stored = await db.prisma.document.findUniqueOrThrow({ where: { id: result.document.id } });
    expect(stored).toMatchObject({ collection: 'YOUTH', source: 'gaming.md', language: 'fr', title: 'Titre de gaming.md', contentHash: sha256(content) });
    expect(stored.metadata).toMatchObject({ tags: ['test'], _ingest: { embeddingModel: 'hash-v2-384' } });

    const rows = await chunksOf(result.document.id);
    expect(rows.map((r) => r.ordinal)).toEqual(expected.map((_, i) => i));
    expect(rows.map((r) => r.content)).toEqual(expected);
    expect(rows.map((r) => r.content_hash)).toEqual(expected.map(sha256));
    const hash = new HashEmbedder();
    for (const row of rows) {
      const v = parseVector(row.embedding);
      expect(v).toHaveLength(384);
      // Stored as float4: equal to the embedder's output up to rounding.
      expect(cosineSimilarity(v, hash.embedOne(row.content))).toBeGreaterThan(0.99999);
    }
    const cached = await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM cache.embedding_cache WHERE key = ANY($1::text[])`, [
      expected.map((t) => embeddingCacheKey('hash-v2-384', t)),
    ]);
    expect(cached[0].n).toBe(expected.length);
  });

  it('re-ingesting an unchanged document embeds nothing and writes nothing', async () => {
    const content = topicDocument('gaming', 1);
    const before = await db.prisma.document.findUniqueOrThrow({ where: { collection_source: { collection: 'YOUTH', source: 'gaming.md' } } });
    provider.reset();
    const { result, counter } = await countSql(() => ingestDocument(db.prisma, embedder, doc('gaming.md', content)), true);
    expect(result.status).toBe('unchanged');
    expect(result).toMatchObject({ chunksEmbedded: 0, chunksKept: 0, chunksDeleted: 0 });
    expect(provider.calls).toBe(0);
    expect(counter.log!.length).toBeGreaterThan(0);
    for (const sql of counter.log!) expect(sql.trim()).toMatch(/^SELECT/i);
    const after = await db.prisma.document.findUniqueOrThrow({ where: { id: before.id } });
    expect(after.updatedAt).toEqual(before.updatedAt);
  });

  it('after an edit, embeds only the changed chunks, keeps the others in place and deletes the vanished ones', async () => {
    const original = topicDocument('sleep', 2);
    const first = await ingestDocument(db.prisma, embedder, doc('sleep.md', original));
    const oldRows = await chunksOf(first.document.id);

    // One paragraph rewritten, in the third section.
    const paragraphs = original.split('\n\n');
    const target = paragraphs.findIndex((p, i) => i > 0 && p.startsWith('##') && p.includes('Partie 3')) + 1;
    paragraphs[target] = 'Un paragraphe entièrement réécrit sur le sommeil : se coucher à heure fixe, poser le téléphone hors de la chambre.';
    const edited = paragraphs.join('\n\n');
    const oldTexts = new Set(chunkText(original));
    const newTexts = chunkText(edited);
    const changed = newTexts.filter((t) => !oldTexts.has(t));
    expect(changed.length).toBeGreaterThan(0);
    expect(changed.length).toBeLessThan(newTexts.length / 2);

    provider.reset();
    const second = await ingestDocument(db.prisma, embedder, doc('sleep.md', edited));
    expect(second.status).toBe('updated');
    expect(second.document.id).toBe(first.document.id);
    expect(provider.calls).toBe(1);
    expect(provider.texts).toEqual(changed);
    expect(second.chunksEmbedded).toBe(changed.length);
    expect(second.chunksKept).toBe(newTexts.length - changed.length);
    expect(second.chunksDeleted).toBe(oldRows.length - second.chunksKept);

    const rows = await chunksOf(first.document.id);
    expect(rows.map((r) => r.content)).toEqual(newTexts);
    // Unchanged chunks are the very same rows: their embeddings were not rewritten.
    const oldIdByText = new Map(oldRows.map((r) => [r.content, r.id]));
    for (const row of rows) if (oldTexts.has(row.content)) expect(row.id).toBe(oldIdByText.get(row.content));
    const gone = oldRows.filter((r) => !newTexts.includes(r.content)).map((r) => r.id);
    expect(gone.length).toBe(second.chunksDeleted);
    expect(await db.query(`SELECT 1 FROM rag.document_chunk WHERE id = ANY($1::uuid[])`, [gone])).toEqual([]);
  });

  it('reuses a stored embedding when its chunk moved, and deletes the chunks of a removed section', async () => {
    const original = topicDocument('password', 3, 5);
    const first = await ingestDocument(db.prisma, embedder, doc('password.md', original));
    const oldRows = await chunksOf(first.document.id);

    // A new first section shifts every ordinal; the last section disappears.
    const sections = original.split(/\n(?=## )/);
    const edited = [sections[0], '## Avant-propos\n\nUne courte introduction sur les mots de passe.\n', ...sections.slice(1, -1)].join('\n');
    const newTexts = chunkText(edited);
    const oldTexts = new Set(oldRows.map((r) => r.content));
    const reused = newTexts.filter((t) => oldTexts.has(t));
    expect(reused.length).toBeGreaterThan(2);

    provider.reset();
    const second = await ingestDocument(db.prisma, embedder, doc('password.md', edited));
    expect(provider.texts).toEqual(newTexts.filter((t) => !oldTexts.has(t)));
    expect(second.chunksKept).toBe(reused.length);
    expect(second.chunksDeleted).toBe(oldRows.length - reused.length);

    const rows = await chunksOf(first.document.id);
    expect(rows.map((r) => r.content)).toEqual(newTexts);
    expect(rows.map((r) => r.ordinal)).toEqual(newTexts.map((_, i) => i));
    const oldByText = new Map(oldRows.map((r) => [r.content, r]));
    for (const row of rows.filter((r) => oldTexts.has(r.content))) {
      expect(row.id).toBe(oldByText.get(row.content)!.id);
      expect(row.embedding).toBe(oldByText.get(row.content)!.embedding);
    }
  });

  it('updates title and metadata alone without touching chunks', async () => {
    const content = topicDocument('gaming', 1);
    const before = await db.prisma.document.findUniqueOrThrow({ where: { collection_source: { collection: 'YOUTH', source: 'gaming.md' } } });
    const rowsBefore = await chunksOf(before.id);
    provider.reset();
    const result = await ingestDocument(db.prisma, embedder, doc('gaming.md', content, { title: 'Nouveau titre', metadata: { tags: ['autre'] } }));
    expect(result).toMatchObject({ status: 'updated', chunksEmbedded: 0, chunksKept: rowsBefore.length, chunksDeleted: 0 });
    expect(result.document.title).toBe('Nouveau titre');
    expect(provider.calls).toBe(0);
    expect(await chunksOf(before.id)).toEqual(rowsBefore);
  });

  it('level-1 cache: a second document sharing paragraphs sends only its new chunks to the provider', async () => {
    const shared = topicDocument('breathing', 4);
    await ingestDocument(db.prisma, embedder, doc('breathing-a.md', shared));
    const copy = `${shared}\n## En plus\n\nUne section qui n'existe que dans la copie, sur la respiration du carré.\n`;
    const known = new Set(chunkText(shared));
    const fresh = chunkText(copy).filter((t) => !known.has(t));
    expect(fresh.length).toBeLessThan(chunkText(copy).length);

    provider.reset();
    const hitsBefore = embedder.stats.hits;
    const result = await ingestDocument(db.prisma, embedder, doc('breathing-b.md', copy));
    expect(result.chunksEmbedded).toBe(chunkText(copy).length); // all new rows for this document...
    expect(provider.texts).toEqual(fresh); // ...but only the new texts reached the provider
    expect(embedder.stats.hits - hitsBefore).toBe(chunkText(copy).length - fresh.length);
  });

  it('re-embeds everything when the embedding model changes', async () => {
    const content = topicDocument('rumours', 5);
    const first = await ingestDocument(db.prisma, embedder, doc('rumours.md', content));
    const other = new CountingEmbedder(new HashEmbedder({ weights: { words: 1, bigrams: 0, trigrams: 1 } }));
    const second = await ingestDocument(db.prisma, other, doc('rumours.md', content));
    expect(other.model).not.toBe(provider.model);
    expect(second).toMatchObject({ status: 'updated', chunksEmbedded: chunkText(content).length, chunksKept: 0 });
    expect(second.chunksDeleted).toBe(first.chunksEmbedded);
    expect(other.texts).toEqual(chunkText(content));
    // Back to the first model: every chunk again (nothing of the other model's space is reused).
    const third = await ingestDocument(db.prisma, embedder, doc('rumours.md', content));
    expect(third.chunksKept).toBe(0);
  });

  it('two concurrent ingests of one source end consistent', async () => {
    const a = topicDocument('gaming', 11);
    const b = topicDocument('sleep', 12);
    const results = await Promise.all([
      ingestDocument(db.prisma, embedder, doc('race.md', a)),
      ingestDocument(db.prisma, embedder, doc('race.md', b)),
    ]);
    expect(new Set(results.map((r) => r.document.id)).size).toBe(1);
    const stored = await db.prisma.document.findUniqueOrThrow({ where: { id: results[0].document.id } });
    const winner = stored.contentHash === sha256(a) ? a : b;
    expect(stored.contentHash).toBe(sha256(winner));
    expect((await chunksOf(stored.id)).map((r) => r.content)).toEqual(chunkText(winner));
  });

  it('handles an empty document and repeated identical chunks', async () => {
    provider.reset();
    const empty = await ingestDocument(db.prisma, embedder, doc('empty.md', ''));
    expect(empty).toMatchObject({ status: 'created', chunksEmbedded: 0 });
    expect(provider.calls).toBe(0);

    const twice = '## Rappel\n\nTu peux toujours en parler à un adulte de confiance.\n\n## Rappel\n\nTu peux toujours en parler à un adulte de confiance.\n';
    const first = await ingestDocument(db.prisma, embedder, doc('twice.md', twice));
    expect(first.chunksEmbedded).toBe(2);
    expect(provider.texts).toHaveLength(1); // one text, embedded once
    provider.reset();
    const shifted = await ingestDocument(db.prisma, embedder, doc('twice.md', `## Nouveau\n\nUne section de plus en tête.\n\n${twice}`));
    expect(shifted).toMatchObject({ chunksEmbedded: 1, chunksKept: 2, chunksDeleted: 0 });
    expect((await chunksOf(first.document.id)).map((r) => r.content)).toEqual(chunkText(`## Nouveau\n\nUne section de plus en tête.\n\n${twice}`));
  });

  it('refuses an embedder whose vectors do not fit the column, and bad input', async () => {
    const small = new HashEmbedder({ dimensions: 64 });
    await expect(ingestDocument(db.prisma, small, doc('x.md', 'texte'))).rejects.toThrow(/vector\(384\)/);
    await expect(ingestDocument(db.prisma, embedder, doc('x.md', 'texte', { language: 'fra' }))).rejects.toThrow(IngestError);
    await expect(ingestDocument(db.prisma, embedder, doc('x.md', 'texte', { collection: 'KIDS' as never }))).rejects.toThrow(/YOUTH or ADULT/);
  });

  it('deleteDocument removes the document and its chunks', async () => {
    const result = await ingestDocument(db.prisma, embedder, doc('to-delete.md', topicDocument('sleep', 9)));
    expect(await deleteDocument(db.prisma, result.document.id)).toBe(true);
    expect(await chunksOf(result.document.id)).toEqual([]);
    expect(await db.prisma.document.findUnique({ where: { id: result.document.id } })).toBeNull();
    expect(await deleteDocument(db.prisma, result.document.id)).toBe(false);
  });

  describe('ingestPath', () => {
    let dir: string;
    beforeAll(async () => {
      dir = await mkdtemp(path.join(os.tmpdir(), 'ingest-path-'));
      await mkdir(path.join(dir, 'youth', 'nested'), { recursive: true });
      await mkdir(path.join(dir, 'adult'));
      await mkdir(path.join(dir, '.hidden'));
      await writeFile(
        path.join(dir, 'youth', 'a.md'),
        `---\ntitle: Le chat vocal\nlanguage: fr\ncollection: YOUTH\ntags: [jeux, insultes]\naudience: 10-13\n---\n${topicDocument('gaming', 21)}`,
      );
      await writeFile(path.join(dir, 'youth', 'nested', 'b.markdown'), `---\nlanguage: fr\ncollection: youth\n---\n# Bien dormir\n\n${topicDocument('sleep', 22)}`);
      await writeFile(path.join(dir, 'adult', 'c.txt'), 'Plain text about passwords and accounts.\n\nKeep a password manager.');
      await writeFile(path.join(dir, '.hidden', 'skipped.md'), '---\ncollection: YOUTH\nlanguage: fr\n---\nhidden');
      await writeFile(path.join(dir, 'youth', 'notes.json'), '{}');
    });
    afterAll(() => rm(dir, { recursive: true, force: true }));

    it('fails clearly, before writing anything, when a file has no collection or language', async () => {
      const before = await db.prisma.document.count();
      await expect(ingestPath(db.prisma, embedder, dir)).rejects.toThrow(/adult\/c\.txt: no collection/);
      await expect(ingestPath(db.prisma, embedder, dir, { collection: 'ADULT' })).rejects.toThrow(/adult\/c\.txt: no language/);
      await expect(ingestPath(db.prisma, embedder, path.join(dir, 'missing'))).rejects.toThrow(/no such file or folder/);
      expect(await db.prisma.document.count()).toBe(before);
    });

    it('ingests a folder recursively, front matter first, options as fallback', async () => {
      const progress: string[] = [];
      const totals = await ingestPath(db.prisma, embedder, dir, {
        collection: 'ADULT',
        language: 'en',
        onProgress: (p) => progress.push(`${p.done}/${p.total} ${p.source} ${p.result.status}`),
      });
      expect(totals).toMatchObject({ files: 3, created: 3, updated: 0, unchanged: 0 });
      expect(progress).toEqual(['1/3 adult/c.txt created', '2/3 youth/a.md created', '3/3 youth/nested/b.markdown created']);

      const docs = await db.prisma.document.findMany({ where: { source: { in: ['youth/a.md', 'youth/nested/b.markdown', 'adult/c.txt'] } }, orderBy: { source: 'asc' } });
      expect(docs.map((d) => [d.source, d.collection, d.language, d.title])).toEqual([
        ['adult/c.txt', 'ADULT', 'en', 'c'],
        ['youth/a.md', 'YOUTH', 'fr', 'Le chat vocal'],
        ['youth/nested/b.markdown', 'YOUTH', 'fr', 'Bien dormir'],
      ]);
      expect(docs[1].metadata).toMatchObject({ tags: ['jeux', 'insultes'], audience: '10-13' });
      const a = await chunksOf(docs[1].id);
      expect(a.map((r) => r.content)).toEqual(chunkText(topicDocument('gaming', 21)));
      expect(a.some((r) => r.content.includes('title:'))).toBe(false);
    });

    it('a second run finds everything unchanged; a single file keeps its source given the same root', async () => {
      provider.reset();
      const totals = await ingestPath(db.prisma, embedder, dir, { collection: 'ADULT', language: 'en' });
      expect(totals).toMatchObject({ files: 3, created: 0, updated: 0, unchanged: 3, chunksEmbedded: 0 });
      const single = await ingestPath(db.prisma, embedder, path.join(dir, 'youth', 'a.md'), { root: dir });
      expect(single).toMatchObject({ files: 1, unchanged: 1 });
      expect(provider.calls).toBe(0);
    });
  });

  describe('nearest-neighbour query', () => {
    const sources = Object.keys(TOPICS).map((t) => `nn/${t}.md`);
    beforeAll(async () => {
      for (const [i, topic] of Object.keys(TOPICS).entries()) {
        await ingestDocument(db.prisma, embedder, doc(`nn/${topic}.md`, topicDocument(topic, 100 + i), { collection: 'ADULT' }));
      }
    });

    it('ORDER BY embedding <=> query returns the right document first', async () => {
      const hash = new HashEmbedder();
      for (const [i, topic] of Object.keys(TOPICS).entries()) {
        // A query taken from the document's own text: its fifth sentence.
        const query = topicDocument(topic, 100 + i).split(/(?<=\.)\s+/)[4];
        const q = toVectorLiteral(hash.embedOne(query));
        const rows = await db.prisma.$queryRaw<{ source: string; distance: number }[]>`
          SELECT d.source, c.embedding <=> ${q}::vector AS distance
          FROM rag.document_chunk c JOIN rag.document d ON d.id = c.document_id
          WHERE d.collection = 'ADULT' AND d.source = ANY(${sources}::text[])
          ORDER BY c.embedding <=> ${q}::vector
          LIMIT 5`;
        expect(rows[0].source, `query "${query}"`).toBe(`nn/${topic}.md`);
        expect(rows.map((r) => Number(r.distance))).toEqual([...rows.map((r) => Number(r.distance))].sort((x, y) => x - y));
      }
    });

    it('the HNSW index can serve the ordering', async () => {
      const q = toVectorLiteral(new HashEmbedder().embedOne('respiration calme'));
      const session = await db.session();
      try {
        await session.exec('BEGIN');
        // Few rows: the planner would rightly scan; forbid that to see that the index applies.
        await session.exec('SET LOCAL enable_seqscan = off');
        const plan = await session.query<Record<string, string>>(
          `EXPLAIN SELECT id FROM rag.document_chunk ORDER BY embedding <=> '${q}'::vector LIMIT 5`,
        );
        expect(plan.map((r) => Object.values(r)[0]).join('\n')).toMatch(/document_chunk_embedding_hnsw_idx/);
      } finally {
        await session.exec('ROLLBACK');
        await session.release();
      }
    });
  });
});
