/**
 * What hhnet derives from a neuron declaration (model.ts):
 * - quasiLinearOf: the quasi-linear form dy_k/dt = a_k − b_k·y_k the three integrators use
 *   (types.ts). b_k = −∂f_k/∂y_k is taken symbolically; where f_k is affine in y_k (HH gates,
 *   the HH membrane, every linear model) a_k = f_k at y_k = 0 and exponential Euler is exact for
 *   frozen coefficients (Rush–Larsen for gates); elsewhere (Izhikevich's v², AdEx's exponential)
 *   a_k = f_k + b_k·y_k, exponential Euler on the Jacobian's diagonal.
 * - stepDefinition: the discrete step trainable layers run (program.ts): the declared step of a
 *   discrete model, or forward Euler with a per-neuron step `dt` for a continuous one.
 * Parameters of a simulation are inlined as constants before code is generated, so the generated
 * coefficient function is as lean as a hand-written one.
 */
import type { Expr } from '../symbolic/expr.js';
import {
  NotDifferentiableError,
  binary,
  derivative,
  num,
  renderJs,
  jsFunction,
  neg,
  stripDetach,
  substitute,
  sym,
} from '../symbolic/expr.js';
import { compileStep } from '../kernels/spiking/program.js';
import type { StepDefinition } from '../kernels/spiking/program.js';
import type { NeuronModel } from './model.js';
import {
  STEP_LENGTH,
  expandLets,
  initialState,
  notSimulable,
  resolveParams,
  spikeThreshold,
} from './model.js';
import type { QuasiLinearModel } from './types.js';

/** a_k and b_k of dy_k/dt = a_k − b_k·y_k for f = dy_k/dt. */
export function quasiLinearTerms(f: Expr, yk: string): { a: Expr; b: Expr } {
  let b: Expr;
  try {
    b = derivative(f, yk);
  } catch (err) {
    if (err instanceof NotDifferentiableError) return { a: f, b: num(0) }; // plain Euler
    throw err;
  }
  b = neg(b);
  let affine = false;
  try {
    const db = derivative(b, yk);
    affine = db.op === 'num' && db.value === 0;
  } catch (err) {
    if (!(err instanceof NotDifferentiableError)) throw err;
  }
  if (affine) return { a: substitute(f, new Map([[yk, num(0)]])), b };
  return { a: binary('add', f, binary('mul', b, sym(yk))), b };
}

type TimeFunctions = readonly ((t: number) => number)[];

export interface QuasiLinearOptions {
  /**
   * Parameters that vary in time (library use, e.g. the tv-LIF's τ(t), E(t), k(t)): wherever the
   * dynamics read such a parameter they read its function at the integrator stage's time (ms).
   * The number (override or default) still gives the initial state, threshold, reset and
   * refractory period.
   */
  timeVarying?: Readonly<Record<string, (t: number) => number>>;
}

const inline = (values: Readonly<Record<string, number>>): Map<string, Expr> =>
  new Map(Object.entries(values).map(([k, v]) => [k, num(v)]));

/**
 * The simulation model of a declared continuous-time neuron with the given parameter overrides.
 * A model with a refractory period gets one more state, "refractory" (ms left), during which the
 * states a spike resets are held.
 */
