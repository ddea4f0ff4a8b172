// npm run schema: rewrites schema.graphql from the code. A test fails when the two differ.
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { printSchemaSdl } from '../src/schema/index.ts';
import { projectRoot } from '../src/db/migrate/files.ts';

await writeFile(path.join(projectRoot, 'schema.graphql'), printSchemaSdl());
console.log('wrote schema.graphql');
