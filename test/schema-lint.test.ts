// The printed schema passes @graphql-eslint's schema-recommended and relay configs with zero
// findings (eslint.config.js lists the deliberate exceptions and why). `npm run lint:schema` runs
// the same check from the command line; this test is how CI runs it.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ESLint } from 'eslint';

const root = path.resolve(import.meta.dirname, '..');
const schemaFile = path.join(root, 'schema.graphql');

describe('schema lint (@graphql-eslint schema-recommended + relay)', () => {
  const eslint = new ESLint({ cwd: root });

  it('schema.graphql has zero findings', async () => {
    const [result] = await eslint.lintFiles([schemaFile]);
    const findings = result.messages.map((m) => `${m.line}:${m.column} ${m.ruleId}: ${m.message}`);
    expect(findings).toEqual([]);
  }, 60_000);

  it('the configuration is live: an undescribed type and a Query field named get* are findings', async () => {
    const text = readFileSync(schemaFile, 'utf8').replace(/^type Query \{$/m, 'type Query {\n  """Fetches x."""\n  getX: Undescribed') + '\ntype Undescribed { id: ID! }\n';
    const [result] = await eslint.lintText(text, { filePath: schemaFile });
    const rules = new Set(result.messages.map((m) => m.ruleId));
    expect(rules).toContain('@graphql-eslint/require-description');
    expect(rules).toContain('@graphql-eslint/naming-convention');
  }, 60_000);
});
