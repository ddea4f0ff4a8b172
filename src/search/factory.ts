// The process's search service and its embedding provider, chosen by configuration (EMBEDDINGS_*):
// built once in the composition root (startServer, createApp's default, each script) and passed
// in, as the message store is. Every path that embeds (API searches, ingestDocument, the demo
// seed, `npm run ingest`) then uses the same provider, so none can write vectors of another model.
import type { Logger } from 'pino';
import type { Config } from '../config.ts';
import type { Database } from '../db/database.ts';
import type { Embedder } from './embedder.ts';
import { createEmbedder } from './embedders.ts';
import { SearchService } from './service.ts';

/** The configured embedding provider, with no cache in front. No I/O here. */
export function createEmbeddingProvider(config: Pick<Config, 'embeddings'>, log?: Logger): Embedder {
  return createEmbedder({ ...config.embeddings, logger: log });
}

/**
 * Call once per process and configuration: the provider client (and a remote provider's
 * connection reuse) lives as long as the service. No I/O here.
 */
export function createSearchService(config: Pick<Config, 'embeddings' | 'search'>, db: Pick<Database, 'routed'>, log?: Logger): SearchService {
  return new SearchService(db.routed, createEmbeddingProvider(config, log), config.search);
}
