/**
 * Trainable fused layers of any declared neuron model (src/neurons/model.ts): the model's
 * discrete step (derive.ts) runs for T steps in one backend kernel, and BPTT uses the partial
 * derivatives derived from the declaration. Layouts, output modes and surrogates are those of the
 * hand-written spiking ops (spiking.ts).
 *
 * ```ts
 * const layer = new DeclaredNeurons(izhikevich, [128], { learn: ['a', 'd'], surrogate: 'sigmoid:0.2' });
 * const rate = layer.forward(current, { T: 50, timeVarying: false, output: 'rate' });
 * ```
 */
import { scopedArray } from '../tensor/scope.js';
import { getBackend } from '../kernels/index.js';
import type { Backend } from '../kernels/index.js';
import { compileStep, savedLength } from '../kernels/spiking/program.js';
import type { StepDefinition, StepProgram } from '../kernels/spiking/program.js';
import { STEP_PARAM, stepDefinition } from '../neurons/derive.js';
import type { NeuronModel } from '../neurons/model.js';
import { initialState, resolveParams } from '../neurons/model.js';
import { makeResult } from '../tensor/autograd.js';
import { addFlops } from '../tensor/accounting.js';
import { programForwardFlops } from '../kernels/spiking/costs.js';
import { Shape, Tensor, shapeSize } from '../tensor/tensor.js';
import { Module } from './module.js';
import { findSpikingOverride, overrideCall } from './spiking-overrides.js';
import type { SpikingMode, SpikingNeurons } from './spiking-layers.js';
import type { PerNeuron, SpikeOutput, SpikingOptions } from './spiking.js';
import { accumulatePerNeuron, flag, layoutOf, outShape, perNeuronValues, savedBuffer } from './spiking.js';
import { Surrogate, resolveSurrogate, rectangular } from './surrogate.js';
import { emitWarning } from '../util/env.js';

export interface NeuronSpikesOptions extends Omit<SpikingOptions, 'threshold' | 'output'> {
  /**
   * 'rate' (default) or 'spikes' as for every spiking op, or 'voltage': the charged membrane
   * potential of every step before the reset, [T, B, ...features] (a readout: its gradient enters
   * the voltage directly, the spikes still reset the neuron).
   */
  output?: SpikeOutput | 'voltage';
  /** Parameter values (number, or a Tensor of N values or 1); Tensors with requiresGrad learn. */
  params?: Record<string, PerNeuron>;
  /** `let` definitions whose gradients BPTT drops (e.g. the learning HH's "ionic"). */
  detach?: readonly string[];
  /** Treat the spike in the reset as a constant in backward (default false). */
  detachReset?: boolean;
  /** Options for a registered override of this model (spiking-overrides.ts), e.g. saveVoltage. */
  overrideOptions?: Record<string, unknown>;
  /** false: the generic kernels whatever overrides are registered (default true). */
  overrides?: boolean;
}

// Per model (a declaration is immutable once declared): its step definitions by detach set and
// compiled programs by detach and learnable sets, so a training step does no symbolic work.
const definitions = new WeakMap<NeuronModel, Map<string, StepDefinition>>();
const programs = new WeakMap<NeuronModel, Map<string, StepProgram>>();

function cached<T>(
  store: WeakMap<NeuronModel, Map<string, T>>,
  model: NeuronModel,
  key: string,
  make: () => T,
): T {
  let byKey = store.get(model);
  if (!byKey) store.set(model, (byKey = new Map()));
  let v = byKey.get(key);
  if (v === undefined) byKey.set(key, (v = make()));
  return v;
}

const stepDefaultsCache = new WeakMap<NeuronModel, Readonly<Record<string, number>>>();

/** Default values of a model's step parameters (its declared defaults, dt its trainingDt). */
function stepDefaults(model: NeuronModel): Readonly<Record<string, number>> {
  let d = stepDefaultsCache.get(model);
  if (!d) stepDefaultsCache.set(model, (d = { ...model.defaults, [STEP_PARAM]: model.trainingDt }));
  return d;
}

/** The training step of a model with the given `let`s detached (cached). */
export function stepDefinitionOf(model: NeuronModel, detach: readonly string[] = []): StepDefinition {
  const key = detach.length === 0 ? '' : [...detach].sort().join(',');
  return cached(definitions, model, key, () => stepDefinition(model, { detach }));
}

/** The compiled step of a model for a set of learnable parameters (cached). */
export function stepProgram(
  model: NeuronModel,
  learnable: readonly string[],
  detach: readonly string[] = [],
): StepProgram {
  const key = `${[...detach].sort().join(',')}|${[...learnable].sort().join(',')}`;
  return cached(programs, model, key, () => compileStep(stepDefinitionOf(model, detach), learnable));
}

const warned = new Set<string>();

