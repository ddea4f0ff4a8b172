// The chunk search itself: VECTOR (pgvector HNSW, cosine) or HYBRID (the same vector candidates
// fused with PostgreSQL full-text ranking by reciprocal rank fusion), filtered by collection and
// optionally language in SQL. One statement for the search, preceded in the same transaction by
// the SET LOCALs HNSW needs (ef_search, iterative scan).
//
// Scores are in [0, 1], best first:
// - VECTOR: the cosine similarity of query and chunk, clamped at 0 (1 = same direction).
// - HYBRID: one result per document (its best chunk). The weighted RRF score of the document
//   divided by its largest possible value, reached by a document ranked first by both rankings.
//   It says how high a document sits in both rankings, not how similar it is: a document first
//   in the full-text list only scores 0.6, first in the vector list only 0.4.
import { Prisma, type PrismaClient } from '../generated/prisma/client.ts';
import type { Collection } from './ingest.ts';
import { norm, toVectorLiteral } from './vector.ts';

export type SearchMode = 'VECTOR' | 'HYBRID';

/** The RRF constant of Cormack et al. (2009): dampens the weight of the very first ranks. */
export const RRF_K = 60;
/**
 * The full-text list's weight in HYBRID's fusion, the vector list's being 1. Above 1 because the
 * local hash embedder matches surface forms only: on the tuning half of the labelled questions
 * (test/fixtures/search-questions.json) 1.5 put two more answers in the top 5 than 1 did.
 */
export const FULL_TEXT_WEIGHT = 1.5;
/** The chunks of one document whose full-text ranks add up to the document's (HYBRID). */
export const FUSED_DOCUMENT_CHUNKS = 2;

export interface SearchParams {
  collection: Collection;
  /** Only chunks of documents in this language; every language when null. */
  language: string | null;
  /**
   * The language the full-text half parses the query in (stemming, stop words): the requested
   * language, else the caller's; null parses it in every FULL_TEXT_LANGUAGES configuration and ORs them.
   */
  textLanguage: string | null;
  mode: SearchMode;
  /** How many results (1-20). */
  first: number;
  /** Results scoring below this are left out. */
  minScore: number;
}

export interface ChunkResult {
  chunkId: string;
  documentId: string;
  content: string;
  score: number;
}

export interface SearchInput {
  params: SearchParams;
  /** The query embedding (same model as the stored chunks). */
  vector: readonly number[];
  /** The words the full-text half ranks by (see fullTextTerms); none: no full-text half. */
  textTerms: readonly string[];
  /** hnsw.ef_search for this query. */
  efSearch: number;
  /**
   * Exact nearest neighbours (a sequential scan computing every distance) instead of HNSW: the
   * ground truth the benchmark measures the index's recall against. Never on a request's path.
   */
  exact?: boolean;
}

/**
 * A word found in more chunks than this is left out of the full-text ranking: too common to tell
 * chunks apart (its IDF is low), and ranking every chunk it matches would cost more than the rest
 * of the search. Counted with an early stop, so checking a very common word stays cheap.
 */
export const FTS_MAX_TERM_CHUNKS = 2000;

/**
 * Languages with their own full-text configuration (rag.search_<code>, the language_full_text
 * migration: Snowball stemmer and stop words, accents folded). Any other code parses with
 * rag.search_simple (unaccent only).
 */
export const FULL_TEXT_LANGUAGES = ['fr', 'en', 'es', 'it', 'de', 'pt'] as const;

/** The languages a query is parsed in: its textLanguage, else every FULL_TEXT_LANGUAGES one. */
export const queryLanguagesOf = (params: Pick<SearchParams, 'textLanguage'>): string[] =>
  params.textLanguage ? [params.textLanguage] : [...FULL_TEXT_LANGUAGES];

/** Candidates each ranking contributes to the fusion (and VECTOR re-sorts). */
export const candidatesFor = (first: number) => Math.max(first * 4, 40);

type RawClient = Pick<PrismaClient, '$queryRaw' | '$transaction'>;

