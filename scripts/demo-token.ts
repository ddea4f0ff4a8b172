// npm run demo:token [-- demo-lea-moreau] [--url http://localhost:4000/graphql]
// Signs a demo user in on the running server (the mock identity provider, development only)
// and prints the header to paste into GraphiQL.
import { parseArgs } from 'node:util';

const { values, positionals } = parseArgs({ allowPositionals: true, options: { url: { type: 'string' } } });
const loginId = positionals[0] ?? 'demo-lea-moreau';
const url = values.url ?? `http://localhost:${process.env.PORT ?? 4000}/graphql`;

const response = await fetch(url, {
  method: 'POST',
  headers: { 'content-type': 'application/json' },
  body: JSON.stringify({
    query: 'mutation($input: SignInInput!) { signIn(input: $input) { token created session { scope } user { userType } } }',
    variables: { input: { idp: 'MOCK_IDP', loginId, origin: 'graphiql' } },
  }),
}).catch((err: Error) => {
  console.error(`Could not reach ${url} (${err.message}). Start the server first: npm start`);
  process.exit(1);
});
const body = (await response.json()) as { data?: { signIn: { token: string; created: boolean; session: { scope: string }; user: { userType: string } } }; errors?: { message: string }[] };
if (!body.data) {
  console.error(body.errors?.map((e) => e.message).join('\n'));
  process.exit(1);
}
const { token, created, session, user } = body.data.signIn;
if (created) console.error(`note: "${loginId}" is not a demo login, so a new ${user.userType} was registered`);
console.error(`${loginId}: ${user.userType}, session scope ${session.scope}. Paste this into GraphiQL's Headers tab:`);
console.log(JSON.stringify({ Authorization: `Bearer ${token}` }));