/**
 * A program the wasm backend has no compiled kernel for runs on the reference kernels: said once
 * per program on stderr, so a model declared at run time never trains on them unnoticed.
 */
function warnIfNotCompiled(be: Backend, program: StepProgram): void {
  if (be.name === 'js' || warned.has(program.key) || be.spikingKernelPath(program) !== 'reference') return;
  warned.add(program.key);
  emitWarning(
    `neuron model "${program.definition.name}" runs on the plain-TypeScript reference kernels: ` +
      `await layer.compile() (or backend.prepareSpikingKernel(program)) first to run it on generated ${be.name} kernels`,
    'HHNET_REFERENCE_KERNELS',
  );
}

/** The default surrogate of a declared model's layer: a rectangular window of width 0.5. */
export const DEFAULT_DECLARED_SURROGATE: Surrogate = rectangular(0.5);

/**
 * The spikes of a declared model driven by x (layouts as in spiking.ts). Parameters not given
 * take the declaration's defaults; a continuous model's step `dt` defaults to its trainingDt.
 */
export function neuronSpikes(x: Tensor, model: NeuronModel, opts: NeuronSpikesOptions = {}): Tensor {
  const fn = `neuronSpikes(${model.name})`;
  const given = opts.params ?? {};
  const def = stepDefinitionOf(model, opts.detach);
  for (const k in given)
    if (!def.params.includes(k))
      throw new RangeError(`${fn}: no parameter "${k}" (parameters: ${def.params.join(', ')})`);
  // Every step parameter: given, else its default (dt: the model's trainingDt). Kept cheap: the
  // study's layers pass through here to their overrides on every call, RL's one sample at a time.
  const defaults = stepDefaults(model);
  const params: Record<string, PerNeuron> = {};
  for (const name of def.params) params[name] = given[name] ?? defaults[name];
  const detachReset = flag(fn, 'detachReset', opts.detachReset, false);
  const surrogate = resolveSurrogate(opts.surrogate, DEFAULT_DECLARED_SURROGATE);
  const voltage = opts.output === 'voltage';
  const output: SpikeOutput | undefined = opts.output === 'voltage' ? 'spikes' : opts.output;
  // A registered hand-tuned op for this model and call runs instead of the generic kernels (they
  // output spikes or rates only).
  const call = overrideCall(
    { ...opts, output },
    { surrogate, params, detach: opts.detach ?? [], detachReset, extra: opts.overrideOptions ?? {} },
  );
  const override = voltage || opts.overrides === false ? null : findSpikingOverride(model, call);
  if (override) return override.run(x, call);
  const lay = layoutOf(fn, x, { ...opts, output });
  // A unit reads C input currents and writes K spike trains, in blocks along the first feature
  // dimension ([B, C·N] → [B, K·N]; [B, C·Ch, H, W] → [B, K·Ch, H, W]).
  const C = model.inputs.length;
  const K = model.spikeRules.length;
  if (voltage && K > 1) throw new RangeError(`${fn}: voltage output is for a model with one spike rule`);
  if (C > 1 && (lay.features.length === 0 || lay.features[0] % C !== 0))
    throw new RangeError(
      `${fn}: a unit with ${C} inputs needs the first feature dimension in ${C} blocks, got features [${lay.features.join(', ')}]`,
    );
  const unitFeatures = C > 1 ? [lay.features[0] / C, ...lay.features.slice(1)] : lay.features;
  const outFeatures = K > 1 ? [unitFeatures[0] * K, ...unitFeatures.slice(1)] : unitFeatures;
  const N = shapeSize(unitFeatures);
  // Scalars feed the initial state; per-neuron tensors use their first value there (the initial
  // state is a constant for gradients).
  const scalar: Record<string, number> = {};
  for (const [k, v] of Object.entries(given))
    if (k !== STEP_PARAM) scalar[k] = v instanceof Tensor ? v.data[0] : v;
  const values = resolveParams(model, scalar);
  const columns = def.params.map((name) => perNeuronValues(fn, name, call.params[name], N));
  const learnable = def.params.filter((_, q) => columns[q].tensor?.requiresGrad);
  const program = stepProgram(model, learnable, opts.detach ?? []);
  const base = {
    program,
    params: columns.map((c) => (c.tensor && c.tensor.size === 1 ? c.tensor.data : c.data)),
    initial: initialState(model, values),
    batch: lay.batch,
    neurons: N,
    steps: lay.T,
    timeVarying: lay.timeVarying,
    inputRepeat: lay.repeat,
    rateOutput: lay.rateOutput,
    surrogate: surrogate.id,
    surrogateParam: surrogate.param,
    smooth: flag(fn, 'smoothCheck', opts.smoothCheck, false),
    voltageOutput: voltage,
  };
  const tensors = columns.map((c) => c.tensor).filter((t): t is Tensor => t !== null && t.requiresGrad);
  const parents = [x, ...tensors];
  const be = getBackend();
  warnIfNotCompiled(be, program);
  const BN = lay.batch * N;
  const saved = savedBuffer(be, parents, savedLength(program, lay.T, lay.batch, N));
  const out = scopedArray(K * (lay.rateOutput ? BN : lay.T * BN));
  const input = x.data;
  be.spikingForward({ ...base, input, out, saved });
  addFlops(
    fn,
    programForwardFlops(program, {
      batch: lay.batch,
      neurons: N,
      steps: lay.T,
      timeVarying: lay.timeVarying,
      inputRepeat: lay.repeat,
      rateOutput: lay.rateOutput,
    }),
  );
  return makeResult(
    out,
    outShape(lay, outFeatures),
    parents,
    () => (g) => {
      if (!saved) return;
      const gradParams = columns.map((c) =>
        c.tensor?.requiresGrad ? new Float32Array(c.tensor.size === 1 ? 1 : N) : null,
      );
      be.spikingBackward({
        ...base,
        detachReset,
        input,
        saved,
        gradOut: g,
        gradInput: x.requiresGrad ? x.ensureGrad() : null,
        gradParams,
      });
      columns.forEach((c, q) => {
        const gp = gradParams[q];
        if (gp) accumulatePerNeuron(c.tensor, gp);
      });
      be.release(saved);
    },
    [saved],
  );
}

