// The analytics area: its enums and the summary query, then its mutation.
import './enums.ts';
import './analytics-summary.ts';
import './record-conversation-analytics.ts';
