// npm run bench:search [-- --chunks 100000 --queries 200 --ef-search 40,100,200]
// npm run bench:search -- --relevance [--before <git revision>]   (relevance-main.ts)
//
// Document search on a synthetic knowledge base, in a fresh database (a new database on
// DATABASE_URL's server, else embedded PGlite in a temporary folder). Prints, not a test:
// - ingest rate through the real pipeline (chunker, hash embedder, level-1 cache, one transaction
//   per document), bulk (HNSW index dropped, then built once) and incremental (index in place);
// - p50/p95 latency of SearchService.search (level-1 lookup + search) for VECTOR and HYBRID, the
//   level-2 cache disabled, collection-filtered (half the chunks are YOUTH, half ADULT), top 10;
// - recall@10 of the HNSW search against an exact scan, per hnsw.ef_search;
// - the latency of a level-2 cache hit;
// - whether the plans use the HNSW and full-text indexes.
import { parseArgs } from 'node:util';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { openDatabase, type Database } from '../../src/db/database.ts';
import { applyMigrations } from '../../src/db/migrate/runner.ts';
import { Prisma } from '../../src/generated/prisma/client.ts';
import { HashEmbedder } from '../../src/search/hash-embedder.ts';
import { CachedEmbedder } from '../../src/search/embedding-cache.ts';
import { ingestDocument } from '../../src/search/ingest.ts';
import { buildHnswIndex, HNSW_INDEX } from '../../src/search/reembed.ts';
import { searchChunks, searchStatement, type SearchMode, type SearchParams } from '../../src/search/search.ts';
import { SearchService } from '../../src/search/service.ts';
import { fullTextTerms } from '../../src/search/query-text.ts';
import { relevanceBenchmark } from './relevance-main.ts';

const { values } = parseArgs({
  options: {
    chunks: { type: 'string', default: '100000' },
    queries: { type: 'string', default: '200' },
    'ef-search': { type: 'string', default: '40,100,200' },
    'chunks-per-document': { type: 'string', default: '10' },
    /** Also print EXPLAIN ANALYZE of one VECTOR and one HYBRID search. */
    explain: { type: 'boolean', default: false },
    /** Keep the PostgreSQL database (its name is printed) instead of dropping it. */
    keep: { type: 'boolean', default: false },
    /** Instead: hit@1, hit@5 and MRR on the demo knowledge base's labelled questions. */
    relevance: { type: 'boolean', default: false },
    /** With --relevance: also measure this git revision, first. */
    before: { type: 'string' },
  },
});
const N = Number(values.chunks);
const Q = Number(values.queries);
const EF = values['ef-search'].split(',').map(Number);
const PER_DOC = Number(values['chunks-per-document']);
if (![N, Q, PER_DOC, ...EF].every((x) => Number.isInteger(x) && x > 0)) throw new Error('--chunks, --queries, --chunks-per-document and --ef-search take positive integers');

// ---------------------------------------------------------------- synthetic corpus

function rng(seed: number) {
  return () => ((seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0) / 2 ** 32);
}
const random = rng(42);
const pick = <T>(list: readonly T[]) => list[Math.floor(random() * list.length)];

const SYLLABLES = ['ba', 'bo', 'ca', 'ce', 'di', 'do', 'fa', 'fi', 'ga', 'gu', 'la', 'le', 'li', 'lo', 'ma', 'me', 'mi', 'mo', 'na', 'ne', 'ni', 'no', 'pa', 'pe', 'po', 'ra', 're', 'ri', 'ro', 'sa', 'se', 'si', 'so', 'ta', 'te', 'ti', 'to', 'va', 've', 'vi', 'za', 'zo', 'ché', 'gné', 'lè', 'rê'];
const word = () => Array.from({ length: 2 + Math.floor(random() * 3) }, () => pick(SYLLABLES)).join('');
const VOCABULARY = [...new Set(Array.from({ length: 12_000 }, word))].slice(0, 10_000);
/** Common words, Zipf-like: word i drawn with weight 1/(i+1). */
const COMMON = VOCABULARY.slice(0, 2_000);
const zipfCdf = (() => {
  const w = COMMON.map((_, i) => 1 / (i + 1));
  const total = w.reduce((a, b) => a + b, 0);
  let acc = 0;
  return w.map((x) => (acc += x / total));
})();
function commonWord() {
  const r = random();
  let lo = 0;
  let hi = zipfCdf.length - 1;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (zipfCdf[mid] < r) lo = mid + 1;
    else hi = mid;
  }
  return COMMON[lo];
}
// Structure like a real knowledge base: documents share a topic's words, each document has its
// own words, each chunk a few of its own; the rest is common words. A question names a chunk by
// two of its own words, a word of its document and one of its topic.
const TOPIC_COUNT = Math.max(50, Math.round(N / 200));
const RARE = VOCABULARY.slice(2_000);
const TOPICS = Array.from({ length: TOPIC_COUNT }, () => Array.from({ length: 40 }, () => pick(RARE)));
const wordsOf = (seed: number, count: number) => {
  const r = rng(seed);
  return Array.from({ length: count }, () => RARE[Math.floor(r() * RARE.length)]);
};
const docWords = (d: number) => wordsOf(1_000_003 * (d + 1), 12);
const chunkWords = (d: number, s: number) => wordsOf(7_919 * (d + 1) + 104_729 * (s + 1), 6);

