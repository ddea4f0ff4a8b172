// Imports this area's types, queries and mutations.
import './enums.ts';
import './analytics-summary.ts';
import './record-conversation-analytics.ts';
