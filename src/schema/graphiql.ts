// What GraphiQL opens with. Its files are served by this server (@graphql-yoga/render-graphiql
// bundles GraphiQL, its editors' workers and the explorer plugin), so it works offline and behind
// networks that block CDNs. The default query works against the demo data once a bearer token is
// in the Headers tab; without one it still answers the public fields and `me: null`.
import type { GraphiQLOptions } from 'graphql-yoga';

export const defaultGraphiqlQuery = /* GraphQL */ `# Welcome to the youth-safety GraphQL API.
#
# 1. Get a demo session token, with the server running:
#      npm run demo:token -- demo-lea-moreau
#    or run this mutation in a new tab (+ above):
#      mutation {
#        signIn(input: { idp: MOCK_IDP,
#          loginId: "demo-lea-moreau", origin: "graphiql" }) {
#          token
#        }
#      }
# 2. Put it in the Headers tab below:
#      { "Authorization": "Bearer <token>" }
# 3. Run this query (the play button, or Ctrl+Enter).
#
# The left sidebar holds the docs (first icon) and the
# explorer (second), which builds a query as you tick fields.
query Me {
  health { status database }
  me {
    id
    userType
    language
    conversations(first: 5) {
      totalCount
      edges {
        node {
          title
          conversationType
          updatedAt
          chatSessions(first: 3) {
            totalCount
            edges { node { threadId createdAt } }
          }
        }
      }
    }
    collectives {
      name
      type
      members(first: 5) { totalCount edges { node { role } } }
    }
  }
  featureFlags { name enabled }
}
`;

/**
 * The Headers tab starts with an Authorization header to fill in. An empty value is sent as no
 * credentials (anonymous), so running the default query before signing in does not fail.
 */
export const defaultGraphiqlHeaders = JSON.stringify({ Authorization: '' }, null, 2);

export const graphiqlOptions: GraphiQLOptions = {
  title: 'Youth safety GraphQL API',
  defaultQuery: defaultGraphiqlQuery,
  defaultHeaders: defaultGraphiqlHeaders,
  // Open the Headers editor, where step 2 of the default query happens.
  defaultEditorToolsVisibility: 'headers',
};