function paragraph(topic: string[], own: string[], mine: string[], words = 100) {
  const out: string[] = [];
  for (let i = 0; i < words; i++) {
    const r = random();
    out.push(r < 0.25 ? pick(topic) : r < 0.45 ? pick(own) : r < 0.55 ? pick(mine) : commonWord());
  }
  const sentences: string[] = [];
  for (let i = 0; i < out.length; i += 14) sentences.push(`${out.slice(i, i + 14).join(' ').replace(/^./, (c) => c.toUpperCase())}.`);
  return sentences.join(' ');
}

function document(d: number) {
  const topic = TOPICS[d % TOPIC_COUNT];
  const own = docWords(d);
  const sections = Array.from({ length: PER_DOC }, (_, s) => `## Partie ${s + 1}\n\n${paragraph(topic, own, chunkWords(d, s))}`);
  return {
    collection: d % 2 === 0 ? ('YOUTH' as const) : ('ADULT' as const),
    source: `synthetic/${d}.md`,
    title: `Document ${d}`,
    language: 'fr',
    content: `# Document ${d}\n\n${sections.join('\n\n')}`,
  };
}

/** Questions about YOUTH chunks (even documents), with the document and section they were made from. */
function queries(count: number, documents: number) {
  return Array.from({ length: count }, () => {
    const d = 2 * Math.floor(random() * Math.ceil(documents / 2));
    const s = Math.floor(random() * PER_DOC);
    const mine = chunkWords(d, s);
    const words = [pick(mine), pick(mine), pick(docWords(d)), pick(TOPICS[d % TOPIC_COUNT])];
    if (random() < 0.5) words.push(commonWord());
    return { text: words.join(' '), source: `synthetic/${d}.md`, heading: `## Partie ${s + 1}` };
  });
}

// ---------------------------------------------------------------- measuring

const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
function summary(samples: number[]) {
  const s = [...samples].sort((a, b) => a - b);
  return { p50: percentile(s, 50), p95: percentile(s, 95), mean: s.reduce((a, b) => a + b, 0) / s.length };
}
const ms = (x: number) => x.toFixed(x < 10 ? 2 : 1);

async function time<T>(fn: () => Promise<T>): Promise<[T, number]> {
  const t = performance.now();
  const r = await fn();
  return [r, performance.now() - t];
}

