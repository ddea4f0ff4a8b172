// Consent-code mails through the outbox (src/outbox/polling.ts, the mechanism message deletions
// use): requestParentalAuthorization writes an app.notification_outbox row in the transaction that
// creates the request; after the commit the request tries to send once, in the background; the
// worker retries with backoff until the notifier accepted the mail. A mail server that is down
// loses nothing and delays no response.
//
// The row holds no secret. The code is generated when its mail is sent: its hash (and expiry) is
// written on the request first, then the mail goes out, then the row is deleted. A retry after a
// failed send issues a new code; the codes of earlier mails stay valid too (CODES_KEPT), since a
// "failed" send may have been delivered after our timeout; if the request is no
// longer PENDING (granted, locked, expired) the row is dropped and nothing is sent.
import { encodeGlobalID } from '@pothos/plugin-relay';
import type { Logger } from 'pino';
import type { Config } from '../config.ts';
import type { Database } from '../db/database.ts';
import { Prisma, type PrismaClient } from '../generated/prisma/client.ts';
import { CODES_KEPT, generateConsentCode, hashConsentCode } from '../consent/codes.ts';
import { withTimeout } from '../messages/outbox.ts';
import { ALERT_AFTER_ATTEMPTS, backoffMs, claimDue, errorText, OUTBOX_LEASE_MS, startPollingWorker, type OutboxRun, type OutboxWorker } from '../outbox/polling.ts';
import type { Notifier } from './notifier.ts';
import { renderMail } from './templates.ts';

export interface NotificationDeps {
  db: Pick<Database, 'prisma'>;
  notifier: Notifier;
  log: Pick<Logger, 'info' | 'warn' | 'error'>;
  config: Pick<Config, 'notifications' | 'consentCodeTtlMs' | 'publicBaseUrl'>;
}

/** In the transaction that creates the request: the consent-code mail is owed. Use only `tx`. */
export async function enqueueConsentCode(tx: Prisma.TransactionClient, requestId: string, now = new Date()) {
  await tx.notificationOutbox.create({
    data: { kind: 'PARENTAL_CONSENT_CODE', requestId, nextAttemptAt: new Date(now.getTime() + OUTBOX_LEASE_MS) },
    select: { id: true },
  });
}

/** Where the mail sends the parent: the app's consent page, with the ids grantParentalConsent takes. */
export const consentLink = (baseUrl: string, request: { id: string; teenagerId: string }) =>
  `${baseUrl}/consent?request=${encodeURIComponent(encodeGlobalID('ParentalAuthorizationRequest', request.id))}&teenager=${encodeURIComponent(encodeGlobalID('User', request.teenagerId))}`;

export type DeliveryOutcome = 'sent' | 'dropped' | 'deferred';

async function recordFailure(prisma: PrismaClient, requestId: string, err: unknown, deps: NotificationDeps) {
  // The row may be gone (its request deleted, with its teenager): then nothing is owed any more.
  const { count } = await prisma.notificationOutbox.updateMany({ where: { requestId }, data: { attempts: { increment: 1 }, lastError: errorText(err) } });
  const row = count ? await prisma.notificationOutbox.findUnique({ where: { requestId }, select: { id: true, attempts: true } }) : null;
  if (!row) return;
  const delay = backoffMs(row.attempts, deps.config.notifications.retryIntervalMs);
  await prisma.notificationOutbox.update({ where: { id: row.id }, data: { nextAttemptAt: new Date(Date.now() + delay) }, select: { id: true } });
  const level = row.attempts >= ALERT_AFTER_ATTEMPTS ? 'error' : 'warn';
  // The error, never the mail: its text carries the code.
  deps.log[level]({ err: errorText(err), requestId, notifier: deps.notifier.kind, attempts: row.attempts, retryInMs: delay }, 'consent code mail deferred to the outbox');
}

/**
 * Sends the consent-code mail of one request: a new code (hash and expiry on the request), the mail
 * in the request's language, then the outbox row deleted. Never throws for a notifier failure: the
 * row then waits for its next attempt, and `deferred` is returned.
 */
export async function deliverConsentCode(deps: NotificationDeps, requestId: string, now = new Date()): Promise<DeliveryOutcome> {
  const { prisma } = deps.db;
  const code = generateConsentCode();
  const codeExpiresAt = new Date(now.getTime() + deps.config.consentCodeTtlMs);
  // The previous code moves to earlier_code_hashes (the newest CODES_KEPT - 1 kept): its mail may
  // have been delivered although the server answered after our timeout.
  const count = await prisma.$executeRaw`
    UPDATE app.parental_authorization_request
    SET earlier_code_hashes = CASE WHEN code_hash IS NULL THEN coalesce(earlier_code_hashes, '{}')
          ELSE (array_append(coalesce(earlier_code_hashes, '{}'), code_hash))[greatest(1, cardinality(coalesce(earlier_code_hashes, '{}')) + 3 - ${CODES_KEPT}::int):]
        END,
        code_hash = ${hashConsentCode(requestId, code)},
        code_expires_at = ${codeExpiresAt}::timestamptz
    WHERE id = ${requestId}::uuid AND status = 'PENDING'::app.authorization_request_status`;
  const request = count ? await prisma.parentalAuthorizationRequest.findUnique({ where: { id: requestId }, select: { id: true, teenagerId: true, parentContact: true, language: true } }) : null;
  if (!request?.parentContact) {
    await prisma.notificationOutbox.deleteMany({ where: { requestId } });
    return 'dropped';
  }
  try {
    const mail = await renderMail(prisma, 'mail.parental_consent', request.language, {
      code,
      hours: String(Math.round(deps.config.consentCodeTtlMs / 3600_000)),
      expiresAt: codeExpiresAt.toISOString(),
      link: consentLink(deps.config.publicBaseUrl, request),
    });
    const send = deps.notifier.send({ kind: 'PARENTAL_CONSENT_CODE', to: request.parentContact, ...mail });
    await withTimeout(send, deps.config.notifications.timeoutMs, 'the mail notifier');
  } catch (err) {
    await recordFailure(prisma, requestId, err, deps);
    return 'deferred';
  }
  await prisma.notificationOutbox.deleteMany({ where: { requestId } });
  deps.log.info({ requestId, notifier: deps.notifier.kind }, 'consent code mail sent');
  return 'sent';
}

/** One pass: claims due rows and tries each once. */
export async function processNotificationOutbox(deps: NotificationDeps, batchSize = 20, now = new Date()): Promise<OutboxRun> {
  const claimed = await claimDue<{ requestId: string }>(deps.db.prisma, 'app.notification_outbox', Prisma.sql`request_id::text AS "requestId"`, now, batchSize);
  const run: OutboxRun = { claimed: claimed.length, completed: 0, failed: 0 };
  for (const row of claimed) {
    if ((await deliverConsentCode(deps, row.requestId)) === 'deferred') run.failed++;
    else run.completed++;
  }
  return run;
}

/** Polls the notification outbox until stopped; started by startServer. */
export function startNotificationWorker(deps: NotificationDeps, options: { intervalMs?: number; batchSize?: number } = {}): OutboxWorker {
  return startPollingWorker({
    name: 'notification',
    intervalMs: options.intervalMs ?? deps.config.notifications.retryIntervalMs,
    batchSize: options.batchSize ?? 20,
    pass: (batchSize) => processNotificationOutbox(deps, batchSize),
    log: deps.log,
  });
}
