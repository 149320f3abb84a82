// Memory of RL evaluation: MuJoCo's WebAssembly memory (2 GiB at most, never shrinks) and the
// process's memory stay flat over many episodes. One environment per evaluation episode used to
// exhaust MuJoCo's memory after ~155 episodes ("Cannot enlarge memory").
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { resolveRlConfig } from '../src/rl/config.js';
import { mujoco, mujocoHeapBytes } from '../src/rl/mujoco.js';
import { makeEnv } from '../src/rl/pendulums.js';
import { trainRl } from '../src/rl/train.js';
import { runCli } from './helpers.js';

const ROOT = mkdtempSync(join(tmpdir(), 'hhnet-rl-memory-'));
after(() => rmSync(ROOT, { recursive: true, force: true }));

const MB = 2 ** 20;
// One environment holds ~14 MB of MuJoCo memory, so any leak of one per episode (or per
// evaluation over several evaluations) exceeds this.
const WASM_SLACK = 4 * MB;

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

async function wasmHeap(): Promise<number> {
  return mujocoHeapBytes(await mujoco());
}

function jsMemory(): { rss: number; heapUsed: number } {
  gc();
  const { rss, heapUsed } = process.memoryUsage();
  return { rss, heapUsed };
}

const EPISODES = 400; // well past the ~155 where one environment per episode ran out

/** A run that is random warm-up but for one small update, and ends with one evaluation of EPISODES episodes. */
const shortRun = (seed: number) =>
  resolveRlConfig({
    env: 'inverted-double-pendulum',
    model: 'ann',
    steps: 20,
    warmup: 19,
    batch: 8,
    evalEvery: 20,
    evalEpisodes: EPISODES,
    replay: 100,
    hidden: 16,
    branchHidden: 8,
    criticHidden: 16,
    seed,
  });

test(`evaluations of ${EPISODES} episodes leave MuJoCo's memory and the process's flat`, async () => {
  const first = await trainRl(shortRun(1), { out: join(ROOT, 'run-0'), resume: false });
  assert.equal(first.evals.length, 1);
  assert.ok(first.evals[0].meanLength >= 1);
  const heap0 = await wasmHeap();
  const js0 = jsMemory();
  // Two environments (training, evaluation) in use at the peak, not one per episode.
  assert.ok(heap0 < 64 * MB, `MuJoCo memory after ${EPISODES} evaluation episodes: ${heap0 / MB} MB`);
  for (let i = 1; i <= 4; i++) await trainRl(shortRun(1 + i), { out: join(ROOT, `run-${i}`), resume: false });
  const heap1 = await wasmHeap();
  const js1 = jsMemory();
  assert.ok(
    heap1 - heap0 <= WASM_SLACK,
    `MuJoCo memory grew ${(heap1 - heap0) / MB} MB over 4 × ${EPISODES} episodes`,
  );
  assert.ok(
    js1.heapUsed - js0.heapUsed < 16 * MB,
    `JS heap grew ${(js1.heapUsed - js0.heapUsed) / MB} MB over 4 × ${EPISODES} episodes`,
  );
  assert.ok(
    js1.rss - js0.rss < 64 * MB,
    `RSS grew ${(js1.rss - js0.rss) / MB} MB over 4 × ${EPISODES} episodes`,
  );
});

test(`play --episodes ${EPISODES} runs (one MuJoCo environment for all episodes)`, async () => {
  const out = join(ROOT, 'play');
  await trainRl({ ...shortRun(9), evalEpisodes: 2 }, { out, resume: false });
  const r = await runCli(['play', '--checkpoint', out, '--episodes', String(EPISODES), '--json']);
  assert.equal(r.code, 0, r.stderr);
  const p = JSON.parse(r.stdout) as { returns: number[]; lengths: number[] };
  assert.equal(p.returns.length, EPISODES);
  assert.ok(p.lengths.every((n) => n >= 1));
});

test('opening and closing environments, and stepping thousands of episodes, do not grow memory', async () => {
  // Warm-up: the module, one environment's memory, compiled code.
  const warm = await makeEnv('inverted-pendulum');
  warm.reset(0);
  warm.close();
  const heap0 = await wasmHeap();
  for (let i = 0; i < 300; i++) {
    const env = await makeEnv(i % 2 ? 'inverted-pendulum' : 'inverted-double-pendulum');
    try {
      env.reset(i);
      env.step([0.5]);
    } finally {
      env.close();
    }
  }
  const heap1 = await wasmHeap();
  assert.ok(heap1 - heap0 <= WASM_SLACK, `MuJoCo memory grew ${(heap1 - heap0) / MB} MB over 300 open/close`);

  const env = await makeEnv('inverted-double-pendulum');
  try {
    const episodes = (n: number, from: number): number => {
      let steps = 0;
      for (let e = from; e < from + n; e++) {
        env.reset(e);
        for (;;) {
          steps++;
          const r = env.step([Math.sin(e + steps)]);
          if (r.terminated || r.truncated) break;
        }
      }
      return steps;
    };
    episodes(200, 0);
    const heap2 = await wasmHeap();
    const js2 = jsMemory();
    const steps = episodes(3000, 200);
    const heap3 = await wasmHeap();
    const js3 = jsMemory();
    assert.ok(steps > 10_000, `${steps} steps`);
    assert.ok(
      heap3 - heap2 <= WASM_SLACK,
      `MuJoCo memory grew ${(heap3 - heap2) / MB} MB over ${steps} steps`,
    );
    assert.ok(js3.heapUsed - js2.heapUsed < 8 * MB, `JS heap grew ${(js3.heapUsed - js2.heapUsed) / MB} MB`);
    assert.ok(js3.rss - js2.rss < 64 * MB, `RSS grew ${(js3.rss - js2.rss) / MB} MB over ${steps} steps`);
  } finally {
    env.close();
  }
});
