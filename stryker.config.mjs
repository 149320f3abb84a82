// Mutation testing of a few core modules (`npm run mutation`; not part of CI). Stryker copies the
// project, dist/ included (the wasm kernels and the declared-kernel manifest come from
// `npm run build`), into .stryker-tmp/, inserts every mutant into the sources there behind a
// switch, compiles once with tsc, and runs scripts/mutation-tests.mjs with one mutant active at a
// time. The modules and their tests are listed in scripts/mutation-tests.mjs.
// See docs/reliability.md ("Mutation testing").
import { TARGETS, mutatePatterns } from './scripts/mutation-tests.mjs';

/** @type {import('@stryker-mutator/api/core').PartialStrykerOptions} */
export default {
  mutate: mutatePatterns(),
  testRunner: 'command',
  commandRunner: { command: 'node scripts/mutation-tests.mjs' },
  // The command runner reports no per-test coverage: every mutant runs its module's tests.
  coverageAnalysis: 'off',
  buildCommand: 'npx tsc -p tsconfig.json',
  // `// @ts-nocheck` goes atop the mutated modules only (the mutants need not type-check).
  disableTypeChecks: `{${TARGETS.map((t) => t.file).join(',')}}`,
  // Not copied into the sandbox: outputs of earlier runs.
  ignorePatterns: ['results', 'bench-results', 'reports', '.hhnet-tmp-*', '*.tmp'],
  concurrency: 2,
  // A mutant's run may take as long as the initial run (every module's tests in a row, several
  // times one module's) + 4 s before it counts as a timeout (e.g. an endless loop).
  timeoutFactor: 1,
  timeoutMS: 4000,
  reporters: ['clear-text', 'progress', 'html', 'json'],
  clearTextReporter: { allowColor: false, logTests: false, maxTestsToLog: 0 },
  htmlReporter: { fileName: 'reports/mutation/mutation.html' },
  jsonReporter: { fileName: 'reports/mutation/mutation.json' },
  tempDirName: '.stryker-tmp',
  cleanTempDir: 'always',
};
