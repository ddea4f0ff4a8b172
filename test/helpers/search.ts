// Search test helpers: a local OpenAI-compatible embeddings server that counts what reaches the
// provider (answering with the hash embedder's vectors), and the GraphQL documents the search tests send.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { HashEmbedder } from '../../src/search/hash-embedder.ts';

export interface EmbeddingServer {
  url: string;
  /** Requests received, and the texts they carried. */
  calls: number;
  texts: string[];
  reset(): void;
  close(): Promise<void>;
}

export async function startEmbeddingServer(dimensions = 384): Promise<EmbeddingServer> {
  const hash = new HashEmbedder({ dimensions });
  const state = { calls: 0, texts: [] as string[] };
  const server = http.createServer((req, res) => {
    let raw = '';
    req.setEncoding('utf8');
    req.on('data', (c) => (raw += c));
    req.on('end', () => {
      const body = JSON.parse(raw || '{}') as { input: string[] };
      state.calls++;
      state.texts.push(...body.input);
      const data = body.input.map((t, index) => ({ object: 'embedding', index, embedding: hash.embedOne(t) }));
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ object: 'list', data }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`;
  return {
    url,
    get calls() {
      return state.calls;
    },
    get texts() {
      return state.texts;
    },
    reset() {
      state.calls = 0;
      state.texts = [];
    },
    async close() {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

export const SEARCH = /* GraphQL */ `
  query Search($query: String!, $first: Int, $language: LanguageCode, $collection: DocumentCollection, $mode: SearchMode, $minScore: Float) {
    searchDocuments(query: $query, first: $first, language: $language, collection: $collection, mode: $mode, minScore: $minScore) {
      rank
      score
      content
      fromCache
      document {
        id
        title
        source
        collection
        language
      }
    }
  }
`;

export const INGEST = /* GraphQL */ `
  mutation Ingest($input: IngestDocumentInput!) {
    ingestDocument(input: $input) {
      status
      chunksEmbedded
      chunksKept
      chunksDeleted
      document {
        id
        title
        source
        collection
        language
        metadata
      }
    }
  }
`;

export const DELETE = /* GraphQL */ `
  mutation Delete($id: ID!) {
    deleteDocument(input: { id: $id }) {
      deletedDocumentId
      deleted
    }
  }
`;

export interface SearchResultShape {
  rank: number;
  score: number;
  content: string;
  fromCache: boolean;
  document: { id: string; title: string; source: string; collection: 'YOUTH' | 'ADULT'; language: string };
}
