// The trainable multi-branch neuron (HH soma + K passive branches): finite-difference gradchecks
// of the fused kernel's BPTT (smooth mode) for the input currents, the coupling and the branch
// leak; the forward against a plain re-statement of the equations; option errors; the mc-fc model.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { HH_SHIFTED } from '../src/neurons/hh.js';
import { MultiBranchNeurons, multiBranchSpikes } from '../src/nn/multibranch.js';
import { multiBranchForwardJs, multiBranchStateWidth } from '../src/kernels/js/multibranch.js';
import { SURROGATE_RECTANGULAR } from '../src/kernels/spiking-types.js';
import { FULL_HH_MEMBRANE, fullHhRestingState } from '../src/nn/spiking.js';
import { Surrogate, makeSurrogate } from '../src/nn/surrogate.js';
import type { GradcheckOptions } from '../src/tensor/gradcheck.js';
import { checkGradients } from './helpers.js';
import { Shape, Tensor, shapeSize } from '../src/tensor/tensor.js';
import { Rng } from '../src/util/rng.js';
import { alphaH, alphaM, alphaN, betaH, betaM, betaN } from '../src/neurons/hh.js';
import { fillBatch } from '../src/data/multi.js';
import {
  IMAGE_PIXELS,
  MC_FC,
  MULTITASK_MODELS,
  MultitaskModel,
  createMultitaskModel,
  trainingDefaults,
} from '../src/models/multitask.js';
import { Adam } from '../src/optim/adam.js';
import { add, softmaxCrossEntropy } from '../src/tensor/ops.js';
import { resolveTrainConfig } from '../src/train/config.js';
import { loadMultitaskData } from '../src/train/multitask.js';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadSafetensors } from '../src/io/safetensors.js';
import { resolveRlConfig } from '../src/rl/config.js';
import { Actor, ActorShape, RL_MC_OPTIONS } from '../src/rl/networks.js';
import { ReplayBuffer } from '../src/rl/replay.js';
import { SAC_DEFAULTS, SoftActorCritic } from '../src/rl/sac.js';
import { trainRl } from '../src/rl/train.js';
import { runCli } from './helpers.js';

function uniform(shape: Shape, lo: number, hi: number, seed: number, requiresGrad = true): Tensor {
  const rng = new Rng(seed);
  const data = Float32Array.from({ length: shapeSize(shape) }, () => rng.range(lo, hi));
  return new Tensor(data, shape, requiresGrad);
}

/** gradcheck with tight tolerances; every checked input must get some gradient (> 1e-3 unless set). */
const check = (
  fn: () => Tensor,
  inputs: Tensor[],
  opts: GradcheckOptions & { minGrad?: number } = {},
): void => checkGradients(fn, inputs, { minGrad: 1e-3, ...opts });

const SURROGATES: Surrogate[] = [
  makeSurrogate('rectangular', 4),
  makeSurrogate('sigmoid', 1),
  makeSurrogate('arctan', 0.6),
  makeSurrogate('fast-sigmoid', 1),
];
const OUTPUTS = ['spikes', 'rate'] as const;

