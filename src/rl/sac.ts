/**
 * Soft Actor-Critic (Haarnoja et al. 2018) with a spiking actor: twin critics with Polyak-averaged
 * targets, a tanh-squashed Gaussian policy trained by the reparameterisation trick, a fixed or
 * automatically tuned entropy temperature α. Defaults are the study's (spec 3.2).
 */
import { Rng } from '../util/rng.js';
import { Adam } from '../optim/adam.js';
import { noGrad } from '../tensor/autograd.js';
import {
  add,
  mean,
  minimum,
  mul,
  reshape,
  scale,
  softplus,
  sub,
  sumLastAxis,
  tanh,
  exp,
} from '../tensor/ops.js';
import { Tensor } from '../tensor/tensor.js';
import { Actor, ActorShape, TwinCritic } from './networks.js';
import { Batch } from './replay.js';
import * as exact from '../util/exact-math.js';

export interface SacSettings {
  gamma: number;
  tau: number;
  lr: number;
  /** Entropy temperature (the initial value when autoAlpha is on). */
  alpha: number;
  autoAlpha: boolean;
  /** Target entropy for autoAlpha (default −|A|). */
  targetEntropy?: number;
  criticHidden: number;
}

export const SAC_DEFAULTS: SacSettings = Object.freeze({
  gamma: 0.99,
  tau: 0.005,
  lr: 3e-4,
  alpha: 0.2,
  autoAlpha: false,
  criticHidden: 128,
});

export interface UpdateStats {
  criticLoss: number;
  actorLoss: number;
  alpha: number;
  entropy: number;
}

const HALF_LOG_2PI = 0.5 * Math.log(2 * Math.PI);

/**
 * The critics' regression target per sample: y = r + γ·(1 − done)·(min(Q1', Q2') − α·log π(a'|s')),
 * with Q1', Q2' the target critics at (s', a') and a' ~ π(·|s').
 */
export function softQTarget(
  rewards: ArrayLike<number>,
  dones: ArrayLike<number>,
  q1: ArrayLike<number>,
  q2: ArrayLike<number>,
  logProb: ArrayLike<number>,
  alpha: number,
  gamma: number,
): Float32Array {
  const out = new Float32Array(rewards.length);
  for (let b = 0; b < out.length; b++) {
    const v = Math.min(q1[b], q2[b]) - alpha * logProb[b];
    out[b] = rewards[b] + gamma * (1 - dones[b]) * v;
  }
  return out;
}

export class SoftActorCritic {
  readonly actor: Actor;
  readonly critic: TwinCritic;
  readonly target: TwinCritic;
  readonly actorOpt: Adam;
  readonly criticOpt: Adam;
  /** log α as a one-element parameter (updated only with autoAlpha). */
  readonly logAlpha: Tensor;
  readonly alphaOpt: Adam;
  readonly targetEntropy: number;
  private readonly criticParams: Tensor[];

  constructor(
    readonly shape: ActorShape,
    readonly settings: SacSettings,
    rng: Rng,
  ) {
    if (!(settings.gamma >= 0 && settings.gamma <= 1))
      throw new RangeError(`SAC: gamma must be in [0, 1], got ${settings.gamma}`);
    if (!(settings.tau > 0 && settings.tau <= 1))
      throw new RangeError(`SAC: tau must be in (0, 1], got ${settings.tau}`);
    if (!(settings.alpha > 0)) throw new RangeError(`SAC: alpha must be positive, got ${settings.alpha}`);
    this.actor = new Actor(shape, rng);
    this.critic = new TwinCritic(shape.obsSize, shape.actionSize, settings.criticHidden, rng);
    this.target = new TwinCritic(shape.obsSize, shape.actionSize, settings.criticHidden, rng);
    this.copyToTarget(1);
    for (const p of this.target.parameters()) p.requiresGrad = false;
    this.criticParams = this.critic.parameters();
    this.actorOpt = new Adam(this.actor.parameters(), { lr: settings.lr });
    this.criticOpt = new Adam(this.criticParams, { lr: settings.lr });
    this.logAlpha = new Tensor(Float32Array.of(Math.log(settings.alpha)), [1], true);
    this.alphaOpt = new Adam([this.logAlpha], { lr: settings.lr });
    this.targetEntropy = settings.targetEntropy ?? -shape.actionSize;
  }

  get alpha(): number {
    return exact.exp(this.logAlpha.data[0]);
  }

  /**
   * Actions in [−1, 1]ᴬ for B windows: a sample of the squashed Gaussian, or tanh(mean) when
   * deterministic (evaluation).
   */
  act(windows: Float32Array, batch: number, deterministic: boolean, rng: Rng): Float32Array {
    return noGrad(() => {
      if (deterministic) return this.actor.forward(windows, batch).mean.data.map(Math.tanh);
      return this.samplePolicy(windows, batch, rng).action.data;
    });
  }

