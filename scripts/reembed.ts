// npm run reembed [-- --batch-size 256] [--clear-embedding-cache]
//
// Re-embeds the knowledge base with the embedding provider the environment configures
// (EMBEDDINGS_*), after a change of provider, model or width: the server refuses to start until
// the stored vectors match. Documents already embedded with the configured model are skipped, so
// an interrupted run can simply be started again. Both search caches are cleared.
//
// Run it with the servers stopped (on the embedded PGlite database it needs the data folder to
// itself anyway): a server still running with the old model would compare its queries' vectors
// with the new ones. A new width also needs prisma/schema.prisma's Unsupported("vector(N)"),
// CHUNK_EMBEDDING_DIMENSIONS (src/search/embedder.ts) and a migration; see the README.
import { parseArgs } from 'node:util';
import { loadConfig } from '../src/config.ts';
import { openDatabase } from '../src/db/database.ts';
import { applyMigrations } from '../src/db/migrate/runner.ts';
import { CHUNK_EMBEDDING_DIMENSIONS } from '../src/search/embedder.ts';
import { createEmbeddingProvider } from '../src/search/factory.ts';
import { reembed } from '../src/search/reembed.ts';
import { runScript } from './lib/run.ts';

const USAGE = 'usage: npm run reembed [-- --batch-size 256] [--clear-embedding-cache]';

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      'batch-size': { type: 'string' },
      'clear-embedding-cache': { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  const batchSize = values['batch-size'] === undefined ? 256 : Number(values['batch-size']);
  if (!Number.isInteger(batchSize) || batchSize < 1) throw new Error(`--batch-size must be a positive integer. ${USAGE}`);

  const config = loadConfig();
  const provider = createEmbeddingProvider(config);
  const db = await openDatabase(config.database);
  try {
    const { applied } = await applyMigrations(db);
    if (applied.length) console.log(`applied ${applied.length} pending migration(s)`);
    console.log(`re-embedding with ${provider.model} (${provider.dimensions} dimensions)`);
    let lastPrint = 0;
    const result = await reembed(db, provider, {
      batchSize,
      clearEmbeddingCache: values['clear-embedding-cache'],
      log: (line) => console.log(line),
      onProgress: (p) => {
        if (p.documents === p.totalDocuments || Date.now() - lastPrint > 2000) {
          lastPrint = Date.now();
          console.log(`  ${p.documents}/${p.totalDocuments} documents, ${p.chunks}/${p.totalChunks} chunks`);
        }
      },
    });
    const seconds = result.elapsedMs / 1000;
    console.log(
      `${result.documents} document(s), ${result.chunks} chunk(s) re-embedded in ${seconds.toFixed(1)} s` +
        (result.chunks && seconds > 0 ? ` (${Math.round(result.chunks / seconds)} chunks/s)` : '') +
        (result.dimensions ? `; column vector(${result.dimensions.from ?? '?'}) -> vector(${result.dimensions.to})` : '') +
        (result.indexRebuilt ? '; HNSW index rebuilt' : '') +
        `; caches cleared: ${result.cleared.embeddingCache} embedding(s), ${result.cleared.ragCache} cached result(s)`,
    );
    if (provider.dimensions !== CHUNK_EMBEDDING_DIMENSIONS) {
      console.warn(
        `note: the code still says vector(${CHUNK_EMBEDDING_DIMENSIONS}). Before deploying, set Unsupported("vector(${provider.dimensions})") ` +
          `in prisma/schema.prisma and CHUNK_EMBEDDING_DIMENSIONS in src/search/embedder.ts, and generate a migration ` +
          '(npm run db:migrate:dev -- --name embedding_width --create-only): ingestion refuses other widths until then, ' +
          'and the zero-diff check reports the column.',
      );
    }
    return 0;
  } finally {
    await db.close();
  }
}

runScript(main, 'reembed: ');