describe('multi-branch kernel: BPTT gradchecks (smooth mode)', () => {
  const N = 2;
  const K = 3;
  for (const [sur, activeBranches] of [
    ...SURROGATES.map((x) => [x, false] as const),
    ...SURROGATES.map((x) => [x, true] as const),
  ]) {
    const what = `${sur.name}, ${activeBranches ? 'HH' : 'passive'} branches`;
    it(`${what}: input currents (static, framed, soma input) × spikes and rate`, () => {
      const gc = uniform([N, K], 0.5, 3, 21);
      const gl = uniform([N, K], 0.1, 1, 22);
      // The soma rests at v ≈ 0.0036 mV; v climbs by about dt·Σgc·V_b per step and crosses the low threshold within T steps.
      const common = { dt: 0.1, threshold: 4, surrogate: sur, smoothCheck: true, activeBranches };
      const xs = uniform([2, K * N], 10, 40, 23);
      const xf = uniform([3, 2, K * N], 0, 50, 24);
      const xsoma = uniform([2, (K + 1) * N], 5, 30, 25);
      // The rectangular window's primitive has kinks (at θ ± width) that a step of 1e-2 straddles;
      // at 1e-3 the float32 outputs' rounding adds up to ~6e-4 to the differences, hence its atol.
      const rect = sur.name === 'rectangular';
      const eps = rect ? 1e-3 : 1e-2;
      const atol = rect ? 7e-4 : 1e-4;
      for (const output of OUTPUTS) {
        check(() => multiBranchSpikes(xs, gc, gl, { ...common, T: 8, output }), [xs], { eps, atol });
        check(
          () => multiBranchSpikes(xf, gc, gl, { ...common, timeVarying: true, repeat: 3, output }),
          [xf],
          { eps, atol },
        );
        check(() => multiBranchSpikes(xsoma, gc, gl, { ...common, T: 8, output, somaInput: true }), [xsoma], {
          eps,
          atol,
        });
      }
    });

    it(`${what}: coupling and branch leak (per unit and shared, mixed signs)`, () => {
      const rng = new Rng(31);
      // Mixed signs, away from 0 (|g| has a kink there).
      const signed = (shape: number[], lo: number, hi: number): Tensor =>
        new Tensor(
          Float32Array.from(
            { length: shapeSize(shape) },
            () => (rng.uniform() < 0.5 ? -1 : 1) * rng.range(lo, hi),
          ),
          shape,
          true,
        );
      const common = { dt: 0.1, threshold: 4, surrogate: sur, smoothCheck: true, activeBranches };
      const x = uniform([2, K * N], 10, 40, 32, false);
      const xf = uniform([4, 2, K * N], 0, 50, 33, false);
      const tol = { eps: sur.name === 'rectangular' ? 3e-3 : 2e-3, atol: 1e-4, rtol: 3e-3 };
      for (const shared of [false, true]) {
        const shape = shared ? [K] : [N, K];
        const gc = signed(shape, 0.5, 3);
        const gl = signed(shape, 0.2, 1);
        for (const output of OUTPUTS) {
          check(() => multiBranchSpikes(x, gc, gl, { ...common, T: 8, output }), [gc, gl], tol);
        }
        check(
          () => multiBranchSpikes(xf, gc, gl, { ...common, timeVarying: true, repeat: 2 }),
          [gc, gl],
          tol,
        );
      }
    });
  }

  it('through a full spike upstroke (gate and coupling terms of the backward matter)', () => {
    const gc = uniform([1, 2], 1, 3, 41);
    const gl = uniform([1, 2], 0.2, 0.5, 42);
    const x = uniform([1, 2], 150, 250, 43);
    const opts = {
      T: 30,
      dt: 0.05,
      threshold: 30,
      surrogate: makeSurrogate('sigmoid', 0.2),
      smoothCheck: true,
      output: 'spikes' as const,
    };
    check(() => multiBranchSpikes(x, gc, gl, opts), [x, gc, gl], { eps: 5e-3, atol: 2e-4, rtol: 5e-3 });
    // HH branches: their own gates and ionic currents enter the backward too.
    check(() => multiBranchSpikes(x, gc, gl, { ...opts, activeBranches: true }), [x, gc, gl], {
      eps: 5e-3,
      atol: 2e-4,
      rtol: 5e-3,
    });
  });
});

