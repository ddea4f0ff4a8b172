// Imports every domain file (each registers its types and fields), then builds the schema.
import { lexicographicSortSchema, printSchema } from 'graphql';
import { builder } from '../builder.ts';
import { installFastFields } from '../read-path/index.ts';
import './enums.ts';
import './system/health.ts';
import './system/nodes.ts';
import './users/user.ts';
import './users/session.ts';
import './users/parental-consent.ts';
import './conversations/conversation.ts';
import './conversations/chat-session.ts';
import './collectives/collective.ts';
import './collectives/membership.ts';
import './collectives/invitation.ts';
import './flags/feature-flag.ts';
import './content/localized-content.ts';
import './feedback/feedback.ts';
import './sessions/mutations.ts';
import './users/mutations.ts';
import './collectives/mutations.ts';
import './conversations/mutations.ts';
import './operators/mutations.ts';
import './search/index.ts';
import './messages/index.ts';
import './analytics/index.ts';
import './notifications/mailbox.ts';

export const schema = builder.toSchema();
// Fields under the fast read path's roots read its results' properties (src/read-path).
installFastFields(schema);

/** The SDL committed as schema.graphql: sorted, so diffs show real changes only. */
export const printSchemaSdl = () => `${printSchema(lexicographicSortSchema(schema))}\n`;

