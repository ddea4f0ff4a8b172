// Puts documents into rag.document / rag.document_chunk, incrementally.
//
// Order of work, for PGlite's single connection as much as for PostgreSQL's locks: read what is
// stored, decide, embed what changed OUTSIDE any transaction (a remote provider may take
// seconds), then write everything in one short transaction. The transaction re-checks the
// document's content hash it planned from, and the whole ingest is retried when another writer
// got there first.
//
// A document's authored questions (front matter `questions`: how a teenager or a parent would ask
// what it answers, doc2query-style) are stored as one index-only row after its content chunks:
// full text and embedding like a chunk, never shown (search.ts shows a content chunk instead).
import { createHash, randomUUID } from 'node:crypto';
import { readdir, readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import type { Document, PrismaClient } from '../generated/prisma/client.ts';
import { chunkText, type ChunkOptions } from './chunker.ts';
import { parseFrontMatter } from './front-matter.ts';
import { CHUNK_EMBEDDING_DIMENSIONS, type Embedder } from './embedder.ts';
import { toVectorLiteral } from './vector.ts';
import { charCount } from '../input/fields.ts';

export type Collection = 'YOUTH' | 'ADULT';
export const COLLECTIONS: readonly Collection[] = ['YOUTH', 'ADULT'];

export interface DocumentInput {
  collection: Collection;
  title: string;
  /** Identifies the document within its collection (a path relative to the corpus root, a URL...). */
  source: string;
  /** ISO 639-1 code, two lowercase letters. */
  language: string;
  /** Markdown or plain text, without front matter. */
  content: string;
  /**
   * Questions the document answers, as its readers would ask them (see checkQuestions for the
   * bounds). Searched, never shown as content. None or empty: no questions row.
   */
  questions?: readonly string[];
  metadata?: Record<string, unknown>;
}

export interface IngestOptions {
  chunking?: ChunkOptions;
}

export interface IngestResult {
  document: Document;
  status: 'created' | 'updated' | 'unchanged';
  // In the three counts below, the questions row (if any) counts as one chunk.
  /** Chunks whose text went to the embedder (the embedding cache may still have answered). */
  chunksEmbedded: number;
  /** Stored chunks kept with their embedding, at the same or a new position. */
  chunksKept: number;
  chunksDeleted: number;
}

export class IngestError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'IngestError';
  }
}

/**
 * Concurrent ingests of the same document kept committing first, MAX_ATTEMPTS times: nothing is
 * wrong with this input, and sending it again later succeeds (the API answers CONFLICT).
 */
export class IngestConflictError extends IngestError {
  constructor(message: string) {
    super(message);
    this.name = 'IngestConflictError';
  }
}

/** Another ingest of the same document committed between our read and our write. */
class StaleSnapshot extends Error {}

/** The key ingest bookkeeping uses inside document.metadata; chunk reuse depends on it. */
export const INGEST_METADATA_KEY = '_ingest';
/** Bump when chunkMarkdown's output changes for the same input: documents then re-chunk. */
const CHUNKER_VERSION = 1;
const MAX_ATTEMPTS = 3;
/** Rows per chunk INSERT: one statement for any ordinary document. */
const INSERT_BATCH = 1000;

export const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

/** At most this many questions per document, each at most MAX_QUESTION_LENGTH characters (trimmed). */
export const MAX_QUESTIONS = 12;
export const MAX_QUESTION_LENGTH = 300;

/**
 * Checks a `questions` value (front matter or API input): an array of at most MAX_QUESTIONS
 * strings, each non-empty and at most MAX_QUESTION_LENGTH characters once trimmed, without NUL
 * (PostgreSQL text refuses it). Returns the trimmed questions, or a one-line problem. Absent
 * (undefined or null) is no questions.
 */
export function checkQuestions(value: unknown): string[] | { problem: string } {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) return { problem: 'questions must be a list of strings' };
  if (value.length > MAX_QUESTIONS) return { problem: `questions: at most ${MAX_QUESTIONS}, got ${value.length}` };
  const out: string[] = [];
  for (const [i, q] of value.entries()) {
    if (typeof q !== 'string') return { problem: `questions[${i}] must be a string, got ${q === null ? 'null' : typeof q}` };
    // One line per question in the questions row: inner line breaks (a folded YAML string) become spaces.
    const trimmed = q.trim().replace(/\s+/gu, ' ');
    if (!trimmed) return { problem: `questions[${i}] is empty` };
    if (charCount(trimmed) > MAX_QUESTION_LENGTH) return { problem: `questions[${i}] is longer than ${MAX_QUESTION_LENGTH} characters` };
    if (trimmed.includes('\u0000')) return { problem: `questions[${i}] contains a NUL character` };
    out.push(trimmed);
  }
  return out;
}

