// Search test helpers: a local OpenAI-compatible embeddings server that counts what reaches the
// provider (answering with the hash embedder's vectors), and the GraphQL documents the search tests send.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { print } from 'graphql';
import { HashEmbedder } from '../../src/search/hash-embedder.ts';
import { SearchDocumentsDocument } from '../../src/client/generated/graphql.ts';

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

/** The SDK's SearchDocuments operation (src/client/operations/search.graphql), as text for raw HTTP bodies. */
export const SEARCH = print(SearchDocumentsDocument);

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
