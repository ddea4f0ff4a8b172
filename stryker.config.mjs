// Mutation testing of the authorization and consent code (npm run test:mutation): each mutant
// is a small change (a condition made true, an operator flipped); a surviving mutant is a rule
// the tests would let weaken. Runs on PGlite only, with the auth tests of vitest.mutation.config.ts.
/** @type {import('@stryker-mutator/api/core').PartialStrykerOptions} */
export default {
  testRunner: 'vitest',
  vitest: { configFile: 'vitest.mutation.config.ts', related: false },
  plugins: ['@stryker-mutator/vitest-runner'],
  // Authorization rules first; then the code around them (credentials, consent, invitations).
  mutate: [
    'src/visibility.ts',
    'src/schema/*/auth.ts',
    'src/auth/**/*.ts',
    'src/consent/**/*.ts',
    'src/schema/consent/*.ts',
    'src/schema/collectives/accept-invitation.ts',
    'src/schema/collectives/create-invitation.ts',
    'src/schema/collectives/revoke-invitation.ts',
    'src/schema/collectives/set-collective-parental-consent.ts',
  ],
  coverageAnalysis: 'perTest',
  // Stryker rewrites the tsconfig's paths in its sandbox with the TypeScript 5 API, which
  // TypeScript 7 no longer has; Vitest reads our sources without it, so point it at no file.
  tsconfigFile: 'tsconfig.stryker-none.json',
  // Module-level code (rule registration, permission names) runs once per test process: a
  // mutant there would need every test re-run. The schema walk and the matrix test it instead.
  ignoreStatic: true,
  // Two cores shared with other engineers.
  concurrency: 2,
  timeoutMS: 60_000,
  // The dry run (every test once, with coverage) takes 2 to 6 min on a loaded machine.
  dryRunTimeoutMinutes: 20,
  reporters: ['clear-text', 'progress-append-only', 'json'],
  jsonReporter: { fileName: 'reports/mutation/mutation.json' },
  tempDirName: '.stryker-tmp',
  cleanTempDir: 'always',
  // No DATABASE_URL: the tests run on PGlite.
  thresholds: { high: 90, low: 80, break: null },
};
