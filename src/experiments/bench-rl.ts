/**
 * Cost of one SAC environment step: the actor choosing an action, the MuJoCo step, storing the
 * transition and one gradient update of critics and actor on a batch from a pre-filled replay
 * buffer (what every post-warm-up step of `hhnet train rl` does).
 */
import { performance } from 'node:perf_hooks';
import { Rng } from '../util/rng.js';
import { resolveRlConfig } from '../rl/config.js';
import { addNoise, scaleAction } from '../rl/evaluate.js';
import { ActorKind } from '../rl/networks.js';
import { EnvName, makeEnv } from '../rl/pendulums.js';
import { ReplayBuffer, emptyBatch } from '../rl/replay.js';
import { buildAgent } from '../rl/train.js';
import { ObservationWindow } from '../rl/window.js';
import { backendDescription, getBackend } from '../kernels/index.js';

export interface BenchRlOptions {
  env: EnvName;
  model: ActorKind;
  steps: number;
  warmup: number;
  batch: number;
}

export interface BenchRlResult {
  env: EnvName;
  model: ActorKind;
  batch: number;
  steps: number;
  msPerStep: number;
  /** Split of the step: acting (actor forward), physics, update (critics + actor + targets). */
  msAct: number;
  msEnv: number;
  msUpdate: number;
  backend: string;
  /** The backend in words (variant, threads). */
  kernels: string;
  node: string;
}

export async function benchRl(opts: BenchRlOptions): Promise<BenchRlResult> {
  const cfg = resolveRlConfig(
    // The benchmark times its own loop (opts.steps, opts.warmup); the config only builds the agent,
    // so its steps merely have to make a trainable run.
    {
      env: opts.env,
      model: opts.model,
      steps: Math.max(opts.steps, opts.batch),
      batch: opts.batch,
      warmup: 0,
    },
    'bench rl',
  );
  const env = await makeEnv(cfg.env);
  try {
    const agent = buildAgent(cfg, env);
    const rng = new Rng(1);
    const W = cfg.window * env.observationSize;
    const replay = new ReplayBuffer(10_000, W, env.actionSize);
    const window = new ObservationWindow(cfg.window, env.observationSize, cfg.padding);
    window.reset(env.reset(0));
    const prev = new Float32Array(W);
    const action = new Float64Array(env.actionSize);
    const batch = emptyBatch(cfg.batch, W, env.actionSize);
    const times = { act: 0, env: 0, update: 0 };
    const step = (timed: boolean): void => {
      const t0 = performance.now();
      const a = agent.act(window.frames, 1, false, rng);
      const t1 = performance.now();
      const r = env.step(scaleAction(env, a, action));
      prev.set(window.frames);
      window.push(addNoise(r.observation, 0, rng));
      replay.add(prev, a, r.reward, window.frames, r.terminated);
      if (r.terminated || r.truncated) window.reset(env.reset());
      const t2 = performance.now();
      agent.update(replay.sample(cfg.batch, rng, batch), rng);
      const t3 = performance.now();
      if (timed) {
        times.act += t1 - t0;
        times.env += t2 - t1;
        times.update += t3 - t2;
      }
    };
    // Fill the buffer with a batch worth of transitions before the first update.
    for (let i = 0; i < cfg.batch; i++) {
      const r = env.step(scaleAction(env, [rng.range(-1, 1)], action));
      prev.set(window.frames);
      window.push(r.observation);
      replay.add(prev, [0], r.reward, window.frames, r.terminated);
      if (r.terminated || r.truncated) window.reset(env.reset());
    }
    for (let i = 0; i < opts.warmup; i++) step(false);
    const start = performance.now();
    for (let i = 0; i < opts.steps; i++) step(true);
    const total = performance.now() - start;
    return {
      env: cfg.env,
      model: cfg.model,
      batch: cfg.batch,
      steps: opts.steps,
      msPerStep: total / opts.steps,
      msAct: times.act / opts.steps,
      msEnv: times.env / opts.steps,
      msUpdate: times.update / opts.steps,
      backend: getBackend().name,
      kernels: backendDescription(),
      node: process.version,
    };
  } finally {
    env.close();
  }
}
