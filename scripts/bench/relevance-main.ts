// The relevance benchmark (`npm run bench:search -- --relevance [--before <git revision>]`):
// the demo knowledge base in a fresh database (a new database on DATABASE_URL's server, else an
// in-memory PGlite), the labelled questions asked in every mode, a table per code version.
//
// --before <rev> runs this same measurement on another revision of the code (git archive into a
// temporary folder sharing this checkout's node_modules and generated client; the labelled
// questions and these two files are copied in), so that before and after come from one run on one
// machine load. Run directly (tsx relevance-main.ts --json), it prints the report as JSON.
//
// The search service is the server's: the configured EMBEDDINGS_* provider (the local hash
// embedder by default, EMBEDDINGS_PROVIDER=openai for a remote model), built by the same factory
// as the server's (src/search/factory.ts), the level-2 cache off.
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { loadConfig } from '../../src/config.ts';
import { openDatabase, type Database } from '../../src/db/database.ts';
import { applyMigrations } from '../../src/db/migrate/runner.ts';
import { createEmbedder } from '../../src/search/embedders.ts';
import { SearchService } from '../../src/search/service.ts';
import { checkOutRevision } from './revision.ts';
import { evaluateRelevance, ingestKnowledgeBase, loadQuestions, relevanceTable, type RelevanceReport } from './relevance.ts';

const here = path.dirname(fileURLToPath(import.meta.url));
const repo = path.resolve(here, '../..');

async function withFreshDatabase<T>(fn: (db: Database) => Promise<T>): Promise<T> {
  const serverUrl = process.env.DATABASE_URL;
  if (!serverUrl) {
    const db = await openDatabase({ kind: 'pglite', dataDir: 'memory://relevance' });
    try {
      return await fn(db);
    } finally {
      await db.close();
    }
  }
  const name = `bench_relevance_${Date.now()}_${process.pid}`;
  const admin = async (sql: string) => {
    const c = new pg.Client({ connectionString: serverUrl });
    await c.connect();
    await c.query(sql).finally(() => c.end());
  };
  await admin(`CREATE DATABASE ${name}`);
  const u = new URL(serverUrl);
  u.pathname = `/${name}`;
  const db = await openDatabase({ kind: 'postgres', url: u.toString(), poolMax: 4, poolTimeoutMs: 30_000, statementTimeoutMs: 0 });
  try {
    return await fn(db);
  } finally {
    await db.close();
    await admin(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  }
}

/**
 * The configured search service (EMBEDDINGS_*, HNSW_EF_SEARCH), level-2 cache off, from the
 * server's factory; a revision older than the factory (--before) builds it as its server did.
 */
async function configuredSearchService(db: Database): Promise<SearchService> {
  const config = loadConfig({ ...process.env, RAG_CACHE_ENABLED: 'false' });
  const factory = path.join(repo, 'src/search/factory.ts');
  if (existsSync(factory)) {
    const { createSearchService } = (await import(factory)) as typeof import('../../src/search/factory.ts');
    return createSearchService(config, db);
  }
  return new SearchService(db.prisma, createEmbedder(config.embeddings), config.search);
}

export interface Measured {
  report: RelevanceReport;
  database: string;
  chunks: number;
  /** The embedding model the questions and chunks were embedded with. */
  model: string;
}

/** This checkout's code: migrate, ingest content/kb, ask every labelled question. */
export async function measureRelevance(): Promise<Measured> {
  return withFreshDatabase(async (db) => {
    await applyMigrations(db);
    const service = await configuredSearchService(db);
    const totals = await ingestKnowledgeBase(db.prisma, service);
    const report = await evaluateRelevance(db.prisma, loadQuestions(), service);
    return { report, database: db.kind, chunks: totals.chunksEmbedded, model: service.embedder.model };
  });
}

/** The same measurement on another revision, in a temporary checkout. */
function measureRevision(rev: string): Measured {
  const { dir, remove } = checkOutRevision(rev, 'relevance-before-');
  try {
    mkdirSync(path.join(dir, 'test/fixtures'), { recursive: true });
    cpSync(path.join(repo, 'test/fixtures/search-questions.json'), path.join(dir, 'test/fixtures/search-questions.json'));
    for (const f of ['relevance.ts', 'relevance-main.ts', 'revision.ts']) cpSync(path.join(here, f), path.join(dir, 'scripts/bench', f));
    const run = spawnSync(process.execPath, ['--import', 'tsx', path.join(dir, 'scripts/bench/relevance-main.ts'), '--json'], {
      cwd: dir,
      env: process.env,
      encoding: 'utf8',
      maxBuffer: 64 * 1024 * 1024,
    });
    if (run.status !== 0) throw new Error(`measuring ${rev} failed: ${run.stderr}`);
    return JSON.parse(run.stdout.trim().split('\n').at(-1)!);
  } finally {
    remove();
  }
}

/** Prints the tables (Markdown) of the current code and, with a revision, of that revision first. */
export async function relevanceBenchmark(before: string | undefined, out: (line?: string) => void) {
  const started = performance.now();
  out(`load average at start: ${os.loadavg().map((x) => x.toFixed(2)).join(' ')}; node ${process.version}, ${os.cpus().length} cores`);
  if (before) {
    const b = measureRevision(before);
    out();
    out(`### before: ${before} (${b.database}, ${b.chunks} chunks, ${b.model})`);
    out();
    out(relevanceTable(b.report));
  }
  const a = await measureRelevance();
  out();
  out(`### after: this checkout (${a.database}, ${a.chunks} chunks, ${a.model})`);
  out();
  out(relevanceTable(a.report));
  // The tuning half's only: the held-out half is looked at in aggregate, never question by question.
  const tuning = new Set(loadQuestions().filter((q) => q.split === 'tuning').map((q) => q.id));
  const missed = Object.entries(a.report.ranks).filter(([id, r]) => tuning.has(id) && (r.HYBRID === null || (r.HYBRID ?? 0) > 5)).map(([id]) => id);
  out();
  out(`HYBRID misses on the tuning half (answer not in the top 5): ${missed.join(', ') || 'none'}`);
  out(`${((performance.now() - started) / 1000).toFixed(0)} s; load average at end: ${os.loadavg().map((x) => x.toFixed(2)).join(' ')}`);
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url) && process.argv.includes('--json')) {
  measureRelevance().then(
    (r) => console.log(JSON.stringify(r)),
    (err) => {
      console.error(err);
      process.exit(1);
    },
  );
}
