/** The SAC agent a configuration describes (no file access: `hhnet train rl`, `play` and the browser build it alike). */
import { Rng } from '../util/rng.js';
import { Env } from './env.js';
import { RlConfig } from './config.js';
import { ActorShape } from './networks.js';
import { SAC_DEFAULTS, SoftActorCritic } from './sac.js';

export function actorShape(cfg: RlConfig, env: Pick<Env, 'observationSize' | 'actionSize'>): ActorShape {
  return {
    kind: cfg.model,
    obsSize: env.observationSize,
    actionSize: env.actionSize,
    window: cfg.window,
    repeats: cfg.repeats,
    hidden: cfg.hidden,
    branchHidden: cfg.branchHidden,
  };
}

/** Networks drawn from cfg.seed, as at the start of training (a checkpoint then overwrites them). */
export function buildAgent(cfg: RlConfig, env: Pick<Env, 'observationSize' | 'actionSize'>): SoftActorCritic {
  return new SoftActorCritic(
    actorShape(cfg, env),
    {
      ...SAC_DEFAULTS,
      gamma: cfg.gamma,
      tau: cfg.tau,
      lr: cfg.lr,
      alpha: cfg.alpha,
      autoAlpha: cfg.autoAlpha,
      criticHidden: cfg.criticHidden,
    },
    new Rng(cfg.seed),
  );
}