describe('multi-branch kernel: forward', () => {
  for (const activeBranches of [false, true]) {
    it(`matches a plain restatement of the step, ${activeBranches ? 'HH' : 'passive'} branches (states and spikes)`, () => {
      const K = 2;
      const dt = 0.05;
      const T = 80;
      const gc = Float32Array.of(1.5, -2.5); // used as |gc|
      const gl = Float32Array.of(0.3, 0.7);
      const I = [120, 60, 10]; // branch 1, branch 2, soma
      const rest = fullHhRestingState();
      const S = multiBranchStateWidth(K, activeBranches);
      const state = new Float32Array(S * T);
      const out = new Float32Array(T);
      multiBranchForwardJs({
        batch: 1,
        neurons: 1,
        steps: T,
        timeVarying: false,
        rateOutput: false,
        threshold: 50,
        surrogate: SURROGATE_RECTANGULAR,
        surrogateParam: 10,
        smooth: false,
        branches: K,
        somaInput: true,
        activeBranches,
        constants: FULL_HH_MEMBRANE,
        dt,
        inputScale: 1,
        initial: rest,
        coupling: gc,
        branchLeak: gl,
        input: Float32Array.from(I),
        out,
        state,
      });
      const p = HH_SHIFTED;
      const k = dt / p.C;
      // Rush–Larsen: exact for the step's frozen rates.
      const rl = (x: number, a: number, b: number): number =>
        a / (a + b) + (x - a / (a + b)) * Math.exp(-dt * (a + b));
      const gates = (u: number, [m, h, n]: number[]): number[] => [
        rl(m, alphaM(u), betaM(u)),
        rl(h, alphaH(u), betaH(u)),
        rl(n, alphaN(u), betaN(u)),
      ];
      const ionic = ([m, h, n]: number[]): { g: number; a: number } => {
        const gna = p.gNa * m ** 3 * h;
        const gk = p.gK * n ** 4;
        return { g: gna + gk + p.gL, a: gna * p.ENa + gk * p.EK + p.gL * p.EL };
      };
      let v = rest.v;
      let x = [rest.m, rest.h, rest.n];
      const V = [rest.v, rest.v];
      const xb = [x.slice(), x.slice()];
      let maxErr = 0;
      const spikes: number[] = [];
      for (let t = 0; t < T; t++) {
        // Linearly implicit Euler for each potential in its own conductance, from the previous
        // states: y′ = (y + k·A)/(1 + k·G).
        const ion = ionic(x);
        const gcs = [Math.abs(gc[0]), Math.abs(gc[1])];
        const v1 =
          (v + k * (I[2] + ion.a + gcs[0] * V[0] + gcs[1] * V[1])) / (1 + k * (ion.g + gcs[0] + gcs[1]));
        for (let b = 0; b < K; b++) {
          const bi = activeBranches ? ionic(xb[b]) : { g: 0, a: 0 };
          const Vb = V[b];
          V[b] = (Vb + k * (I[b] + gl[b] * rest.v + gcs[b] * v + bi.a)) / (1 + k * (gl[b] + gcs[b] + bi.g));
          if (activeBranches) xb[b] = gates(Vb, xb[b]);
        }
        x = gates(v, x);
        v = v1;
        spikes.push(+(v > 50));
        const got = state.subarray(S * t, S * (t + 1));
        const want = [v, ...x, ...V, ...(activeBranches ? [...xb[0], ...xb[1]] : [])];
        want.forEach((w, c) => (maxErr = Math.max(maxErr, Math.abs(got[c] - w) / Math.max(1, Math.abs(w)))));
      }
      assert.ok(maxErr < 1e-5, `largest relative state error ${maxErr}`);
      assert.ok(
        spikes.some((s) => s === 1),
        'the reference fires within the run',
      );
      assert.deepEqual([...out], spikes);
    });
  }

  it('stays finite under strong currents either way (forward Euler would diverge there)', () => {
    const gc = new Tensor(Float32Array.of(2, 2), [2]);
    const gl = new Tensor(Float32Array.of(0.3, 0.3), [2]);
    const x = new Tensor(Float32Array.of(-3000, -3000, 5000, 3000), [2, 2]);
    const out = multiBranchSpikes(x, gc, gl, { T: 50 }); // rates [2, 1]
    assert.equal(out.data[0], 0);
    assert.ok(out.data[1] > 0 && out.data[1] < 1, `rate ${out.data[1]}`);
  });

  it('rests at the HH resting state for any conductances (no input, no spikes, no drift)', () => {
    const gc = uniform([4, 3], 0, 4, 61, false);
    const gl = uniform([4, 3], 0, 2, 62, false);
    const out = multiBranchSpikes(new Tensor(new Float32Array(2 * 12), [2, 12]), gc, gl, {
      T: 100,
      threshold: fullHhRestingState().v + 1e-4, // the rest is ≈ 0.0036 mV (shifted convention)
    });
    assert.ok(out.data.every((s) => s === 0));
    const active = multiBranchSpikes(new Tensor(new Float32Array(2 * 12), [2, 12]), gc, gl, {
      T: 100,
      threshold: fullHhRestingState().v + 1e-4,
      activeBranches: true,
    });
    assert.ok(active.data.every((s) => s === 0));
  });
});

