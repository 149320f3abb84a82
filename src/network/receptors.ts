/**
 * Synaptic receptors of a network population, added to its neuron model as more declared states
 * (so the integrators, the quasi-linear form and the generated step treat them like any other
 * state, and exponential Euler sees a conductance in the membrane's linear term, as Brian2 does):
 *
 *   exponential current      dg/dt = −g/τ                      I += g
 *   exponential conductance  dg/dt = −g/τ                      I += g·(E − v)
 *   alpha (either)           dg/dt = (x − g)/τ, dx/dt = −x/τ   a spike adds e·w to x, so g
 *                                                              peaks at w, τ after the spike
 *
 * A spike arriving with weight w adds w to g (exponential) or e·w to x (alpha). Weights are in the
 * model's input unit (current) or input unit per mV (conductance: nS for a pA model).
 */
import type { NeuronDeclaration, NeuronModel } from '../neurons/model.js';
import { declareNeuron } from '../neurons/model.js';

export interface ReceptorSpec {
  /** Shape of the response to one spike (default "exponential"). */
  kind?: 'exponential' | 'alpha';
  /** Time constant, ms. */
  tau: number;
  /** Reversal potential (mV): a conductance-based receptor. Without it, current-based. */
  E?: number;
}

/** An exponential (default) or alpha conductance with reversal potential E. */
export const conductance = (
  tau: number,
  E: number,
  kind: ReceptorSpec['kind'] = 'exponential',
): ReceptorSpec => ({
  kind,
  tau,
  E,
});

/** An exponential (default) or alpha current. */
export const current = (tau: number, kind: ReceptorSpec['kind'] = 'exponential'): ReceptorSpec => ({
  kind,
  tau,
});

export interface AugmentedModel {
  model: NeuronModel;
  /** Per receptor: the state a spike adds to, and the factor it adds weights with. */
  targets: Record<string, { state: string; scale: number }>;
  /** Whether the receptor is a conductance (weights must then be ≥ 0). */
  conductances: ReadonlySet<string>;
  /** The external-current input of the augmented model (the base model's input plus receptors). */
  input: string;
}

const NAME = /^[A-Za-z][A-Za-z0-9]*$/;

/** The base model with one state (two for alpha) and its parameters per receptor. */
export function withReceptors(
  base: NeuronModel,
  receptors: Readonly<Record<string, ReceptorSpec>>,
): AugmentedModel {
  const names = Object.keys(receptors);
  if (names.length === 0) return { model: base, targets: {}, conductances: new Set(), input: base.input };
  if (base.time !== 'continuous')
    throw new RangeError(
      `model ${base.name} is defined in discrete time; synaptic receptors need a continuous-time model`,
    );
  const d = base.declaration;
  const taken = new Set([...base.states, ...base.params, ...base.lets.map(([n]) => n), base.input]);
  const input = freshName('Iext', taken);
  const states: NeuronDeclaration['states'] = { ...d.states };
  const params: NeuronDeclaration['params'] = { ...d.params };
  const dynamics: Record<string, string> = { ...(d.dynamics as Record<string, string>) };
  const terms: string[] = [input];
  const targets: AugmentedModel['targets'] = {};
  const conductances = new Set<string>();
  const v = base.voltage;
  for (const r of names) {
    const spec = receptors[r];
    const where = `receptor "${r}" of population model ${base.name}`;
    if (!NAME.test(r))
      throw new RangeError(`${where}: a receptor name is letters and digits, starting with a letter`);
    if (spec === null || typeof spec !== 'object')
      throw new TypeError(`${where}: expected { tau, E?, kind? }`);
    const kind = spec.kind ?? 'exponential';
    if (kind !== 'exponential' && kind !== 'alpha')
      throw new RangeError(
        `${where}: kind must be "exponential" or "alpha", got ${JSON.stringify(spec.kind)}`,
      );
    if (!(spec.tau > 0) || !Number.isFinite(spec.tau))
      throw new RangeError(`${where}: tau must be a positive number of ms, got ${spec.tau}`);
    if (spec.E !== undefined && !Number.isFinite(spec.E))
      throw new RangeError(`${where}: E must be a finite potential in mV, got ${spec.E}`);
    const tau = `tau_${r}`;
    for (const n of [
      r,
      tau,
      ...(spec.E !== undefined ? [`E_${r}`] : []),
      ...(kind === 'alpha' ? [`${r}_x`] : []),
    ])
      if (taken.has(n)) throw new RangeError(`${where}: the name "${n}" is already used by the model`);
    params[tau] = { value: spec.tau, unit: 'ms', doc: `time constant of receptor ${r}` };
    states[r] = { init: 0, doc: `receptor ${r}` };
    if (kind === 'alpha') {
      states[`${r}_x`] = { init: 0, doc: `rise variable of receptor ${r}` };
      dynamics[r] = `(${r}_x - ${r})/${tau}`;
      dynamics[`${r}_x`] = `-${r}_x/${tau}`;
      targets[r] = { state: `${r}_x`, scale: Math.E };
    } else {
      dynamics[r] = `-${r}/${tau}`;
      targets[r] = { state: r, scale: 1 };
    }
    if (spec.E !== undefined) {
      if (!base.states.includes(v))
        throw new RangeError(
          `${where}: a conductance needs the membrane potential as a state; ${base.name}'s potential "${v}" is derived`,
        );
      params[`E_${r}`] = { value: spec.E, unit: 'mV', doc: `reversal potential of receptor ${r}` };
      terms.push(`${r}*(E_${r} - ${v})`);
      conductances.add(r);
    } else terms.push(r);
  }
  // The base model's input becomes a `let` (evaluated first) over the external current and the
  // receptors: the base equations read it unchanged.
  const model = declareNeuron({
    ...d,
    states,
    params,
    dynamics,
    input,
    let: { [base.input]: terms.join(' + '), ...(d.let ?? {}) },
  });
  return { model, targets, conductances, input };
}

function freshName(stem: string, taken: ReadonlySet<string>): string {
  let name = stem;
  for (let k = 2; taken.has(name); k++) name = `${stem}${k}`;
  return name;
}
