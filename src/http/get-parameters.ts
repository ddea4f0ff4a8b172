// The request parameters, read strictly: every malformed request is the client's HTTP 4xx with
// an extensions.code, never an internal error and never a bare 200.
// - GET /graphql?query=…&variables=… and a POST form (application/x-www-form-urlencoded): yoga's
//   own parser lets JSON.parse throw a plain SyntaxError on malformed `variables` or
//   `extensions`, which would be masked as an internal error. This parser answers 400
//   BAD_REQUEST naming the parameter.
// - Any other parser's refusal without a code (yoga's multipart parser: `operations` or `map`
//   not JSON, no `operations`) is 400 BAD_REQUEST; yoga would answer it 200 without a code.
// - A POST no parser reads (text/plain, no content-type) is 415 UNSUPPORTED_MEDIA_TYPE with a
//   GraphQL body; yoga would answer an empty 415.
import type { Plugin } from 'graphql-yoga';
import { GraphQLError } from 'graphql';
import { ErrorCode, isGraphQLError } from '../errors.ts';

type Params = { operationName?: string; query?: string; variables?: Record<string, unknown>; extensions?: Record<string, unknown> };

const badRequest = (message: string, extensions: Record<string, unknown> = {}) =>
  new GraphQLError(message, { extensions: { ...extensions, code: ErrorCode.BAD_REQUEST, http: { status: 400 } } });

function jsonParameter(params: URLSearchParams, name: 'variables' | 'extensions'): unknown {
  const text = params.get(name);
  if (!text) return undefined;
  try {
    return JSON.parse(text);
  } catch {
    throw badRequest(`The ${name} parameter is not valid JSON`, { parameter: name });
  }
}

function fromSearchParams(params: URLSearchParams): Params {
  return {
    operationName: params.get('operationName') || undefined,
    query: params.get('query') || undefined,
    variables: jsonParameter(params, 'variables') as Record<string, unknown> | undefined,
    extensions: jsonParameter(params, 'extensions') as Record<string, unknown> | undefined,
  };
}

/** The media type of the request, without parameters (as yoga matches it: the first of a list). */
const mediaType = (request: Request) => (request.headers.get('content-type') ?? '').split(',')[0]!.split(';')[0]!.trim().toLowerCase();

/** A parser's refusal as the client's 400, unless it already says what it is. */
function asClientError(error: unknown): unknown {
  if (!isGraphQLError(error) || error.originalError || error.extensions?.code) return error;
  return badRequest(error.message);
}

export function useStrictGetParameters(): Plugin {
  return {
    onRequestParse({ request, requestParser, setRequestParser }) {
      if (request.method === 'GET') {
        setRequestParser((req) => fromSearchParams(new URL(req.url).searchParams));
        return;
      }
      if (request.method === 'POST' && mediaType(request) === 'application/x-www-form-urlencoded') {
        setRequestParser(async (req) => fromSearchParams(new URLSearchParams(await req.text())));
        return;
      }
      if (!requestParser) {
        if (request.method !== 'POST') return;
        setRequestParser(() => {
          throw new GraphQLError('The request body must be application/json, application/graphql or multipart/form-data', {
            extensions: { code: 'UNSUPPORTED_MEDIA_TYPE', http: { status: 415 } },
          });
        });
        return;
      }
      const parse = requestParser;
      setRequestParser(async (req) => {
        try {
          return await parse(req);
        } catch (error) {
          throw asClientError(error);
        }
      });
    },
  };
}