export function quasiLinearOf(
  model: NeuronModel,
  overrides: Readonly<Record<string, number>> = {},
  opts: QuasiLinearOptions = {},
): QuasiLinearModel {
  if (model.time !== 'continuous')
    throw new RangeError(`model ${model.name} is defined in discrete time; it has no continuous form`);
  const unit = notSimulable(model);
  if (unit) throw new RangeError(unit);
  const values = resolveParams(model, overrides);
  const consts = inline(values);
  const varying = Object.entries(opts.timeVarying ?? {});
  for (const [name, fn] of varying) {
    if (!model.params.includes(name))
      throw new RangeError(
        `model ${model.name}: timeVarying: "${name}" is not a parameter (${model.params.join(', ')})`,
      );
    if (typeof fn !== 'function')
      throw new RangeError(`model ${model.name}: timeVarying.${name} must be a function of t (ms)`);
    consts.delete(name); // read at every stage instead of inlined
  }
  const S = model.states.length;
  const terms = model.rhs.map((f, k) =>
    quasiLinearTerms(substitute(stripDetach(f), consts), model.states[k]),
  );
  const varyingAt = new Map(varying.map(([name], j) => [name, j]));
  const slot = (s: string): string => {
    const k = model.states.indexOf(s);
    if (k >= 0) return `y[off + ${k}]`;
    return varyingAt.has(s) ? `F[${varyingAt.get(s)}](_t)` : 'input';
  };
  const held = [...model.reset.keys()];
  const refractoryAt = model.refractory ? S : -1;
  const coefficientsBody = [
    renderJs(
      terms.flatMap((t) => [t.a, t.b]),
      slot,
      (i, code) => `${i % 2 === 0 ? 'a' : 'b'}[${i >> 1}] = ${code};`,
    ),
    // Refractory: the reset states are held (zero derivative) while time is left.
    refractoryAt >= 0
      ? `if (y[off + ${refractoryAt}] > 0) { ${held.map((k) => `a[${k}] = 0; b[${k}] = 0;`).join(' ')} }\na[${S}] = 0; b[${S}] = 0;`
      : '',
  ].join('\n');
  type Coefficients = QuasiLinearModel['coefficients'];
  const generated = jsFunction<(...args: [...Parameters<Coefficients>, TimeFunctions?]) => void>(
    '_t, y, off, input, a, b, F',
    coefficientsBody,
  );
  const fns: TimeFunctions = varying.map(([, fn]) => fn);
  const coefficients: Coefficients =
    fns.length === 0 ? generated : (t, y, off, input, a, b) => generated(t, y, off, input, a, b, fns);
  const y0 = initialState(model, values);
  const threshold = spikeThreshold(model, values);
  const voltage = voltageFunction(model, consts);
  const stateNames = refractoryAt >= 0 ? [...model.states, 'refractory'] : [...model.states];
  const ode: QuasiLinearModel = {
    name: model.name,
    stateNames,
    params: values,
    spikeThreshold: threshold,
    voltageLimit: model.voltageLimit,
    initialState(y, off) {
      y.set(y0, off);
      if (refractoryAt >= 0) y[off + refractoryAt] = 0;
    },
    coefficients,
    voltage,
  };
  if (model.reset.size > 0) {
    const reset = resetFunction(model, consts);
    const tRef = model.refractory ? substitute(model.refractory, consts) : null;
    const refractoryMs = tRef && tRef.op === 'num' ? tRef.value : 0;
    if (!(refractoryMs >= 0))
      throw new RangeError(`model ${model.name}: the refractory period must be ≥ 0 ms`);
    const inclusive = model.inclusive;
    ode.afterStep = (y, off, dt, vBefore) => {
      if (refractoryAt >= 0 && y[off + refractoryAt] > 0) {
        const left = y[off + refractoryAt] - dt;
        y[off + refractoryAt] = left > 1e-9 * dt ? left : 0; // no extra step from repeated subtraction
        return 0;
      }
      const vNow = voltage(y, off);
      if (inclusive ? !(vNow >= threshold) : !(vNow > threshold)) return 0;
      reset(y, off);
      if (refractoryAt >= 0) y[off + refractoryAt] = refractoryMs;
      // Where in the step the threshold was crossed (linear interpolation).
      return vNow > vBefore ? Math.min(1, Math.max(1e-9, (threshold - vBefore) / (vNow - vBefore))) : 1;
    };
  }
  return ode;
}

/** The membrane potential of the state at y[off…]: the voltage state, or its `let` evaluated. */
function voltageFunction(
  model: NeuronModel,
  consts: ReadonlyMap<string, Expr>,
): (y: Float64Array, off: number) => number {
  const v = model.states.indexOf(model.voltage);
  if (v >= 0) return (y, off) => y[off + v];
  const body = renderJs(
    [substitute(stripDetach(model.voltageExpr), consts)],
    (s) => `y[off + ${model.states.indexOf(s)}]`,
    (_i, code) => `return ${code};`,
  );
  return jsFunction<(y: Float64Array, off: number) => number>('y, off', body);
}

/** Applies a model's reset to the state at y[off…] (all new values from the pre-reset ones). */
export function resetFunction(
  model: NeuronModel,
  consts: ReadonlyMap<string, Expr>,
): (y: Float64Array, off: number) => void {
  const ks = [...model.reset.keys()];
  const body = renderJs(
    ks.map((k) => substitute(model.reset.get(k) as Expr, consts)),
    (s) => `y[off + ${model.states.indexOf(s)}]`,
    (i, code) => `const r${i} = ${code};`,
  );
  const stores = ks.map((k, i) => `y[off + ${k}] = r${i};`).join('\n');
  return jsFunction<(y: Float64Array, off: number) => void>(
    'y, off',
    `${body}
${stores}`,
  );
}

