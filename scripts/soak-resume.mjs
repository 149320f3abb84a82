#!/usr/bin/env node
// Soak test of kill -9 and --resume, over the built tree (dist/): trains one multi-task run
// straight through, then the same run again while killing it with SIGKILL at random moments
// (--cycles times, default 100), resuming after each kill, and finally lets it finish. The two
// runs must end bit-identical: the same model.safetensors bytes and the same per-epoch loss and
// accuracies. Prints one JSON line
//   { "cycles", "kills", "resumesFromCheckpoint", "identical", "seconds" }
// and exits 1 if the runs differ (or a resume fails), 2 on bad flags.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import process from 'node:process';
import { clearTimeout, setTimeout } from 'node:timers';
import { URL, fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const USAGE = `usage: node scripts/soak-resume.mjs [--cycles N] [--model NAME] [--limit-train N]
  [--epochs N] [--min-ms N] [--max-ms N] [--seed N]`;
const CLI = fileURLToPath(new URL('../dist/src/cli/main.js', import.meta.url));

function fail(message) {
  process.stderr.write(`soak-resume: ${message}\n${USAGE}\n`);
  process.exit(2);
}

let flags;
try {
  ({ values: flags } = parseArgs({
    options: {
      cycles: { type: 'string', default: '100' },
      model: { type: 'string', default: 'lif-fc' },
      'limit-train': { type: 'string', default: '30000' },
      epochs: { type: 'string', default: '6' },
      // A kill lands uniformly between these times after the start (startup included).
      'min-ms': { type: 'string', default: '700' },
      'max-ms': { type: 'string', default: '2500' },
      seed: { type: 'string', default: '1' },
      help: { type: 'boolean', short: 'h' },
    },
  }));
} catch (err) {
  fail(err.message);
}
if (flags.help) {
  process.stdout.write(`${USAGE}\n`);
  process.exit(0);
}
const int = (name) => {
  const x = Number(flags[name]);
  if (!Number.isSafeInteger(x) || x < 0) fail(`--${name} expects an integer ≥ 0, got ${flags[name]}`);
  return x;
};
const cycles = int('cycles');
const minMs = int('min-ms');
const maxMs = Math.max(minMs, int('max-ms'));
if (!existsSync(CLI)) fail(`${CLI} is missing: run npm run build first`);

// A small deterministic generator for the kill times (the soak itself is reproducible).
let state = int('seed') || 1;
const random = () => {
  state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
  return state / 2 ** 32;
};

const trainArgs = (out) => [
  CLI,
  'train',
  'multitask',
  '--model',
  flags.model,
  '--dataset',
  'multi-mnist',
  '--limit-train',
  String(int('limit-train')),
  '--limit-test',
  '200',
  '--epochs',
  String(int('epochs')),
  '--batch',
  '64',
  '--T',
  '8',
  '--checkpoint-every',
  '0.2',
  '--quiet',
  '--out',
  out,
];

/** Runs the CLI; kills it with SIGKILL after killMs unless it ends first. */
function run(args, killMs) {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, args, { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (c) => (stderr += c));
    const timer = killMs === null ? null : setTimeout(() => child.kill('SIGKILL'), killMs);
    child.on('exit', (code, signal) => {
      if (timer) clearTimeout(timer);
      resolve({ code, signal, stderr });
    });
  });
}

const epochs = (dir) =>
  JSON.parse(readFileSync(join(dir, 'metrics.json'), 'utf8')).epochs.map(({ epoch, loss, acc1, acc2 }) => ({
    epoch,
    loss,
    acc1,
    acc2,
  }));

const started = Date.now();
const root = mkdtempSync(join(tmpdir(), 'hhnet-soak-resume-'));
try {
  const straight = join(root, 'straight');
  const r0 = await run(trainArgs(straight), null);
  if (r0.code !== 0) throw new Error(`the straight run failed: ${r0.stderr}`);

  const killed = join(root, 'killed');
  let kills = 0;
  let resumes = 0;
  let finished = false;
  for (let i = 0; i < cycles && !finished; i++) {
    const resume = existsSync(join(killed, 'checkpoint.safetensors'));
    // Killed before its first checkpoint: the directory may hold nothing to resume, so start over.
    const extra = resume ? ['--resume'] : existsSync(killed) ? ['--force'] : [];
    const r = await run([...trainArgs(killed), ...extra], minMs + random() * (maxMs - minMs));
    if (r.signal === 'SIGKILL') kills++;
    else if (r.code === 0) finished = true;
    else throw new Error(`cycle ${i + 1} failed (exit ${r.code}): ${r.stderr}`);
    if (resume) resumes++;
    if ((i + 1) % 10 === 0) process.stderr.write(`soak-resume: ${i + 1} cycles, ${kills} kills\n`);
  }
  if (!finished) {
    const last = existsSync(join(killed, 'checkpoint.safetensors')) ? ['--resume'] : ['--force'];
    const r = await run([...trainArgs(killed), ...last], null);
    if (r.code !== 0) throw new Error(`the final run failed (exit ${r.code}): ${r.stderr}`);
    if (last[0] === '--resume') resumes++;
  }
  const sameModel = readFileSync(join(straight, 'model.safetensors')).equals(
    readFileSync(join(killed, 'model.safetensors')),
  );
  const sameMetrics = JSON.stringify(epochs(straight)) === JSON.stringify(epochs(killed));
  const identical = sameModel && sameMetrics;
  process.stdout.write(
    JSON.stringify({
      cycles,
      kills,
      resumesFromCheckpoint: resumes,
      identical,
      seconds: Math.round((Date.now() - started) / 100) / 10,
    }) + '\n',
  );
  if (!identical)
    process.stderr.write(
      `soak-resume: the runs differ (model ${sameModel ? 'same' : 'differs'}, metrics ${sameMetrics ? 'same' : 'differ'})\n`,
    );
  process.exitCode = identical ? 0 : 1;
} catch (err) {
  process.stderr.write(`soak-resume: ${err.message}\n`);
  process.exitCode = 1;
} finally {
  rmSync(root, { recursive: true, force: true });
}
