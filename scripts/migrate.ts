// npm run db:migrate            apply pending migrations to the configured database
// npm run db:migrate:dev -- --name add_x [--empty] [--create-only]
//                               write a migration for the schema's changes, then apply it
// npm run db:diff               exit 2 when the database and prisma/schema.prisma differ
import { parseArgs } from 'node:util';
import { loadConfig } from '../src/config.ts';
import { openDatabase } from '../src/db/database.ts';
import { applyMigrations, migrationStatus } from '../src/db/migrate/runner.ts';
import { generateMigration } from '../src/db/migrate/generate.ts';
import { diffDatabaseToSchema, openEngine } from '../src/db/migrate/engine.ts';
import { runScript } from './lib/run.ts';

const [command = 'deploy', ...rest] = process.argv.slice(2);
const { values } = parseArgs({
  args: rest,
  options: { name: { type: 'string' }, empty: { type: 'boolean' }, 'create-only': { type: 'boolean' } },
});

async function main() {
  const config = loadConfig();
  if (command === 'dev') {
    const folder = await generateMigration({ name: values.name ?? '', empty: values.empty });
    console.log(folder ? `created prisma/migrations/${folder}/migration.sql` : 'no schema changes: no migration created');
    if (values['create-only']) return 0;
  }
  const db = await openDatabase(config.database);
  try {
    if (command === 'status') {
      const { pending, total } = await migrationStatus(db);
      console.log(`${total - pending.length}/${total} applied${pending.length ? `; pending: ${pending.join(', ')}` : ''}`);
      return pending.length ? 1 : 0;
    }
    if (command === 'diff') {
      const engine = await openEngine(db);
      try {
        const drift = await diffDatabaseToSchema(engine);
        if (drift.length === 0) {
          console.log('no drift: the database matches prisma/schema.prisma');
          return 0;
        }
        console.log(drift.join('\n\n'));
        return 2;
      } finally {
        await engine.close();
      }
    }
    if (command !== 'deploy' && command !== 'dev') throw new Error(`unknown command ${command}`);
    const { applied, total } = await applyMigrations(db, { log: (l) => console.log(l) });
    console.log(`${applied.length} applied, ${total} migrations in all`);
    return 0;
  } finally {
    await db.close();
  }
}

runScript(main);
