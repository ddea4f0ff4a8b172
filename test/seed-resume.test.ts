// The first start's demo seed is recorded as done only once every step has run (app.seed_run):
// a start interrupted half-way, here by a real database fault in its last step (a trigger that
// refuses knowledge-base documents), leaves no marker, and the next start completes the seed.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pino from 'pino';
import { createTestDatabase, type TestDatabase } from './helpers/db.ts';
import { dbKind } from './helpers/env.ts';
import { testConfig } from './helpers/app.ts';
import { countSql } from '../src/db/instrument.ts';
import { demoIds, isSeeded } from '../src/seed/index.ts';
import { prepareDatabase } from '../src/server.ts';

/** A first-start seed embeds the whole knowledge base (311 documents): minutes on a loaded machine. */
const SEEDING = 300_000;

describe(`an interrupted first-start seed is resumed by the next start (${dbKind})`, () => {
  let db: TestDatabase;
  const log = pino({ level: 'silent' });

  beforeAll(async () => {
    db = await createTestDatabase();
    await db.query(`CREATE FUNCTION app.refuse_documents() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN RAISE EXCEPTION 'injected fault: no space left for documents'; END $$`);
    await db.query(`CREATE TRIGGER refuse_documents BEFORE INSERT ON rag.document FOR EACH ROW EXECUTE FUNCTION app.refuse_documents()`);
  });
  afterAll(() => db?.destroy());

  it('a start whose seed fails at the last step fails, and leaves the seed marked as not done', async () => {
    await expect(prepareDatabase(db, testConfig(db), log)).rejects.toThrow(/injected fault/);
    // The earlier steps did write: the demo parent (what isSeeded used to look at) is there.
    expect(await db.prisma.user.count({ where: { id: demoIds.parentMoreau } })).toBe(1);
    expect(await db.prisma.featureFlag.count()).toBeGreaterThan(0);
    expect(await db.prisma.document.count()).toBe(0);
    expect(await isSeeded(db.prisma)).toBe(false);
    expect(await db.query(`SELECT * FROM app.seed_run`)).toEqual([]);
  }, SEEDING);

  it('the next start completes the seed, keeping the demo rows changed in between', async () => {
    await db.query(`DROP TRIGGER refuse_documents ON rag.document`);
    const conversation = await db.prisma.conversation.findFirstOrThrow({ where: { userId: demoIds.leaMoreau }, orderBy: { id: 'asc' } });
    await db.prisma.conversation.update({ where: { id: conversation.id }, data: { title: 'renamed before the restart' } });

    await prepareDatabase(db, testConfig(db), log);
    expect(await isSeeded(db.prisma)).toBe(true);
    expect(await db.prisma.document.count()).toBeGreaterThan(0);
    expect((await db.prisma.conversation.findUniqueOrThrow({ where: { id: conversation.id } })).title).toBe('renamed before the restart');
  }, SEEDING);

  it('a start after a completed seed does not seed again (no write at all)', async () => {
    const { counter } = await countSql(() => prepareDatabase(db, testConfig(db), log), true);
    expect(counter.log!.filter((sql) => /^\s*(INSERT|UPDATE|DELETE)/i.test(sql))).toEqual([]);
    expect(await db.query<{ name: string }>(`SELECT name FROM app.seed_run`)).toEqual([{ name: 'demo' }]);
  }, SEEDING);
});