export interface DeclaredNeuronsOptions {
  /** Parameters to learn, one value per neuron, initialised to `params` or the defaults. */
  learn?: readonly string[];
  /** Parameter values (shared scalars, or N per-neuron values). */
  params?: Record<string, number | Float32Array>;
  /** Surrogate (a Surrogate or 'name[:param]'; default rectangular width 0.5). */
  surrogate?: Surrogate | string;
  detach?: readonly string[];
  detachReset?: boolean;
}

/** A layer of N neurons of a declared model, as a Module (learned parameters are its parameters). */
export class DeclaredNeurons extends Module implements SpikingNeurons {
  readonly values: Record<string, PerNeuron> = {};

  constructor(
    readonly model: NeuronModel,
    readonly neuronShape: Shape,
    readonly opts: DeclaredNeuronsOptions = {},
  ) {
    super();
    const n = shapeSize(neuronShape);
    const def = stepDefinitionOf(model, opts.detach);
    const scalars: Record<string, number> = {};
    for (const [k, v] of Object.entries(opts.params ?? {})) {
      if (!def.params.includes(k))
        throw new RangeError(
          `DeclaredNeurons(${model.name}): no parameter "${k}" (parameters: ${def.params.join(', ')})`,
        );
      if (typeof v === 'number' && k !== STEP_PARAM) scalars[k] = v;
    }
    const defaults = resolveParams(model, scalars);
    for (const name of def.params) {
      const given = opts.params?.[name];
      const fallback = name === STEP_PARAM ? model.trainingDt : defaults[name];
      const learn = opts.learn?.includes(name) ?? false;
      if (given instanceof Float32Array) {
        if (given.length !== n)
          throw new RangeError(
            `DeclaredNeurons(${model.name}): ${name} has ${given.length} values, expected ${n}`,
          );
        this.values[name] = this.registerParameter(name, new Tensor(given.slice(), [n]), learn);
      } else if (learn) {
        const v = typeof given === 'number' ? given : fallback;
        this.values[name] = this.registerParameter(name, new Tensor(new Float32Array(n).fill(v), [n]), true);
      } else this.values[name] = typeof given === 'number' ? given : fallback;
    }
    for (const name of opts.learn ?? [])
      if (!def.params.includes(name))
        throw new RangeError(`DeclaredNeurons(${model.name}): cannot learn "${name}": not a parameter`);
  }

  /** The compiled step this layer runs (its learned parameters receive gradients). */
  program(): StepProgram {
    const learn = Object.entries(this.values)
      .filter(([, v]) => v instanceof Tensor && v.requiresGrad)
      .map(([k]) => k);
    return stepProgram(this.model, learn, this.opts.detach ?? []);
  }

  /**
   * Readies the active backend's fastest kernel for this layer (on wasm, compiles a model
   * declared at run time: 4 s for a small model on 2 cores, cached on disk); resolves to the kernel path
   * ('wasm (generated)', or 'reference' on the js backend).
   */
  compile(): Promise<string> {
    return getBackend().prepareSpikingKernel(this.program());
  }

  /** The kernel that runs this layer now ('reference' until compile() on a model declared at run time). */
  kernelPath(): string {
    return getBackend().spikingKernelPath(this.program());
  }

  forward(x: Tensor, mode: SpikingMode): Tensor {
    return neuronSpikes(x, this.model, {
      ...mode,
      params: this.values,
      surrogate: this.opts.surrogate,
      detach: this.opts.detach,
      detachReset: this.opts.detachReset,
    });
  }
}
