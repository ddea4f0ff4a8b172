// CSRF prevention (yoga's plugin): a request a browser may send cross-site without a CORS
// preflight (a GET, or a POST as a form or text/plain) must carry a header only a script allowed
// by CORS can set. Our credentials are such headers themselves, so they count; anonymous GETs add
// `x-graphql-yoga-csrf: 1` (or Apollo's `graphql-preflight`). JSON POSTs are never affected.
import { useCSRFPrevention } from '@graphql-yoga/plugin-csrf-prevention';

export const csrfHeaders = ['x-graphql-yoga-csrf', 'graphql-preflight', 'apollo-require-preflight', 'authorization', 'x-api-key'];

export const useCsrfPrevention = () => useCSRFPrevention({ requestHeaders: csrfHeaders });
