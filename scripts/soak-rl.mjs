#!/usr/bin/env node
// Soak test of RL evaluation memory, over the built tree (dist/): runs --episodes evaluation
// episodes (default 2000) in evaluations of --every episodes (default 100), each the way
// `hhnet play` runs one (a new environment, all episodes on it, closed afterwards), with one
// actor (untrained unless --checkpoint names a `train rl` output). Prints MuJoCo's WebAssembly
// memory and the process RSS after every evaluation, then one JSON line
//   { "episodes", "wasmHeapStartMB", "wasmHeapEndMB", "rssStartMB", "rssEndMB", "seconds" }
// where "start" is after the first evaluation (module, environment and compiled code warmed
// up). Exits 1 if either grew by more than its bound after that, 2 on bad flags.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import process from 'node:process';
import { URL, fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

const USAGE = `usage: node scripts/soak-rl.mjs [--episodes N] [--every N] [--env NAME] [--model NAME]
  [--checkpoint DIR] [--seed N] [--max-wasm-growth-mb X] [--max-rss-growth-mb X]`;

function fail(message) {
  process.stderr.write(`soak-rl: ${message}\n${USAGE}\n`);
  process.exit(2);
}

let flags;
try {
  ({ values: flags } = parseArgs({
    options: {
      episodes: { type: 'string', default: '2000' },
      every: { type: 'string', default: '100' },
      env: { type: 'string', default: 'inverted-double-pendulum' },
      model: { type: 'string', default: 'hh' },
      checkpoint: { type: 'string' },
      seed: { type: 'string', default: '12345' },
      // One environment holds ~14 MB of MuJoCo memory: a leak of one per evaluation crosses this.
      'max-wasm-growth-mb': { type: 'string', default: '8' },
      'max-rss-growth-mb': { type: 'string', default: '128' },
      help: { type: 'boolean', short: 'h' },
    },
  }));
} catch (err) {
  fail(err.message);
}
if (flags.help) {
  process.stdout.write(USAGE + '\n');
  process.exit(0);
}
const int = (name) => {
  const v = Number(flags[name]);
  if (!Number.isInteger(v) || v < 1) fail(`--${name} must be a positive integer, got ${flags[name]}`);
  return v;
};
const num = (name) => {
  const v = Number(flags[name]);
  if (!(v >= 0)) fail(`--${name} must be a number ≥ 0, got ${flags[name]}`);
  return v;
};
const episodes = int('episodes');
const every = Math.min(int('every'), episodes);
const seed = Number(flags.seed);
if (!Number.isInteger(seed)) fail(`--seed must be an integer, got ${flags.seed}`);
const maxWasmGrowth = num('max-wasm-growth-mb');
const maxRssGrowth = num('max-rss-growth-mb');

const dist = fileURLToPath(new URL('../dist/src/', import.meta.url));
if (!existsSync(join(dist, 'rl/evaluate.js'))) fail(`${dist} has no built RL code; build the project first`);
const lib = (path) => import(new URL(`../dist/src/${path}`, import.meta.url).href);
const [{ resolveRlConfig }, { evaluatePolicy }, { mujoco, mujocoHeapBytes }, { withEnv }, { buildAgent }] =
  await Promise.all([
    lib('rl/config.js'),
    lib('rl/evaluate.js'),
    lib('rl/mujoco.js'),
    lib('rl/pendulums.js'),
    lib('rl/train.js'),
  ]);
const { loadSafetensors } = await lib('io/safetensors.js');
const { MODEL_FILE } = await lib('train/checkpoint.js');

// Collected garbage before each reading, so RSS shows memory still held, not garbage not yet freed.
setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc');

const MB = 2 ** 20;
const mj = await mujoco();
const memory = () => {
  gc();
  return { wasm: mujocoHeapBytes(mj) / MB, rss: process.memoryUsage().rss / MB };
};

let cfg;
let weights = null;
try {
  if (flags.checkpoint) {
    const path = join(flags.checkpoint, MODEL_FILE);
    const { tensors, metadata } = loadSafetensors(path);
    if (!metadata.hhnet) fail(`${path}: no hhnet metadata; is this the output of \`hhnet train rl\`?`);
    cfg = resolveRlConfig(JSON.parse(metadata.hhnet).config, `${path} (metadata)`);
    weights = { tensors, path };
  } else {
    cfg = resolveRlConfig({ env: flags.env, model: flags.model, steps: 10000, seed: 0 }, 'soak-rl flags');
  }
} catch (err) {
  fail(err.message);
}
const agent = await withEnv(cfg.env, (env) => buildAgent(cfg, env));
if (weights) agent.actor.loadStateDict(weights.tensors, weights.path);

process.stdout.write(
  `soak-rl: ${episodes} evaluation episodes of ${weights ? 'a trained' : 'an untrained'} ${cfg.model} actor on ${cfg.env}, ${every} per evaluation\n`,
);
const t0 = performance.now();
let done = 0;
let steps = 0;
let start = null;
while (done < episodes) {
  const n = Math.min(every, episodes - done);
  const r = await withEnv(cfg.env, (env) =>
    evaluatePolicy(agent, env, {
      episodes: n,
      seed: seed + done,
      stateNoise: cfg.stateNoise,
      padding: cfg.padding,
    }),
  );
  done += n;
  steps += r.lengths.reduce((s, x) => s + x, 0);
  const m = memory();
  start ??= m;
  process.stdout.write(
    `${String(done).padStart(String(episodes).length)} episodes (${steps} steps): MuJoCo wasm ${m.wasm.toFixed(1)} MB, RSS ${m.rss.toFixed(1)} MB` +
      `, mean return ${r.meanReturn.toFixed(1)}\n`,
  );
}
const end = memory();
const round = (x) => Math.round(x * 10) / 10;
const result = {
  episodes: done,
  wasmHeapStartMB: round(start.wasm),
  wasmHeapEndMB: round(end.wasm),
  rssStartMB: round(start.rss),
  rssEndMB: round(end.rss),
  seconds: round((performance.now() - t0) / 1000),
};
process.stdout.write(JSON.stringify(result) + '\n');
const problems = [];
if (end.wasm - start.wasm > maxWasmGrowth)
  problems.push(
    `MuJoCo wasm memory grew ${(end.wasm - start.wasm).toFixed(1)} MB (bound ${maxWasmGrowth} MB)`,
  );
if (end.rss - start.rss > maxRssGrowth)
  problems.push(`RSS grew ${(end.rss - start.rss).toFixed(1)} MB (bound ${maxRssGrowth} MB)`);
if (problems.length) {
  process.stderr.write(`soak-rl: memory grew after the first evaluation: ${problems.join('; ')}\n`);
  process.exit(1);
}
