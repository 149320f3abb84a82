/**
 * The generated kernel of each built-in declaration that keeps a hand-written override (LIF,
 * learning HH, and the declared s-LIF2HH unit) against that override, on the active
 * backend: one forward + backward of a static input with rate output
 * (the fc models' call; the states saved for backward resident in the backend, as a training
 * forward allocates them), timed alternately (hand, generated, hand, …) after warm-up so both see
 * the same machine load, medians reported with their ratio.
 */
import { backendDescription, getBackend } from '../kernels/index.js';
import { compileStep, savedLength } from '../kernels/spiking/program.js';
import type { StepProgram } from '../kernels/spiking/program.js';
import { LEARNING_HH_RATE_NAMES } from '../kernels/spiking-types.js';
import { stepDefinition } from '../neurons/derive.js';
import { learningHh } from '../neurons/learning-hh.js';
import { lifStepDeclared } from '../neurons/lif.js';
import type { NeuronModel } from '../neurons/model.js';
import { initialState } from '../neurons/model.js';
import { LEARNING_HH_MEMBRANE, SLIF2HH_FC_DEFAULTS, slif2hhSpikes } from '../nn/spiking.js';
import { slif2hhGeneric } from '../nn/slif2hh-unit.js';
import { stepProgram } from '../nn/neuron-layer.js';
import { Tensor } from '../tensor/tensor.js';
import { Rng } from '../util/rng.js';
import { median } from './bench-train.js';

export const KERNEL_BENCH_MODELS = ['lif', 'learning-hh', 'slif2hh'] as const;
export type KernelBenchModel = (typeof KERNEL_BENCH_MODELS)[number];

export interface KernelBenchOptions {
  batch: number;
  neurons: number;
  T: number;
  repeats: number;
  warmup: number;
  models?: readonly KernelBenchModel[];
  onProgress?: (done: number, total: number) => void;
}

export interface KernelBenchRow {
  model: KernelBenchModel;
  T: number;
  /** Median ms of one forward + backward. */
  handMs: number;
  generatedMs: number;
  /** generated / hand. */
  ratio: number;
  /** The path the generated program ran on ('wasm (generated)' or 'reference'). */
  generatedPath: string;
}

export interface KernelBenchResult {
  batch: number;
  neurons: number;
  repeats: number;
  backend: string;
  rows: KernelBenchRow[];
}

interface Pair {
  hand: () => void;
  generated: () => void;
  program: StepProgram;
  T: number;
}

/** The generic arguments of a program with the model's defaults (overridden by `given`). */
function genericBase(
  model: NeuronModel,
  program: StepProgram,
  shape: { batch: number; neurons: number; T: number; surrogateParam: number },
  given: Record<string, Float32Array | number>,
) {
  const params = program.definition.params.map((n) => {
    const v = given[n] ?? (n === 'dt' ? model.trainingDt : model.defaults[n]);
    return v instanceof Float32Array ? v : Float32Array.of(v);
  });
  return {
    program,
    params,
    initial: initialState(model, model.defaults),
    batch: shape.batch,
    neurons: shape.neurons,
    steps: shape.T,
    timeVarying: false,
    inputRepeat: 1,
    rateOutput: true,
    surrogate: 0,
    surrogateParam: shape.surrogateParam,
    smooth: false,
  };
}

