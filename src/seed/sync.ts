// Compare-then-write: the seed reads the rows it owns, inserts the missing ones and rewrites
// only those that differ, so a second run issues no write at all and leaves updatedAt alone.
import type { Prisma, PrismaClient } from '../generated/prisma/client.ts';

type Plain = Record<string, unknown>;

/** JSON with object keys sorted, so values that jsonb stores in another key order compare equal. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    v && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(Object.entries(v as Plain).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
      : v,
  );
}

export function sameValue(a: unknown, b: unknown): boolean {
  if (a instanceof Date || b instanceof Date) {
    return a instanceof Date && b instanceof Date && a.getTime() === b.getTime();
  }
  if (a !== null && b !== null && typeof a === 'object' && typeof b === 'object') {
    return canonicalJson(a) === canonicalJson(b);
  }
  return a === b;
}

/** True when every field of the desired row has the same value in the stored one. */
export function sameRow(desired: Plain, stored: Plain | undefined): boolean {
  if (!stored) return false;
  return Object.keys(desired).every((k) => sameValue(desired[k], stored[k]));
}

export interface RowPlan<T> {
  missing: T[];
  changed: T[];
  unchanged: number;
}

/** Splits the desired rows into missing, changed and unchanged, against the stored rows (matched by key). */
export function planRows<T extends object>(desired: T[], stored: T[], key: (row: T) => string): RowPlan<T> {
  const byKey = new Map(stored.map((row) => [key(row), row]));
  const plan: RowPlan<T> = { missing: [], changed: [], unchanged: 0 };
  for (const row of desired) {
    const current = byKey.get(key(row));
    if (!current) plan.missing.push(row);
    else if (!sameRow(row as Plain, current as Plain)) plan.changed.push(row);
    else plan.unchanged++;
  }
  return plan;
}

export interface TableCount {
  total: number;
  created: number;
  updated: number;
}

export const describeCount = (name: string, c: TableCount) =>
  `${c.total} ${name}${c.created || c.updated ? ` (${c.created} new, ${c.updated} updated)` : ''}`;

/** A Prisma write that has not been sent yet: the array form of $transaction takes these. */
export type PendingWrite = Prisma.PrismaPromise<unknown>;

/** Largest number of statements sent in one transaction: short enough for PGlite's single connection. */
export const WRITES_PER_TRANSACTION = 100;

/** Sends writes in order, in transactions of bounded size (one transaction in the usual case). */
export async function runWrites(prisma: PrismaClient, writes: PendingWrite[]) {
  for (let i = 0; i < writes.length; i += WRITES_PER_TRANSACTION) {
    await prisma.$transaction(writes.slice(i, i + WRITES_PER_TRANSACTION));
  }
}
