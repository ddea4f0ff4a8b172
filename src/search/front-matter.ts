// YAML front matter (`---\n...\n---`) at the very top of a Markdown file.
import { parse as parseYaml, YAMLParseError } from 'yaml';

export interface FrontMatter {
  data: Record<string, unknown>;
  body: string;
}

export class FrontMatterError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'FrontMatterError';
  }
}

// The closing fence may end the file; `...` is YAML's own end-of-document marker.
const BLOCK = /^---[ \t]*\r?\n([\s\S]*?)^(?:---|\.\.\.)[ \t]*(?:\r?\n|$)/m;

function isMapping(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Splits front matter from the body. A file without front matter gives `{ data: {}, body }`.
 * Invalid YAML in a block that is clearly front matter throws FrontMatterError (a typo in a
 * title must not silently become body text).
 */
export function parseFrontMatter(text: string): FrontMatter {
  const source = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  const m = BLOCK.exec(source);
  if (!m || m.index !== 0) return { data: {}, body: source };
  let data: unknown;
  try {
    data = parseYaml(m[1]);
  } catch (err) {
    const detail = err instanceof YAMLParseError ? err.message.split('\n')[0] : String(err);
    throw new FrontMatterError(`invalid YAML front matter: ${detail}`);
  }
  if (data == null) data = {};
  if (!isMapping(data)) throw new FrontMatterError('front matter must be a YAML mapping (key: value lines)');
  return { data, body: source.slice(m[0].length) };
}

/**
 * Removes front matter when present, never throwing: a leading `---` whose block is not a YAML
 * mapping is a Markdown thematic break, and stays in the body.
 */
export function stripFrontMatter(text: string): string {
  try {
    return parseFrontMatter(text).body;
  } catch {
    return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  }
}
