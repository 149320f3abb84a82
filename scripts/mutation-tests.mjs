#!/usr/bin/env node
// The test command of the mutation run (`npm run mutation`, stryker.config.mjs). TARGETS lists the
// mutated modules, each with the focused node:test files (built to dist/test) that are meant to
// catch its mutants. Stryker's command runner names the active mutant in
// __STRYKER_ACTIVE_MUTANT__; the instrumented sources in Stryker's sandbox hold its switch,
// stryMutAct_9fa48("<id>"), so the module that holds it is found there and only that module's
// tests run. Without an active mutant (Stryker's initial run) every target's tests run.
//
//   node scripts/mutation-tests.mjs        (in Stryker's sandbox, after `tsc` has built dist/)
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import process from 'node:process';
import { fileURLToPath } from 'node:url';

/**
 * file: the module; range: `from-to`, when only those lines are mutated; tests: the test files, a
 * file given as { file, pattern } runs only the tests whose names match pattern
 * (--test-name-pattern).
 */
export const TARGETS = [
  { file: 'src/tensor/ops.ts', tests: ['dist/test/ops.test.js'] },
  // Derivatives and exprel (the parser, simplifier, evaluation and code generation are left out).
  { file: 'src/symbolic/expr.ts', range: '288-392', tests: ['dist/test/declared-kernels.test.js'] },
  {
    file: 'src/sim/dt-check.ts',
    tests: [{ file: 'dist/test/reliability.test.js', pattern: 'time-step probe' }],
  },
  {
    file: 'src/rl/sac.ts',
    tests: ['dist/test/sac-target.test.js', { file: 'dist/test/rl.test.js', pattern: 'actor and SAC' }],
  },
  { file: 'src/rl/pendulums.ts', tests: ['dist/test/rl-env.test.js', 'dist/test/rl-termination.test.js'] },
];

/** Stryker's `mutate` patterns for TARGETS. */
export const mutatePatterns = () => TARGETS.map((t) => (t.range ? `${t.file}:${t.range}` : t.file));

/** The target whose instrumented source holds mutant `id`, or undefined. */
function owner(id) {
  const mark = `stryMutAct_9fa48("${id}")`;
  return TARGETS.find((t) => readFileSync(t.file, 'utf8').includes(mark));
}

/**
 * Runs a target's tests: the files that share a name pattern (or have none) in one node process
 * (the first as its entry point, the others loaded with --import), stopping at the first failure.
 */
function runTests(target) {
  const groups = new Map();
  for (const t of target.tests) {
    const { file, pattern = '' } = typeof t === 'string' ? { file: t } : t;
    groups.set(pattern, [...(groups.get(pattern) ?? []), file]);
  }
  for (const [pattern, files] of groups) {
    const args = ['--test-reporter=dot'];
    if (pattern) args.push(`--test-name-pattern=${pattern}`);
    for (const file of files.slice(1)) args.push(`--import=./${file}`);
    const res = spawnSync(process.execPath, [...args, files[0]], { stdio: 'inherit' });
    if (res.status !== 0) return res.status ?? 1;
  }
  return 0;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const id = process.env.__STRYKER_ACTIVE_MUTANT__;
  // A mutant not found in any target's source (should not happen) runs every target's tests.
  const found = id === undefined ? undefined : owner(id);
  const targets = found ? [found] : TARGETS;
  if (id !== undefined)
    process.stderr.write(`mutant ${id}: tests of ${found ? found.file : 'every module'}\n`);
  for (const target of targets) {
    const code = runTests(target);
    if (code !== 0) process.exit(code);
  }
}
