// db/transaction.ts inTransaction: what a conflict does. A unique violation is the client's
// CONFLICT unless the caller asked for retries (find-or-create writes), and every retry is bounded;
// on PostgreSQL a deadlock rolls one transaction back and it runs again.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GraphQLError } from 'graphql';
import { createTestDatabase, type TestDatabase } from './helpers/db.ts';
import { dbKind } from './helpers/env.ts';
import { createUser } from './factories/index.ts';
import { inTransaction, MAX_TRANSACTION_ATTEMPTS } from '../src/db/transaction.ts';
import type { Context } from '../src/context.ts';
import { afterCommit } from '../src/events/after-commit.ts';
import { sessionsChanged } from '../src/events/topics.ts';

const codeOf = (err: unknown) => (err instanceof GraphQLError ? err.extensions.code : `not a GraphQLError: ${String(err)}`);

describe(`inTransaction on conflicts (${dbKind})`, () => {
  let db: TestDatabase;
  let ctx: Pick<Context, 'prisma' | 'events'>;
  const published: unknown[] = [];

  beforeAll(async () => {
    db = await createTestDatabase();
    ctx = { prisma: db.prisma, events: { publish: (event: unknown) => published.push(event) } as unknown as Context['events'] };
    await db.prisma.featureFlag.create({ data: { name: 'taken' } });
  });
  afterAll(async () => {
    await db?.close();
  });

  it('a unique violation is CONFLICT after one run, and nothing of that run is written', async () => {
    let runs = 0;
    const err = await inTransaction(ctx, async (tx) => {
      runs++;
      await tx.featureFlag.create({ data: { name: 'written-then-rolled-back' } });
      await tx.featureFlag.create({ data: { name: 'taken' } });
    }).catch((e: unknown) => e);
    expect(codeOf(err)).toBe('CONFLICT');
    expect(runs).toBe(1);
    expect(await db.prisma.featureFlag.count({ where: { name: 'written-then-rolled-back' } })).toBe(0);
  });

  it('with retryOnUniqueViolation, the next run finds what the colliding one could not insert', async () => {
    let runs = 0;
    const outcome = await inTransaction(
      ctx,
      async (tx) => {
        runs++;
        const existing = await tx.featureFlag.findUnique({ where: { name: 'taken' }, select: { id: true } });
        // The first run behaves as if a concurrent twin had inserted the row after its read.
        if (!existing || runs === 1) {
          await tx.featureFlag.create({ data: { name: 'taken' } });
          return 'created';
        }
        return 'found';
      },
      { retryOnUniqueViolation: true },
    );
    expect({ outcome, runs }).toEqual({ outcome: 'found', runs: 2 });
  });

  it(`retries are bounded: ${MAX_TRANSACTION_ATTEMPTS} runs at most, then CONFLICT`, async () => {
    let runs = 0;
    const err = await inTransaction(
      ctx,
      async (tx) => {
        runs++;
        await tx.featureFlag.create({ data: { name: 'taken' } });
      },
      { retryOnUniqueViolation: true },
    ).catch((e: unknown) => e);
    expect(codeOf(err)).toBe('CONFLICT');
    expect(runs).toBe(MAX_TRANSACTION_ATTEMPTS);
  });

  it(`a serialization failure still there after ${MAX_TRANSACTION_ATTEMPTS} runs is CONFLICT, never an unexpected error`, async () => {
    let runs = 0;
    const publishedBefore = published.length;
    const err = await inTransaction(ctx, async (tx) => {
      runs++;
      await tx.featureFlag.create({ data: { name: `rolled-back-${runs}` } });
      afterCommit(sessionsChanged(`run-${runs}`));
      // What PostgreSQL raises when it cannot serialize this transaction with a concurrent one.
      await tx.$executeRawUnsafe(`DO $$ BEGIN RAISE EXCEPTION 'could not serialize access' USING ERRCODE = '40001'; END $$`);
    }).catch((e: unknown) => e);
    expect(runs).toBe(MAX_TRANSACTION_ATTEMPTS);
    expect(codeOf(err)).toBe('CONFLICT');
    expect(await db.prisma.featureFlag.count({ where: { name: { startsWith: 'rolled-back-' } } })).toBe(0);
    // No run committed, so none of the events they queued went out.
    expect(published.length).toBe(publishedBefore);
  });

  it.skipIf(dbKind !== 'postgres')('a deadlock rolls one transaction back and it runs again: both commit', async () => {
    const a = await createUser(db.prisma);
    const b = await createUser(db.prisma);
    // Each transaction locks its first row, waits until the other has locked its own, then asks
    // for the other's: PostgreSQL breaks the cycle by failing one of them (40P01).
    let firstLocks = 0;
    let bothLocked!: () => void;
    const barrier = new Promise<void>((resolve) => (bothLocked = resolve));
    const runs = { one: 0, two: 0 };
    const crossing = (first: string, second: string, school: 'one' | 'two') =>
      inTransaction(ctx, async (tx) => {
        runs[school]++;
        await tx.$executeRaw`UPDATE app."user" SET school = ${school} WHERE id = ${first}::uuid`;
        if (++firstLocks === 2) bothLocked();
        await barrier;
        await tx.$executeRaw`UPDATE app."user" SET school = ${school} WHERE id = ${second}::uuid`;
      });
    await Promise.all([crossing(a.id, b.id, 'one'), crossing(b.id, a.id, 'two')]);
    // At least one ran again; when PostgreSQL's checks in both backends each pick their own (seen
    // under load), both do. Neither exceeds the bound.
    expect(runs.one + runs.two).toBeGreaterThanOrEqual(3);
    expect(Math.max(runs.one, runs.two)).toBeLessThanOrEqual(MAX_TRANSACTION_ATTEMPTS);
    const schools = (await db.prisma.user.findMany({ where: { id: { in: [a.id, b.id] } }, select: { school: true } })).map((u) => u.school);
    // Whichever ran again committed last, over both rows.
    expect(new Set(schools).size).toBe(1);
  });
});
