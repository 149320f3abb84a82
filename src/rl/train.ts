/**
 * The SAC training loop (spec 3.2): random warm-up, then one gradient update per environment step;
 * deterministic evaluations every evalEvery steps; rl.json, model.safetensors and a full
 * checkpoint written atomically, so `--resume` continues a killed run exactly where it stopped.
 */
import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { Rng } from '../util/rng.js';
import { writeJsonAtomic } from '../util/atomic.js';
import { interruptPoller, interruptedAt } from '../util/interrupt.js';
import { parseConfig, readJsonFile } from '../util/config.js';
import { hasCheckpoint } from '../train/checkpoint.js';
import { EnvSnapshot } from './env.js';
import { RL_IDENTITY_KEYS, RlConfig, resolveRlConfig } from './config.js';
import { addNoise, evaluatePolicy, scaleAction } from './evaluate.js';
import { MujocoEnv } from './mujoco-env.js';
import { makeEnv } from './pendulums.js';
import { ReplayBuffer, emptyBatch } from './replay.js';
import { shapedDoublePendulumReward } from './reward.js';
import { buildAgent } from './agent.js';
import { ObservationWindow } from './window.js';
import { loadRlCheckpoint, saveActor, saveRlCheckpoint } from './checkpoint.js';

export { actorShape, buildAgent } from './agent.js';

export interface EpisodeRecord {
  step: number;
  return: number;
  length: number;
}

export interface EvalRecord {
  step: number;
  meanReturn: number;
  meanLength: number;
}

interface LoopState {
  config: RlConfig;
  step: number;
  seconds: number;
  episodes: EpisodeRecord[];
  evals: EvalRecord[];
  /** The episode in progress. */
  episodeReturn: number;
  episodeLength: number;
  window: number[];
  env: EnvSnapshot;
  rng: (number | null)[];
  noiseRng: (number | null)[];
}

const count = z.number().int().nonnegative();
const EpisodeRecordSchema = z.object({ step: count, return: z.number(), length: count });
const EvalRecordSchema = z.object({
  step: count,
  meanReturn: z.number(),
  meanLength: z.number().nonnegative(),
});
const RngStateSchema = z.array(z.number().nullable());

const LoopStateSchema = z.object({
  config: z.unknown(),
  step: count,
  seconds: z.number().nonnegative(),
  episodes: z.array(EpisodeRecordSchema),
  evals: z.array(EvalRecordSchema),
  episodeReturn: z.number(),
  episodeLength: count,
  window: z.array(z.number()),
  env: z.object({
    qpos: z.array(z.number()),
    qvel: z.array(z.number()),
    warmstart: z.array(z.number()),
    ctrl: z.array(z.number()),
    time: z.number().nonnegative(),
    elapsed: count,
    rng: RngStateSchema,
  }),
  rng: RngStateSchema,
  noiseRng: RngStateSchema,
});

/** The loop state saved in a checkpoint, checked field by field (a RangeError names the bad ones). */
export function parseRlLoopState(raw: unknown, source: string): LoopState {
  const s = parseConfig(LoopStateSchema, raw, source, 'RL loop state');
  return { ...s, config: resolveRlConfig(s.config, `${source} config`) };
}

export interface RlEvents {
  start?(info: { resumedFrom: number; steps: number }): void;
  step?(info: {
    step: number;
    stepsPerSec: number;
    recentReturn: number | null;
    lastEval: EvalRecord | null;
  }): void;
  episode?(e: EpisodeRecord): void;
  evaluation?(e: EvalRecord): void;
  checkpoint?(step: number): void;
}

export interface RlTrainOptions {
  out: string;
  resume: boolean;
  /** Seconds between checkpoints (also written after every evaluation and at the end). */
  checkpointEvery?: number;
  events?: RlEvents;
}

export class RlDivergedError extends Error {
  override name = 'TrainingDivergedError';
}

/** rl.json: the run's configuration, training episodes and evaluations. */
export function rlDocument(state: Pick<LoopState, 'config' | 'step' | 'seconds' | 'episodes' | 'evals'>) {
  return {
    config: state.config,
    stepsDone: state.step,
    seconds: state.seconds,
    episodes: state.episodes,
    evals: state.evals,
  };
}

