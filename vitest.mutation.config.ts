// The tests that exercise authorization and consent: what `npm run test:mutation` (StrykerJS)
// runs against each mutant. The full suite would take hours on two cores; these kill the
// mutants of the files listed in stryker.config.mjs.
import { defineConfig, mergeConfig } from 'vitest/config';
import base from './vitest.config.ts';

// The rule files (visibility.ts, */auth.ts, auth/scopes.ts, auth/caller.ts) need only the first four;
// STRYKER_TESTS=all adds the consent, invitation and sign-in suites for the other files;
// STRYKER_TESTS=credentials runs only the credential suites, which kill the mutants of
// src/auth/{viewer,tokens,api-keys,identity,permissions}.ts without rebuilding the matrix world
// for each (every request reads the viewer, so every test covers viewer.ts).
const RULE_TESTS = ['test/auth-declarations.test.ts', 'test/auth-edges.test.ts', 'test/visibility-matrix.test.ts', 'test/caller-freshness.test.ts', 'test/caller-rules.test.ts'];
const FLOW_TESTS = ['test/consent.test.ts', 'test/invitations.test.ts', 'test/sign-in.test.ts'];
const CREDENTIAL_TESTS = ['test/auth-edges.test.ts', 'test/sign-in.test.ts', 'test/api-keys.test.ts', 'test/viewer.test.ts', 'test/observability.test.ts'];
// STRYKER_TESTS=scopes: the two suites that kill src/auth/scopes.ts's mutants without the matrix
// (a lower bound of its score: the matrix kills more).
const SCOPE_TESTS = ['test/auth-declarations.test.ts', 'test/auth-edges.test.ts'];
// STRYKER_TESTS=caller: src/auth/caller.ts and src/auth/scopes.ts without the matrix world (seconds a mutant).
const CALLER_TESTS = ['test/caller-rules.test.ts', 'test/caller-freshness.test.ts', 'test/auth-declarations.test.ts', 'test/auth-edges.test.ts'];
// STRYKER_TESTS=consent: the suites that drive the consent pipeline and the invitation and consent
// mutations (src/consent/, src/schema/consent/, the invitation mutations) without the matrix world.
const CONSENT_TESTS = ['test/consent.test.ts', 'test/consent-attacks.test.ts', 'test/consent-grants.test.ts', 'test/consent-scopes.test.ts', 'test/invitations.test.ts', 'test/invitation-mutations.test.ts', 'test/collectives.test.ts', 'test/auth-edges.test.ts'];
const GROUPS: Record<string, string[]> = { rules: RULE_TESTS, all: [...RULE_TESTS, ...FLOW_TESTS], credentials: CREDENTIAL_TESTS, scopes: SCOPE_TESTS, caller: CALLER_TESTS, consent: CONSENT_TESTS };
const group = process.env.STRYKER_TESTS || 'rules';
if (!GROUPS[group]) throw new Error(`STRYKER_TESTS must be one of ${Object.keys(GROUPS).join(', ')}; got ${group}`);
export const AUTH_TESTS = GROUPS[group];

const config = mergeConfig(base, defineConfig({ test: { reporters: ['default'] } }));
// mergeConfig concatenates arrays: replace the base's include instead.
config.test!.include = AUTH_TESTS;
config.test!.reporters = ['default'];
export default config;
