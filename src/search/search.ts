// The chunk search itself: VECTOR (pgvector HNSW, cosine) or HYBRID (the same vector candidates
// fused with PostgreSQL full-text ranking by reciprocal rank fusion), filtered by collection and
// optionally language in SQL. One statement for the search, preceded in the same transaction by
// the SET LOCALs HNSW needs (ef_search, iterative scan).
//
// A document's authored questions (ingest.ts) are one index-only row among its chunks: both
// rankings see it, so a question's words and meaning count for the document, but a result is
// always a content chunk (the row maps to one of its document's content chunks).
//
// Scores are in [0, 1], best first:
// - VECTOR: the cosine similarity of query and chunk, clamped at 0 (1 = same direction); for a
//   chunk standing for its document's questions, the questions' similarity when it is higher.
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

/**
 * Vector candidates: HNSW order (or exact order), best first, at most k; index-only rows (a
 * document's questions) included. Each with what fusion and tie-breaking need: its document, the
 * document's source (unique in a collection) and its ordinal.
 *
 * A stored zero vector (a text with no word the embedder keeps: the hash embedder gives one for a
 * question like "Et moi ?") has no direction: its cosine distance is NaN, which PostgreSQL sorts
 * after every number and which no score may carry. HNSW does not index it and the exact order
 * lists it last, so dropping it after the LIMIT loses no real candidate.
 */
function vectorCandidates(input: SearchInput, literal: string, k: number) {
  // `+ 0` hides the distance from the planner's index matching: the exact scan.
  const order = input.exact ? Prisma.sql`(c.embedding <=> ${literal}::vector) + 0` : Prisma.sql`c.embedding <=> ${literal}::vector`;
  return Prisma.sql`
    SELECT * FROM (
      SELECT c.id, c.document_id, c.ordinal, c.index_only, d.source COLLATE "C" AS source, c.embedding <=> ${literal}::vector AS distance
      FROM rag.document_chunk c JOIN rag.document d ON d.id = c.document_id
      WHERE ${documentFilter(input.params)} AND c.embedding IS NOT NULL
      ORDER BY ${order}
      LIMIT ${k}
    ) nearest
    WHERE nearest.distance <> 'NaN'::float8`;
}

/**
 * The content chunk shown for a document found through its index-only questions row (or found
 * by no content chunk of either list): the one nearest the query vector, else the best ranked by
 * the query's words, else the first. A scalar subquery on the document's rows (its
 * (document_id, ordinal) index); `+ 0` keeps the planner off the HNSW index for this ordering.
 */
function contentChunkOf(documentId: Prisma.Sql, literal: string | null, ftsQuery: Prisma.Sql | null) {
  const order: Prisma.Sql[] = [];
  if (literal) order.push(Prisma.sql`(s.embedding <=> ${literal}::vector) + 0`);
  if (ftsQuery) order.push(Prisma.sql`ts_rank_cd(s.content_tsv, ${ftsQuery}) DESC`);
  order.push(Prisma.sql`s.ordinal`);
  return Prisma.sql`(
    SELECT s.id FROM rag.document_chunk s
    WHERE s.document_id = ${documentId} AND NOT s.index_only
    ORDER BY ${Prisma.join(order)}
    LIMIT 1)`;
}

/** An empty candidate list, shaped as HYBRID's ranked lists (vec, fts): for a side with nothing to search with. */
const NO_CANDIDATES = Prisma.sql`SELECT NULL::uuid AS id, NULL::uuid AS document_id, false AS index_only, NULL::text AS source, 0::bigint AS r WHERE false`;

