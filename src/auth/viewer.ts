// Who is calling: resolved once per request from the Authorization or X-Api-Key header.
import type { ApiKey, AppSession, MembershipRole, User } from '../generated/prisma/client.ts';
import type { PrismaClient } from '../generated/prisma/client.ts';
import { AgeClass, MembershipRole as Role, SessionScope, UserType } from '../generated/prisma/enums.ts';
import type { Config } from '../config.ts';
import type { Database } from '../db/database.ts';
import { unauthenticated } from '../errors.ts';
import { serviceUnavailable } from '../http/database-outage.ts';
import { hashToken, looksLikeToken } from './tokens.ts';
import { currentRequest } from '../observability/request-scope.ts';

export type Viewer =
  | { kind: 'anonymous' }
  | ({ kind: 'user'; session: AppSession } & ReturnType<typeof viewerParts>)
  | { kind: 'operator'; apiKey: Pick<ApiKey, 'id' | 'name'>; permissions: ReadonlySet<string> };

export const anonymous: Viewer = Object.freeze({ kind: 'anonymous' });

export function bearerToken(header: string | null) {
  if (!header) return null;
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
  if (!match) throw unauthenticated('Malformed Authorization header: expected "Bearer <token>"');
  return match[1];
}

export function permissionsOf(json: unknown): string[] {
  return Array.isArray(json) ? json.filter((p): p is string => typeof p === 'string') : [];
}

/**
 * Activity timestamps already scheduled by this process: concurrent requests with the same
 * stale row would otherwise each queue the same write.
 */
const recentTouches = new Map<string, number>();

function shouldTouch(id: string, last: Date | null, now: Date, intervalMs: number) {
  const seen = Math.max(last?.getTime() ?? 0, recentTouches.get(id) ?? 0);
  if (now.getTime() - seen < intervalMs) return false;
  if (recentTouches.size > 10_000) recentTouches.clear();
  recentTouches.set(id, now.getTime());
  return true;
}

interface Deps {
  /** Where the session or key is read (a replica may serve it: src/http/database-routing.ts). */
  prisma: PrismaClient;
  /** Raw SQL on `prisma`'s server (Database.queryOn): the API key lookup of every operator request. */
  queryOn: Database['queryOn'];
  /** Where activity timestamps are written; by default `prisma`. */
  primary?: PrismaClient;
  config: Config;
  /** Writes that must not delay the response (activity timestamps). */
  background(task: () => Promise<unknown>): void;
}

/**
 * The X-Api-Key header's value when the caller presents one (non-empty), else null. The one rule
 * for "this request claims an API key": resolveViewer authenticates it, and the persisted
 * operations plugin lets such requests send any document, so both must read the header alike
 * (an empty header is no key: it must neither authenticate nor unlock anything).
 */
export const presentedApiKey = (headers: Headers) => headers.get('x-api-key') || null;

export async function resolveViewer(headers: Headers, deps: Deps, now = new Date()): Promise<Viewer> {
  const apiKey = presentedApiKey(headers);
  const token = bearerToken(headers.get('authorization'));
  if (apiKey && token) throw unauthenticated('Send either a bearer token or an API key, not both');
  if (apiKey) return operatorViewer(apiKey, deps, now);
  if (!token) return anonymous;
  if (!looksLikeToken(token)) throw unauthenticated('Invalid or expired session');
  const session = await sessionByTokenHash(deps, hashToken(token));
  if (!session || session.expiresAt <= now) throw unauthenticated('Invalid or expired session');
  // A label stored by a migration ahead of this build: Prisma refused such a row (P2023, a 500),
  // and a scope, user type or role this code cannot read must grant nothing. 503: the same
  // request succeeds on the build that knows it (a rolling deploy).
  if (!knowsLabels(session)) {
    // Otherwise a deployment whose code lags its migrations would answer 503s with nothing in the
    // log to say why. The session's id, never its token.
    currentRequest()?.log.warn(
      { code: 'SERVICE_UNAVAILABLE', sessionId: session.id },
      'a session row holds an enum label this build does not know (a migration ahead of the code): refused until a build that knows it serves',
    );
    throw serviceUnavailable();
  }
  const { user: userRow, ...rest } = session;
  // Activity timestamps are refreshed at most once per interval, off the response path.
  if (shouldTouch(session.id, session.lastActiveAt, now, deps.config.sessionTouchIntervalMs)) {
    const writer = deps.primary ?? deps.prisma;
    deps.background(() =>
      writer.$transaction([
        writer.appSession.update({ where: { id: session.id }, data: { lastActiveAt: now } }),
        writer.user.update({ where: { id: userRow.id }, data: { lastSeenAt: now }, select: { id: true } }),
      ]),
    );
  }
  return { kind: 'user', ...viewerParts(userRow), session: rest };
}