async function openBenchDatabase(): Promise<{ db: Database; label: string; cleanup: () => Promise<void> }> {
  const serverUrl = process.env.DATABASE_URL;
  if (serverUrl) {
    const name = `bench_search_${Date.now()}`;
    const admin = new pg.Client({ connectionString: serverUrl });
    await admin.connect();
    await admin.query(`CREATE DATABASE ${name}`);
    await admin.end();
    const u = new URL(serverUrl);
    u.pathname = `/${name}`;
    const db = await openDatabase({ kind: 'postgres', url: u.toString(), poolMax: 4, poolTimeoutMs: 30_000, statementTimeoutMs: 0 });
    return {
      db,
      label: 'PostgreSQL server',
      async cleanup() {
        await db.close();
        if (values.keep) return void console.error(`kept database ${name}`);
        const c = new pg.Client({ connectionString: serverUrl });
        await c.connect();
        await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
        await c.end();
      },
    };
  }
  const dir = await mkdtemp(path.join(os.tmpdir(), 'bench-search-pglite-'));
  const db = await openDatabase({ kind: 'pglite', dataDir: dir });
  return {
    db,
    label: 'embedded PGlite (data folder on disk)',
    async cleanup() {
      await db.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

async function main() {
  if (values.relevance) return relevanceBenchmark(values.before, (line = '') => console.log(line));
  const started = performance.now();
  const { db, label, cleanup } = await openBenchDatabase();
  const prisma = db.prisma;
  const out = (line = '') => console.log(line);
  try {
    await applyMigrations(db);
    const [versions] = await prisma.$queryRaw<{ pg: string; vector: string }[]>`
      SELECT current_setting('server_version') AS pg, (SELECT extversion FROM pg_extension WHERE extname = 'vector') AS vector`;
    const embedder = new CachedEmbedder(prisma, new HashEmbedder());
    const documents = Math.ceil(N / PER_DOC);

    // 1. Bulk ingest without the HNSW index, then one index build.
    await prisma.$executeRawUnsafe(`DROP INDEX IF EXISTS ${HNSW_INDEX}`);
    let chunks = 0;
    let lastReport = performance.now();
    const [, bulkMs] = await time(async () => {
      for (let d = 0; d < documents; d++) {
        chunks += (await ingestDocument(prisma, embedder, document(d))).chunksEmbedded;
        if (performance.now() - lastReport > 15_000) {
          lastReport = performance.now();
          process.stderr.write(`  loaded ${chunks} chunks...\n`);
        }
      }
    });
    const [, indexMs] = await time(() => buildHnswIndex(prisma));
    // 2. Incremental ingest with the index in place.
    const extraDocs = Math.max(10, Math.min(200, Math.round(documents / 50)));
    let extraChunks = 0;
    const [, incrementalMs] = await time(async () => {
      for (let d = documents; d < documents + extraDocs; d++) extraChunks += (await ingestDocument(prisma, embedder, document(d))).chunksEmbedded;
    });
    await prisma.$executeRawUnsafe('ANALYZE rag.document_chunk');
    await prisma.$executeRawUnsafe('ANALYZE rag.document');
    const [{ total }] = await prisma.$queryRaw<{ total: number }[]>`SELECT count(*)::int AS total FROM rag.document_chunk`;

    out(`### ${label}: ${total.toLocaleString('en')} chunks`);
    out();
    out(`PostgreSQL ${versions.pg}, pgvector ${versions.vector}; node ${process.version}, ${os.cpus().length} cores (${os.cpus()[0]?.model.trim()}); load average ${os.loadavg().map((l) => l.toFixed(1)).join(' / ')} (1/5/15 min) at the end of ingest; hash embedder (384 dimensions); ${TOPIC_COUNT} topics, ${documents.toLocaleString('en')} documents of ${PER_DOC} chunks, half YOUTH, half ADULT`);
    out();
    out('| ingest | chunks | seconds | chunks/s |');
    out('|---|---|---|---|');
    out(`| bulk, HNSW index dropped (chunk, embed, level-1 cache, insert) | ${chunks.toLocaleString('en')} | ${(bulkMs / 1000).toFixed(1)} | ${Math.round(chunks / (bulkMs / 1000))} |`);
    out(`| HNSW index build (m 16, ef_construction 64, maintenance_work_mem 512MB) | ${chunks.toLocaleString('en')} | ${(indexMs / 1000).toFixed(1)} | ${Math.round(chunks / (indexMs / 1000))} |`);
    out(`| incremental, index in place | ${extraChunks.toLocaleString('en')} | ${(incrementalMs / 1000).toFixed(1)} | ${Math.round(extraChunks / (incrementalMs / 1000))} |`);
    out();
    // On-disk sizes per chunk (docs/scaling.md sizes pgvector's memory from them): the HNSW
    // index wants to stay in shared_buffers / the page cache, the heap and GIN less so.
    const [sizes] = await prisma.$queryRaw<{ hnsw: bigint; heap: bigint; fts: bigint }[]>`
      SELECT pg_relation_size(${HNSW_INDEX}::regclass) AS hnsw,
             pg_table_size('rag.document_chunk'::regclass) AS heap,
             pg_relation_size('rag.document_chunk_content_fts_idx'::regclass) AS fts`;
    const perChunk = (bytes: bigint) => Math.round(Number(bytes) / total);
    const perMillion = (bytes: bigint) => ((Number(bytes) / total) * 1e6 / 2 ** 30).toFixed(2);
    out('| on disk | bytes / chunk | GiB / million chunks |');
    out('|---|---|---|');
    out(`| HNSW index (${db.kind === 'pglite' ? 'PGlite' : 'PostgreSQL'}) | ${perChunk(sizes.hnsw)} | ${perMillion(sizes.hnsw)} |`);
    out(`| chunk table with TOAST (text, 384-d vector, tsvector) | ${perChunk(sizes.heap)} | ${perMillion(sizes.heap)} |`);
    out(`| full-text GIN index | ${perChunk(sizes.fts)} | ${perMillion(sizes.fts)} |`);
    out();

    // 3. Latency. Query embeddings are cached (level 1) during a warm-up, as repeated traffic would.
    const asked = queries(Q, documents);
    const texts = asked.map((q) => q.text);
    // The chunk(s) of the section each question was made from.
    const expected: Set<string>[] = [];
    for (const q of asked) {
      const rows = await prisma.$queryRaw<{ id: string }[]>`
        SELECT c.id::text AS id FROM rag.document_chunk c JOIN rag.document d ON d.id = c.document_id
        WHERE d.source = ${q.source} AND starts_with(c.content, ${`${q.heading}\n`})`;
      expected.push(new Set(rows.map((r) => r.id)));
    }
    const found = (ids: string[], i: number) => ids.some((id) => expected[i].has(id));
    const deferred: (() => Promise<unknown>)[] = [];
    const defer = (task: () => Promise<unknown>) => void deferred.push(task);
    const flush = async () => {
      for (const task of deferred.splice(0)) await task();
    };
    const params = (mode: SearchMode, first = 10): SearchParams => ({ collection: 'YOUTH', language: null, textLanguage: 'fr', mode, first, minScore: 0 });
    const hash = new HashEmbedder();
    const vectors = await hash.embed(texts);

    out('| search (top 10, YOUTH only) | p50 ms | p95 ms | mean ms |');
    out('|---|---|---|---|');
    for (const ef of EF) {
      const service = new SearchService(prisma, hash, { efSearch: ef, ragCache: { enabled: false, ttlSeconds: 60, maxDistance: 0.05 } });
      for (const text of texts.slice(0, 20)) await service.search({ text, userType: 'TEENAGER', params: params('HYBRID') }, defer);
      await flush();
      for (const text of texts) await service.embedder.embed([text]);
      for (const mode of ['VECTOR', 'HYBRID'] as const) {
        const samples: number[] = [];
        for (const text of texts) samples.push((await time(() => service.search({ text, userType: 'TEENAGER', params: params(mode) }, defer)))[1]);
        await flush();
        const s = summary(samples);
        out(`| ${mode}, ef_search ${ef} | ${ms(s.p50)} | ${ms(s.p95)} | ${ms(s.mean)} |`);
      }
    }
    const exactSamples: number[] = [];
    const exact: string[][] = [];
    for (const v of vectors) {
      const [rows, t] = await time(() => searchChunks(prisma, { params: params('VECTOR'), vector: v, textTerms: [], efSearch: 40, exact: true }));
      exact.push(rows.map((r) => r.chunkId));
      exactSamples.push(t);
    }
    const e = summary(exactSamples);
    out(`| exact scan (no index), for reference | ${ms(e.p50)} | ${ms(e.p95)} | ${ms(e.mean)} |`);

    // 4. Level-2 cache hits: each query once (miss, written), then again (hit).
    const cached = new SearchService(prisma, hash, { efSearch: EF[0], ragCache: { enabled: true, ttlSeconds: 3600, maxDistance: 0.05 } });
    for (const text of texts) await cached.search({ text, userType: 'TEENAGER', params: params('HYBRID') }, defer);
    await flush();
    const hitSamples: number[] = [];
    let hits = 0;
    for (const text of texts) {
      const [r, t] = await time(() => cached.search({ text, userType: 'TEENAGER', params: params('HYBRID') }, defer));
      if (r.trace.resultCache === 'hit') hits++;
      hitSamples.push(t);
    }
    await flush();
    const h = summary(hitSamples);
    out(`| level-2 cache hit (HYBRID entries; ${hits}/${texts.length} hits) | ${ms(h.p50)} | ${ms(h.p95)} | ${ms(h.mean)} |`);
    out();

    // 5. Recall@10 of HNSW against the exact scan.
    out('| top 10, YOUTH filter | recall@10 vs exact scan | questions whose source chunk is in the top 10 |');
    out('|---|---|---|');
    const foundRate = (lists: string[][]) => (lists.filter((ids, i) => found(ids, i)).length / lists.length).toFixed(3);
    out(`| exact scan | 1 | ${foundRate(exact)} |`);
    for (const ef of EF) {
      let sum = 0;
      const lists: string[][] = [];
      for (let i = 0; i < vectors.length; i++) {
        const approx = (await searchChunks(prisma, { params: params('VECTOR'), vector: vectors[i], textTerms: [], efSearch: ef })).map((r) => r.chunkId);
        lists.push(approx);
        const set = new Set(approx);
        sum += exact[i].length ? exact[i].filter((id) => set.has(id)).length / exact[i].length : 1;
      }
      const hybrid: string[][] = [];
      for (let i = 0; i < vectors.length; i++) {
        hybrid.push((await searchChunks(prisma, { params: params('HYBRID'), vector: vectors[i], textTerms: fullTextTerms(texts[i]), efSearch: ef })).map((r) => r.chunkId));
      }
      out(`| VECTOR (HNSW), ef_search ${ef} | ${(sum / vectors.length).toFixed(3)} | ${foundRate(lists)} |`);
      out(`| HYBRID, ef_search ${ef} | | ${foundRate(hybrid)} |`);
    }
    // The same measure for queries shaped like the indexed vectors (chunk texts): the index's own
    // accuracy, apart from how far the hash embedder puts a few-word question from any chunk.
    const sample = await prisma.$queryRaw<{ content: string }[]>`
      SELECT c.content FROM rag.document_chunk c JOIN rag.document d ON d.id = c.document_id
      WHERE d.collection = 'YOUTH' ORDER BY md5(c.id::text) LIMIT ${Math.min(Q, 100)}`;
    const sampleVectors = await hash.embed(sample.map((r) => r.content));
    const sampleExact: Set<string>[] = [];
    for (const v of sampleVectors) {
      sampleExact.push(new Set((await searchChunks(prisma, { params: params('VECTOR'), vector: v, textTerms: [], efSearch: 40, exact: true })).map((r) => r.chunkId)));
    }
    for (const ef of EF) {
      let sum = 0;
      for (let i = 0; i < sampleVectors.length; i++) {
        const approx = await searchChunks(prisma, { params: params('VECTOR'), vector: sampleVectors[i], textTerms: [], efSearch: ef });
        sum += approx.filter((r) => sampleExact[i].has(r.chunkId)).length / Math.max(1, sampleExact[i].size);
      }
      out(`| VECTOR (HNSW), ef_search ${ef}, ${sampleVectors.length} chunk texts as queries | ${(sum / sampleVectors.length).toFixed(3)} | |`);
    }
    out();

    // 6. Plans.
    const plan = async (mode: SearchMode) => {
      const statement = searchStatement({ params: params(mode), vector: vectors[0], textTerms: fullTextTerms(texts[0]), efSearch: EF[0] })!;
      const explain = values.explain ? Prisma.sql`EXPLAIN (ANALYZE, BUFFERS) ${statement}` : Prisma.sql`EXPLAIN ${statement}`;
      const [, rows] = await prisma.$transaction([
        prisma.$queryRaw`SELECT set_config('hnsw.ef_search', ${String(EF[0])}, true), set_config('hnsw.iterative_scan', 'relaxed_order', true)`,
        prisma.$queryRaw<{ 'QUERY PLAN': string }[]>(explain),
      ]);
      const text = rows.map((r) => Object.values(r)[0]).join('\n');
      if (values.explain) console.error(`--- ${mode}\n${text}`);
      const used = [text.includes('document_chunk_embedding_hnsw_idx') && 'HNSW', text.includes('document_chunk_content_fts_idx') && 'full-text GIN'].filter(Boolean);
      return used.length ? used.join(' + ') : 'no index (sequential scan)';
    };
    out(`Plans: VECTOR uses ${await plan('VECTOR')}; HYBRID uses ${await plan('HYBRID')}.`);
    out(`Total benchmark time: ${((performance.now() - started) / 1000).toFixed(0)} s.`);
  } finally {
    await cleanup();
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
