// The demo knowledge base: the Markdown documents under content/kb, ingested with the
// configured embedder (the search service's, with its level-1 cache; the hash provider by default).
import path from 'node:path';
import type { PrismaClient } from '../generated/prisma/client.ts';
import type { Embedder } from '../search/embedder.ts';
import { ingestPath } from '../search/ingest.ts';
import { defaultContentDir, type KnowledgeBaseSeeder } from './index.ts';

export function knowledgeBaseSeeder(embedder: Embedder, log: (line: string) => void = () => {}): KnowledgeBaseSeeder {
  return async (prisma: PrismaClient) => {
    const root = path.join(defaultContentDir, 'kb');
    const totals = await ingestPath(prisma, embedder, root, {
      root,
      onProgress: ({ done, total }) => {
        if (done === total || done % 100 === 0) log(`knowledge base: ${done}/${total} files`);
      },
    });
    log(`knowledge base: ${totals.files} files, ${totals.chunksEmbedded} chunks embedded in ${Math.round(totals.elapsedMs)} ms`);
    return { documents: await prisma.document.count() };
  };
}
