import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { inspect } from 'node:util';
import { HashEmbedder, tokenize } from '../src/search/hash-embedder.ts';
import { analyze } from '../src/search/text-analysis.ts';
import { EmbeddingRequestError, OpenAIEmbedder, embeddingsEndpoint } from '../src/search/openai-embedder.ts';
import { createEmbedder } from '../src/search/embedders.ts';
import { cosineSimilarity, norm, parseVector, toVectorLiteral } from '../src/search/vector.ts';

describe('vector helpers', () => {
  it('writes and parses pgvector text', () => {
    expect(toVectorLiteral([1, -0.5, 2.5e-7])).toBe('[1,-0.5,2.5e-7]');
    expect(parseVector('[1,-0.5,2.5e-7]')).toEqual([1, -0.5, 2.5e-7]);
    expect(parseVector(' [] ')).toEqual([]);
    expect(() => toVectorLiteral([1, Number.NaN])).toThrow(RangeError);
    expect(() => parseVector('{1,2}')).toThrow(SyntaxError);
    expect(() => parseVector('[1,,2]')).toThrow(SyntaxError);
  });

  it('computes cosine similarity', () => {
    expect(cosineSimilarity([1, 0], [2, 0])).toBeCloseTo(1);
    expect(cosineSimilarity([1, 0], [0, 3])).toBeCloseTo(0);
    expect(cosineSimilarity([1, 1], [-1, -1])).toBeCloseTo(-1);
    expect(cosineSimilarity([0, 0], [1, 1])).toBe(0);
    expect(() => cosineSimilarity([1], [1, 2])).toThrow(RangeError);
  });
});

describe('HashEmbedder', () => {
  const embedder = new HashEmbedder();
  const one = async (text: string) => (await embedder.embed([text]))[0];
  const sim = async (a: string, b: string) => cosineSimilarity(await one(a), await one(b));

  it('is deterministic, 384-dimensional and unit-norm', async () => {
    const texts = ['Le harcèlement à l’école', 'Bloquer et signaler un compte', 'xy'];
    const a = await embedder.embed(texts);
    const b = await new HashEmbedder().embed(texts);
    expect(a).toEqual(b);
    expect(embedder.model).toBe('hash-v2-384');
    expect(embedder.dimensions).toBe(384);
    for (const v of a) {
      expect(v).toHaveLength(384);
      expect(norm(v)).toBeCloseTo(1, 10);
    }
    expect(await one('')).toEqual(new Array(384).fill(0)); // nothing to hash: no direction
    expect(await one('le la les x')).toEqual(new Array(384).fill(0)); // stop words and single letters only
  });

  it('stems per language (Snowball) after folding accents, so inflections meet; stop words do not count', async () => {
    // Same stem; the character trigrams (of the words as written) differ a little.
    expect(await sim('harcelé', 'harcèlement')).toBeGreaterThan(0.8);
    expect(await sim('harceler', 'harcelement')).toBeGreaterThan(0.8);
    expect(await sim('harcelé', 'harcèlement')).toBeGreaterThan(await sim('harcelé', 'hareng'));
    expect(await sim('ils se moquent de mes écrans', 'moquer ecran')).toBeGreaterThan(0.4);
    expect(await sim('the bullies keep bullying him', 'he was bullied')).toBeGreaterThan(0.4);
    expect(analyze('on m’a mis dans un groupe pour se moquer de moi').language).toBe('fr');
    expect(analyze('they put me in a group chat to laugh at me').language).toBe('en');
    expect(analyze('me insultan en el grupo de la clase').language).toBe('es');
    expect(analyze('mi prendono in giro nella chat della classe').language).toBe('it');
    expect(analyze('sie lachen mich in der Klasse aus und ich habe Angst').language).toBe('de');
    expect(analyze('os meus colegas gozam comigo no grupo da turma').language).toBe('pt');
    expect(analyze('harcelement photo').language).toBe('fr'); // no stop word: French, the first language
    expect(analyze('Le harcèlement, les harcelés').stems).toEqual(['harcel', 'harcel']);
  });

  it('normalizes: case, accents (NFKD), ligatures and punctuation do not matter', async () => {
    expect(tokenize("L'ÉLÈVE, harcelé ; cœur!")).toEqual(['l', 'eleve', 'harcele', 'coeur']);
    expect(await sim('harcèlement', 'harcelement')).toBeGreaterThan(0.99);
    expect(await sim('Le harcèlement à l’école', 'le harcelement a l ecole')).toBeGreaterThan(0.99);
    expect(await sim('CYBERHARCÈLEMENT', 'cyberharcelement')).toBeGreaterThan(0.99);
  });

  it('scores related texts well above unrelated ones', async () => {
    const query = 'on se moque de moi à l’école, que faire contre le harcèlement ?';
    const related = 'Harcèlement à l’école : quand les moqueries se répètent, parles-en à un adulte.';
    const unrelated = 'Recette de la tarte aux pommes : étaler la pâte brisée, cuire quarante minutes.';
    expect(await sim(query, related)).toBeGreaterThan(0.25);
    expect(Math.abs(await sim(query, unrelated))).toBeLessThan(0.15);
    expect(Math.abs(await sim('password security tips', 'bus schedule for tomorrow morning'))).toBeLessThan(0.15);
    // Inflections share character trigrams.
    expect(await sim('harceler', 'harcèlement')).toBeGreaterThan(0.15);
  });

  it('is fast: thousands of 800-character chunks per second', async () => {
    const base = 'Les élèves parlent de harcèlement, de réseaux sociaux et de confiance avec un adulte. ';
    const texts = Array.from({ length: 2000 }, (_, i) => `${i} ${base.repeat(10)}`.slice(0, 800));
    // CPU time of this process, not wall time: the machine may be shared with other busy work.
    const started = process.cpuUsage();
    await embedder.embed(texts);
    const used = process.cpuUsage(started);
    const perCpuSecond = texts.length / ((used.user + used.system) / 1e6);
    expect(perCpuSecond).toBeGreaterThan(1000);
  });
});

