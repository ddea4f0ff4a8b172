// Seeding entry point: the demo world, then the content files, then (when given) the knowledge
// base, then the completion marker (app.seed_run). Every step is idempotent; each logs what it
// wrote. The marker is written last, so a seed interrupted at any step is resumed by the next start.
import { fileURLToPath } from 'node:url';
import type { PrismaClient } from '../generated/prisma/client.ts';
import { seedContent } from './content.ts';
import { describeCount } from './sync.ts';
import { buildDemoWorld, DEMO_REFERENCE_DATE, seedDemoWorld } from './world.ts';
import { seedDemoAnalytics } from './analytics.ts';

export { seedDemoWorld, buildDemoWorld, demoIds, demoLogins, demoInvitationTokens, DEMO_REFERENCE_DATE } from './world.ts';
export type { DemoLogin, DemoInvitationName, DemoWorld, WorldSeedResult, SeedWorldOptions } from './world.ts';
export { seedContent, ContentFileError, CONTENT_FILES } from './content.ts';
export { seedDemoAnalytics, buildDemoAnalytics, DEMO_CHATBOT_VERSION } from './analytics.ts';
export type { AnalyticsSeedResult, DemoAnalytics } from './analytics.ts';
export type { ContentSeedResult } from './content.ts';
export { demoId, uuidV5, DEMO_NAMESPACE } from './ids.ts';

/** The repository's content/ folder. */
export const defaultContentDir = fileURLToPath(new URL('../../content/', import.meta.url));

/** The step the knowledge base plugs into: ingests documents, returns how many it holds. */
export type KnowledgeBaseSeeder = (prisma: PrismaClient) => Promise<{ documents: number }>;

export interface SeedOptions {
  /** Folder holding feature-flags.json and localized/*.json; content is skipped when undefined. */
  contentDir?: string;
  knowledgeBase?: KnowledgeBaseSeeder;
  log?: (line: string) => void;
  /** Reference date of the demo world's timestamps (default DEMO_REFERENCE_DATE). */
  now?: Date;
  /** false: keep demo rows changed since they were seeded (only missing rows are inserted). Default true. */
  overwrite?: boolean;
}

export interface SeedSummary {
  users: number;
  collectives: number;
  conversations: number;
  chatSessions: number;
  invitations: number;
  /** Conversation analytics recordings (one per demo teenager's conversation). */
  conversationAnalytics: number;
  featureFlags: number;
  localizedContent: number;
  documents: number;
}

const elapsed = (start: number) => `${Math.round(performance.now() - start)} ms`;

/** Seeds everything; the counts are those of the seeded data (created or already there). */
export async function seedDatabase(prisma: PrismaClient, options: SeedOptions = {}): Promise<SeedSummary> {
  const log = options.log ?? (() => {});
  let start = performance.now();
  const world = await seedDemoWorld(prisma, { now: options.now, overwrite: options.overwrite });
  log(
    `demo world: ${(['users', 'collectives', 'memberships', 'conversations', 'chatSessions', 'invitations', 'feedback'] as const)
      .map((t) => describeCount(t, world[t]))
      .join(', ')} (${elapsed(start)})`,
  );
  start = performance.now();
  const analytics = await seedDemoAnalytics(prisma, buildDemoWorld(options.now ?? DEMO_REFERENCE_DATE), options.overwrite ?? true);
  log(`demo analytics: ${describeCount('conversation analytics', analytics.analytics)} (${elapsed(start)})`);

  let featureFlags = 0;
  let localizedContent = 0;
  if (options.contentDir) {
    start = performance.now();
    const content = await seedContent(prisma, options.contentDir, { log });
    featureFlags = content.featureFlags.total;
    localizedContent = content.localizedContent.total;
    log(
      `content: ${describeCount('feature flags', content.featureFlags)}, ` +
        `${describeCount('localized entries', content.localizedContent)} (${elapsed(start)})`,
    );
  } else {
    log('content: no content folder given, skipped');
  }

  let documents = 0;
  if (options.knowledgeBase) {
    start = performance.now();
    documents = (await options.knowledgeBase(prisma)).documents;
    log(`knowledge base: ${documents} documents (${elapsed(start)})`);
  }

  // Last: only a seed that ran every step counts as done (isSeeded). Read first, so a second run
  // writes nothing; skipDuplicates, so two processes finishing together do not collide.
  if (!(await isSeeded(prisma))) await prisma.seedRun.createMany({ data: [{ name: DEMO_SEED_RUN }], skipDuplicates: true });

  return {
    users: world.users.total,
    collectives: world.collectives.total,
    conversations: world.conversations.total,
    chatSessions: world.chatSessions.total,
    invitations: world.invitations.total,
    conversationAnalytics: analytics.analytics.total,
    featureFlags,
    localizedContent,
    documents,
  };
}

/** The app.seed_run row seedDatabase writes once every step has completed. */
export const DEMO_SEED_RUN = 'demo';

/**
 * True once seedDatabase has run to its end on this database (its app.seed_run row exists).
 * Rows alone prove nothing: an interrupted first start leaves the demo parent without the rest.
 */
export async function isSeeded(prisma: PrismaClient): Promise<boolean> {
  return (await prisma.seedRun.count({ where: { name: DEMO_SEED_RUN } })) > 0;
}
