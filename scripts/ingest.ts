// npm run ingest -- <file or folder> [--collection YOUTH|ADULT] [--language fr] [--root folder]
//
// Ingests Markdown/text files into the configured database (pending migrations first). Only
// changed chunks are embedded, and embeddings go through the level-1 cache. On the embedded
// PGlite database this process needs the data folder to itself: stop the server first.
import { parseArgs } from 'node:util';
import { loadConfig } from '../src/config.ts';
import { openDatabase, type Database } from '../src/db/database.ts';
import { applyMigrations } from '../src/db/migrate/runner.ts';
import { assertEmbeddingsMatch } from '../src/search/embedding-state.ts';
import { createSearchService } from '../src/search/factory.ts';
import { COLLECTIONS, ingestPath, type Collection, type IngestProgress } from '../src/search/ingest.ts';
import { runScript } from './lib/run.ts';

const USAGE = 'usage: npm run ingest -- <file or folder> [--collection YOUTH|ADULT] [--language fr] [--root folder]';

function progressReporter(stream: NodeJS.WriteStream) {
  const tty = stream.isTTY === true;
  let lastDraw = 0;
  return {
    update(p: IngestProgress) {
      if (!tty) {
        const r = p.result;
        stream.write(
          `ingested ${p.done}/${p.total} ${p.source} (${r.status}` +
            (r.status === 'unchanged' ? ')\n' : `: ${r.chunksEmbedded} embedded, ${r.chunksKept} kept, ${r.chunksDeleted} deleted)\n`),
        );
        return;
      }
      // Redraw at most every 50 ms (and always at the end): a terminal is slower than the hash embedder.
      const now = Date.now();
      if (p.done !== p.total && now - lastDraw < 50) return;
      lastDraw = now;
      const width = 30;
      const filled = Math.round((p.done / p.total) * width);
      const bar = filled >= width ? '='.repeat(width) : `${'='.repeat(Math.max(filled - 1, 0))}>${' '.repeat(width - Math.max(filled, 1))}`;
      stream.write(`\r[${bar}] ${p.done}/${p.total} files`);
    },
    finish() {
      if (tty && lastDraw) stream.write('\n');
    },
  };
}

async function main(): Promise<number> {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      collection: { type: 'string' },
      language: { type: 'string' },
      root: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  if (positionals.length !== 1) throw new Error(USAGE);
  const collection = values.collection?.toUpperCase();
  if (collection !== undefined && !COLLECTIONS.includes(collection as Collection)) throw new Error(`--collection must be YOUTH or ADULT, got ${values.collection}`);
  const language = values.language?.toLowerCase();
  if (language !== undefined && !/^[a-z]{2}$/.test(language)) throw new Error(`--language must be a two-letter code, got ${values.language}`);

  const config = loadConfig();
  const db: Database = await openDatabase(config.database);
  try {
    const { applied } = await applyMigrations(db);
    if (applied.length) console.log(`applied ${applied.length} pending migration(s)`);
    // The configured provider (EMBEDDINGS_*), behind the level-1 cache: the server's own factory.
    const embedder = createSearchService(config, db).embedder;
    // Vectors of another model next to the stored ones would make search compare unrelated spaces.
    await assertEmbeddingsMatch(db, embedder);
    const progress = progressReporter(process.stdout);
    const totals = await ingestPath(db.prisma, embedder, positionals[0], {
      collection: collection as Collection | undefined,
      language,
      root: values.root,
      onProgress: (p) => progress.update(p),
    }).finally(() => progress.finish());
    const seconds = totals.elapsedMs / 1000;
    const rate = seconds > 0 ? Math.round(totals.chunksEmbedded / seconds) : 0;
    console.log(
      `${totals.files} files: ${totals.created} created, ${totals.updated} updated, ${totals.unchanged} unchanged; ` +
        `chunks: ${totals.chunksEmbedded} embedded (${embedder.stats.misses} by ${embedder.model}, ${embedder.stats.hits} from cache), ` +
        `${totals.chunksKept} kept, ${totals.chunksDeleted} deleted; ${seconds.toFixed(1)} s` +
        (totals.chunksEmbedded ? `, ${rate} chunks/s` : ''),
    );
    return 0;
  } finally {
    await db.close();
  }
}

runScript(main, 'ingest: ');
