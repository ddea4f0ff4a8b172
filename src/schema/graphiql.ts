// The query GraphiQL opens with: it works against the demo data once a bearer token is set
// in the Headers tab (see the README: sign in as a demo user).
export const defaultGraphiqlQuery = /* GraphQL */ `# Welcome! Sign in first (README: "Demo sign-in"), then put
# {"Authorization": "Bearer <token>"} in the Headers tab below.
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
          chatSessions(first: 3) { totalCount edges { node { threadId createdAt } } }
        }
      }
    }
    collectives { name type members(first: 5) { totalCount edges { node { role } } } }
  }
  featureFlags { name enabled }
}
`;