/** One step of a discrete model for the neuron at y[off…]; p holds the values of model.params. */
export type DiscreteStep = (y: Float64Array, off: number, input: number, dt: number, p: Float64Array) => void;

const discreteSteps = new WeakMap<NeuronModel, DiscreteStep>();

/**
 * The step of a discrete model as a function updating y in place (simulation). Generated once
 * per model, with the parameters read from p rather than inlined: fits and sweeps build many
 * short-lived populations with new parameters, and compiling a function for each costs more
 * than such a run (measured: 24× the hand-written s-LIF2HH with inlined constants, 300 fresh
 * populations of 80 steps).
 */
export function discreteStepOf(model: NeuronModel): DiscreteStep {
  if (model.time !== 'discrete') throw new RangeError(`model ${model.name} is defined in continuous time`);
  const unit = notSimulable(model);
  if (unit) throw new RangeError(unit);
  let fn = discreteSteps.get(model);
  if (fn) return fn;
  const name = (s: string): string => {
    const k = model.states.indexOf(s);
    if (k >= 0) return `y[off + ${k}]`;
    const j = model.params.indexOf(s);
    if (j >= 0) return `p[${j}]`;
    return s === STEP_LENGTH ? 'dt' : 'input';
  };
  const body = renderJs(model.rhs.map(stripDetach), name, (i, code) => `const n${i} = ${code};`);
  const stores = model.states.map((_, k) => `y[off + ${k}] = n${k};`).join('\n');
  fn = jsFunction<DiscreteStep>('y, off, input, dt, p', `${body}\n${stores}`);
  discreteSteps.set(model, fn);
  return fn;
}

/** Name of the step-size parameter slot the training step of a continuous model (or of a discrete one that reads dt) gets. */
export const STEP_PARAM = STEP_LENGTH;

/**
 * The discrete step a trainable layer runs: the declared step (discrete model), or forward Euler
 * h_k = y_k + dt·f_k with `dt` appended as the last parameter slot (continuous model). `detach`
 * names `let` definitions whose gradients BPTT drops.
 */
export function stepDefinition(
  model: NeuronModel,
  opts: { detach?: readonly string[] } = {},
): StepDefinition {
  if (!model.states.includes(model.voltage))
    throw new RangeError(
      `model ${model.name}: trainable layers need the voltage to be a state; "${model.voltage}" is a let (simulation only)`,
    );
  const lets = new Set(model.lets.map(([n]) => n));
  for (const n of opts.detach ?? [])
    if (!lets.has(n))
      throw new RangeError(
        `model ${model.name}: detach: "${n}" is not one of its let definitions (${[...lets].join(', ') || 'none'})`,
      );
  const detach = new Set(opts.detach ?? []);
  const rhs = model.rhsRaw.map((e) => expandLets(model, e, detach));
  const continuous = model.time === 'continuous';
  const charge = continuous
    ? rhs.map((f, k) => binary('add', sym(model.states[k]), binary('mul', sym(STEP_PARAM), f)))
    : rhs;
  return {
    name: model.name,
    states: model.states,
    params: continuous || model.readsDt ? [...model.params, STEP_PARAM] : model.params,
    input: model.input,
    voltage: model.states.indexOf(model.voltage),
    charge,
    threshold: model.spikeRhs,
    inclusive: model.inclusive,
    reset: model.reset,
    ...(notSimulable(model) === null
      ? {}
      : {
          inputs: model.inputs,
          spikes: model.spikeRules.map((r) => ({
            voltage: r.voltage,
            threshold: r.spikeRhs,
            inclusive: r.inclusive,
            reset: r.reset,
          })),
        }),
  };
}

const trainability = new WeakMap<NeuronModel, string | null>();

/**
 * Why a trainable layer cannot run a model (its voltage is a `let`; its update calls step() where
 * BPTT needs a derivative), or null when it can. Simulation-only models (the tv-LIF2HH and
 * s-LIF2HH circuits) are skipped by the kernel build and the generic training tests.
 */
export function notTrainable(model: NeuronModel): string | null {
  let why = trainability.get(model);
  if (why === undefined) {
    try {
      compileStep(stepDefinition(model));
      why = null;
    } catch (err) {
      why = (err as Error).message;
    }
    trainability.set(model, why);
  }
  return why;
}
