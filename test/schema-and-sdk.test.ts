// schema.graphql and the generated SDK are committed; these fail when either drifts from the code.
import { describe, expect, it } from 'vitest';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { generate } from '@graphql-codegen/cli';
import { printSchemaSdl } from '../src/schema/index.ts';
import { projectRoot } from '../src/db/migrate/files.ts';
import { codegenConfig } from '../codegen.ts';

describe('committed contract files', () => {
  it('schema.graphql is what the code builds (run `npm run schema` to refresh it)', async () => {
    const committed = await readFile(path.join(projectRoot, 'schema.graphql'), 'utf8');
    expect(committed).toBe(printSchemaSdl());
  });

  it('the generated client SDK is current (run `npm run codegen` to refresh it)', async () => {
    const outputs = await generate({ ...codegenConfig, cwd: projectRoot, silent: true }, false);
    expect(outputs.length).toBeGreaterThan(0);
    for (const { filename, content } of outputs) {
      const committed = await readFile(path.resolve(projectRoot, filename), 'utf8');
      expect(committed, `${filename} is stale`).toBe(content);
    }
  });
});