/** The search statement (exported for the benchmark's EXPLAIN); null when there is nothing to search with. */
export function searchStatement(input: SearchInput) {
  const { params } = input;
  const k = candidatesFor(params.first);
  // A zero vector (a query of punctuation only) has no direction: no vector candidates.
  const literal = norm(input.vector) > 0 ? toVectorLiteral(input.vector) : null;

  // Ties (equal distance or score: repeated boilerplate, equal ranks) are broken by the
  // document's source, then the chunk's ordinal: the same order after every ingest (chunk ids
  // are random per ingest). Sources compare byte-wise (COLLATE "C", set where they are selected):
  // the same order on every database whatever its locale, and cheaper than a locale's rules.
  if (params.mode === 'VECTOR') {
    if (!literal) return null;
    // A questions row stands for its document's content chunk nearest the query, at the
    // questions' distance; a chunk reached both ways appears once, at the smaller distance.
    // Streaming: no GROUP BY over the candidates (it would read all k of them); the nested loop
    // keeps their distance order, so the outer LIMIT stops the HNSW scan after about `first`
    // rows. Of such a pair only the nearer row is kept, each row checking the other with
    // single-row lookups: a questions row is dropped when the chunk it stands for is at least as
    // near (that chunk comes on its own), a content chunk when its document's questions row is
    // strictly nearer and stands for it. If HNSW missed the nearer row of a pair, the chunk is
    // missing like any chunk HNSW misses (exact candidates always hold the nearer row). A NaN
    // distance (zero vector) on either side never drops the other row. Each questions row drops
    // at most one row, so k = 4 * first candidates still give first results.
    const distance = (alias: string) => Prisma.sql`(${Prisma.raw(alias)}.embedding <=> ${literal}::vector)`;
    return Prisma.sql`
      SELECT c.id::text AS "chunkId", c.document_id::text AS "documentId", c.content,
             GREATEST(0, 1 - v.distance)::float8 AS score
      FROM (${vectorCandidates(input, literal, k)}) v
      JOIN rag.document_chunk c
        ON c.id = CASE WHEN v.index_only THEN ${contentChunkOf(Prisma.sql`v.document_id`, literal, null)} ELSE v.id END
      WHERE GREATEST(0, 1 - v.distance) >= ${params.minScore}
        AND CASE WHEN v.index_only
          -- IS NOT TRUE: a NULL (no embedding) never drops the questions row.
          THEN (${distance('c')} <= v.distance) IS NOT TRUE
          ELSE (
            -- The document's last row: its questions row if it has one (one index tuple). CASE:
            -- the document's chunks are read only when that row is nearer.
            SELECT CASE WHEN l.index_only AND ${distance('l')} < v.distance
              THEN ${contentChunkOf(Prisma.sql`v.document_id`, literal, null)} <> v.id ELSE true END
            FROM rag.document_chunk l WHERE l.document_id = v.document_id ORDER BY l.ordinal DESC LIMIT 1)
        END
      ORDER BY v.distance, v.source, c.ordinal
      LIMIT ${params.first}`;
  }

  const terms = [...input.textTerms];
  if (!literal && terms.length === 0) return null;
  // Constants, inlined: the normalization is exact in numeric arithmetic.
  const K = Prisma.raw(String(RRF_K));
  const vec = literal
    ? Prisma.sql`
        SELECT v.id, v.document_id, v.index_only, v.source, row_number() OVER (ORDER BY v.distance, v.source, v.ordinal) AS r
        FROM (${vectorCandidates(input, literal, k)}) v`
    : NO_CANDIDATES;
  // The words rare enough to rank by, OR-ed (an AND of a question's words almost never matches),
  // each parsed in the query's language(s) (rag.search_config: stemmed, stop words dropped, accents
  // folded, as the chunks were); ts_rank_cd reads the stored tsvector (content_tsv) the GIN index covers.
  const languages = queryLanguagesOf(params);
  const ftsq = Prisma.sql`
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
    ) per_language`;
  const fts = terms.length
    ? Prisma.sql`
        SELECT id, document_id, index_only, source, row_number() OVER (ORDER BY rank DESC, source, ordinal) AS r FROM (
          SELECT c.id, c.document_id, c.index_only, d.source COLLATE "C" AS source, c.ordinal, ts_rank_cd(c.content_tsv, ftsq.q) AS rank
          FROM ftsq
          JOIN rag.document_chunk c ON c.content_tsv @@ ftsq.q
          JOIN rag.document d ON d.id = c.document_id
          WHERE ${documentFilter(params)}
          ORDER BY rank DESC, d.source COLLATE "C", c.ordinal
          LIMIT ${k}
        ) f`
    : NO_CANDIDATES;
  // Document-level fusion: each list ranks documents, not chunks, so one document cannot take
  // several of the first places. The vector list ranks a document by its best row; the full-text
  // list by the sum of its best FUSED_DOCUMENT_CHUNKS rows' reciprocal ranks (a question whose
  // words fall in two sections of one document favours it). A document's questions row is one of
  // its rows here, on both sides. The result shown for a document is its best-ranked content
  // chunk in either list (the vector list's on a tie), else contentChunkOf: never the questions.
  const W = Prisma.raw(String(FULL_TEXT_WEIGHT));
  const N = Prisma.raw(String(FUSED_DOCUMENT_CHUNKS));
  return Prisma.sql`
    WITH ${terms.length ? Prisma.sql`ftsq AS (${ftsq}),` : Prisma.empty} vec AS (${vec}), fts AS (${fts}),
    fts_chunks AS (SELECT fts.*, row_number() OVER (PARTITION BY document_id ORDER BY r) AS in_document FROM fts),
    vec_documents AS (
      SELECT document_id, min(source) AS source, row_number() OVER (ORDER BY min(r)) AS r FROM vec GROUP BY document_id
    ),
    fts_documents AS (
      SELECT document_id, min(source) AS source, row_number() OVER (ORDER BY sum(1.0 / (${K} + r)) DESC, min(source)) AS r
      FROM fts_chunks WHERE in_document <= ${N} GROUP BY document_id
    ),
    fused AS (
      SELECT COALESCE(v.document_id, f.document_id) AS document_id, COALESCE(v.source, f.source) AS source,
             (COALESCE(1.0 / (${K} + v.r), 0) + COALESCE(${W} / (${K} + f.r), 0)) * ${Prisma.raw(String(RRF_K + 1))} / (1 + ${W}) AS score
      FROM vec_documents v FULL JOIN fts_documents f ON f.document_id = v.document_id
    ),
    listed AS (
      SELECT DISTINCT ON (x.document_id) x.document_id, x.id FROM (
        SELECT document_id, id, r, 0 AS list FROM vec WHERE NOT index_only
        UNION ALL SELECT document_id, id, r, 1 FROM fts WHERE NOT index_only
      ) x ORDER BY x.document_id, x.r, x.list
    ),
    shown AS (
      SELECT fused.score, fused.source,
             COALESCE(listed.id, ${contentChunkOf(Prisma.sql`fused.document_id`, literal, terms.length ? Prisma.sql`(SELECT q FROM ftsq)` : null)}) AS id
      FROM fused LEFT JOIN listed ON listed.document_id = fused.document_id
      WHERE fused.score >= ${params.minScore}
      ORDER BY fused.score DESC, fused.source
      LIMIT ${params.first}
    )
    SELECT c.id::text AS "chunkId", c.document_id::text AS "documentId", c.content, LEAST(1, shown.score)::float8 AS score
    FROM shown JOIN rag.document_chunk c ON c.id = shown.id
    ORDER BY shown.score DESC, shown.source`;
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