// ---------------------------------------------------------------- OpenAI-compatible provider

interface Seen {
  url: string;
  headers: http.IncomingHttpHeaders;
  body: { model: string; input: string[] };
}

type Handler = (req: Seen, n: number, res: http.ServerResponse) => void;

/** A deterministic vector for a text: the server "model" under test. */
const fakeVector = (text: string, dims: number) => Array.from({ length: dims }, (_, i) => (i === 0 ? text.length : (text.charCodeAt(i % text.length) || 1) / 100));

function answer(res: http.ServerResponse, input: string[], dims: number, reverse = false) {
  const data = input.map((t, index) => ({ object: 'embedding', index, embedding: fakeVector(t, dims) }));
  res.writeHead(200, { 'content-type': 'application/json' });
  res.end(JSON.stringify({ object: 'list', model: 'm', data: reverse ? data.reverse() : data, usage: { prompt_tokens: 1, total_tokens: 1 } }));
}

describe('OpenAIEmbedder against a local /v1/embeddings server', () => {
  let server: http.Server;
  let base: string;
  let seen: Seen[] = [];
  let handler: Handler;

  beforeAll(async () => {
    server = http.createServer((req, res) => {
      let raw = '';
      req.setEncoding('utf8');
      req.on('data', (c) => (raw += c));
      req.on('end', () => {
        const s: Seen = { url: req.url ?? '', headers: req.headers, body: JSON.parse(raw || '{}') };
        seen.push(s);
        handler(s, seen.length, res);
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });
  beforeEach(() => {
    seen = [];
    handler = (req, _n, res) => answer(res, req.body.input, 4);
  });

  const make = (o: Partial<ConstructorParameters<typeof OpenAIEmbedder>[0]> = {}) =>
    new OpenAIEmbedder({ url: base, model: 'test-model', dimensions: 4, retryBaseMs: 10, timeoutMs: 2000, maxRetries: 3, ...o });

  it('resolves the endpoint from a base URL', () => {
    expect(embeddingsEndpoint('http://h:1')).toBe('http://h:1/v1/embeddings');
    expect(embeddingsEndpoint('http://h:1/v1/')).toBe('http://h:1/v1/embeddings');
    expect(embeddingsEndpoint('http://h:1/api/v1/embeddings')).toBe('http://h:1/api/v1/embeddings');
  });

  it('posts {model, input} in batches and returns vectors in input order', async () => {
    handler = (req, n, res) => answer(res, req.body.input, 4, n === 2); // one batch answered out of order
    const texts = Array.from({ length: 10 }, (_, i) => `texte numéro ${i}${'!'.repeat(i)}`);
    const vectors = await make({ batchSize: 4 }).embed(texts);
    expect(seen.map((s) => s.body.input.length)).toEqual([4, 4, 2]);
    expect(seen.every((s) => s.url === '/v1/embeddings' && s.body.model === 'test-model')).toBe(true);
    expect(seen.flatMap((s) => s.body.input)).toEqual(texts);
    expect(vectors).toEqual(texts.map((t) => fakeVector(t, 4)));
    expect(await make().embed([])).toEqual([]);
    expect(seen).toHaveLength(3); // no request for nothing
  });

  it('sends Authorization: Bearer only when an API key is set, and never reveals the key', async () => {
    await make({ apiKey: 'sk-test-secret' }).embed(['a']);
    await make().embed(['b']);
    expect(seen[0].headers.authorization).toBe('Bearer sk-test-secret');
    expect(seen[1].headers.authorization).toBeUndefined();
    // Credentials in the URL (which fetch refuses) become Basic auth.
    await make({ url: `http://user:pw@127.0.0.1:${new URL(base).port}` }).embed(['c']);
    expect(seen[2].headers.authorization).toBe(`Basic ${Buffer.from('user:pw').toString('base64')}`);

    handler = (_req, _n, res) => {
      res.writeHead(401, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: { message: 'Incorrect API key provided: sk-test-secret' } }));
    };
    const embedder = make({ apiKey: 'sk-test-secret', url: `http://user:pw@127.0.0.1:${new URL(base).port}/v1?key=q` });
    const err = (await embedder.embed(['a']).then(
      () => undefined,
      (e: unknown) => e,
    )) as EmbeddingRequestError;
    expect(err).toBeInstanceOf(EmbeddingRequestError);
    expect(err.status).toBe(401);
    expect(err.message).toMatch(/HTTP 401/);
    for (const text of [err.message, String(err.stack), JSON.stringify(embedder), inspect(embedder, { depth: 5 })]) {
      expect(text).not.toContain('sk-test-secret');
      expect(text).not.toContain('pw@');
    }
  });

  it('retries a 429, honouring Retry-After seconds, then succeeds', async () => {
    handler = (req, n, res) => {
      if (n === 1) {
        res.writeHead(429, { 'retry-after': '1', 'content-type': 'application/json' });
        res.end('{"error":{"message":"rate limited"}}');
      } else answer(res, req.body.input, 4);
    };
    const started = performance.now();
    const [v] = await make({ retryBaseMs: 1 }).embed(['bonjour']);
    expect(performance.now() - started).toBeGreaterThanOrEqual(950);
    expect(seen).toHaveLength(2);
    expect(v).toEqual(fakeVector('bonjour', 4));
  });

  it('retries 5xx with backoff, then succeeds; gives up after maxRetries', async () => {
    handler = (req, n, res) => {
      if (n <= 2) {
        res.writeHead(n === 1 ? 500 : 503);
        res.end('oops');
      } else answer(res, req.body.input, 4);
    };
    await expect(make().embed(['x'])).resolves.toHaveLength(1);
    expect(seen).toHaveLength(3);

    seen = [];
    handler = (_req, _n, res) => {
      res.writeHead(502);
      res.end('bad gateway');
    };
    await expect(make({ maxRetries: 2 }).embed(['x'])).rejects.toMatchObject({ name: 'EmbeddingRequestError', status: 502 });
    expect(seen).toHaveLength(3);
  });

  it('does not retry other 4xx', async () => {
    handler = (_req, _n, res) => {
      res.writeHead(400, { 'content-type': 'application/json' });
      res.end('{"error":{"message":"input too long"}}');
    };
    await expect(make().embed(['x'])).rejects.toThrow(/HTTP 400: .*input too long/);
    expect(seen).toHaveLength(1);
  });

  it('honours the timeout (and retries a timed-out request)', async () => {
    handler = () => {}; // never answers
    const started = performance.now();
    await expect(make({ timeoutMs: 150, maxRetries: 1 }).embed(['x'])).rejects.toThrow(/timed out after 150 ms/);
    const elapsed = performance.now() - started;
    expect(elapsed).toBeGreaterThanOrEqual(290);
    expect(elapsed).toBeLessThan(1500);
    expect(seen).toHaveLength(2);
  });

  it('rejects vectors of the wrong dimension, and malformed responses, without retrying', async () => {
    handler = (req, _n, res) => answer(res, req.body.input, 3);
    await expect(make().embed(['x'])).rejects.toThrow(/3-dimensional vectors, 4 configured/);
    expect(seen).toHaveLength(1);

    handler = (_req, _n, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ data: [{ index: 0, embedding: ['a', 'b', 'c', 'd'] }] }));
    };
    await expect(make().embed(['x'])).rejects.toThrow(/unexpected shape/);

    handler = (_req, _n, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ data: [] }));
    };
    await expect(make().embed(['x', 'y'])).rejects.toThrow(/0 vectors for 2 inputs/);

    handler = (_req, _n, res) => {
      res.writeHead(200);
      res.end('<html>proxy error</html>');
    };
    await expect(make().embed(['x'])).rejects.toThrow(/not JSON/);
    expect(seen).toHaveLength(4);
  });

  it('retries when the connection fails', async () => {
    handler = (req, n, res) => {
      if (n === 1) res.socket?.destroy();
      else answer(res, req.body.input, 4);
    };
    await expect(make().embed(['x'])).resolves.toHaveLength(1);
    expect(seen).toHaveLength(2);
  });
});

describe('createEmbedder', () => {
  it('defaults to the hash embedder and picks the OpenAI-compatible one given url and model', () => {
    expect(createEmbedder()).toBeInstanceOf(HashEmbedder);
    expect(createEmbedder({}).model).toBe('hash-v2-384');
    const remote = createEmbedder({ url: 'http://127.0.0.1:9/v1', model: 'bge-small', apiKey: 'k' });
    expect(remote).toBeInstanceOf(OpenAIEmbedder);
    expect([remote.model, remote.dimensions]).toEqual(['bge-small', 384]);
    expect(() => createEmbedder({ provider: 'openai', model: 'x' })).toThrow(/url and a model/);
  });
});
