// Prisma's schema engine as WebAssembly, driven directly: the CLI only spawns the native binary,
// which cannot be downloaded here. We use the engine for what only it knows: the SQL that takes
// one schema to another (migration generation) and the drift between schema and database.
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import pg from 'pg';
import { PrismaPg } from '@prisma/adapter-pg';
import { PrismaPGlite } from 'pglite-prisma-adapter';
import { bindMigrationAwareSqlAdapterFactory } from '@prisma/driver-adapter-utils';
import type { SqlMigrationAwareDriverAdapterFactory } from '@prisma/driver-adapter-utils';
import * as glue from '@prisma/schema-engine-wasm/schema_engine_bg';
import type { SchemaEngine } from '@prisma/schema-engine-wasm';
import type { Database } from '../database.ts';
import { schemaPath } from './files.ts';
import { isHandManagedStatement } from './hand-managed.ts';

// @types/node 20 does not declare the WebAssembly global; this is the little we use of it.
declare const WebAssembly: {
  compile(bytes: Uint8Array): Promise<object>;
  instantiate(module: object, imports: Record<string, object>): Promise<{ exports: Record<string, unknown> }>;
};

let ready: Promise<void> | undefined;

function initWasm() {
  ready ??= (async () => {
    const require = createRequire(import.meta.url);
    const wasmPath = require.resolve('@prisma/schema-engine-wasm').replace(/schema_engine\.js$/, 'schema_engine_bg.wasm');
    const module = await WebAssembly.compile(await readFile(wasmPath));
    const instance = await WebAssembly.instantiate(module, {
      './schema_engine_bg.js': glue,
    });
    const g = glue as unknown as { __wbg_set_wasm(e: object): void };
    g.__wbg_set_wasm(instance.exports);
    (instance.exports as { __wbindgen_start(): void }).__wbindgen_start();
  })();
  return ready;
}

/**
 * The engine's catalog introspection reads columns of type "char" (oid 18), which adapter-pg
 * rejects. The engine only reads them as text, so report them as text.
 */
function charAsTextPool(connectionString: string) {
  const pool = new pg.Pool({ connectionString, max: 2 });
  const query = pool.query.bind(pool) as (...args: unknown[]) => Promise<pg.QueryResult>;
  (pool as unknown as { query: (...args: unknown[]) => Promise<pg.QueryResult> }).query = async (...args) => {
    const result = await query(...args);
    for (const field of result.fields ?? []) if (field.dataTypeID === 18) field.dataTypeID = 25;
    return result;
  };
  return pool;
}

export interface EngineHandle {
  engine: SchemaEngine;
  schema: string;
  close(): Promise<void>;
}

/** A schema engine bound to the database (no shadow database is ever created). */
export async function openEngine(db: Database, schema?: string): Promise<EngineHandle> {
  await initWasm();
  const source = schema ?? (await readFile(schemaPath, 'utf8'));
  let factory: SqlMigrationAwareDriverAdapterFactory;
  let cleanup = async () => {};
  if (db.kind === 'pglite') {
    factory = new PrismaPGlite(db.pglite!);
  } else {
    const url = (db.pool as unknown as { options: { connectionString: string } }).options.connectionString;
    const pool = charAsTextPool(url);
    factory = new PrismaPg(pool);
    cleanup = () => pool.end();
  }
  const Engine = (glue as unknown as { SchemaEngine: typeof SchemaEngine }).SchemaEngine;
  const engine = await Engine.new(
    { datamodels: [['schema.prisma', source]] },
    () => {},
    bindMigrationAwareSqlAdapterFactory(factory),
  );
  return {
    engine,
    schema: source,
    async close() {
      engine.free();
      await cleanup();
    },
  };
}

const noFilters = { externalTables: [], externalEnums: [] };

/** Splits the engine's script into statements, keeping each with its leading comment. */
export function statementsOf(script: string) {
  return script
    .split(/\n(?=-- )/)
    .map((s) => s.trim())
    .filter((s) => s && !/^-- This is an empty migration\.?$/.test(s));
}

/**
 * SQL that would bring the database to the Prisma schema, minus the objects we manage by hand
 * (pgvector indexes, full-text indexes). Empty when there is no drift.
 */
export async function diffDatabaseToSchema(handle: EngineHandle): Promise<string[]> {
  const files = [{ path: 'schema.prisma', content: handle.schema }];
  const result = await handle.engine.diff({
    from: { tag: 'schemaDatasource', files, configDir: '.' },
    to: { tag: 'schemaDatamodel', files },
    script: true,
    exitCode: true,
    filters: noFilters,
  });
  return statementsOf(result.stdout ?? '').filter((s) => !isHandManagedStatement(s));
}

/** SQL creating the whole schema from nothing (what `migrate diff --from-empty` prints). */
export async function diffEmptyToSchema(handle: EngineHandle): Promise<string> {
  const files = [{ path: 'schema.prisma', content: handle.schema }];
  const result = await handle.engine.diff({
    from: { tag: 'empty' },
    to: { tag: 'schemaDatamodel', files },
    script: true,
    exitCode: null,
    filters: noFilters,
  });
  return result.stdout ?? '';
}