function pairs(o: KernelBenchOptions, rng: Rng): Record<KernelBenchModel, () => Pair> {
  const be = getBackend();
  const { batch: B, neurons: N } = o;
  const BN = B * N;
  const uniform = (n: number, lo: number, hi: number) =>
    Float32Array.from({ length: n }, () => rng.range(lo, hi));
  const gradOut = uniform(BN, -1, 1);
  const gradInput = new Float32Array(BN);
  const out = new Float32Array(BN);
  /** One forward + backward of the generic kernels (no parameter gradients, like the hand calls). */
  const generic = (g: ReturnType<typeof genericBase>, input: Float32Array, saved: Float32Array): void => {
    be.spikingForward({ ...g, input, out, saved });
    be.spikingBackward({
      ...g,
      detachReset: false,
      input,
      saved,
      gradOut,
      gradInput,
      gradParams: g.params.map(() => null),
    });
  };
  const common = {
    batch: B,
    neurons: N,
    timeVarying: false,
    inputRepeat: 1,
    rateOutput: true,
    smooth: false,
  };
  return {
    lif: () => {
      const T = o.T;
      const input = uniform(BN, 0, 0.6);
      const mem = be.allocate(T * BN, false); // resident, as a training forward saves it
      const k = { ...common, steps: T, threshold: 0.3, surrogate: 0, surrogateParam: 0.5, decay: 0.2 };
      const program = compileStep(stepDefinition(lifStepDeclared), ['decay', 'theta']);
      const g = genericBase(lifStepDeclared, program, { batch: B, neurons: N, T, surrogateParam: 0.5 }, {});
      const saved = be.allocate(T * BN, false);
      return {
        T,
        program,
        hand: () => {
          be.lifForward({ ...k, input, out, mem });
          be.lifBackward({ ...k, detachReset: false, mem, gradOut, gradInput });
        },
        generated: () => generic(g, input, saved),
      };
    },
    'learning-hh': () => {
      const T = o.T;
      const input = uniform(BN, 0, 40);
      const rates = uniform(6 * N, 0, 0.01);
      const dt = new Float32Array(N).fill(0.01);
      // The hand kernel with v saved (its general path; the closed form is an override).
      const v = be.allocate(T * BN, false);
      const k = {
        ...common,
        steps: T,
        threshold: 0.2,
        surrogate: 0,
        surrogateParam: 0.3,
        constants: LEARNING_HH_MEMBRANE,
        dt,
        rates,
      };
      const program = compileStep(stepDefinition(learningHh), [...LEARNING_HH_RATE_NAMES]);
      const given: Record<string, Float32Array> = { dt };
      LEARNING_HH_RATE_NAMES.forEach((name, r) => (given[name] = rates.subarray(r * N, (r + 1) * N)));
      const g = genericBase(learningHh, program, { batch: B, neurons: N, T, surrogateParam: 0.3 }, given);
      const saved = be.allocate(savedLength(program, T, B, N), false);
      return {
        T,
        program,
        hand: () => {
          be.learningHhForward({ ...k, input, out, v });
          be.learningHhBackward({ ...k, detachIonic: false, v, gradOut, gradInput, gradRates: null });
        },
        generated: () => generic(g, input, saved),
      };
    },
    // s-LIF2HH units (N units, 3N inputs): the fused op against the declared unit's generated
    // kernel, each as a layer op (forward, then backward from a fixed output gradient; x and w
    // receive gradients).
    slif2hh: () => {
      const T = o.T;
      const x = new Tensor(uniform(3 * BN, 0, 1.5), [B, 3 * N], true);
      const w = new Tensor(uniform(3 * N, 0, 1), [N, 3], true);
      const seed = uniform(4 * BN, -1, 1);
      const opts = { T, decay: SLIF2HH_FC_DEFAULTS.decay, threshold: SLIF2HH_FC_DEFAULTS.threshold };
      const op = (f: typeof slif2hhGeneric) => () => {
        x.grad = null;
        w.grad = null;
        f(x, w, opts).backward(seed);
      };
      return {
        T,
        program: stepProgram(lifStepDeclared, []),
        hand: op(slif2hhSpikes),
        generated: op(slif2hhGeneric),
      };
    },
  };
}

export function benchKernels(o: KernelBenchOptions): KernelBenchResult {
  const be = getBackend();
  const models = o.models ?? KERNEL_BENCH_MODELS;
  const make = pairs(o, new Rng(1));
  const rows: KernelBenchRow[] = [];
  const total = models.length * (o.warmup + o.repeats);
  let done = 0;
  for (const model of models) {
    const p = make[model]();
    const hand: number[] = [];
    const generated: number[] = [];
    for (let r = 0; r < o.warmup + o.repeats; r++) {
      const t0 = performance.now();
      p.hand();
      const t1 = performance.now();
      p.generated();
      const t2 = performance.now();
      if (r >= o.warmup) {
        hand.push(t1 - t0);
        generated.push(t2 - t1);
      }
      o.onProgress?.(++done, total);
    }
    const handMs = median(hand);
    const generatedMs = median(generated);
    rows.push({
      model,
      T: p.T,
      handMs,
      generatedMs,
      ratio: generatedMs / handMs,
      generatedPath: be.spikingKernelPath(p.program),
    });
  }
  return { batch: o.batch, neurons: o.neurons, repeats: o.repeats, backend: backendDescription(), rows };
}
