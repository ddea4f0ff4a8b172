// A frontend's first steps with the typed SDK: sign in as a demo user, then read `me`, through
// the generated documents, sent by hash (trusted documents) with the document as a fallback for a
// server running PERSISTED_OPERATIONS=off.
//
//   npm start                                   # in another terminal
//   npx tsx examples/sdk-sign-in.ts [loginId] [--url http://localhost:${PORT:-4000}/graphql]
import { parseArgs } from 'node:util';
import { pathToFileURL } from 'node:url';
import { print } from 'graphql';
import type { TypedDocumentNode } from '@graphql-typed-document-node/core';
import { MeDocument, SignInDocument } from '../src/client/generated/graphql.ts';

type Result<T> = { data?: T | null; errors?: { message: string; extensions?: { code?: string } }[] };

/** Runs a typed document: by its hash first, and as a document when the server does not know hashes. */
export async function execute<TData, TVars>(url: string, doc: TypedDocumentNode<TData, TVars>, variables: TVars, token?: string): Promise<TData> {
  const headers: Record<string, string> = { 'content-type': 'application/json', accept: 'application/graphql-response+json' };
  if (token) headers.authorization = `Bearer ${token}`;
  const hash = (doc as unknown as { __meta__: { hash: string } }).__meta__.hash.replace(/^sha256:/, '');
  const send = async (body: object) => (await (await fetch(url, { method: 'POST', headers, body: JSON.stringify(body) })).json()) as Result<TData>;
  let result = await send({ variables, extensions: { persistedQuery: { version: 1, sha256Hash: hash } } });
  // Refused before execution (hashes off, or a manifest from another build): send the document.
  if (!result.data && result.errors?.length) {
    result = await send({ query: print(doc), variables });
  }
  if (result.errors?.length || !result.data) throw new Error(result.errors?.map((e) => `${e.extensions?.code}: ${e.message}`).join('; ') ?? 'no data');
  return result.data;
}

export async function signInAndReadMe(url: string, loginId: string) {
  const { signIn } = await execute(url, SignInDocument, { input: { idp: 'MOCK_IDP', loginId, origin: 'sdk-example' } });
  const { me } = await execute(url, MeDocument, {}, signIn.token);
  return me!;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const { values, positionals } = parseArgs({ allowPositionals: true, options: { url: { type: 'string' } } });
  // Like npm run demo:token: the server's PORT when set, else the default 4000.
  const url = values.url ?? `http://localhost:${process.env.PORT ?? 4000}/graphql`;
  const me = await signInAndReadMe(url, positionals[0] ?? 'demo-lea-moreau').catch((err: Error) => {
    console.error(`${err.message} (is the server running at ${url}?)`);
    process.exit(1);
  });
  const current = me.sessions.find((s) => s.current);
  console.log(`${me.userType} ${me.id}, language ${me.language}, session scope ${current?.scope}`);
}
