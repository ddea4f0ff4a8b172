// GET /graphql?query=…&variables=…&extensions=…: yoga's own parser lets JSON.parse throw a plain
// SyntaxError on malformed `variables` or `extensions`, which would be masked as an internal
// error. This parser answers the client's mistake as HTTP 400 BAD_REQUEST naming the parameter.
import type { Plugin } from 'graphql-yoga';
import { GraphQLError } from 'graphql';
import { ErrorCode } from '../errors.ts';

function jsonParameter(params: URLSearchParams, name: 'variables' | 'extensions'): unknown {
  const text = params.get(name);
  if (!text) return undefined;
  try {
    return JSON.parse(text);
  } catch {
    throw new GraphQLError(`The ${name} query parameter is not valid JSON`, {
      extensions: { code: ErrorCode.BAD_REQUEST, parameter: name, http: { status: 400 } },
    });
  }
}

export function useStrictGetParameters(): Plugin {
  return {
    onRequestParse({ request, setRequestParser }) {
      if (request.method !== 'GET') return;
      setRequestParser((req) => {
        const params = new URL(req.url).searchParams;
        return {
          operationName: params.get('operationName') || undefined,
          query: params.get('query') || undefined,
          variables: jsonParameter(params, 'variables') as Record<string, unknown> | undefined,
          extensions: jsonParameter(params, 'extensions') as Record<string, unknown> | undefined,
        };
      });
    },
  };
}
