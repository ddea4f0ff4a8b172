import { describe, expect, it } from 'vitest';
import { chunkMarkdown, chunkText, type Chunk } from '../src/search/chunker.ts';
import { parseFrontMatter, stripFrontMatter, FrontMatterError } from '../src/search/front-matter.ts';

/** A seeded generator: the fixtures are random-looking but the same on every run. */
function rng(seed: number) {
  return () => ((seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0) / 2 ** 32);
}

const WORDS = (
  'harcèlement école élève parents confiance message téléphone réseau sociaux insulte moquerie groupe classe ' +
  'récréation adulte professeur infirmière courage parler écouter aider ami amie protéger signaler bloquer ' +
  "capture écran preuve rumeur photo partager respect différence l'équipe aujourd'hui peut-être quelqu'un " +
  'the a to of and is it you that with for on be'
).split(' ');

function sentence(r: () => number) {
  const n = 5 + Math.floor(r() * 16);
  const words = Array.from({ length: n }, () => WORDS[Math.floor(r() * WORDS.length)]);
  words[0] = words[0][0].toUpperCase() + words[0].slice(1);
  return `${words.join(' ')}${['.', '.', '!', ' ?', '…'][Math.floor(r() * 5)]}`;
}

function paragraph(r: () => number, sentences = 2 + Math.floor(r() * 5)) {
  return Array.from({ length: sentences }, () => sentence(r)).join(' ');
}

/** Front matter, a preamble, nested headings, lists, a fenced block with a fake heading, a run-on sentence, a giant word. */
function fixture(seed = 7): string {
  const r = rng(seed);
  const parts = ['---', 'title: Essai', 'language: fr', 'collection: YOUTH', 'tags: [a, b]', '---', paragraph(r, 3), ''];
  for (let s = 0; s < 6; s++) {
    parts.push(`${'#'.repeat(1 + (s % 3))} Section ${s} : ${WORDS[s]}`, '');
    for (let p = 0; p < 2 + (s % 4); p++) parts.push(paragraph(r), '');
    if (s === 1) parts.push('- premier point à retenir', '- deuxième point, plus long que le premier', '1. numéroté', '2. encore', '');
    if (s === 2) parts.push('```', '# not a heading, code', 'const x = 1;', '', 'more code', '```', '');
    if (s === 3) parts.push(Array.from({ length: 260 }, () => WORDS[Math.floor(r() * WORDS.length)]).join(' '), '');
    if (s === 4) parts.push(`Un mot géant : ${'x'.repeat(1000)} puis la suite de la phrase.`, '');
  }
  return parts.join('\n');
}

const isSpace = (c: string | undefined) => c !== undefined && /\s/.test(c);
const bodyOf = (c: Chunk) => (c.heading && c.text.startsWith(`${c.heading}\n\n`) ? c.text.slice(c.heading.length + 2) : c.text);
/** A chunk that is one word longer than the target: the only chunk allowed to exceed it. */
const isGiantWord = (c: Chunk) => !/\s/.test(bodyOf(c));

describe('front matter', () => {
  it('parses YAML front matter and returns the body', () => {
    const { data, body } = parseFrontMatter('---\ntitle: Bonjour\ntags: [x, y]\n---\n# Titre\n\nTexte');
    expect(data).toEqual({ title: 'Bonjour', tags: ['x', 'y'] });
    expect(body).toBe('# Titre\n\nTexte');
  });

  it('handles CRLF, a BOM, empty front matter and files without any', () => {
    expect(parseFrontMatter('\ufeff---\r\ntitle: A\r\n---\r\nbody')).toEqual({ data: { title: 'A' }, body: 'body' });
    expect(parseFrontMatter('---\n---\nbody')).toEqual({ data: {}, body: 'body' });
    expect(parseFrontMatter('# No front matter\n---\nx: 1\n---')).toEqual({ data: {}, body: '# No front matter\n---\nx: 1\n---' });
  });

  it('rejects invalid YAML or a non-mapping, but stripFrontMatter keeps such text as body', () => {
    expect(() => parseFrontMatter('---\ntitle: [unclosed\n---\nbody')).toThrow(FrontMatterError);
    expect(() => parseFrontMatter('---\njust a sentence\n---\nbody')).toThrow(/mapping/);
    expect(stripFrontMatter('---\njust a sentence\n---\nbody')).toBe('---\njust a sentence\n---\nbody');
  });
});

