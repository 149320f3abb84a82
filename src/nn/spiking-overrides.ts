/**
 * Hand-tuned fused ops registered as overrides of the generic declared-model op (neuron-layer.ts)
 * for a (model, condition): when a call of `neuronSpikes` on that model meets the condition, the
 * override runs instead of the generic kernels. Each is the study's op of spiking.ts for the same
 * declaration (LIF, learning HH with its closed form, the s-LIF2HH unit: slif2hh-unit.ts), tested
 * against the generic kernels (test/overrides.test.ts). `setSpikingOverrides(false)` (or
 * HHNET_OVERRIDES=off) runs every call on the generic kernels, for those tests and for
 * `hhnet bench kernels`.
 */
import type { NeuronModel } from '../neurons/model.js';
import { slif2hhUnitDeclared } from '../neurons/slif2hh.js';
import { Tensor } from '../tensor/tensor.js';
import type { PerNeuron, SpikingOptions } from './spiking.js';
import { learningHhSpikes, lifSpikes, slif2hhSpikes } from './spiking.js';
import type { LearningHhRates } from './spiking.js';
import type { HhMembraneConstants } from '../kernels/spiking-types.js';
import { envVar } from '../util/env.js';

/** A neuronSpikes call as an override sees it. */
export interface OverrideCall extends Omit<SpikingOptions, 'threshold'> {
  /** Every parameter of the training step (a continuous model's `dt` included), resolved. */
  params: Readonly<Record<string, PerNeuron>>;
  detach: readonly string[];
  detachReset: boolean;
  /** Options only an override understands (e.g. the learning HH's saveVoltage). */
  extra: Readonly<Record<string, unknown>>;
}

export interface SpikingOverride {
  /** The declared model it replaces, by name. */
  readonly model: string;
  /** What it is (for messages and benchmarks). */
  readonly name: string;
  /** Whether this call can run on the override. */
  applies(call: OverrideCall): boolean;
  run(x: Tensor, call: OverrideCall): Tensor;
}

/** A call as overrides see it: the caller's layout options with its resolved parameters. */
export function overrideCall(
  opts: Pick<SpikingOptions, 'T' | 'timeVarying' | 'repeat' | 'output' | 'smoothCheck'>,
  resolved: Pick<OverrideCall, 'surrogate' | 'params' | 'detach' | 'detachReset' | 'extra'>,
): OverrideCall {
  const { T, timeVarying, repeat, output, smoothCheck } = opts;
  return { T, timeVarying, repeat, output, smoothCheck, ...resolved };
}

const registry = new Map<string, SpikingOverride[]>();
let enabled = !['off', '0', 'false'].includes((envVar('HHNET_OVERRIDES') ?? '').trim().toLowerCase());

export function registerSpikingOverride(o: SpikingOverride): void {
  registry.set(o.model, [...(registry.get(o.model) ?? []), o]);
}

/** Turns every override on or off (off: generic kernels only); returns the previous setting. */
export function setSpikingOverrides(on: boolean): boolean {
  const was = enabled;
  enabled = on;
  return was;
}

/** The override that runs this call of a model (or circuit, by name), if any and overrides are on. */
export function findSpikingOverride(model: NeuronModel | string, call: OverrideCall): SpikingOverride | null {
  if (!enabled) return null;
  return registry.get(typeof model === 'string' ? model : model.name)?.find((o) => o.applies(call)) ?? null;
}

const learns = (v: PerNeuron | undefined): boolean => v instanceof Tensor && v.requiresGrad;
const scalar = (v: PerNeuron | undefined): number | undefined => (typeof v === 'number' ? v : undefined);
const layout = (c: OverrideCall): SpikingOptions => ({
  T: c.T,
  timeVarying: c.timeVarying,
  repeat: c.repeat,
  output: c.output,
  surrogate: c.surrogate,
  smoothCheck: c.smoothCheck,
});

// The study's LIF (lif-step): decay and θ as numbers, nothing learned but the input.
registerSpikingOverride({
  model: 'lif-step',
  name: 'fused LIF kernel (spiking.ts lifSpikes)',
  applies: (c) => scalar(c.params.decay) !== undefined && scalar(c.params.theta) !== undefined,
  run: (x, c) =>
    lifSpikes(x, {
      ...layout(c),
      decay: c.params.decay as number,
      threshold: c.params.theta as number,
      detachReset: c.detachReset,
    }),
});

const MEMBRANE = ['C', 'gNa', 'gK', 'gL', 'ENa', 'EK', 'EL'] as const;

/** The membrane constants of a call (applies() has checked that they are numbers). */
const membraneOf = (p: OverrideCall['params']): HhMembraneConstants => ({
  C: p.C as number,
  gNa: p.gNa as number,
  gK: p.gK as number,
  gL: p.gL as number,
  ENa: p.ENa as number,
  EK: p.EK as number,
  EL: p.EL as number,
});

// The learning HH: membrane and θ as numbers, dt fixed (number or tensor), rates learned or not;
// its kernels use the closed form where they can (see learningHhSpikes).
registerSpikingOverride({
  model: 'learning-hh',
  name: 'learning-HH kernels (spiking.ts learningHhSpikes: gate tables, closed form)',
  applies: (c) =>
    MEMBRANE.every((k) => scalar(c.params[k]) !== undefined) &&
    scalar(c.params.theta) !== undefined &&
    !learns(c.params.dt) &&
    c.detach.every((d) => d === 'ionic') &&
    !c.detachReset,
  run: (x, c) => {
    const p = c.params;
    const rates: LearningHhRates = {
      alphaN: p.alphaN,
      betaN: p.betaN,
      alphaM: p.alphaM,
      betaM: p.betaM,
      alphaH: p.alphaH,
      betaH: p.betaH,
    };
    return learningHhSpikes(x, rates, {
      ...layout(c),
      dt: p.dt,
      threshold: p.theta as number,
      detachIonic: c.detach.includes('ionic'),
      membrane: membraneOf(p),
      saveVoltage: c.extra.saveVoltage as boolean | undefined,
    });
  },
});

// s-LIF2HH (slif2hh-unit.ts): the fused kernel runs the declared unit for the calls of
// slif2hhUnits, which pass decay and θ as numbers and the weights as one Tensor w ([N, 3] or [3]);
// a direct neuronSpikes call of the unit (w1, w2, w3) runs its generated kernels.
registerSpikingOverride({
  model: slif2hhUnitDeclared.name,
  name: 'fused s-LIF2HH kernel (spiking.ts slif2hhSpikes)',
  applies: (c) =>
    c.params.w instanceof Tensor && typeof c.params.decay === 'number' && typeof c.params.theta === 'number',
  run: (x, c) =>
    slif2hhSpikes(x, c.params.w as Tensor, {
      ...layout(c),
      decay: c.params.decay as number,
      threshold: c.params.theta as number,
      detachReset: c.detachReset,
    }),
});
