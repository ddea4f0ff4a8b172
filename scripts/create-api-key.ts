// npm run api-key:create -- --name ops --permissions flags:write,content:write [--expires-in-days 90]
//   creates an operator API key and prints it once: only its sha256 is stored, so it cannot be
//   shown again. Send it as the X-Api-Key header. Exit code 1 on any failure.
// On the embedded database the folder must not be in use by a running server (stop it first, or
// use DATABASE_URL).
import { parseArgs } from 'node:util';
import { loadConfig } from '../src/config.ts';
import { openDatabase } from '../src/db/database.ts';
import { applyMigrations } from '../src/db/migrate/runner.ts';
import { ApiKeyInputError, createApiKey, validateNewApiKey } from '../src/auth/api-keys.ts';
import { PERMISSIONS } from '../src/auth/permissions.ts';
import { runScript } from './lib/run.ts';

const usage = () =>
  [
    'Usage: npm run api-key:create -- --name <name> --permissions <p1,p2,...> [--expires-in-days <days>]',
    '',
    'Permissions:',
    ...Object.entries(PERMISSIONS).map(([name, description]) => `  ${name.padEnd(20)} ${description}`),
  ].join('\n');

function parse() {
  const { values } = parseArgs({
    options: {
      name: { type: 'string' },
      permissions: { type: 'string' },
      'expires-in-days': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) return null;
  if (!values.name || !values.permissions) throw new ApiKeyInputError('--name and --permissions are required');
  let expiresAt: Date | null = null;
  const days = values['expires-in-days'];
  if (days !== undefined) {
    if (!/^\d+$/.test(days) || Number(days) < 1 || Number(days) > 3650) throw new ApiKeyInputError('--expires-in-days must be a whole number from 1 to 3650');
    expiresAt = new Date(Date.now() + Number(days) * 86_400_000);
  }
  // Checked before touching the database, so a typo costs nothing.
  return validateNewApiKey({ name: values.name, permissions: values.permissions.split(','), expiresAt });
}

async function main() {
  let request: ReturnType<typeof parse>;
  try {
    request = parse();
  } catch (err) {
    console.error(`${(err as Error).message}\n\n${usage()}`);
    return 1;
  }
  if (!request) {
    console.log(usage());
    return 0;
  }
  const config = loadConfig();
  const db = await openDatabase(config.database);
  try {
    await applyMigrations(db);
    const { key, apiKey } = await createApiKey(db.prisma, request);
    // The only place the key ever appears.
    console.log(
      [
        `Created API key "${apiKey.name}" (id ${apiKey.id})`,
        `  permissions: ${(apiKey.permissions as string[]).join(', ')}`,
        `  expires:     ${apiKey.expiresAt ? apiKey.expiresAt.toISOString() : 'never'}`,
        '',
        'WARNING: this key is shown once and is NOT stored (only its sha256 is). Copy it now into your',
        'secret store; if it is lost, create a new key and deactivate this one. Send it as X-Api-Key.',
        '',
        key,
      ].join('\n'),
    );
    return 0;
  } finally {
    await db.close();
  }
}

runScript(main);