/** collection = ... [AND language = ...] on rag.document aliased d. */
function documentFilter(params: SearchParams) {
  return params.language === null
    ? Prisma.sql`d.collection = ${params.collection}::rag.document_collection`
    : Prisma.sql`d.collection = ${params.collection}::rag.document_collection AND d.language = ${params.language}`;
}

/** Vector candidates: HNSW order (or exact order), best first, at most k. */
function vectorCandidates(input: SearchInput, literal: string, k: number) {
  // `+ 0` hides the distance from the planner's index matching: the exact scan.
  const order = input.exact ? Prisma.sql`(c.embedding <=> ${literal}::vector) + 0` : Prisma.sql`c.embedding <=> ${literal}::vector`;
  return Prisma.sql`
    SELECT c.id, c.embedding <=> ${literal}::vector AS distance
    FROM rag.document_chunk c JOIN rag.document d ON d.id = c.document_id
    WHERE ${documentFilter(input.params)} AND c.embedding IS NOT NULL
    ORDER BY ${order}
    LIMIT ${k}`;
}

/** The search statement (exported for the benchmark's EXPLAIN); null when there is nothing to search with. */
export function searchStatement(input: SearchInput) {
  const { params } = input;
  const k = candidatesFor(params.first);
  // A zero vector (a query of punctuation only) has no direction: no vector candidates.
  const literal = norm(input.vector) > 0 ? toVectorLiteral(input.vector) : null;

  if (params.mode === 'VECTOR') {
    if (!literal) return null;
    return Prisma.sql`
      SELECT c.id::text AS "chunkId", c.document_id::text AS "documentId", c.content,
             GREATEST(0, 1 - v.distance)::float8 AS score
      FROM (${vectorCandidates(input, literal, k)}) v
      JOIN rag.document_chunk c ON c.id = v.id
      WHERE GREATEST(0, 1 - v.distance) >= ${params.minScore}
      ORDER BY v.distance, c.id
      LIMIT ${params.first}`;
  }

  const terms = [...input.textTerms];
  if (!literal && terms.length === 0) return null;
  // Constants, inlined: the normalization is exact in numeric arithmetic.
  const K = Prisma.raw(String(RRF_K));
  const vec = literal
    ? Prisma.sql`SELECT id, row_number() OVER (ORDER BY distance, id) AS r FROM (${vectorCandidates(input, literal, k)}) v`
    : Prisma.sql`SELECT NULL::uuid AS id, 0::bigint AS r WHERE false`;
  // The words rare enough to rank by, OR-ed (an AND of a question's words almost never matches),
  // each parsed in the query's language(s) (rag.search_config: stemmed, stop words dropped, accents
  // folded, as the chunks were); ts_rank_cd reads the stored tsvector (content_tsv) the GIN index covers.
  const languages = queryLanguagesOf(params);
  const fts = terms.length
    ? Prisma.sql`
        SELECT id, row_number() OVER (ORDER BY rank DESC, id) AS r FROM (
          SELECT c.id, ts_rank_cd(c.content_tsv, ftsq.q) AS rank
          FROM (
            -- One query for all languages: each language's parse is already normalized lexemes,
            -- so their text forms OR-ed together cast back to a tsquery unchanged.
            SELECT string_agg('(' || per_language.q::text || ')', ' | ')::tsquery AS q
            FROM (
              SELECT to_tsquery(rag.search_config(l.language), string_agg(t.term, ' | ')) AS q
              FROM unnest(${languages}::text[]) AS l(language) CROSS JOIN unnest(${terms}::text[]) AS t(term)
              -- Stop words of the language parse to nothing; too common words are left out.
              WHERE numnode(plainto_tsquery(rag.search_config(l.language), t.term)) > 0 AND (
                SELECT count(*) FROM (
                  SELECT 1 FROM rag.document_chunk m
                  WHERE m.content_tsv @@ plainto_tsquery(rag.search_config(l.language), t.term) LIMIT ${FTS_MAX_TERM_CHUNKS + 1}
                ) matches
              ) <= ${FTS_MAX_TERM_CHUNKS}
              GROUP BY l.language
            ) per_language
          ) ftsq
          JOIN rag.document_chunk c ON c.content_tsv @@ ftsq.q
          JOIN rag.document d ON d.id = c.document_id
          WHERE ${documentFilter(params)}
          ORDER BY rank DESC, c.id
          LIMIT ${k}
        ) f`
    : Prisma.sql`SELECT NULL::uuid AS id, 0::bigint AS r WHERE false`;
  // Document-level fusion: each list ranks documents, not chunks, so one document cannot take
  // several of the first places. The vector list ranks a document by its best chunk; the
  // full-text list by the sum of its best FUSED_DOCUMENT_CHUNKS chunks' reciprocal ranks (a
  // question whose words fall in two sections of one document favours it). The result shown for
  // a document is its best-ranked chunk in either list (the vector list's on a tie).
  const W = Prisma.raw(String(FULL_TEXT_WEIGHT));
  const N = Prisma.raw(String(FUSED_DOCUMENT_CHUNKS));
  return Prisma.sql`
    WITH vec AS (${vec}), fts AS (${fts}),
    vec_chunks AS (SELECT vec.id, vec.r, c.document_id FROM vec JOIN rag.document_chunk c ON c.id = vec.id),
    fts_chunks AS (
      SELECT fts.id, fts.r, c.document_id, row_number() OVER (PARTITION BY c.document_id ORDER BY fts.r) AS in_document
      FROM fts JOIN rag.document_chunk c ON c.id = fts.id
    ),
    vec_documents AS (SELECT document_id, row_number() OVER (ORDER BY min(r), document_id) AS r FROM vec_chunks GROUP BY document_id),
    fts_documents AS (
      SELECT document_id, row_number() OVER (ORDER BY sum(1.0 / (${K} + r)) DESC, document_id) AS r
      FROM fts_chunks WHERE in_document <= ${N} GROUP BY document_id
    ),
    fused AS (
      SELECT COALESCE(v.document_id, f.document_id) AS document_id,
             (COALESCE(1.0 / (${K} + v.r), 0) + COALESCE(${W} / (${K} + f.r), 0)) * ${Prisma.raw(String(RRF_K + 1))} / (1 + ${W}) AS score
      FROM vec_documents v FULL JOIN fts_documents f ON f.document_id = v.document_id
    ),
    shown AS (
      SELECT DISTINCT ON (x.document_id) x.document_id, x.id FROM (
        SELECT document_id, id, r, 0 AS list FROM vec_chunks UNION ALL SELECT document_id, id, r, 1 FROM fts_chunks
      ) x ORDER BY x.document_id, x.r, x.list
    )
    SELECT c.id::text AS "chunkId", c.document_id::text AS "documentId", c.content, LEAST(1, fused.score)::float8 AS score
    FROM fused JOIN shown ON shown.document_id = fused.document_id JOIN rag.document_chunk c ON c.id = shown.id
    WHERE fused.score >= ${params.minScore}
    ORDER BY fused.score DESC, c.id
    LIMIT ${params.first}`;
}

/** As inTransaction (db/transaction.ts): Prisma's defaults (2 s to start, 5 s in all) fail first under load. */
const SEARCH_TX = { maxWait: 10_000, timeout: 15_000 };

/**
 * Runs one search. The SET LOCALs need a transaction: a two-statement batch transaction, which
 * holds PGlite's one connection only for those two statements.
 */
export async function searchChunks(prisma: RawClient, input: SearchInput): Promise<ChunkResult[]> {
  const statement = searchStatement(input);
  if (!statement) return [];
  const [, rows] = await prisma.$transaction([
    // relaxed_order: when the collection/language filter drops candidates, HNSW keeps scanning
    // instead of returning fewer than asked (pgvector >= 0.8); the outer query re-sorts.
    prisma.$queryRaw`SELECT set_config('hnsw.ef_search', ${String(input.efSearch)}, true), set_config('hnsw.iterative_scan', 'relaxed_order', true)`,
    prisma.$queryRaw<ChunkResult[]>(statement),
  ], SEARCH_TX);
  return rows.map((r) => ({ ...r, score: Number(r.score) }));
}
