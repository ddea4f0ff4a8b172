// Chooses the embedding provider from configuration-like options: the local hash embedder unless
// an OpenAI-compatible endpoint (url + model) is given.
import type { Embedder } from './embedder.ts';
import { CHUNK_EMBEDDING_DIMENSIONS } from './embedder.ts';
import { HashEmbedder } from './hash-embedder.ts';
import { OpenAIEmbedder, type OpenAIEmbedderOptions } from './openai-embedder.ts';

export interface EmbedderConfig {
  provider?: 'hash' | 'openai';
  url?: string;
  model?: string;
  apiKey?: string;
  /** Defaults to the chunk column's width (384). */
  dimensions?: number;
  batchSize?: number;
  timeoutMs?: number;
  maxRetries?: number;
  sendDimensions?: boolean;
  logger?: OpenAIEmbedderOptions['logger'];
}

export function createEmbedder(config: EmbedderConfig = {}): Embedder {
  const dimensions = config.dimensions ?? CHUNK_EMBEDDING_DIMENSIONS;
  const provider = config.provider ?? (config.url && config.model ? 'openai' : 'hash');
  if (provider === 'hash') return new HashEmbedder({ dimensions });
  if (!config.url || !config.model) throw new Error('the openai embedding provider needs both a url and a model');
  return new OpenAIEmbedder({
    url: config.url,
    model: config.model,
    apiKey: config.apiKey,
    dimensions,
    batchSize: config.batchSize,
    timeoutMs: config.timeoutMs,
    maxRetries: config.maxRetries,
    sendDimensions: config.sendDimensions,
    logger: config.logger,
  });
}
