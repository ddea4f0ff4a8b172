// Paired latency of the search statement: another revision's (--before) and this checkout's,
// alternating query by query on one database, so machine load (shared, changing) weighs on both
// alike. Run it on the database `npm run bench:search -- --keep` left (its name is printed):
//
//   npx tsx scripts/bench/search-compare.ts --database postgres://postgres@127.0.0.1:5432/bench_search_<n> --before <rev>
//
// Queries: 200 of four words drawn from random YOUTH chunks, ef_search 40, top 10, parsed in
// French. One warm-up round, one measured round; the order of the two versions alternates.
// Compares only search.ts (the statement); the rest of the path (embedding, caches) is the same.
import { execFileSync } from 'node:child_process';
import { rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { openDatabase } from '../../src/db/database.ts';
import { HashEmbedder } from '../../src/search/hash-embedder.ts';
import { fullTextTerms } from '../../src/search/query-text.ts';
import * as after from '../../src/search/search.ts';
import type { SearchParams } from '../../src/search/search.ts';

const { values } = parseArgs({ options: { database: { type: 'string' }, before: { type: 'string' }, queries: { type: 'string', default: '200' } } });
if (!values.database || !values.before) throw new Error('usage: search-compare.ts --database <postgres url> --before <git revision> [--queries 200]');
const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
// The other revision's search.ts, next to this one so that its relative imports resolve.
const beforeFile = path.join(repo, 'src/search', `.search-before-${process.pid}.ts`);
writeFileSync(beforeFile, execFileSync('git', ['show', `${values.before}:src/search/search.ts`], { cwd: repo, encoding: 'utf8' }));
const db = await openDatabase({ kind: 'postgres', url: values.database, poolMax: 2, poolTimeoutMs: 30_000, statementTimeoutMs: 0 });
try {
  const before = (await import(beforeFile)) as typeof after;
  const rows = await db.prisma.$queryRaw<{ content: string }[]>`
    SELECT c.content FROM rag.document_chunk c JOIN rag.document d ON d.id = c.document_id
    WHERE d.collection = 'YOUTH' ORDER BY md5(c.id::text) LIMIT ${Number(values.queries)}`;
  let seed = 7;
  const random = () => ((seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0) / 2 ** 32);
  const texts = rows.map(({ content }) => {
    const words = content.split(/[^\p{L}]+/u).filter((w) => w.length > 3);
    return Array.from({ length: 4 }, () => words[Math.floor(random() * words.length)]).join(' ');
  });
  const vectors = await new HashEmbedder().embed(texts);
  const times: Record<string, number[]> = {};
  for (let round = 0; round < 2; round++) {
    for (let i = 0; i < texts.length; i++) {
      for (const mode of ['VECTOR', 'HYBRID'] as const) {
        const params: SearchParams = { collection: 'YOUTH', language: null, textLanguage: 'fr', mode, first: 10, minScore: 0 };
        const input = { params, vector: vectors[i], textTerms: mode === 'HYBRID' ? fullTextTerms(texts[i]) : [], efSearch: 40 };
        const versions = (i + round) % 2 === 0 ? ([['before', before], ['after', after]] as const) : ([['after', after], ['before', before]] as const);
        for (const [name, version] of versions) {
          const started = performance.now();
          await version.searchChunks(db.prisma, input);
          if (round === 1) (times[`${mode}, ${name}`] ??= []).push(performance.now() - started);
        }
      }
    }
  }
  const percentile = (list: number[], p: number) => [...list].sort((a, b) => a - b)[Math.min(list.length - 1, Math.floor((p / 100) * list.length))];
  console.log(`load average at end: ${os.loadavg().map((x) => x.toFixed(1)).join(' ')}; before = ${values.before}`);
  console.log('| search statement, ef_search 40 | p50 ms | p95 ms | mean ms |\n|---|---|---|---|');
  for (const [key, list] of Object.entries(times).sort()) {
    console.log(`| ${key} | ${percentile(list, 50).toFixed(1)} | ${percentile(list, 95).toFixed(1)} | ${(list.reduce((a, b) => a + b, 0) / list.length).toFixed(1)} |`);
  }
} finally {
  await db.close();
  rmSync(beforeFile, { force: true });
}
