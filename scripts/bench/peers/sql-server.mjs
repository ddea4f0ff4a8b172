// The hand-written limit of bench:peers: each read is ONE SQL statement (the caller's key or
// session checked in it) that returns the whole response as JSON text, sent as is through `pg`.
// Responses have this API's shape (global ids, K1 cursors, ISO times with milliseconds), so
// bench:peers compares them with this server's. Environment: DATABASE_URL, PORT, POOL_MAX.
import { createHash } from 'node:crypto';
import { createServer } from 'node:http';
import pg from 'pg';

const pool = new pg.Pool({ connectionString: process.env.DATABASE_URL, max: Number(process.env.POOL_MAX ?? 16) });
const iso = (col) => `to_char(${col} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`;
const gid = (type, col) => `encode(convert_to('${type}:' || ${col}, 'UTF8'), 'base64')`;

const chatSessions = `(SELECT json_build_object(
    'totalCount', (SELECT count(*) FROM app.chat_session WHERE conversation_id = c.id),
    'edges', coalesce(json_agg(json_build_object('node', json_build_object('id', ${gid('ChatSession', 's.id')}, 'createdAt', ${iso('s.created_at')})) ORDER BY s.created_at, s.id), '[]'))
  FROM (SELECT id, created_at FROM app.chat_session WHERE conversation_id = c.id ORDER BY created_at, id LIMIT 10) s)`;

// The operator read of scripts/bench/data.ts: 20 users -> 5 newest conversations -> 10 chat sessions.
const OPERATOR = `SELECT CASE WHEN EXISTS (SELECT 1 FROM app.api_key WHERE key_hash = $1 AND is_active) THEN json_build_object('data', json_build_object('users', json_build_object('edges', coalesce((
  SELECT json_agg(json_build_object('node', json_build_object('id', ${gid('User', 'u.id')}, 'conversations', (
    SELECT json_build_object('edges', coalesce(json_agg(json_build_object('node', json_build_object(
      'id', ${gid('Conversation', 'c.id')}, 'conversationType', c.conversation_type, 'updatedAt', ${iso('c.updated_at')}, 'chatSessions', ${chatSessions}))
      ORDER BY c.updated_at DESC, c.id DESC), '[]'))
    FROM (SELECT id, conversation_type, updated_at FROM app.conversation WHERE user_id = u.id ORDER BY updated_at DESC, id DESC LIMIT 5) c))) ORDER BY u.created_at, u.id)
  FROM (SELECT id, created_at FROM app."user" ORDER BY created_at, id LIMIT 20) u), '[]'))))::text END AS body`;

// The teenager's read: me -> 5 newest conversations (with totalCount) -> 10 chat sessions.
const ME = `SELECT json_build_object('data', json_build_object('me', json_build_object('id', ${gid('User', 'u.id')}, 'conversations', json_build_object(
    'totalCount', (SELECT count(*) FROM app.conversation WHERE user_id = u.id),
    'edges', coalesce((SELECT json_agg(json_build_object('node', json_build_object(
      'id', ${gid('Conversation', 'c.id')}, 'title', c.title, 'updatedAt', ${iso('c.updated_at')}, 'chatSessions', ${chatSessions}))
      ORDER BY c.updated_at DESC, c.id DESC)
    FROM (SELECT id, title, updated_at FROM app.conversation WHERE user_id = u.id ORDER BY updated_at DESC, id DESC LIMIT 5) c), '[]')))))::text AS body
  FROM app.app_session a JOIN app."user" u ON u.id = a.user_id WHERE a.token_hash = $1 AND a.expires_at > now()`;

const hash = (token) => createHash('sha256').update(token, 'utf8').digest('hex');

const server = createServer((req, res) => {
  req.resume();
  req.on('end', async () => {
    try {
      const key = req.headers['x-api-key'];
      const bearer = /^Bearer (\S+)$/.exec(req.headers.authorization ?? '')?.[1];
      const { rows } = key ? await pool.query(OPERATOR, [hash(key)]) : bearer ? await pool.query(ME, [hash(bearer)]) : { rows: [] };
      const body = rows[0]?.body;
      res.writeHead(body ? 200 : 401, { 'content-type': 'application/json' });
      res.end(body ?? '{"errors":[{"message":"Unauthenticated"}]}');
    } catch (err) {
      res.writeHead(500, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ errors: [{ message: String(err) }] }));
    }
  });
});
server.listen(Number(process.env.PORT), '127.0.0.1', () => console.log('ready'));
process.on('SIGTERM', () => process.exit(0));
