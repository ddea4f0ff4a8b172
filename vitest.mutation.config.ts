// The tests that exercise authorization and consent: what `npm run test:mutation` (StrykerJS)
// runs against each mutant. The full suite would take hours on two cores; these kill the
// mutants of the files listed in stryker.config.mjs.
import { defineConfig, mergeConfig } from 'vitest/config';
import base from './vitest.config.ts';

// The rule files (visibility.ts, */auth.ts, auth/scopes.ts) need only the first three;
// STRYKER_TESTS=all adds the consent, invitation and sign-in suites for the other files.
const RULE_TESTS = ['test/auth-declarations.test.ts', 'test/auth-edges.test.ts', 'test/visibility-matrix.test.ts'];
const FLOW_TESTS = ['test/consent.test.ts', 'test/invitations.test.ts', 'test/sign-in.test.ts'];
export const AUTH_TESTS = process.env.STRYKER_TESTS === 'all' ? [...RULE_TESTS, ...FLOW_TESTS] : RULE_TESTS;

const config = mergeConfig(base, defineConfig({ test: { reporters: ['default'] } }));
// mergeConfig concatenates arrays: replace the base's include instead.
config.test!.include = AUTH_TESTS;
config.test!.reporters = ['default'];
export default config;
