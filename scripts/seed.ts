// npm run db:seed [-- --content <dir>]
//   apply pending migrations, then load the demo world and the content files (idempotent).
// On the embedded database the folder must not be in use by a running server.
import { parseArgs } from 'node:util';
import path from 'node:path';
import { loadConfig } from '../src/config.ts';
import { openDatabase } from '../src/db/database.ts';
import { applyMigrations } from '../src/db/migrate/runner.ts';
import { defaultContentDir, seedDatabase } from '../src/seed/index.ts';
import { runScript } from './lib/run.ts';

const { values } = parseArgs({ options: { content: { type: 'string' } } });

async function main() {
  const config = loadConfig();
  if (config.production) throw new Error('npm run db:seed loads the public demo world: refused when APP_ENV=production');
  const db = await openDatabase(config.database);
  try {
    const started = performance.now();
    const { applied, total } = await applyMigrations(db, { log: (l) => console.log(l) });
    console.log(`migrations: ${applied.length} applied, ${total} in all`);
    const summary = await seedDatabase(db.prisma, {
      contentDir: values.content ? path.resolve(values.content) : defaultContentDir,
      log: (l) => console.log(l),
    });
    console.log(
      `seeded ${db.kind === 'pglite' ? `embedded database (${config.database.kind === 'pglite' ? config.database.dataDir : ''})` : 'PostgreSQL'} ` +
        `in ${Math.round(performance.now() - started)} ms:`,
    );
    for (const [name, count] of Object.entries(summary)) console.log(`  ${name.padEnd(17)} ${count}`);
    return 0;
  } finally {
    await db.close();
  }
}

runScript(main);