describe('multi-branch options', () => {
  const gc = new Tensor(new Float32Array(4).fill(1), [1, 4]);
  it('rejects bad branch counts, layouts and parameter sizes with clear errors', () => {
    const x = new Tensor(new Float32Array(4), [1, 4]);
    assert.throws(
      () => multiBranchSpikes(x, gc, gc, { T: 2, branches: 0 }),
      /branches must be an integer ≥ 1/,
    );
    assert.throws(
      () => multiBranchSpikes(x, gc, gc, { T: 2, branches: 1.5 }),
      /branches must be an integer ≥ 1/,
    );
    assert.throws(
      () => multiBranchSpikes(new Tensor(new Float32Array(6), [1, 6]), gc, gc, { T: 2 }),
      /4 blocks of currents \(4 branches\)/,
    );
    assert.throws(
      () => multiBranchSpikes(x, gc, gc, { T: 2, somaInput: true }),
      /5 blocks of currents \(4 branches \+ soma\)/,
    );
    const bad = new Tensor(new Float32Array(3), [3]);
    assert.throws(
      () => multiBranchSpikes(x, gc, bad, { T: 2, branches: 4 }),
      /branchLeak has 3 values, expected 4/,
    );
    assert.throws(() => multiBranchSpikes(x, gc, gc, { T: 2, dt: 0 }), /dt must be > 0/);
    assert.throws(
      () => multiBranchSpikes(x, gc, gc, { T: 2, inputScale: NaN }),
      /inputScale must be a finite/,
    );
  });
  it('the layer checks its options at construction', () => {
    const rng = new Rng(1);
    assert.throws(() => new MultiBranchNeurons([4], { rng, branches: 0 }), /branches must be an integer ≥ 1/);
    assert.throws(() => new MultiBranchNeurons([4], { rng, surrogate: 'nope' }), /surrogate/);
    assert.throws(
      () => new MultiBranchNeurons([4], { rng, couplingInit: [2, 1] }),
      /couplingInit must be \[lo, hi\]/,
    );
    assert.throws(() => new MultiBranchNeurons([4], {} as never), /options.rng/);
    const layer = new MultiBranchNeurons([5], { rng, branches: 3 });
    assert.deepEqual(
      layer.namedParameters().map(([n, t]) => [n, [...t.shape]]),
      [
        ['coupling', [5, 3]],
        ['branch_leak', [5, 3]],
      ],
    );
  });
});

describe('mc-fc (multi-task model of multi-branch units)', () => {
  it('is registered with the fc models, 128 units × 4 branches, and reports its size', () => {
    assert.ok((MULTITASK_MODELS as readonly string[]).includes('mc-fc'));
    const net = createMultitaskModel('mc-fc', new Rng(0)) as MultitaskModel & { neurons: MultiBranchNeurons };
    assert.equal(net.neurons.branches, MC_FC.branches);
    // fc1 1296 → 4·128 currents, coupling and branch leak 2·128·4, fc2 128 → 50, two heads 50 → 10.
    assert.equal(net.parameterCount(), 1296 * 512 + 512 + 2 * 512 + 128 * 50 + 50 + 2 * (50 * 10 + 10));
    assert.deepEqual(trainingDefaults('mc-fc'), trainingDefaults('hh-fc'));
  });

  it('training lowers the loss and moves the coupling (Multi-MNIST, 30 Adam steps)', () => {
    const cfg = resolveTrainConfig({
      model: 'mc-fc',
      dataset: 'multi-mnist',
      epochs: 1,
      batch: 32,
      limitTrain: 256,
      limitTest: 32,
    });
    const { train } = loadMultitaskData(cfg);
    const net = createMultitaskModel('mc-fc', new Rng(0), { T: 8 }) as MultitaskModel & {
      neurons: MultiBranchNeurons;
    };
    const coupling0 = net.neurons.coupling.data.slice();
    const opt = new Adam(net.parameters(), { lr: 3e-3 });
    const rng = new Rng(2);
    const n = 32;
    const x = new Float32Array(n * IMAGE_PIXELS);
    const losses: number[] = [];
    for (let step = 0; step < 30; step++) {
      const idx = Array.from({ length: n }, () => rng.int(train.count));
      fillBatch(train, idx, x);
      const [o1, o2] = net.forward(new Tensor(x, [n, IMAGE_PIXELS]));
      const loss = add(
        softmaxCrossEntropy(
          o1,
          idx.map((k) => train.labels1[k]),
        ),
        softmaxCrossEntropy(
          o2,
          idx.map((k) => train.labels2[k]),
        ),
      );
      losses.push(loss.item());
      opt.zeroGrad();
      loss.backward();
      opt.step();
    }
    const mean = (a: number[]): number => a.reduce((s, v) => s + v, 0) / a.length;
    const first = mean(losses.slice(0, 5));
    const last = mean(losses.slice(-5));
    assert.ok(last < first - 0.5, `loss ${first.toFixed(3)} → ${last.toFixed(3)}`);
    assert.ok(
      net.neurons.coupling.data.some((v, i) => Math.abs(v - coupling0[i]) > 1e-3),
      'the coupling conductances learn',
    );
  });
});

