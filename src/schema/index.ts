// Imports every area (each registers its types and fields), then builds the schema.
import { lexicographicSortSchema, printSchema } from 'graphql';
import { builder } from '../builder.ts';
import { installFastFields } from '../read-path/index.ts';
// Shared enums, then one line per area (each area's index.ts imports its types, then its mutations).
import './enums.ts';
import './system/index.ts';
import './users/index.ts';
import './sessions/index.ts';
import './consent/index.ts';
import './conversations/index.ts';
import './feedback/index.ts';
import './collectives/index.ts';
import './flags/index.ts';
import './content/index.ts';
import './operators/index.ts';
import './search/index.ts';
import './messages/index.ts';
import './analytics/index.ts';
import './notifications/index.ts';
import './subscriptions/index.ts';

export const schema = builder.toSchema();
// Fields under the fast read path's roots read its results' properties (src/read-path).
installFastFields(schema);

/** The SDL committed as schema.graphql: sorted, so diffs show real changes only. */
export const printSchemaSdl = () => `${printSchema(lexicographicSortSchema(schema))}\n`;

