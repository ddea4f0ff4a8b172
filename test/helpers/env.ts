// Which database the suite runs against: DATABASE_URL names a PostgreSQL server (each test
// file gets fresh databases on it), otherwise embedded PGlite in memory.
export const serverUrl = process.env.DATABASE_URL || undefined;
export const dbKind: 'postgres' | 'pglite' = serverUrl ? 'postgres' : 'pglite';

export function withDatabaseName(url: string, name: string) {
  const u = new URL(url);
  u.pathname = `/${name}`;
  return u.toString();
}