export async function trainRl(cfg: RlConfig, opts: RlTrainOptions): Promise<ReturnType<typeof rlDocument>> {
  const ev = opts.events ?? {};
  const opened: MujocoEnv[] = [];
  const open = async (): Promise<MujocoEnv> => {
    const e = await makeEnv(cfg.env);
    opened.push(e);
    return e;
  };
  try {
    // Two MuJoCo instances for the whole run: training, and evaluation (its episodes share one).
    const env = await open();
    const evalEnv = await open();
    const agent = buildAgent(cfg, env);
    const W = cfg.window * env.observationSize;
    const replay = new ReplayBuffer(cfg.replay, W, env.actionSize);
    const rng = new Rng(cfg.seed + 1);
    const noiseRng = new Rng(cfg.seed + 2);
    const window = new ObservationWindow(cfg.window, env.observationSize, cfg.padding);
    let state: LoopState;
    if (hasCheckpoint(opts.out)) {
      if (!opts.resume)
        throw new RangeError(
          `${opts.out} already holds a training run; pass --resume to continue it, or choose another --out`,
        );
      // The settings are compared before any tensor is loaded: a checkpoint of another model is
      // reported as such, not as tensors that do not fit.
      const saved = loadRlCheckpoint(opts.out, agent, replay, (raw, source) => {
        const st = parseRlLoopState(raw, source);
        assertCompatible(st.config, cfg, opts.out);
        return st;
      });
      state = { ...saved, config: cfg };
      // a shorter window would be copied in part and leave stale frames behind
      if (state.window.length !== window.frames.length)
        throw new RangeError(
          `${join(opts.out, 'checkpoint.safetensors')}: observation window of ${state.window.length} values, expected ${window.frames.length}`,
        );
      env.restore(state.env);
      window.frames.set(state.window);
      rng.setState(state.rng);
      noiseRng.setState(state.noiseRng);
    } else {
      window.reset(addNoise(env.reset(cfg.seed), cfg.stateNoise, noiseRng));
      state = {
        config: cfg,
        step: 0,
        seconds: 0,
        episodes: [],
        evals: [],
        episodeReturn: 0,
        episodeLength: 0,
        window: [],
        env: env.snapshot(),
        rng: [],
        noiseRng: [],
      };
    }
    ev.start?.({ resumedFrom: state.step, steps: cfg.steps });

    const save = async (): Promise<void> => {
      state.window = Array.from(window.frames);
      state.env = env.snapshot();
      state.rng = rng.state();
      state.noiseRng = noiseRng.state();
      await saveRlCheckpoint(opts.out, agent, replay, state);
      await saveActor(opts.out, agent, { config: cfg, step: state.step });
      await writeJsonAtomic(join(opts.out, 'rl.json'), rlDocument(state));
      ev.checkpoint?.(state.step);
    };
    const evaluate = (): void => {
      const r = evaluatePolicy(agent, evalEnv, {
        episodes: cfg.evalEpisodes,
        seed: cfg.seed + 1_000_000,
        stateNoise: cfg.stateNoise,
        padding: cfg.padding,
      });
      const rec = { step: state.step, meanReturn: r.meanReturn, meanLength: r.meanLength };
      state.evals.push(rec);
      ev.evaluation?.(rec);
    };

    const every = (opts.checkpointEvery ?? 60) * 1000;
    const stopRequested = interruptPoller();
    let lastSave = Date.now();
    let segmentStart = Date.now();
    let rateStart = Date.now();
    let rateSteps = 0;
    const batch = emptyBatch(cfg.batch, W, env.actionSize);
    const prev = new Float32Array(W);
    const action = new Float64Array(env.actionSize);
    while (state.step < cfg.steps) {
      state.step++;
      const a =
        state.step <= cfg.warmup
          ? Float32Array.from({ length: env.actionSize }, () => rng.range(-1, 1))
          : agent.act(window.frames, 1, false, rng);
      const res = env.step(scaleAction(env, a, action));
      let reward =
        cfg.reward === 'shaped' ? shapedDoublePendulumReward(res.observation, res.terminated) : res.reward;
      if (cfg.rewardNoise > 0) reward += cfg.rewardNoise * noiseRng.normal();
      prev.set(window.frames);
      window.push(addNoise(res.observation, cfg.stateNoise, noiseRng));
      replay.add(prev, a, reward, window.frames, res.terminated);
      state.episodeReturn += res.reward;
      state.episodeLength++;
      if (state.step > cfg.warmup && replay.size >= cfg.batch) {
        const stats = agent.update(replay.sample(cfg.batch, rng, batch), rng);
        if (!Number.isFinite(stats.criticLoss) || !Number.isFinite(stats.actorLoss)) {
          throw new RlDivergedError(
            `training diverged at step ${state.step}: critic loss ${stats.criticLoss}, actor loss ${stats.actorLoss}. Try a smaller --lr.`,
          );
        }
      }
      if (res.terminated || res.truncated) {
        const rec = { step: state.step, return: state.episodeReturn, length: state.episodeLength };
        state.episodes.push(rec);
        ev.episode?.(rec);
        state.episodeReturn = 0;
        state.episodeLength = 0;
        window.reset(addNoise(env.reset(), cfg.stateNoise, noiseRng));
      }
      rateSteps++;
      const now = Date.now();
      if (state.step % 100 === 0 || state.step === cfg.steps) {
        ev.step?.({
          step: state.step,
          stepsPerSec: (1000 * rateSteps) / Math.max(1, now - rateStart),
          recentReturn: recentReturn(state.episodes),
          lastEval: state.evals[state.evals.length - 1] ?? null,
        });
        rateStart = now;
        rateSteps = 0;
      }
      const evalNow = state.step % cfg.evalEvery === 0 || state.step === cfg.steps;
      if (evalNow) evaluate();
      const stop = await stopRequested();
      if (stop || evalNow || now - lastSave >= every) {
        state.seconds += (Date.now() - segmentStart) / 1000;
        segmentStart = Date.now();
        await save();
        if (stop) throw interruptedAt(opts.out, `step ${state.step}`);
        lastSave = Date.now();
      }
    }
    if (state.evals.length === 0 || state.evals[state.evals.length - 1].step !== state.step) {
      evaluate();
      await save();
    }
    return rlDocument(state);
  } finally {
    for (const e of opened) e.close();
  }
}

