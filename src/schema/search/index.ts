// The search area: the Document type, the search query, then the ingestion mutations.
import './document.ts';
import './search-documents.ts';
import './ingest-document.ts';
