/**
 * s-LIF2HH, simulation form: the simplified micro-circuit of the study (spec 2.3) as a
 * discrete-time population. Each unit is four plain LIFs:
 *   m_k[t] = d·m_k[t−1]·(1 − s_k[t−1]) + w_k·I[t]           k = 1, 2, 3 (input LIFs)
 *   m_4[t] = d·m_4[t−1]·(1 − s_4[t−1]) + Σ_k c_k·m_k[t]      (c_k ≥ 0, the learned 3→1 mix)
 *   s_k[t] = H(m_k[t] − θ)
 * The unit's output spike train, compared with an HH neuron, is that of the fourth LIF; all four
 * are recorded. At the reference step (dt = 1 ms) this is exactly the learning code's recursion;
 * for other dt the decay per step is d^dt and every input (w_k·I and the Σ c_k·m_k mix) is scaled
 * by dt, so the recursion approaches the same continuous-time LIFs as dt → 0.
 */
import type { Population } from './types.js';

export interface SLIF2HHParams {
  /** Membrane decay per 1 ms step. */
  decay: number;
  threshold: number;
  /** Input weights of the three input LIFs. */
  w1: number;
  w2: number;
  w3: number;
  /** Non-negative weights of the three membrane potentials driving the fourth LIF. */
  c1: number;
  c2: number;
  c3: number;
}

/**
 * Threshold 2 as in the study's fully connected model; decay and wiring as fitted to HH spike trains
 * on the five standard waveforms by `hhnet equivalence` (seed 1, rounded), so a default unit fires
 * at 100 Hz at 10 µA/cm² (HH: 68 Hz) rather than on every step.
 */
export const SLIF2HH_DEFAULTS: Readonly<SLIF2HHParams> = Object.freeze({
  decay: 0.7637,
  threshold: 2,
  w1: 0.3225,
  w2: 0.008565,
  w3: 0.06838,
  c1: 0.01825,
  c2: 0.3951,
  c3: 0.1822,
});

const VARIABLES = ['v', 'm1', 'm2', 'm3', 'm4', 's1', 's2', 's3', 's4'] as const;

export class SLIF2HHPopulation implements Population {
  readonly model = 'slif2hh';
  readonly variables: readonly string[] = VARIABLES;
  readonly params: Readonly<SLIF2HHParams & Record<string, number>>;
  readonly v: Float64Array;
  readonly voltageLimit = 1e6;
  spikeTimes: number[][] = [];
  /** Spike times of all four LIFs of each unit (index 0–2 input LIFs, 3 the output LIF). */
  allSpikeTimes: number[][][] = [];
  private readonly mem: Float64Array[];
  private readonly spk: Uint8Array[];

  constructor(
    readonly n: number,
    params: Partial<SLIF2HHParams> = {},
  ) {
    const p = { ...SLIF2HH_DEFAULTS, ...params };
    for (const [key, value] of Object.entries(p))
      if (!Number.isFinite(value))
        throw new RangeError(`s-LIF2HH parameter ${key} must be finite, got ${value}`);
    if (!(p.decay >= 0 && p.decay <= 1))
      throw new RangeError(`s-LIF2HH decay must be in [0, 1], got ${p.decay}`);
    if (p.c1 < 0 || p.c2 < 0 || p.c3 < 0)
      throw new RangeError('s-LIF2HH mixing weights c1, c2, c3 must be ≥ 0');
    this.params = p;
    this.v = new Float64Array(n);
    this.mem = Array.from({ length: 4 }, () => new Float64Array(n));
    this.spk = Array.from({ length: 4 }, () => new Uint8Array(n));
    this.reset();
  }

  reset(): void {
    for (const m of this.mem) m.fill(0);
    for (const s of this.spk) s.fill(0);
    this.v.fill(0);
    this.spikeTimes = Array.from({ length: this.n }, () => []);
    this.allSpikeTimes = Array.from({ length: this.n }, () => [[], [], [], []]);
  }

  step(t: number, dt: number, input: Float64Array): void {
    const { decay, threshold: theta, w1, w2, w3, c1, c2, c3 } = this.params;
    const d = dt === 1 ? decay : Math.pow(decay, dt);
    const [m1, m2, m3, m4] = this.mem;
    const [s1, s2, s3, s4] = this.spk;
    const tSpike = t + dt;
    for (let i = 0; i < this.n; i++) {
      const x = input[i] * dt;
      m1[i] = d * m1[i] * (1 - s1[i]) + w1 * x;
      m2[i] = d * m2[i] * (1 - s2[i]) + w2 * x;
      m3[i] = d * m3[i] * (1 - s3[i]) + w3 * x;
      m4[i] = d * m4[i] * (1 - s4[i]) + dt * (c1 * m1[i] + c2 * m2[i] + c3 * m3[i]);
      for (let k = 0; k < 4; k++) {
        const fired = this.mem[k][i] >= theta ? 1 : 0;
        this.spk[k][i] = fired;
        if (fired) this.allSpikeTimes[i][k].push(tSpike);
      }
      if (s4[i]) this.spikeTimes[i].push(tSpike);
      this.v[i] = m4[i];
    }
  }

  read(name: string, out: Float64Array): void {
    const k = VARIABLES.indexOf(name as (typeof VARIABLES)[number]);
    if (k < 0)
      throw new RangeError(`model slif2hh has no variable "${name}"; it has ${VARIABLES.join(', ')}`);
    if (k === 0) out.set(this.v);
    else if (k <= 4) out.set(this.mem[k - 1]);
    else for (let i = 0; i < this.n; i++) out[i] = this.spk[k - 5][i];
  }
}