describe('mc RL actor (multi-branch units)', () => {
  const shape: ActorShape = {
    kind: 'mc',
    obsSize: 4,
    actionSize: 2,
    window: 5,
    repeats: 3,
    hidden: 16,
    branchHidden: 8,
  };

  it('SAC updates train its encoder and coupling with finite losses', () => {
    const agent = new SoftActorCritic(shape, SAC_DEFAULTS, new Rng(4));
    const actor = agent.actor as Actor & { neurons: MultiBranchNeurons };
    assert.equal(actor.featureSize, 16);
    assert.equal(actor.encoder.outFeatures, RL_MC_OPTIONS.branches * 16);
    const coupling0 = actor.neurons.coupling.data.slice();
    const rb = new ReplayBuffer(100, 20, 2);
    const rng = new Rng(5);
    for (let i = 0; i < 60; i++)
      rb.add(
        Float32Array.from({ length: 20 }, () => rng.normal()),
        [rng.range(-1, 1), rng.range(-1, 1)],
        rng.normal(),
        Float32Array.from({ length: 20 }, () => rng.normal()),
        i % 7 === 0,
      );
    for (let k = 0; k < 10; k++) {
      const stats = agent.update(rb.sample(16, rng), rng);
      assert.ok(Number.isFinite(stats.criticLoss) && Number.isFinite(stats.actorLoss));
    }
    const rates = actor.features(
      Float32Array.from({ length: 8 * 20 }, () => rng.normal()),
      8,
    );
    assert.ok(
      rates.data.some((r) => r > 0),
      'some units fire',
    );
    assert.ok(
      actor.neurons.coupling.data.some((v, i) => Math.abs(v - coupling0[i]) > 1e-5),
      'the actor loss reaches the coupling conductances',
    );
  });

  it('train rl runs the mc actor end to end and checkpoints its conductances', async () => {
    const cfg = resolveRlConfig({
      env: 'inverted-pendulum',
      model: 'mc',
      steps: 160,
      warmup: 100,
      batch: 8,
      evalEvery: 160,
      evalEpisodes: 1,
      seed: 3,
    });
    const out = mkdtempSync(join(tmpdir(), 'hhnet-mc-rl-'));
    try {
      const doc = await trainRl(cfg, { out, resume: false });
      assert.equal(doc.config.model, 'mc');
      assert.equal(doc.evals.length, 1);
      const model = loadSafetensors(join(out, 'model.safetensors'));
      assert.deepEqual(model.tensors.get('neurons.coupling')?.shape, [cfg.hidden, RL_MC_OPTIONS.branches]);
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  });
});

it('hhnet train multitask --model mc-fc runs from the command line', async () => {
  const out = mkdtempSync(join(tmpdir(), 'hhnet-mc-fc-'));
  try {
    const r = await runCli(
      [
        'train',
        'multitask',
        '--model',
        'mc-fc',
        '--dataset',
        'multi-mnist',
        '--epochs',
        '1',
        '--batch',
        '32',
        '--T',
        '4',
        '--limit-train',
        '64',
        '--limit-test',
        '32',
        '--out',
        out,
        '--quiet',
      ],
      { timeoutMs: 60_000 },
    );
    assert.equal(r.code, 0, r.stderr);
    const { tensors } = loadSafetensors(join(out, 'model.safetensors'));
    assert.deepEqual(tensors.get('neurons.coupling')?.shape, [MC_FC.units, MC_FC.branches]);
    assert.deepEqual(tensors.get('fc1.weight')?.shape, [MC_FC.units * MC_FC.branches, IMAGE_PIXELS]);
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
});
