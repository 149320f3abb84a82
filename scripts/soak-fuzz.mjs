#!/usr/bin/env node
// Soak run of the CLI fuzzer: N fuzzed command lines (test/fuzz-cli.ts, built to dist/test) through
// dist/src/cli/main.js, two at a time, each killed after a timeout. Prints a JSON summary and
// exits 1 when any line hung, printed a stack trace or exited 0 although it was invalid.
//
//   node scripts/soak-fuzz.mjs [--lines N] [--seed S] [--timeout SECONDS] [--concurrency C] [--cli PATH]
//
// --cli runs another build's main.js with the same lines (e.g. to compare before and after a fix).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import process from 'node:process';
import { parseArgs } from 'node:util';
import fc from 'fast-check';
import { describeRun, fuzzLines, problems, runLines } from '../dist/test/fuzz-cli.js';

const { values } = parseArgs({
  options: {
    lines: { type: 'string', default: '1000' },
    seed: { type: 'string' },
    timeout: { type: 'string', default: '20' },
    concurrency: { type: 'string', default: '2' },
    cli: { type: 'string' },
  },
});
const positive = (name) => {
  const x = Number(values[name]);
  if (!Number.isSafeInteger(x) || x < 1) {
    process.stderr.write(
      `soak-fuzz: --${name} expects a positive integer, got ${JSON.stringify(values[name])}\n`,
    );
    process.exit(2);
  }
  return x;
};
const count = positive('lines');
const timeoutMs = positive('timeout') * 1000;
const concurrency = positive('concurrency');
// A fresh seed each run unless given; it is printed so a failing run can be repeated.
const seed = values.seed === undefined ? Date.now() % 2 ** 31 : Number(values.seed);
if (!Number.isSafeInteger(seed)) {
  process.stderr.write(`soak-fuzz: --seed expects an integer, got ${JSON.stringify(values.seed)}\n`);
  process.exit(2);
}

const root = mkdtempSync(join(tmpdir(), 'hhnet-soak-'));
const started = Date.now();
try {
  const lines = fc.sample(fuzzLines(), { seed, numRuns: count });
  const runs = await runLines(lines, root, { concurrency, timeoutMs, cli: values.cli });
  const tally = { hang: 0, stackTrace: 0, exit0OnInvalid: 0, format: 0 };
  const failures = [];
  for (const r of runs) {
    const p = problems(r);
    for (const k of p) tally[k]++;
    if (p.length > 0 && failures.length < 20) failures.push(`${p.join(', ')}: ${describeRun(r)}`);
  }
  const summary = {
    lines: runs.length,
    hangs: tally.hang,
    stackTraces: tally.stackTrace,
    exit0OnInvalid: tally.exit0OnInvalid,
    badOutput: tally.format,
    seconds: Math.round((Date.now() - started) / 100) / 10,
    seed,
    failures,
  };
  process.stdout.write(JSON.stringify(summary, null, 2) + '\n');
  process.exitCode = tally.hang + tally.stackTrace + tally.exit0OnInvalid + tally.format > 0 ? 1 : 0;
} finally {
  rmSync(root, { recursive: true, force: true });
}
