// pgvector's text format and plain-JS vector math. Vectors cross the Prisma boundary as text
// (the column is `Unsupported`): written as a `$n::vector` parameter, read back as `embedding::text`.

/** `[a,b,...]`, the text form `::vector` accepts. Rejects NaN and infinities, which pgvector refuses anyway. */
export function toVectorLiteral(v: readonly number[]): string {
  let out = '[';
  for (let i = 0; i < v.length; i++) {
    const x = v[i];
    if (!Number.isFinite(x)) throw new RangeError(`vector component ${i} is not a finite number: ${x}`);
    out += i === 0 ? String(x) : `,${x}`;
  }
  return `${out}]`;
}

/** Parses pgvector's text output (`[0.1,-0.2,...]`). */
export function parseVector(text: string): number[] {
  const s = text.trim();
  if (s[0] !== '[' || s[s.length - 1] !== ']') throw new SyntaxError(`not a vector literal: ${s.slice(0, 40)}`);
  const body = s.slice(1, -1).trim();
  if (body === '') return [];
  return body.split(',').map((part, i) => {
    const x = Number(part);
    if (part.trim() === '' || !Number.isFinite(x)) throw new SyntaxError(`vector component ${i} is not a number: ${part}`);
    return x;
  });
}

export function dot(a: readonly number[], b: readonly number[]): number {
  if (a.length !== b.length) throw new RangeError(`dimension mismatch: ${a.length} vs ${b.length}`);
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * b[i];
  return s;
}

export function norm(a: readonly number[]): number {
  return Math.sqrt(dot(a, a));
}

/** Cosine similarity in [-1, 1]; 0 when either vector is all zeros (no direction to compare). */
export function cosineSimilarity(a: readonly number[], b: readonly number[]): number {
  const d = dot(a, b);
  const n = norm(a) * norm(b);
  return n === 0 ? 0 : d / n;
}
