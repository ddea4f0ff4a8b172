// ESLint runs on the printed schema only (npm run lint:schema; CI runs it through
// test/schema-lint.test.ts): @graphql-eslint's schema-recommended and relay configs, at zero
// findings. The exceptions below are deliberate; each says why.
import graphql from '@graphql-eslint/eslint-plugin';

export default [
  {
    files: ['schema.graphql'],
    languageOptions: { parser: graphql.parser, parserOptions: { graphQLConfig: { schema: 'schema.graphql' } } },
    plugins: { '@graphql-eslint': graphql },
    rules: {
      ...graphql.configs['flat/schema-recommended'].rules,
      ...graphql.configs['flat/schema-relay'].rules,
      // Every entity a client refetches has `id: ID!` (and implements Node). These have none on purpose:
      // - payloads, connections and edges belong to the field that returned them;
      // - PageInfo, and the aggregates and search hits (AnalyticsSummary, AnalyticsCount,
      //   MoodImprovement, SearchResult), are computed per request: there is nothing to refetch;
      // - InvitationPreview is what an invitation token shows before sign-in, deliberately not the
      //   Invitation's id; Health is a singleton;
      // - ParentalConsent is keyed by its (parent, teenager) pair, FeatureFlag by its unique name,
      //   LocalizedContent by (category, language, variant, key): examples/urql-client.ts gives
      //   graphcache those keys (test/client-cache-contract.test.ts keeps the list complete).
      '@graphql-eslint/strict-id-in-types': [
        'error',
        {
          acceptedIdNames: ['id'],
          acceptedIdTypes: ['ID'],
          exceptions: {
            suffixes: ['Payload', 'Connection', 'Edge'],
            types: [
              'PageInfo',
              'AnalyticsSummary',
              'AnalyticsCount',
              'MoodImprovement',
              'SearchResult',
              'InvitationPreview',
              'Health',
              'ParentalConsent',
              'FeatureFlag',
              'LocalizedContent',
            ],
          },
        },
      ],
      // Plain lists are kept where they are small and bounded by the data model or an argument: a
      // user's memberships, collectives, sessions and consents; a collective's children; analytics
      // buckets; nodes(ids:) (at most 100 ids); search results (`limit`); flags and content by name;
      // ids in mutation payloads. Every list that grows without bound is a connection.
      '@graphql-eslint/relay-edge-types': ['error', { withEdgeSuffix: true, shouldImplementNode: true, listTypeCanWrapOnlyEdgeType: false }],
      // Conversation.conversationType and User.userType predate the lint, mirror the data model's
      // columns, and are selected by every client and the SDK: renaming them breaks clients for style.
      '@graphql-eslint/no-typename-prefix': 'off',
    },
  },
];
