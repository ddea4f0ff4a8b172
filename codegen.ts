// GraphQL Code Generator: a typed client SDK from schema.graphql and the operations a frontend
// uses (src/client/operations/*.graphql). `npm run codegen` rewrites src/client/generated/;
// a test fails when the committed SDK is not what the current schema and operations produce.
import type { CodegenConfig } from '@graphql-codegen/cli';

export const codegenConfig: CodegenConfig = {
  schema: 'schema.graphql',
  documents: ['src/client/operations/**/*.graphql'],
  ignoreNoDocuments: false,
  // ESM: relative imports carry their extension.
  emitLegacyCommonJSImports: false,
  generates: {
    'src/client/generated/': {
      preset: 'client',
      // persisted-documents.json (sha256 → document) is what the server trusts in
      // PERSISTED_OPERATIONS=require mode; each typed document carries its hash in __meta__.hash.
      presetConfig: { fragmentMasking: false, persistedDocuments: { hashAlgorithm: 'sha256', hashPropertyName: 'hash' } },
      config: {
        enumsAsTypes: true,
        // An unmapped custom scalar fails generation instead of becoming `any` in consumers' types.
        strictScalars: true,
        useTypeImports: true,
        scalars: {
          DateTime: 'string',
          JSON: 'unknown',
          UUID: 'string',
          CountryCode: 'string',
          LanguageCode: 'string',
        },
      },
    },
  },
};

export default codegenConfig;