/** Mean environment return of the last 10 training episodes. */
function recentReturn(episodes: EpisodeRecord[]): number | null {
  if (!episodes.length) return null;
  const tail = episodes.slice(-10);
  return tail.reduce((s, e) => s + e.return, 0) / tail.length;
}

function assertCompatible(saved: RlConfig, now: RlConfig, dir: string): void {
  const changed = RL_IDENTITY_KEYS.filter((k) => JSON.stringify(saved[k]) !== JSON.stringify(now[k]));
  if (changed.length) {
    throw new RangeError(
      `cannot resume ${dir}: ${changed.map((k) => `${k} was ${JSON.stringify(saved[k])}, now ${JSON.stringify(now[k])}`).join('; ')}`,
    );
  }
}

/** rl.json of the run in `dir` if it already reached `steps` and its final evaluation, else null. */
export function finishedRlRun(dir: string, steps: number): ReturnType<typeof rlDocument> | null {
  const path = join(dir, 'rl.json');
  if (!existsSync(path)) return null;
  const raw = readJsonFile(
    path,
    z.looseObject({
      config: z.unknown(),
      stepsDone: count,
      seconds: z.number().nonnegative(),
      episodes: z.array(EpisodeRecordSchema),
      evals: z.array(EvalRecordSchema),
    }),
    'RL run record',
  );
  const doc = { ...raw, config: resolveRlConfig(raw.config, `${path} config`) };
  const last = doc.evals[doc.evals.length - 1];
  return doc.stepsDone >= steps && last !== undefined && last.step >= steps ? doc : null;
}

/**
 * The run in `dir`: rl.json read back when it already reached cfg.steps, else trained (resuming
 * its checkpoint if one is there). Sweeps and reproduce use this so a re-run redoes nothing.
 */
export async function trainOrReuseRl(
  cfg: RlConfig,
  dir: string,
  opts: { onStart?: (reused: boolean) => void; onProgress?: (fraction: number) => void } = {},
): Promise<ReturnType<typeof rlDocument>> {
  const finished = finishedRlRun(dir, cfg.steps);
  opts.onStart?.(finished !== null);
  if (finished) return finished;
  await mkdir(dir, { recursive: true });
  return trainRl(cfg, {
    out: dir,
    resume: hasCheckpoint(dir),
    events: { step: (s) => opts.onProgress?.(s.step / cfg.steps) },
  });
}