describe('chunkText', () => {
  const doc = fixture();
  const targets = [{ targetSize: 800, overlap: 120 }, { targetSize: 300, overlap: 60 }, { targetSize: 1500, overlap: 200 }];

  it('strips front matter and is deterministic', () => {
    const a = chunkText(doc);
    expect(a).toEqual(chunkText(doc));
    expect(a).toEqual(chunkText(stripFrontMatter(doc)));
    expect(a.join('\n')).not.toMatch(/collection: YOUTH/);
    expect(chunkMarkdown(doc).chunks.map((c) => c.text)).toEqual(a);
  });

  for (const opts of targets) {
    describe(`target ${opts.targetSize}, overlap ${opts.overlap}`, () => {
      const { body, chunks } = chunkMarkdown(doc, opts);

      it('never cuts a word: every chunk is a slice of the source that starts and ends at whitespace', () => {
        expect(chunks.length).toBeGreaterThan(3);
        for (const c of chunks) {
          expect(body.slice(c.start, c.end)).toBe(bodyOf(c));
          expect(c.start === 0 || isSpace(body[c.start - 1])).toBe(true);
          expect(isSpace(body[c.start])).toBe(false);
          expect(c.end === body.length || isSpace(body[c.end])).toBe(true);
          expect(isSpace(body[c.end - 1])).toBe(false);
        }
        // The same, seen only through chunkText: each chunk's words are whole words of the source.
        const words = new Set(body.split(/\s+/));
        for (const text of chunkText(doc, opts)) {
          const b = text.replace(/^#{1,6} [^\n]*\n\n/, '');
          for (const w of b.split(/\s+/)) expect(words.has(w), `"${w}" is not a word of the source`).toBe(true);
          expect(body).toContain(b);
        }
      });

      it('loses no text: every non-space character outside heading lines is in some chunk', () => {
        const covered = new Uint8Array(body.length);
        for (const c of chunks) covered.fill(1, c.start, c.end);
        const headingLines = [...body.matchAll(/^#{1,6} .*$/gm)]
          .filter((m) => !m[0].includes('not a heading'))
          .map((m) => [m.index!, m.index! + m[0].length]);
        for (let i = 0; i < body.length; i++) {
          if (isSpace(body[i]) || covered[i]) continue;
          expect(headingLines.some(([s, e]) => i >= s && i < e), `character ${i} (${body.slice(i, i + 20)}) is in no chunk`).toBe(true);
        }
      });

      it('keeps sizes around the target', () => {
        const sections = groupBySection(chunks);
        for (const group of sections) {
          group.forEach((c, i) => {
            if (isGiantWord(c)) {
              expect(c.text.length).toBeGreaterThan(opts.targetSize);
              return;
            }
            expect(c.text.length).toBeLessThanOrEqual(opts.targetSize);
            // A chunk may end early at a paragraph break, but not absurdly early (unless a giant word follows).
            const next = group[i + 1];
            if (next && !isGiantWord(next)) expect(c.text.length).toBeGreaterThanOrEqual(opts.targetSize * 0.5);
          });
        }
      });

      it('overlaps consecutive chunks of a section by about `overlap` characters', () => {
        const overlaps: number[] = [];
        for (const group of groupBySection(chunks)) {
          for (let i = 1; i < group.length; i++) {
            const [prev, next] = [group[i - 1], group[i]];
            expect(next.start).toBeGreaterThan(prev.start);
            if (isGiantWord(prev) || isGiantWord(next)) continue;
            const shared = prev.end - next.start;
            expect(shared, `no overlap between chunks at ${prev.start} and ${next.start}`).toBeGreaterThan(0);
            expect(shared).toBeLessThanOrEqual(opts.overlap * 1.5);
            expect(bodyOf(prev).endsWith(body.slice(next.start, prev.end))).toBe(true);
            overlaps.push(shared);
          }
        }
        expect(overlaps.length).toBeGreaterThan(2);
        const mean = overlaps.reduce((a, b) => a + b, 0) / overlaps.length;
        expect(mean).toBeGreaterThan(opts.overlap * 0.5);
        expect(mean).toBeLessThan(opts.overlap * 1.5);
      });

      it('respects headings: no chunk crosses one, and each starts with its section heading', () => {
        for (const c of chunks) {
          const slice = body.slice(c.start, c.end);
          expect(slice.split('\n').filter((l) => /^#{1,6} /.test(l) && !l.includes('not a heading'))).toEqual([]);
          const before = [...body.slice(0, c.start).matchAll(/^#{1,6} .*$/gm)].filter((m) => !m[0].includes('not a heading')).pop();
          expect(c.heading).toBe(before ? before[0] : null);
          if (c.heading) expect(c.text.startsWith(`${c.heading}\n\n`)).toBe(true);
        }
        expect(chunks.some((c) => c.heading === null)).toBe(true); // the preamble
        expect(chunks.some((c) => c.text.includes('# not a heading, code'))).toBe(true); // fenced code stays text
      });
    });
  }

  it('emits a word longer than the target whole, alone', () => {
    const giant = chunkMarkdown(doc).chunks.filter(isGiantWord);
    expect(giant).toHaveLength(1);
    expect(bodyOf(giant[0])).toBe('x'.repeat(1000));
  });

  it('prefers paragraph and sentence boundaries', () => {
    const { body, chunks } = chunkMarkdown(doc, { targetSize: 800, overlap: 120 });
    const ends = chunks.filter((c) => !isGiantWord(c)).map((c) => body.slice(c.end - 1, c.end + 2));
    const atParagraph = ends.filter((e) => e.slice(1) === '\n\n' || e.length === 1).length;
    const atSentence = ends.filter((e) => /[.!?…:;]/.test(e[0]) || e.slice(1) === '\n\n').length;
    expect(atParagraph / ends.length).toBeGreaterThan(0.5);
    expect(atSentence / ends.length).toBeGreaterThan(0.8);
  });

  it('changes only the edited section’s chunks when a paragraph changes', () => {
    const before = chunkMarkdown(doc);
    const edited = doc.replace('## Section 4', '## Section 4\n\nUne phrase ajoutée au début de la section quatre.');
    const after = chunkMarkdown(edited);
    const unchanged = (cs: Chunk[]) => cs.filter((c) => !c.heading?.startsWith('## Section 4')).map((c) => c.text);
    expect(unchanged(after.chunks)).toEqual(unchanged(before.chunks));
  });

  it('handles tiny, empty and heading-only input; headingContext: false keeps headings in the text', () => {
    expect(chunkText('')).toEqual([]);
    expect(chunkText('---\ntitle: x\n---\n')).toEqual([]);
    expect(chunkText('Un mot.')).toEqual(['Un mot.']);
    expect(chunkText('# Titre\n\nUn mot.')).toEqual(['# Titre\n\nUn mot.']);
    expect(chunkText('# Titre\n\nUn mot.', { headingContext: false })).toEqual(['# Titre\n\nUn mot.']);
    const noPrefix = chunkMarkdown(fixture(), { headingContext: false });
    expect(noPrefix.chunks.every((c) => noPrefix.body.slice(c.start, c.end) === c.text)).toBe(true);
    expect(noPrefix.chunks.some((c) => c.text.startsWith('## Section 1'))).toBe(true);
  });

  it('rejects nonsensical options', () => {
    expect(() => chunkText('x', { targetSize: 5 })).toThrow(RangeError);
    expect(() => chunkText('x', { targetSize: 100, overlap: 60 })).toThrow(RangeError);
  });
});

function groupBySection(chunks: Chunk[]): Chunk[][] {
  const groups: Chunk[][] = [];
  let key: string | null | undefined;
  let lastStart = -1;
  for (const c of chunks) {
    // A new group when the heading changes (two sections may share a heading text: compare positions too).
    if (c.heading !== key || c.start < lastStart) groups.push([]);
    groups[groups.length - 1].push(c);
    key = c.heading;
    lastStart = c.start;
  }
  return groups;
}
