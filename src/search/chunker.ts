// Splits Markdown into retrieval chunks: by heading first, then paragraph, then sentence, then
// (only for a sentence longer than a chunk) word. Chunks are exact slices of the source, so no
// chunk ever starts or ends inside a word; the only chunk longer than the target is a single word
// longer than the target. Consecutive chunks of a section overlap by about `overlap` characters
// so that a sentence cut at a boundary is still whole in one of them.
//
// Packing is greedy from the start of each section, so an edit only changes the chunks of its own
// section from the edit onwards: re-ingesting an edited document re-embeds little.
import { stripFrontMatter } from './front-matter.ts';

export interface ChunkOptions {
  /** Target chunk length in characters, heading prefix included. */
  targetSize?: number;
  /** Characters repeated from the end of a chunk at the start of the next one (same section). */
  overlap?: number;
  /** Start every chunk of a section with the section's heading line (context for retrieval). */
  headingContext?: boolean;
}

export interface Chunk {
  /** What gets embedded and stored: the heading line, a blank line, then body[start, end). */
  text: string;
  /** The section's heading line (e.g. `## Que faire ?`), or null before the first heading. */
  heading: string | null;
  /** Offsets of the chunk's slice in the returned body. */
  start: number;
  end: number;
}

/** Boundary strengths: the packer prefers to cut at the strongest boundary that keeps a chunk full enough. */
const PARAGRAPH = 2;
const SENTENCE = 1;
const WORD = 0;

/** A chunk may end early, at a stronger boundary, once it holds this share of its budget. */
const MIN_FILL = 0.6;

interface Unit {
  start: number;
  end: number;
  /** Strength of the boundary before this unit. */
  before: number;
}

interface Section {
  heading: string | null;
  /** Offset of the heading line itself. */
  headingStart: number;
  start: number;
  end: number;
}

