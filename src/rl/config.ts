/** RL training configuration (spec 3.2 defaults), validated with zod so bad values name their field. */
// A namespace import: the control page's bundle then leaves out what it does not use (zod's locales).
import * as z from 'zod';
import { ACTOR_KINDS } from './networks.js';
import { ENV_NAMES } from './pendulums.js';
import { parseConfig } from '../util/parse-config.js';

export const RlConfigSchema = z
  .object({
    env: z.enum(ENV_NAMES),
    model: z.enum(ACTOR_KINDS),
    steps: z.number().int().positive(),
    seed: z.number().int().nonnegative().default(0),
    /** Uniformly random actions before the policy takes over (spec: 2000). */
    warmup: z.number().int().nonnegative().default(2000),
    batch: z.number().int().positive().default(64),
    replay: z.number().int().positive().default(1_000_000),
    gamma: z.number().min(0).max(1).default(0.99),
    tau: z.number().positive().max(1).default(0.005),
    lr: z.number().positive().default(3e-4),
    alpha: z.number().positive().default(0.2),
    autoAlpha: z.boolean().default(false),
    /** Observations in the actor's window (W) and presentations of each (R): T = W·R = 15. */
    window: z.number().int().positive().default(5),
    repeats: z.number().int().positive().default(3),
    padding: z.enum(['zero', 'repeat']).default('zero'),
    hidden: z.number().int().positive().default(128),
    branchHidden: z.number().int().positive().default(128),
    criticHidden: z.number().int().positive().default(128),
    /** σ of Gaussian noise on the observations the agent sees (spec 3.3: 0.002). */
    stateNoise: z.number().nonnegative().default(0),
    /** σ of Gaussian noise added to the training reward (spec 3.3: 0.1). */
    rewardNoise: z.number().nonnegative().default(0),
    /** Training reward: the environment's, or the study's shaped one (default for the double pendulum). */
    reward: z.enum(['env', 'shaped']).optional(),
    evalEvery: z.number().int().positive().default(5000),
    evalEpisodes: z.number().int().positive().default(10),
  })
  .strict();

export type RlConfig = Required<z.output<typeof RlConfigSchema>>;

export function resolveRlConfig(input: unknown, source = 'config'): RlConfig {
  const c = parseConfig(RlConfigSchema, input, source, 'RL configuration');
  // Settings that would run to the end without a single update, or never learn, and exit 0.
  const bad = (msg: string): never => {
    throw new RangeError(`${source}: ${msg}`);
  };
  if (c.warmup >= c.steps)
    bad(`warmup (${c.warmup}) must be smaller than steps (${c.steps}): the policy would never be trained`);
  if (c.batch > c.replay)
    bad(`batch (${c.batch}) must not exceed the replay buffer (${c.replay}): no update could ever be drawn`);
  if (c.batch > c.steps)
    bad(`batch (${c.batch}) must not exceed steps (${c.steps}): the replay buffer would never hold a batch`);
  return { ...c, reward: c.reward ?? (c.env === 'inverted-double-pendulum' ? 'shaped' : 'env') };
}

/** Settings a resume must not change (steps, eval cadence and the like may change). */
export const RL_IDENTITY_KEYS = [
  'env',
  'model',
  'seed',
  'warmup',
  'batch',
  'replay',
  'gamma',
  'tau',
  'lr',
  'alpha',
  'autoAlpha',
  'window',
  'repeats',
  'padding',
  'hidden',
  'branchHidden',
  'criticHidden',
  'stateNoise',
  'rewardNoise',
  'reward',
] as const;