/** What a signed-in viewer carries, loaded with the user in the same statement. */
export const viewerUserInclude = {
  memberships: { select: { collectiveId: true, role: true } },
  parentalConsentsGiven: { select: { teenagerId: true } },
} as const;

export function viewerParts(row: User & { memberships: { collectiveId: string; role: MembershipRole }[]; parentalConsentsGiven: { teenagerId: string }[] }) {
  const { memberships, parentalConsentsGiven, ...user } = row;
  return {
    user,
    roles: new Map(memberships.map((m) => [m.collectiveId, m.role])),
    consentedFor: new Set(parentalConsentsGiven.map((c) => c.teenagerId)),
  };
}

/** The session row of a token hash, its user and what viewerParts reads, as Prisma's `include: { user: { include: viewerUserInclude } }` gives them. */
type SessionRow = AppSession & { user: Parameters<typeof viewerParts>[0] };

/** A SessionRow as the raw statement reads it: enum columns hold whatever label the database has. */
type StoredSessionRow = Omit<AppSession, 'scope'> & {
  scope: string;
  user: Omit<User, 'userType' | 'ageClass'> & {
    userType: string;
    ageClass: string | null;
    memberships: { collectiveId: string; role: string }[];
    parentalConsentsGiven: { teenagerId: string }[];
  };
};

const labels = (e: Record<string, string>): ReadonlySet<string> => new Set(Object.values(e));
const SCOPES = labels(SessionScope);
const USER_TYPES = labels(UserType);
const AGE_CLASSES = labels(AgeClass);
const ROLES = labels(Role);

/** Whether every enum label of the row is one the generated client knows, as Prisma checked on read. */
function knowsLabels(row: StoredSessionRow): row is SessionRow {
  const { user } = row;
  return (
    SCOPES.has(row.scope) &&
    USER_TYPES.has(user.userType) &&
    (user.ageClass === null || AGE_CLASSES.has(user.ageClass)) &&
    user.memberships.every((m) => ROLES.has(m.role))
  );
}

/**
 * Sessions with their user, the user's memberships and the consents they gave, in ONE raw
 * statement (Database.queryOn: a named prepared statement where allowed); `sql` (BY_TOKEN_HASH, LIVE_BY_ID) selects them.
 * Not a Prisma model query: it runs on every signed-in request, and Prisma's query pipeline cost
 * 11 % of the CPU of a fast `me` read and a quarter of its allocations (issue 13's profiles), as
 * it did for the API key lookup. The rows have the Prisma shape (Dates, enums as their labels,
 * capabilities as parsed JSON), their labels not yet checked (knowsLabels), so one row holding a
 * label this build does not know fails only itself. Memberships come as two text arrays paired by
 * position: they cannot disagree, since every subquery of one statement reads its one snapshot,
 * and both sort the same rows by collective_id, unique per user.
 */
const SESSIONS = `SELECT s.id, s.user_id AS "userId", s.origin, s.scope::text AS scope, s.capabilities, s.token_hash AS "tokenHash",
       s.created_at AS "createdAt", s.last_active_at AS "lastActiveAt", s.expires_at AS "expiresAt",
       u.user_type::text AS "userType", u.language, u.age_class::text AS "ageClass", u.country, u.school,
       u.created_at AS "userCreatedAt", u.updated_at AS "userUpdatedAt", u.last_seen_at AS "lastSeenAt",
       ARRAY(SELECT m.collective_id::text FROM app.collective_membership m WHERE m.user_id = u.id ORDER BY m.collective_id) AS "collectiveIds",
       ARRAY(SELECT m.role::text FROM app.collective_membership m WHERE m.user_id = u.id ORDER BY m.collective_id) AS roles,
       ARRAY(SELECT c.teenager_id::text FROM app.parental_consent c WHERE c.parent_id = u.id) AS "teenagerIds"
     FROM app.app_session s JOIN app."user" u ON u.id = s.user_id`;
