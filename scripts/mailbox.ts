// npm run mailbox [-- --to <address>] [--last <n>]
//   prints the newest mails of the development mailbox (kept instead of sent when SMTP_URL is
//   unset), consent codes included. Development only (APP_ENV=development): elsewhere operators read
//   it through Query.mailbox with the notifications:read permission. Exit code 1 on any failure.
// On the embedded database the folder must not be in use by a running server (stop it first, or
// use DATABASE_URL).
import { parseArgs } from 'node:util';
import { loadConfig } from '../src/config.ts';
import { openDatabase } from '../src/db/database.ts';
import { runScript } from './lib/run.ts';

async function main() {
  const { values } = parseArgs({ options: { to: { type: 'string' }, last: { type: 'string', default: '10' } } });
  const config = loadConfig();
  if (config.env !== 'development') {
    console.error(`npm run mailbox is for development only (APP_ENV is ${config.env}); operators read Query.mailbox with notifications:read.`);
    return 1;
  }
  const last = Number(values.last);
  if (!Number.isInteger(last) || last < 1 || last > 100) {
    console.error('--last must be a whole number from 1 to 100');
    return 1;
  }
  const db = await openDatabase(config.database);
  try {
    const mails = await db.prisma.mailboxMessage.findMany({
      where: values.to ? { recipient: values.to.trim().toLowerCase() } : {},
      orderBy: [{ createdAt: 'desc' }, { id: 'desc' }],
      take: last,
    });
    if (config.notifications.smtpUrl) console.log('Note: SMTP_URL is set, so new mails are sent, not kept here.\n');
    if (mails.length === 0) console.log('The development mailbox is empty.');
    for (const m of mails.reverse()) {
      console.log([`--- ${m.createdAt.toISOString()}  ${m.kind}  to ${m.recipient}  (${m.language})`, `Subject: ${m.subject}`, '', m.text, ''].join('\n'));
    }
    return 0;
  } finally {
    await db.close();
  }
}

runScript(main);
