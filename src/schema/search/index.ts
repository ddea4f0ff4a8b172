// Imports this area's types, queries and mutations.
import './document.ts';
import './search-documents.ts';
import './ingest-document.ts';