const BY_TOKEN_HASH = `${SESSIONS}
     WHERE s.token_hash = $1`;
const LIVE_BY_ID = `${SESSIONS}
     WHERE s.id = ANY($1::uuid[]) AND s.expires_at > $2`;

async function storedSessions(db: Pick<Deps, 'prisma' | 'queryOn'>, sql: string, params: unknown[]): Promise<StoredSessionRow[]> {
  const rows = await db.queryOn<
    Omit<StoredSessionRow, 'user'> & {
      userType: string;
      language: string | null;
      ageClass: string | null;
      country: string | null;
      school: string | null;
      userCreatedAt: Date;
      userUpdatedAt: Date;
      lastSeenAt: Date | null;
      collectiveIds: string[];
      roles: string[];
      teenagerIds: string[];
    }
  >(db.prisma, sql, params);
  return rows.map(({ userType, language, ageClass, country, school, userCreatedAt, userUpdatedAt, lastSeenAt, collectiveIds, roles, teenagerIds, ...session }) => ({
    ...session,
    user: {
      id: session.userId,
      userType,
      language,
      ageClass,
      country,
      school,
      createdAt: userCreatedAt,
      updatedAt: userUpdatedAt,
      lastSeenAt,
      memberships: collectiveIds.map((collectiveId, i) => ({ collectiveId, role: roles[i] })),
      parentalConsentsGiven: teenagerIds.map((teenagerId) => ({ teenagerId })),
    },
  }));
}

/** The session of a token hash (unique), or null. */
async function sessionByTokenHash(deps: Deps, tokenHash: string): Promise<StoredSessionRow | null> {
  return (await storedSessions(deps, BY_TOKEN_HASH, [tokenHash]))[0] ?? null;
}

/**
 * The viewers of the sessions among `ids` still live at `now`, by session id (live-viewer.ts: the
 * subscribers an event fans out to, in one statement). A session holding a label this build does
 * not know is left out, as an ended one: its subscription ends, and the others in the batch go on.
 */
export async function liveSessionViewers(db: Pick<Database, 'prisma' | 'queryOn'>, ids: readonly string[], now: Date): Promise<Map<string, Viewer>> {
  const viewers = new Map<string, Viewer>();
  for (const row of await storedSessions(db, LIVE_BY_ID, [ids, now])) {
    if (!knowsLabels(row)) continue;
    const { user, ...session } = row;
    viewers.set(session.id, { kind: 'user', ...viewerParts(user), session });
  }
  return viewers;
}

async function operatorViewer(key: string, deps: Deps, now: Date): Promise<Viewer> {
  if (!looksLikeToken(key)) throw unauthenticated('Invalid API key');
  // Raw SQL, not a Prisma model query: it runs on every operator request, and Prisma's query
  // pipeline cost more CPU than the rest of a fast read (issue 13's profile).
  const [row] = await deps.queryOn<Pick<ApiKey, 'id' | 'name' | 'permissions' | 'isActive' | 'expiresAt' | 'lastUsedAt'>>(
    deps.prisma,
    'SELECT id, name, permissions, is_active AS "isActive", expires_at AS "expiresAt", last_used_at AS "lastUsedAt" FROM app.api_key WHERE key_hash = $1',
    [hashToken(key)],
  );
  if (!row || !row.isActive || (row.expiresAt && row.expiresAt <= now)) throw unauthenticated('Invalid API key');
  if (shouldTouch(row.id, row.lastUsedAt, now, deps.config.sessionTouchIntervalMs)) {
    deps.background(() => (deps.primary ?? deps.prisma).apiKey.update({ where: { id: row.id }, data: { lastUsedAt: now }, select: { id: true } }));
  }
  return { kind: 'operator', apiKey: { id: row.id, name: row.name }, permissions: new Set(permissionsOf(row.permissions)) };
}