  /**
   * a = tanh(μ + σ·ε) with ε ~ N(0, 1), and log π(a|s) summed over action dimensions, using
   * log(1 − tanh²u) = 2(log 2 − u − softplus(−2u)) for numerical stability.
   */
  samplePolicy(windows: Float32Array, batch: number, rng: Rng): { action: Tensor; logProb: Tensor } {
    const { mean: mu, logStd } = this.actor.forward(windows, batch);
    const A = this.shape.actionSize;
    const eps = new Float32Array(batch * A);
    const constant = new Float32Array(batch);
    for (let b = 0; b < batch; b++) {
      let c = -A * (HALF_LOG_2PI + 2 * Math.LN2);
      for (let j = 0; j < A; j++) {
        const e = rng.normal();
        eps[b * A + j] = e;
        c -= 0.5 * e * e;
      }
      constant[b] = c;
    }
    const u = add(mu, mul(exp(logStd), new Tensor(eps, [batch, A])));
    // Per dimension: −log σ + 2u + 2·softplus(−2u); the ε and log-2π terms are constants.
    const perDim = sub(add(scale(u, 2), scale(softplus(scale(u, -2)), 2)), logStd);
    const logProb = add(sumLastAxis(perDim), new Tensor(constant, [batch]));
    return { action: tanh(u), logProb };
  }

  /** One gradient step of critics, actor and (optionally) α on a sampled batch, then the target update. */
  update(batch: Batch, rng: Rng): UpdateStats {
    const B = batch.size;
    const { gamma } = this.settings;
    const alpha = this.alpha;
    const obs = this.latest(batch.obs, B);
    const nextObs = this.latest(batch.nextObs, B);
    const actions = new Tensor(batch.actions, [B, this.shape.actionSize]);

    const y = noGrad(() => {
      const next = this.samplePolicy(batch.nextObs, B, rng);
      const q1 = this.target.q1.forward(nextObs, next.action).data;
      const q2 = this.target.q2.forward(nextObs, next.action).data;
      const out = softQTarget(batch.rewards, batch.dones, q1, q2, next.logProb.data, alpha, gamma);
      return new Tensor(out, [B, 1]);
    });

    this.criticOpt.zeroGrad();
    const e1 = sub(this.critic.q1.forward(obs, actions), y);
    const e2 = sub(this.critic.q2.forward(obs, actions), y);
    const criticLoss = add(mean(mul(e1, e1)), mean(mul(e2, e2)));
    criticLoss.backward();
    this.criticOpt.step();

    // The actor's loss flows through the critics, which must not be updated by it.
    for (const p of this.criticParams) p.requiresGrad = false;
    this.actorOpt.zeroGrad();
    const pi = this.samplePolicy(batch.obs, B, rng);
    const q = minimum(this.critic.q1.forward(obs, pi.action), this.critic.q2.forward(obs, pi.action));
    const actorLoss = mean(sub(scale(pi.logProb, alpha), reshape(q, [B])));
    actorLoss.backward();
    this.actorOpt.step();
    for (const p of this.criticParams) p.requiresGrad = true;

    let meanLogProb = 0;
    for (let b = 0; b < B; b++) meanLogProb += pi.logProb.data[b] / B;
    if (this.settings.autoAlpha) {
      // L(log α) = −log α · (log π + H̄): its gradient is −(mean log π + H̄).
      this.logAlpha.grad = Float32Array.of(-(meanLogProb + this.targetEntropy));
      this.alphaOpt.step();
    }
    this.copyToTarget(this.settings.tau);
    return { criticLoss: criticLoss.item(), actorLoss: actorLoss.item(), alpha, entropy: -meanLogProb };
  }

  /** θ' ← (1 − τ)·θ' + τ·θ (τ = 1 copies). */
  private copyToTarget(tau: number): void {
    const src = this.critic.namedParameters();
    const dst = this.target.namedParameters();
    for (let k = 0; k < src.length; k++) {
      const s = src[k][1].data;
      const d = dst[k][1].data;
      for (let i = 0; i < d.length; i++) d[i] += tau * (s[i] - d[i]);
    }
  }

  /** The newest observation of each window → [B, obs] (what the critics see). */
  private latest(windows: Float32Array, batch: number): Tensor {
    const { obsSize, window } = this.shape;
    const out = new Float32Array(batch * obsSize);
    for (let b = 0; b < batch; b++) {
      const src = (b * window + window - 1) * obsSize;
      out.set(windows.subarray(src, src + obsSize), b * obsSize);
    }
    return new Tensor(out, [batch, obsSize]);
  }
}
