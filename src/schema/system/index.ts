// The system area: health, and the Relay refetch fields node(id:) and nodes(ids:).
import './health.ts';
import './nodes.ts';