const FENCE = /^ {0,3}(`{3,}|~{3,})/;
const HEADING = /^ {0,3}#{1,6}(?:[ \t]|$)/;
const LIST_OR_QUOTE = /^[ \t]*(?:[-*+][ \t]|\d{1,3}[.)][ \t]|>|\|)/;
const SENTENCE_END = '.!?…';
const CLOSERS = '.!?…"\'»”’)]*_';

const isSpace = (c: string | undefined) => c === ' ' || c === '\t' || c === '\n' || c === '\r' || c === '\f' || c === '\v' || (c !== undefined && /\s/.test(c));

function skipSpace(text: string, p: number, to: number) {
  while (p < to && isSpace(text[p])) p++;
  return p;
}

function trimEnd(text: string, from: number, p: number) {
  while (p > from && isSpace(text[p - 1])) p--;
  return p;
}

/** Lines of text[from, to) with their offsets (without the newline). */
function lines(text: string, from = 0, to = text.length): { start: number; end: number }[] {
  const out: { start: number; end: number }[] = [];
  let start = from;
  while (start <= to) {
    const nl = text.indexOf('\n', start);
    const end = nl === -1 || nl > to ? to : nl;
    out.push({ start, end });
    if (end === to) break;
    start = nl + 1;
  }
  return out;
}

/** Sections between ATX headings (`#` lines outside fenced code). */
function sections(text: string, headingContext: boolean): Section[] {
  const out: Section[] = [];
  let current: Section = { heading: null, headingStart: 0, start: 0, end: text.length };
  let fence: string | null = null;
  for (const line of lines(text)) {
    const s = text.slice(line.start, line.end);
    const f = FENCE.exec(s);
    if (f) {
      if (fence === null) fence = f[1][0];
      else if (f[1][0] === fence) fence = null;
      continue;
    }
    if (fence === null && HEADING.test(s)) {
      current.end = line.start;
      out.push(current);
      const heading = s.trim();
      // Without a prefix the heading line stays in the body, so its words are still indexed.
      current = {
        heading,
        headingStart: line.start,
        start: headingContext ? Math.min(line.end + 1, text.length) : line.start,
        end: text.length,
      };
    }
  }
  out.push(current);
  return out.filter((sec) => skipSpace(text, sec.start, sec.end) < sec.end);
}

/** Paragraphs: runs of non-blank lines; a fenced code block is one paragraph, blank lines included. */
function paragraphs(text: string, from: number, to: number): { start: number; end: number; code: boolean }[] {
  const out: { start: number; end: number; code: boolean }[] = [];
  let open: { start: number; end: number; code: boolean } | null = null;
  let fence: string | null = null;
  for (const line of lines(text, from, to)) {
    const ls = line.start;
    const s = text.slice(ls, line.end);
    const f = FENCE.exec(s);
    if (fence !== null) {
      open!.end = line.end;
      if (f && f[1][0] === fence) {
        fence = null;
        out.push(open!);
        open = null;
      }
      continue;
    }
    if (f) {
      if (open) out.push(open);
      fence = f[1][0];
      open = { start: ls + s.search(/\S/), end: line.end, code: true };
      continue;
    }
    if (s.trim() === '') {
      if (open) out.push(open);
      open = null;
      continue;
    }
    if (!open) open = { start: ls + s.search(/\S/), end: line.end, code: false };
    else open.end = line.end;
  }
  if (open) out.push(open);
  return out.map((p) => ({ ...p, end: trimEnd(text, p.start, p.end) })).filter((p) => p.end > p.start);
}

/** True when text[from, dot) is a line's leading number, as in the list item `3. Do this`. */
function listNumberBefore(text: string, from: number, dot: number) {
  let p = dot;
  while (p > from && text.charCodeAt(p - 1) >= 48 && text.charCodeAt(p - 1) <= 57) p--;
  if (p === dot || dot - p > 3) return false;
  while (p > from && (text[p - 1] === ' ' || text[p - 1] === '\t')) p--;
  return p === from || text[p - 1] === '\n';
}

/** Sentences of a paragraph; list items, quote and table lines (and code lines) count as sentences. */
function sentences(text: string, from: number, to: number, code: boolean): { start: number; end: number }[] {
  const out: { start: number; end: number }[] = [];
  let segStart = skipSpace(text, from, to);
  let p = segStart;
  while (p < to) {
    const ch = text[p];
    let cut = -1;
    let resume = -1;
    if (!code && SENTENCE_END.includes(ch) && !(ch === '.' && listNumberBefore(text, segStart, p))) {
      let q = p + 1;
      while (q < to && CLOSERS.includes(text[q])) q++;
      if (q >= to || isSpace(text[q])) {
        cut = q;
        resume = q;
      } else {
        p = q;
        continue;
      }
    } else if (ch === '\n') {
      const next = text.slice(p + 1, Math.min(p + 12, to));
      if (code || LIST_OR_QUOTE.test(next)) {
        cut = p;
        resume = p + 1;
      }
    }
    if (cut >= 0) {
      const end = trimEnd(text, segStart, cut);
      if (end > segStart) out.push({ start: segStart, end });
      segStart = skipSpace(text, resume, to);
      p = segStart;
      continue;
    }
    p++;
  }
  const end = trimEnd(text, segStart, to);
  if (end > segStart) out.push({ start: segStart, end });
  return out;
}

function units(text: string, section: Section, budget: number): Unit[] {
  const out: Unit[] = [];
  for (const para of paragraphs(text, section.start, section.end)) {
    let before = PARAGRAPH;
    for (const sentence of sentences(text, para.start, para.end, para.code)) {
      if (sentence.end - sentence.start <= budget) {
        out.push({ ...sentence, before });
      } else {
        // Only a sentence that cannot fit a chunk is cut, and then between words.
        const words = /\S+/g;
        words.lastIndex = sentence.start;
        let m: RegExpExecArray | null;
        let first = true;
        while ((m = words.exec(text)) && m.index < sentence.end) {
          out.push({ start: m.index, end: m.index + m[0].length, before: first ? before : WORD });
          first = false;
        }
      }
      before = SENTENCE;
    }
  }
  return out;
}

/**
 * Start of the overlap: preferably a sentence start within half an overlap of `end - overlap`,
 * else the word start nearest to it.
 */
function overlapStart(text: string, chunk: Unit[], chunkStart: number, end: number, overlap: number, latestUseful: number): number | null {
  if (overlap <= 0) return null;
  // Never repeat more than half of a chunk, and leave room for the next unit.
  const earliest = Math.max(chunkStart + 1, chunkStart + Math.ceil((end - chunkStart) / 2), latestUseful);
  const target = end - overlap;
  let best: number | null = null;
  for (const u of chunk) {
    if (u.before >= SENTENCE && u.start >= earliest && u.start < end && Math.abs(u.start - target) <= overlap / 2) {
      if (best === null || Math.abs(u.start - target) < Math.abs(best - target)) best = u.start;
    }
  }
  if (best !== null) return best;
  for (let p = earliest; p < end; p++) {
    if (!isSpace(text[p]) && isSpace(text[p - 1])) {
      if (best === null || Math.abs(p - target) < Math.abs(best - target)) best = p;
      else if (p > target) break; // moving away from the target from here on
    }
  }
  return best;
}

export function chunkMarkdown(markdown: string, options: ChunkOptions = {}): { body: string; chunks: Chunk[] } {
  const targetSize = options.targetSize ?? 800;
  const overlap = options.overlap ?? 120;
  const headingContext = options.headingContext ?? true;
  if (!(targetSize >= 20)) throw new RangeError('targetSize must be at least 20');
  if (!(overlap >= 0 && overlap < targetSize / 2)) throw new RangeError('overlap must be in [0, targetSize / 2)');

  const body = stripFrontMatter(markdown).replace(/\r\n?/g, '\n');
  const chunks: Chunk[] = [];
  for (const section of sections(body, headingContext)) {
    // A heading longer than a quarter of the target is not repeated: it would crowd out the text.
    const prefix = headingContext && section.heading && section.heading.length <= targetSize / 4 ? `${section.heading}\n\n` : '';
    if (headingContext && section.heading && !prefix) section.start = section.headingStart;
    const budget = targetSize - prefix.length;
    const us = units(body, section, budget);
    let i = 0;
    let chunkStart = us.length ? us[0].start : 0;
    while (i < us.length) {
      let j = i;
      while (j + 1 < us.length && us[j + 1].end - chunkStart <= budget) j++;
      let k = j;
      if (j + 1 < us.length) {
        // Full: cut at the strongest boundary among those that leave the chunk at least MIN_FILL full.
        let bestStrength = us[j + 1].before;
        for (let c = j - 1; c >= i; c--) {
          if (us[c].end - chunkStart < MIN_FILL * budget) break;
          if (us[c + 1].before > bestStrength) {
            bestStrength = us[c + 1].before;
            k = c;
          }
        }
      }
      const end = us[k].end;
      const i0 = i;
      chunks.push({ text: prefix + body.slice(chunkStart, end), heading: section.heading, start: chunkStart, end });
      i = k + 1;
      if (i < us.length) {
        const s = overlapStart(body, us.slice(i0, i), chunkStart, end, overlap, us[i].end - budget);
        chunkStart = s ?? us[i].start;
      }
    }
  }
  return { body, chunks };
}

/** The chunk texts of a Markdown document (front matter, if any, is ignored). */
export function chunkText(markdown: string, options: ChunkOptions = {}): string[] {
  return chunkMarkdown(markdown, options).chunks.map((c) => c.text);
}