/** The text of a document's questions row: one question per line (what is embedded and parsed). */
export const questionsText = (questions: readonly string[]) => questions.join('\n');

/**
 * document.content_hash: the content's sha256, covering the questions when there are any (a
 * document without questions keeps the hash it always had, so re-ingesting it stays a no-op).
 * NUL separates them: neither side can contain one.
 */
export function documentHash(content: string, questions: readonly string[]): string {
  return questions.length ? sha256(`${content}\u0000questions\u0000${questionsText(questions)}`) : sha256(content);
}

/** JSON with sorted keys: jsonb does not keep key order, so comparisons must not depend on it. */
function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value && typeof value === 'object') {
    return `{${Object.keys(value)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonicalJson((value as Record<string, unknown>)[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(value);
}

/** Checks the input; returns its questions, trimmed (checkQuestions). */
function validate(input: DocumentInput, embedder: Embedder): string[] {
  if (!COLLECTIONS.includes(input.collection)) throw new IngestError(`collection must be YOUTH or ADULT, got ${JSON.stringify(input.collection)}`);
  if (!/^[a-z]{2}$/.test(input.language)) throw new IngestError(`language must be a two-letter lowercase code, got ${JSON.stringify(input.language)}`);
  // Characters as the API's rules and the VarChar columns count them (code points, not UTF-16 units).
  if (!input.title.trim() || charCount(input.title) > 300) throw new IngestError('title must be 1 to 300 characters');
  if (!input.source || charCount(input.source) > 500) throw new IngestError('source must be 1 to 500 characters');
  const questions = checkQuestions(input.questions);
  if ('problem' in questions) throw new IngestError(questions.problem);
  if (embedder.dimensions !== CHUNK_EMBEDDING_DIMENSIONS) {
    throw new IngestError(
      `embedder ${embedder.model} makes ${embedder.dimensions}-dimensional vectors; rag.document_chunk.embedding is vector(${CHUNK_EMBEDDING_DIMENSIONS})`,
    );
  }
  return questions;
}

interface StoredChunk {
  id: string;
  ordinal: number;
  content_hash: string;
  index_only: boolean;
  has_embedding: boolean;
}

/** A row the document should have, at ordinal = its index in the list. */
interface Row {
  content: string;
  hash: string;
  indexOnly: boolean;
}

interface Plan {
  /** Existing rows to renumber: their embedding stays valid. */
  moves: { id: string; ordinal: number }[];
  inserts: ({ ordinal: number } & Row)[];
  deletes: string[];
  kept: number;
}

/** Rows match on their text and their kind: a content chunk is never reused as a questions row. */
const rowKey = (hash: string, indexOnly: boolean) => `${indexOnly ? 'q' : 'c'}:${hash}`;

/**
 * Matches the new rows to stored ones by content hash and kind: same at the same ordinal is left
 * alone, same elsewhere is renumbered, anything else is embedded and inserted.
 */
function planChunks(rows: Row[], stored: StoredChunk[], reusable: boolean): Plan {
  const usable = reusable ? stored.filter((c) => c.has_embedding) : [];
  const claimed = new Set<string>();
  const atOrdinal = new Map(usable.map((c) => [c.ordinal, c]));
  const byKey = new Map<string, StoredChunk[]>();
  for (const c of usable) {
    const key = rowKey(c.content_hash, c.index_only);
    byKey.set(key, [...(byKey.get(key) ?? []), c]);
  }

  const placed = new Array<boolean>(rows.length).fill(false);
  rows.forEach((row, ordinal) => {
    const same = atOrdinal.get(ordinal);
    if (same && same.content_hash === row.hash && same.index_only === row.indexOnly) {
      claimed.add(same.id);
      placed[ordinal] = true;
    }
  });
  const moves: Plan['moves'] = [];
  const inserts: Plan['inserts'] = [];
  rows.forEach((row, ordinal) => {
    if (placed[ordinal]) return;
    const candidate = byKey.get(rowKey(row.hash, row.indexOnly))?.find((c) => !claimed.has(c.id));
    if (candidate) {
      claimed.add(candidate.id);
      moves.push({ id: candidate.id, ordinal });
    } else {
      inserts.push({ ordinal, ...row });
    }
  });
  const deletes = stored.filter((c) => !claimed.has(c.id)).map((c) => c.id);
  return { moves, inserts, deletes, kept: claimed.size };
}

/**
 * Creates or updates one document and its chunks. Unchanged content, questions, title, language
 * and metadata: nothing is written. Changed content: only chunks whose text is new are embedded
 * (changed questions: only the questions row).
 */
export async function ingestDocument(
  prisma: PrismaClient,
  embedder: Embedder,
  input: DocumentInput,
  options: IngestOptions = {},
): Promise<IngestResult> {
  const questions = validate(input, embedder);
  for (let attempt = 1; ; attempt++) {
    try {
      return await ingestOnce(prisma, embedder, input, questions, options);
    } catch (err) {
      if (!(err instanceof StaleSnapshot) || attempt >= MAX_ATTEMPTS) {
        if (err instanceof StaleSnapshot) throw new IngestConflictError(`${input.collection}/${input.source}: kept changing under concurrent ingests, gave up`);
        throw err;
      }
    }
  }
}

async function ingestOnce(prisma: PrismaClient, embedder: Embedder, input: DocumentInput, questions: readonly string[], options: IngestOptions): Promise<IngestResult> {
  const chunking = { targetSize: 800, overlap: 120, headingContext: true, ...options.chunking };
  const contentHash = documentHash(input.content, questions);
  const ingestInfo = {
    embeddingModel: embedder.model,
    chunker: `v${CHUNKER_VERSION}/${chunking.targetSize}/${chunking.overlap}/${chunking.headingContext ? 'h' : '-'}`,
  };
  // A JSON round trip drops undefined and turns dates into strings, as jsonb would.
  const metadata = JSON.parse(JSON.stringify({ ...input.metadata, [INGEST_METADATA_KEY]: ingestInfo })) as Record<string, unknown>;

  const existing = await prisma.document.findUnique({
    where: { collection_source: { collection: input.collection, source: input.source } },
  });
  if (
    existing &&
    existing.contentHash === contentHash &&
    existing.title === input.title &&
    existing.language === input.language &&
    canonicalJson(existing.metadata) === canonicalJson(metadata)
  ) {
    return { document: existing, status: 'unchanged', chunksEmbedded: 0, chunksKept: 0, chunksDeleted: 0 };
  }

  const rows: Row[] = chunkText(input.content, chunking).map((content) => ({ content, hash: sha256(content), indexOnly: false }));
  // The questions row only with content to show in its place (search.ts maps it to a content chunk).
  if (questions.length && rows.length) {
    const text = questionsText(questions);
    rows.push({ content: text, hash: sha256(text), indexOnly: true });
  }
  const stored = existing
    ? await prisma.$queryRaw<StoredChunk[]>`
        SELECT id::text AS id, ordinal, content_hash, index_only, embedding IS NOT NULL AS has_embedding
        FROM rag.document_chunk WHERE document_id = ${existing.id}::uuid`
    : [];
  // Stored embeddings are reusable only if they come from the same model, and the same chunker
  // (the content hash of a chunk covers its text, not how it was cut).
  const previous = (existing?.metadata as Record<string, unknown> | null)?.[INGEST_METADATA_KEY] as typeof ingestInfo | undefined;
  const plan = planChunks(rows, stored, previous?.embeddingModel === embedder.model);

  // Embedding happens here, before the transaction: one call for every new chunk.
  const vectors = plan.inserts.length ? await embedder.embed(plan.inserts.map((c) => c.content)) : [];
  if (vectors.length !== plan.inserts.length) throw new IngestError(`embedder ${embedder.model} returned ${vectors.length} vectors for ${plan.inserts.length} chunks`);
  const literals = vectors.map((v) => {
    if (v.length !== CHUNK_EMBEDDING_DIMENSIONS) throw new IngestError(`embedder ${embedder.model} returned a ${v.length}-dimensional vector`);
    return toVectorLiteral(v);
  });

  const fields = { title: input.title, language: input.language, contentHash, metadata: metadata as object };
  const document = await prisma.$transaction(
    async (tx) => {
      let doc: Document;
      if (existing) {
        // Guarded by the hash we planned from: a concurrent ingest that changed it invalidates our plan.
        const [updated] = await tx.document.updateManyAndReturn({
          where: { id: existing.id, contentHash: existing.contentHash },
          data: fields,
        });
        if (!updated) throw new StaleSnapshot();
        doc = updated;
      } else {
        const [created] = await tx.document.createManyAndReturn({
          data: [{ id: randomUUID(), collection: input.collection, source: input.source, ...fields }],
          skipDuplicates: true,
        });
        if (!created) throw new StaleSnapshot(); // created concurrently: start over as an update
        doc = created;
      }
      if (plan.deletes.length) {
        await tx.$executeRaw`DELETE FROM rag.document_chunk WHERE id = ANY(${plan.deletes}::uuid[])`;
      }
      // (document_id, ordinal) is unique and checked row by row: park moved rows on negative
      // ordinals, insert, then flip them to their final place.
      if (plan.moves.length) {
        await tx.$executeRaw`
          UPDATE rag.document_chunk AS c SET ordinal = -1 - m.ordinal
          FROM unnest(${plan.moves.map((m) => m.id)}::uuid[], ${plan.moves.map((m) => m.ordinal)}::int[]) AS m(id, ordinal)
          WHERE c.id = m.id`;
      }
      for (let i = 0; i < plan.inserts.length; i += INSERT_BATCH) {
        const batch = plan.inserts.slice(i, i + INSERT_BATCH);
        // unnest: one multi-row INSERT with six parameters, however many chunks.
        await tx.$executeRaw`
          INSERT INTO rag.document_chunk (id, document_id, ordinal, content, content_hash, index_only, embedding)
          SELECT gen_random_uuid(), ${doc.id}::uuid, t.ordinal, t.content, t.hash, t.index_only, t.embedding::vector
          FROM unnest(
            ${batch.map((c) => c.ordinal)}::int[],
            ${batch.map((c) => c.content)}::text[],
            ${batch.map((c) => c.hash)}::text[],
            ${batch.map((c) => c.indexOnly)}::boolean[],
            ${literals.slice(i, i + INSERT_BATCH)}::text[]
          ) AS t(ordinal, content, hash, index_only, embedding)`;
      }
      if (plan.moves.length) {
        await tx.$executeRaw`UPDATE rag.document_chunk SET ordinal = -1 - ordinal WHERE document_id = ${doc.id}::uuid AND ordinal < 0`;
      }
      return doc;
    },
    // Short by construction (no embedding inside); the margin is for a busy PGlite queue.
    { maxWait: 10_000, timeout: 30_000 },
  );

  return {
    document,
    status: existing ? 'updated' : 'created',
    chunksEmbedded: plan.inserts.length,
    chunksKept: plan.kept,
    chunksDeleted: plan.deletes.length,
  };
}

/** Deletes a document and (by cascade) its chunks. False when there was no such document. */
export async function deleteDocument(prisma: PrismaClient, id: string): Promise<boolean> {
  const { count } = await prisma.document.deleteMany({ where: { id } });
  return count > 0;
}

// ---------------------------------------------------------------- files and folders

export const INGESTIBLE_EXTENSIONS = ['.md', '.markdown', '.txt'];

export interface IngestPathOptions extends IngestOptions {
  /** Used when a file's front matter has no `collection`. */
  collection?: Collection;
  /** Used when a file's front matter has no `language`. */
  language?: string;
  /**
   * Folder that sources are relative to. Defaults to the given folder, or a single file's own
   * folder. Keep it the same between runs: the source is the document's identity.
   */
  root?: string;
  onProgress?: (progress: IngestProgress) => void;
}

export interface IngestProgress {
  done: number;
  total: number;
  source: string;
  result: IngestResult;
}

export interface IngestTotals {
  files: number;
  created: number;
  updated: number;
  unchanged: number;
  chunksEmbedded: number;
  chunksKept: number;
  chunksDeleted: number;
  elapsedMs: number;
}

/** Every ingestible file under dir, in a stable order; hidden entries are skipped. */
async function listFiles(dir: string): Promise<string[]> {
  const out: string[] = [];
  const entries = (await readdir(dir, { withFileTypes: true })).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (const entry of entries) {
    if (entry.name.startsWith('.')) continue;
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) out.push(...(await listFiles(full)));
    else if (entry.isFile() && INGESTIBLE_EXTENSIONS.includes(path.extname(entry.name).toLowerCase())) out.push(full);
  }
  return out;
}

const asString = (v: unknown) => (typeof v === 'string' || typeof v === 'number' ? String(v).trim() : undefined);

/** Title: front matter, else the first `# ` heading, else the file name. */
function titleOf(data: Record<string, unknown>, body: string, file: string): string {
  const fromData = asString(data.title);
  const heading = /^ {0,3}#[ \t]+(.+?)[ \t]*#*[ \t]*$/m.exec(body)?.[1];
  const title = fromData || heading?.trim() || path.basename(file, path.extname(file));
  // Cut by code points: a UTF-16 slice could split an emoji into a lone surrogate.
  const chars = [...title];
  if (chars.length <= 300) return title;
  const cut = chars.slice(0, 300);
  return cut.slice(0, Math.max(cut.lastIndexOf(' '), 200)).join('').trimEnd();
}

/** Reads and checks one file; returns the document to ingest or a one-line problem. */
async function readDocument(file: string, root: string, options: IngestPathOptions): Promise<DocumentInput | string> {
  const source = path.relative(root, file).split(path.sep).join('/');
  let parsed;
  try {
    // NFC, as the API normalizes every String input: the same file and the same mutation give the
    // same text, hash and lengths (a decomposed "é" is one character, not two).
    parsed = parseFrontMatter((await readFile(file, 'utf8')).normalize('NFC'));
  } catch (err) {
    return `${source}: ${(err as Error).message}`;
  }
  // questions are indexed, not kept as metadata (Document.metadata is shown to clients).
  const { title: _title, language: _language, collection: _collection, questions: rawQuestions, ...rest } = parsed.data;
  const collection = (asString(parsed.data.collection)?.toUpperCase() || options.collection) as Collection | undefined;
  const language = asString(parsed.data.language)?.toLowerCase() || options.language;
  if (!collection) return `${source}: no collection (front matter "collection: YOUTH|ADULT", or the collection option)`;
  if (!COLLECTIONS.includes(collection)) return `${source}: collection must be YOUTH or ADULT, got ${JSON.stringify(collection)}`;
  if (!language) return `${source}: no language (front matter "language: fr", or the language option)`;
  if (!/^[a-z]{2}$/.test(language)) return `${source}: language must be a two-letter code, got ${JSON.stringify(language)}`;
  if (charCount(source) > 500) return `${source}: path longer than 500 characters`;
  const questions = checkQuestions(rawQuestions);
  if ('problem' in questions) return `${source}: ${questions.problem}`;
  return { collection, language, source, title: titleOf(parsed.data, parsed.body, file), content: parsed.body, questions, metadata: rest };
}

/**
 * Ingests a file, or every .md/.markdown/.txt file under a folder. Every file is read and checked
 * first: one bad file stops the run before anything is written, with all problems listed.
 */
export async function ingestPath(prisma: PrismaClient, embedder: Embedder, fileOrDir: string, options: IngestPathOptions = {}): Promise<IngestTotals> {
  const started = performance.now();
  const target = path.resolve(fileOrDir);
  const info = await stat(target).catch(() => {
    throw new IngestError(`${fileOrDir}: no such file or folder`);
  });
  const files = info.isDirectory() ? await listFiles(target) : [target];
  const root = path.resolve(options.root ?? (info.isDirectory() ? target : path.dirname(target)));
  if (files.some((f) => path.relative(root, f).startsWith('..'))) throw new IngestError(`${fileOrDir} is not inside the root ${root}`);

  const documents: DocumentInput[] = [];
  const problems: string[] = [];
  for (const file of files) {
    const doc = await readDocument(file, root, options);
    if (typeof doc === 'string') problems.push(doc);
    else documents.push(doc);
  }
  if (problems.length) {
    const shown = problems.slice(0, 10).join('; ');
    throw new IngestError(`${problems.length} file(s) cannot be ingested: ${shown}${problems.length > 10 ? '; ...' : ''}`);
  }

  const totals: IngestTotals = { files: documents.length, created: 0, updated: 0, unchanged: 0, chunksEmbedded: 0, chunksKept: 0, chunksDeleted: 0, elapsedMs: 0 };
  let done = 0;
  for (const doc of documents) {
    let result: IngestResult;
    try {
      result = await ingestDocument(prisma, embedder, doc, options);
    } catch (err) {
      throw new IngestError(`${doc.source}: ${(err as Error).message}`, { cause: err });
    }
    totals[result.status]++;
    totals.chunksEmbedded += result.chunksEmbedded;
    totals.chunksKept += result.chunksKept;
    totals.chunksDeleted += result.chunksDeleted;
    options.onProgress?.({ done: ++done, total: documents.length, source: doc.source, result });
  }
  totals.elapsedMs = Math.round(performance.now() - started);
  return totals;
}
