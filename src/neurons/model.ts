/**
 * A neuron model declared once, as data: states, parameters, equations, spike condition and
 * reset. Everything else is derived from the declaration (derive.ts and the code built on it):
 * the quasi-linear form the three integrators use, simulation populations, the discrete step a
 * trainable layer runs for T steps, and the symbolic partial derivatives its BPTT needs.
 *
 * Equations are strings in the small grammar of expr.ts. Names an equation may read: the
 * model's states, its parameters, its `let` definitions, the input current (`input`, default
 * "I").
 *
 * ```ts
 * export const izhikevich = declareNeuron({
 *   name: 'izhikevich',
 *   description: 'Izhikevich (2003) simple model',
 *   states: { v: { init: 'v0', unit: 'mV' }, u: { init: 'b*v0' } },
 *   params: { a: { value: 0.02 }, b: { value: 0.2 }, c: { value: -65 }, d: { value: 8 }, v0: { value: -65 } },
 *   dynamics: { v: '0.04*v^2 + 5*v + 140 - u + I', u: 'a*(b*v - u)' },
 *   spike: 'v >= 30',
 *   reset: { v: 'c', u: 'u + d' },
 * });
 * ```
 */
import type { Expr } from '../symbolic/expr.js';
import {
  ExprError,
  call,
  derivative,
  evaluate,
  num,
  parseExpr,
  stripDetach,
  substitute,
  sym,
  symbols,
} from '../symbolic/expr.js';

export interface ParamDeclaration {
  /** Default value. */
  value: number;
  /** Unit, for docs and `hhnet models` (e.g. "mV", "1/ms"). */
  unit?: string;
  doc?: string;
  /** Trainable layers may learn it (per neuron). Default false. */
  learnable?: boolean;
  /** Smallest and largest values the model admits (inclusive); resolveParams refuses others. */
  min?: number;
  max?: number;
}

export interface StateDeclaration {
  /**
   * Initial value: a number or an expression over parameters and the states declared before it.
   * Omitted only for a state that `initFrom` sets.
   */
  init?: number | string;
  unit?: string;
  doc?: string;
}

export interface NeuronDeclaration {
  /** Name on the command line: lower case, digits and dashes. */
  name: string;
  /** One line for `hhnet models`. */
  description: string;
  /** Published source of the equations and defaults. */
  reference?: string;
  states: Record<string, StateDeclaration>;
  params: Record<string, ParamDeclaration>;
  /** Named intermediate expressions (e.g. currents), read by the other equations. */
  let?: Record<string, string>;
  /** Continuous time: dX/dt (per ms) for every state. */
  dynamics?: Record<string, string>;
  /**
   * Discrete time: X[t] from the states at t − 1 for every state (models defined per step, such
   * as the study's trainable LIF). Exactly one of dynamics and step is given.
   */
  step?: Record<string, string>;
  /** The step of a discrete model, in ms (default 1): simulations must use it. */
  timeBase?: number;
  /** Name of the input current (default "I"). */
  input?: string;
  /** Unit of the input current, for labels (default "µA/cm²"; "" for a dimensionless model). */
  inputUnit?: string;
  /**
   * A constant input (in inputUnit) at which the model fires regularly: the default amplitude of
   * `hhnet simulate`'s constant and step stimuli, and the drive of the generic tests.
   */
  drive?: number;
  /**
   * The membrane potential (default "v"): a state, or — for simulation only — a `let` over the
   * states (a circuit whose potential is a sum of its parts, like tv-LIF2HH). Trainable layers
   * and discrete models need a state.
   */
  voltage?: string;
  /**
   * "LHS > RHS" or "LHS >= RHS". With a reset, a spike is the condition holding after a step;
   * without one, an upward crossing of RHS by LHS. LHS must be the voltage state; RHS an
   * expression over parameters.
   */
  spike: string;
  /** New values of some states after a spike, from the values just before the reset. */
  reset?: Record<string, string>;
  /**
   * A unit — a small circuit of neurons trained as one, like the study's s-LIF2HH (three input
   * LIFs driving a fourth) — has several input currents, named here in the order of the input's
   * blocks (instead of `input`), and further spike rules after `spike`/`reset`, each "STATE > RHS"
   * on its own state with its own reset; its output is the spike trains of all rules, in blocks.
   * Units run in trainable layers only (a simulation has one input and one spike).
   */
  inputs?: string[];
  moreSpikes?: { spike: string; reset?: Record<string, string> }[];
  /** Refractory period (expression over parameters, ms): the reset states are held after a spike. */
  refractory?: string;
  /**
   * Start at the resting state: the initial values are refined by Newton's method until every
   * dX/dt is 0 with no input (continuous models; e.g. HH's rest, which has no closed form).
   */
  startAtRest?: boolean;
  /**
   * Initial values from another model's initial state, for a model whose starting point is
   * another's rest (tv-LIF2HH starts where the HH neuron of the same membrane rests): `model` is
   * evaluated with this model's values of the parameters both declare (its own defaults for the
   * others), and each state listed in `states` starts at the named state of `model`.
   */
  initFrom?: InitFrom;
  /** |voltage| beyond this means the integration ran away (default 1e4). */
  voltageLimit?: number;
  /** Default step for trainable layers of a continuous model, ms (default 0.1). */
  trainingDt?: number;
}

export interface InitFrom {
  model: NeuronModel;
  /** This model's state → the state of `model` it starts at. */
  states: Record<string, string>;
}

/** A declaration checked and parsed: what the derivations and code generators read. */
export interface NeuronModel {
  readonly declaration: Readonly<NeuronDeclaration>;
  readonly name: string;
  readonly time: 'continuous' | 'discrete';
  readonly states: readonly string[];
  readonly params: readonly string[];
  readonly defaults: Readonly<Record<string, number>>;
  readonly input: string;
  readonly inputUnit: string;
  /** See NeuronDeclaration.drive; null when not declared. */
  readonly drive: number | null;
  readonly voltage: string;
  /** The membrane potential over the states (the voltage state itself, or its `let` expanded). */
  readonly voltageExpr: Expr;
  /**
   * Initial value of each state, over parameters (states before it substituted); null for a
   * state set by `initFrom`.
   */
  readonly init: readonly (Expr | null)[];
  /** Per state: the index of the `initFrom` model's state it starts at, or −1. */
  readonly initFromState: readonly number[];
  /**
   * A discrete model whose step reads dt (its length in ms): it runs at any dt (s-LIF2HH keeps
   * its leak per ms and scales its input by dt); any other discrete model only at its timeBase.
   */
  readonly readsDt: boolean;
  /** dX/dt (continuous) or X[t] (discrete) per state, `let` names substituted. */
  readonly rhs: readonly Expr[];
  /** Spike: the model spikes when spikeLhs − spikeRhs crosses 0 (> or ≥ as `inclusive`). */
  readonly spikeRhs: Expr;
  readonly inclusive: boolean;
  /** Reset value per state (index → expression); states not listed keep their value. */
  readonly reset: ReadonlyMap<number, Expr>;
  /** Every input current (one, `input`, unless the model is a unit). */
  readonly inputs: readonly string[];
  /** Every spike rule, the one above first (more only for a unit). */
  readonly spikeRules: readonly ModelSpikeRule[];
  readonly refractory: Expr | null;
  readonly timeBase: number;
  readonly voltageLimit: number;
  readonly trainingDt: number;
  /** `let` definitions in order, each over states, parameters, the input and earlier lets. */
  readonly lets: readonly (readonly [string, Expr])[];
  /** rhs before the `let` names were substituted (derive.ts detaches some of them for BPTT). */
  readonly rhsRaw: readonly Expr[];
}

/**
 * e with the `let` names substituted; those in `detach` as detach(…), so BPTT drops their
 * gradient (e.g. the learning HH's ionic current in the study's conv variant).
 */
export function expandLets(model: NeuronModel, e: Expr, detach: ReadonlySet<string> = new Set()): Expr {
  const by = new Map<string, Expr>();
  for (const [name, raw] of model.lets) {
    const x = substitute(raw, by);
    by.set(name, detach.has(name) ? call('detach', [x]) : x);
  }
  return substitute(e, by);
}

export interface ModelSpikeRule {
  /** Index of the state compared with the threshold. */
  readonly voltage: number;
  readonly spikeRhs: Expr;
  readonly inclusive: boolean;
  readonly reset: ReadonlyMap<number, Expr>;
}

/** Why a model cannot be simulated (a unit: several inputs or spike rules), or null. */
export function notSimulable(model: NeuronModel): string | null {
  if (model.inputs.length === 1 && model.spikeRules.length === 1) return null;
  return `model ${model.name} is a unit (${model.inputs.length} inputs, ${model.spikeRules.length} spike rules): it runs in trainable layers only`;
}

export class DeclarationError extends Error {
  override name = 'DeclarationError';
}

const NAME_RE = /^[a-z][a-z0-9]*(-[a-z0-9]+)*$/;
const IDENT_RE = /^[A-Za-z_][A-Za-z_0-9]*$/;
/** Names generated code or the training step use themselves. */
const RESERVED = new Set(['dt', 't', 'R', 'Math']);
/** The name a discrete step reads for its length in ms. */
export const STEP_LENGTH = 'dt';

/** Checks and parses a declaration; every error names the model and the field. */
export function declareNeuron(d: NeuronDeclaration): NeuronModel {
  const name = typeof d?.name === 'string' ? d.name : '(unnamed)';
  const fail = (field: string, msg: string): never => {
    throw new DeclarationError(`neuron model "${name}": ${field}: ${msg}`);
  };
  if (!NAME_RE.test(name)) fail('name', 'expected lower-case letters, digits and dashes (e.g. "my-lif")');
  if (typeof d.description !== 'string' || d.description === '') fail('description', 'expected a sentence');
  const states = Object.keys(d.states ?? {});
  const params = Object.keys(d.params ?? {});
  if (states.length === 0) fail('states', 'declare at least one state');
  if (d.inputs !== undefined && d.input !== undefined) fail('inputs', 'give either input or inputs');
  if (d.inputs !== undefined && (!Array.isArray(d.inputs) || d.inputs.length === 0))
    fail('inputs', 'expected a list of input names');
  const inputs = d.inputs ?? [d.input ?? 'I'];
  const input = inputs[0];
  const voltage = d.voltage ?? 'v';
  const lets = Object.keys(d.let ?? {});
  const seen = new Set<string>();
  for (const [field, list] of [
    ['states', states],
    ['params', params],
    ['let', lets],
    [d.inputs ? 'inputs' : 'input', inputs],
  ] as const) {
    for (const n of list) {
      if (!IDENT_RE.test(n)) fail(`${field}.${n}`, 'not a valid name');
      if (RESERVED.has(n)) fail(`${field}.${n}`, `"${n}" is reserved (${[...RESERVED].join(', ')})`);
      if (seen.has(n)) fail(`${field}.${n}`, `"${n}" is declared twice`);
      seen.add(n);
    }
  }
  if (!states.includes(voltage) && !lets.includes(voltage))
    fail('voltage', `"${voltage}" is neither a state nor a let (states: ${states.join(', ')})`);
  if (!states.includes(voltage) && d.step !== undefined)
    fail('voltage', `a discrete model's voltage must be a state, got the let "${voltage}"`);
  const defaults: Record<string, number> = {};
  for (const p of params) {
    const v = d.params[p]?.value;
    if (typeof v !== 'number' || !Number.isFinite(v))
      fail(`params.${p}.value`, `expected a finite number, got ${v}`);
    defaults[p] = v;
    const { min = -Infinity, max = Infinity } = d.params[p];
    if (!(min <= v && v <= max)) fail(`params.${p}`, `the default ${v} is outside [${min}, ${max}]`);
  }
  if ((d.dynamics === undefined) === (d.step === undefined))
    fail('dynamics', 'give exactly one of dynamics (continuous time) and step (discrete time)');
  const time = d.dynamics ? 'continuous' : 'discrete';
  const eqs = (d.dynamics ?? d.step) as Record<string, string>;
  const eqField = time === 'continuous' ? 'dynamics' : 'step';

  const parse = (field: string, text: unknown, allowed: ReadonlySet<string>): Expr => {
    if (typeof text !== 'string' && typeof text !== 'number')
      return fail(field, 'expected an equation string');
    let e: Expr;
    try {
      e = parseExpr(String(text), `neuron model "${name}": ${field}`);
    } catch (err) {
      if (err instanceof ExprError) throw new DeclarationError(err.message);
      throw err;
    }
    for (const s of symbols(e))
      if (!allowed.has(s))
        fail(field, `unknown name "${s}" in "${text}" (known here: ${[...allowed].sort().join(', ')})`);
    return e;
  };

  // let definitions may read states, params, the input and earlier lets; expanded in place.
  const letExprs = new Map<string, Expr>();
  const letRaw: [string, Expr][] = [];
  // A discrete step may read its length dt (ms): then it runs at any dt, not only its time base.
  const known = new Set([...states, ...params, ...inputs, ...(d.step !== undefined ? [STEP_LENGTH] : [])]);
  for (const l of lets) {
    const e = parse(`let.${l}`, d.let?.[l], known);
    letRaw.push([l, e]);
    letExprs.set(l, substitute(e, letExprs));
    known.add(l);
  }
  const expand = (e: Expr): Expr => substitute(e, letExprs);

  for (const k of Object.keys(eqs))
    if (!states.includes(k)) fail(`${eqField}.${k}`, `"${k}" is not a state (states: ${states.join(', ')})`);
  const eqKnown = known; // dynamics are per ms: there dt only enters through the integrator
  const rhsRaw = states.map((s) => {
    if (!(s in eqs))
      return fail(`${eqField}.${s}`, `state "${s}" has no ${time === 'continuous' ? 'dX/dt' : 'update'}`);
    return parse(`${eqField}.${s}`, eqs[s], eqKnown);
  });
  const rhs = rhsRaw.map(expand);
  const readsDt = rhs.some((e) => symbols(e).has(STEP_LENGTH));
  const noDt = (field: string, e: Expr): Expr =>
    symbols(e).has(STEP_LENGTH) ? fail(field, `reads ${STEP_LENGTH}, which only the step may read`) : e;

  // Initial values: numbers, or expressions over params, earlier states and lets (read with the
  // input at 0 and the earlier states at their initial values, e.g. gates at their steady state).
  const initFromState = states.map(() => -1);
  if (d.initFrom !== undefined) {
    const src = d.initFrom.model;
    if (!src || !Array.isArray(src.states))
      fail('initFrom.model', 'expected a declared model (declareNeuron)');
    for (const [s, from] of Object.entries(d.initFrom.states ?? {})) {
      const k = states.indexOf(s);
      if (k < 0) fail(`initFrom.states.${s}`, `"${s}" is not a state (states: ${states.join(', ')})`);
      const j = src.states.indexOf(from);
      if (j < 0)
        fail(
          `initFrom.states.${s}`,
          `"${from}" is not a state of ${src.name} (its states: ${src.states.join(', ')})`,
        );
      if (d.states[s]?.init !== undefined)
        fail(`states.${s}.init`, `${s} starts at ${src.name}'s ${from} (initFrom); give no init`);
      initFromState[k] = j;
    }
  }
  const initByState = new Map<string, Expr>(inputs.map((x) => [x, num(0)]));
  const initKnown = new Set([...params, ...lets]);
  const init = states.map((s, k) => {
    if (initFromState[k] >= 0) return null; // not readable by later initial values
    const raw = d.states[s]?.init;
    if (raw === undefined) return fail(`states.${s}.init`, 'missing (a number or an expression)');
    if (typeof raw === 'number' && !Number.isFinite(raw))
      fail(`states.${s}.init`, `expected a finite value, got ${raw}`);
    const e = substitute(expand(parse(`states.${s}.init`, raw, initKnown)), initByState);
    for (const x of symbols(e))
      if (!params.includes(x))
        fail(
          `states.${s}.init`,
          `reads "${x}", which is not known before ${s} (declare the states it needs first)`,
        );
    initKnown.add(s);
    initByState.set(s, e);
    return e;
  });

  const m = /^(.*?)(>=|>)(.*)$/.exec(d.spike ?? '');
  if (!m) return fail('spike', `expected "LHS > RHS" or "LHS >= RHS", got ${JSON.stringify(d.spike)}`);
  const lhs = m[1].trim();
  if (lhs !== voltage) fail('spike', `the left-hand side must be the voltage "${voltage}", got "${lhs}"`);
  const spikeRhs = noDt('spike', expand(parse('spike', m[3], new Set([...params, ...lets]))));

  const resetOf = (field: string, r: Record<string, string> | undefined): Map<number, Expr> => {
    const out = new Map<number, Expr>();
    for (const [s, text] of Object.entries(r ?? {})) {
      const k = states.indexOf(s);
      if (k < 0) fail(`${field}.${s}`, `"${s}" is not a state (states: ${states.join(', ')})`);
      out.set(
        k,
        noDt(`${field}.${s}`, expand(parse(`${field}.${s}`, text, new Set([...states, ...params, ...lets])))),
      );
    }
    return out;
  };
  const reset = resetOf('reset', d.reset);
  const spikeRules: ModelSpikeRule[] = [
    { voltage: states.indexOf(voltage), spikeRhs, inclusive: m[2] === '>=', reset },
  ];
  (d.moreSpikes ?? []).forEach((rule, i) => {
    const field = `moreSpikes[${i}]`;
    const mm = /^(.*?)(>=|>)(.*)$/.exec(rule?.spike ?? '');
    if (!mm)
      return fail(
        `${field}.spike`,
        `expected "STATE > RHS" or "STATE >= RHS", got ${JSON.stringify(rule?.spike)}`,
      );
    const v = states.indexOf(mm[1].trim());
    if (v < 0) fail(`${field}.spike`, `the left-hand side must be a state, got "${mm[1].trim()}"`);
    const rhs = noDt(`${field}.spike`, expand(parse(`${field}.spike`, mm[3], new Set([...params, ...lets]))));
    const r = resetOf(`${field}.reset`, rule.reset);
    for (const k of r.keys())
      if (spikeRules.some((other) => other.reset.has(k)))
        fail(`${field}.reset.${states[k]}`, `${states[k]} is already reset by an earlier spike rule`);
    spikeRules.push({ voltage: v, spikeRhs: rhs, inclusive: mm[2] === '>=', reset: r });
  });
  if (spikeRules.length > 1 && d.refractory !== undefined)
    fail('refractory', 'a unit (several spike rules) has no refractory period');
  let refractory: Expr | null = null;
  if (d.refractory !== undefined) {
    if (reset.size === 0) fail('refractory', 'a refractory period needs a reset');
    refractory = parse('refractory', d.refractory, new Set(params));
  }
  const timeBase = d.timeBase ?? 1;
  if (time === 'continuous' && d.timeBase !== undefined)
    fail('timeBase', 'only discrete (step) models have a time base');
  if (!(timeBase > 0) || !Number.isFinite(timeBase))
    fail('timeBase', `expected a positive number of ms, got ${timeBase}`);
  if (d.drive !== undefined && !Number.isFinite(d.drive))
    fail('drive', `expected a finite number, got ${d.drive}`);
  const voltageLimit = d.voltageLimit ?? 1e4;
  if (!(voltageLimit > 0)) fail('voltageLimit', `expected a positive number, got ${voltageLimit}`);
  // A discrete model's step parameter dt (when it reads one) defaults to its time base.
  const trainingDt = d.trainingDt ?? (time === 'discrete' ? timeBase : 0.1);
  if (!(trainingDt > 0) || !Number.isFinite(trainingDt))
    fail('trainingDt', `expected a positive number, got ${trainingDt}`);

  const model: NeuronModel = {
    declaration: d,
    name,
    time,
    states,
    params,
    defaults,
    input,
    inputUnit: d.inputUnit ?? 'µA/cm²',
    drive: d.drive ?? null,
    voltage,
    voltageExpr: states.includes(voltage) ? sym(voltage) : (letExprs.get(voltage) as Expr),
    init,
    rhs,
    spikeRhs,
    inclusive: m[2] === '>=',
    reset,
    inputs,
    spikeRules,
    refractory,
    timeBase,
    voltageLimit,
    trainingDt,
    lets: letRaw,
    rhsRaw,
    initFromState,
    readsDt,
  };
  // Defaults must give finite initial states and threshold.
  const values = resolveParams(model, {});
  initialState(model, values);
  spikeRules.forEach((rule, i) => {
    const th = evaluate(rule.spikeRhs, (s) => values[s]);
    if (Number.isNaN(th))
      fail(
        i === 0 ? 'spike' : `moreSpikes[${i - 1}].spike`,
        'the threshold is NaN with the default parameters',
      );
  });
  return model;
}

/**
 * Parameter values: the defaults with `overrides` applied. An unknown name or a non-finite value
 * is an error that lists the model's parameters.
 */
export function resolveParams(
  model: NeuronModel,
  overrides: Readonly<Record<string, number>>,
): Record<string, number> {
  const out = { ...model.defaults };
  for (const [k, v] of Object.entries(overrides)) {
    if (!model.params.includes(k))
      throw new DeclarationError(
        `model ${model.name} has no parameter "${k}"; its parameters: ${describeParams(model)}`,
      );
    if (typeof v !== 'number' || !Number.isFinite(v))
      throw new DeclarationError(`model ${model.name}: parameter ${k} must be a finite number, got ${v}`);
    const { min, max } = model.declaration.params[k];
    if ((min !== undefined && v < min) || (max !== undefined && v > max))
      throw new DeclarationError(
        `model ${model.name}: parameter ${k} must be ${[min !== undefined ? `≥ ${min}` : '', max !== undefined ? `≤ ${max}` : ''].filter(Boolean).join(' and ')}, got ${v}`,
      );
    out[k] = v;
  }
  return out;
}

/** "a = 0.02 (1/ms), b = 0.2, …" for messages and listings. */
export function describeParams(model: NeuronModel): string {
  if (model.params.length === 0) return '(none)';
  return model.params
    .map((p) => {
      const unit = model.declaration.params[p].unit;
      return `${p} = ${model.defaults[p]}${unit ? ` ${unit}` : ''}`;
    })
    .join(', ');
}

/** The initial state for the given parameter values; non-finite values are an error. */
export function initialState(model: NeuronModel, values: Readonly<Record<string, number>>): Float64Array {
  const y = new Float64Array(model.states.length);
  const from = model.declaration.initFrom;
  const yFrom = from ? initialState(from.model, sharedParams(from.model, values)) : null;
  model.init.forEach((e, k) => {
    y[k] = e === null ? (yFrom as Float64Array)[model.initFromState[k]] : evaluate(e, (s) => values[s]);
    if (!Number.isFinite(y[k]))
      throw new DeclarationError(
        `neuron model "${model.name}": states.${model.states[k]}.init: evaluates to ${y[k]} with parameters ${JSON.stringify(values)}`,
      );
  });
  if (model.declaration.startAtRest && model.time === 'continuous') newtonRest(model, values, y);
  return y;
}

/** The parameter values of `other` that `values` gives (the parameters both declare). */
function sharedParams(other: NeuronModel, values: Readonly<Record<string, number>>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const p of other.params) if (p in values) out[p] = values[p];
  return resolveParams(other, out);
}

/** Refines y in place to a zero of dX/dt (input 0) by Newton's method on the symbolic Jacobian. */
const jacobians = new WeakMap<NeuronModel, Expr[][]>();

/** ∂(dX/dt)/∂Y of a model, derived once per model. */
function jacobianOf(model: NeuronModel): Expr[][] {
  let jac = jacobians.get(model);
  if (!jac) {
    jac = model.rhs.map((f) => model.states.map((s) => derivative(stripDetach(f), s)));
    jacobians.set(model, jac);
  }
  return jac;
}

function newtonRest(model: NeuronModel, values: Readonly<Record<string, number>>, y: Float64Array): void {
  const S = model.states.length;
  const jac = jacobianOf(model);
  const look = (name: string): number => {
    const k = model.states.indexOf(name);
    return k >= 0 ? y[k] : name === model.input ? 0 : values[name];
  };
  for (let iter = 0; iter < 50; iter++) {
    // Solve J·δ = −f by Gaussian elimination with partial pivoting (S is small).
    const A = jac.map((row, k) => [...row.map((e) => evaluate(e, look)), -evaluate(model.rhs[k], look)]);
    for (let c = 0; c < S; c++) {
      let piv = c;
      for (let r = c + 1; r < S; r++) if (Math.abs(A[r][c]) > Math.abs(A[piv][c])) piv = r;
      [A[c], A[piv]] = [A[piv], A[c]];
      if (A[c][c] === 0)
        throw new DeclarationError(`neuron model "${model.name}": startAtRest: singular Jacobian`);
      for (let r = c + 1; r < S; r++) {
        const m = A[r][c] / A[c][c];
        for (let q = c; q <= S; q++) A[r][q] -= m * A[c][q];
      }
    }
    let size = 0;
    for (let c = S - 1; c >= 0; c--) {
      let v = A[c][S];
      for (let q = c + 1; q < S; q++) v -= A[c][q] * A[q][S];
      A[c][S] = v / A[c][c];
      y[c] += A[c][S];
      size = Math.max(size, Math.abs(A[c][S]) / (1 + Math.abs(y[c])));
    }
    if (!(size < Infinity)) break;
    if (size < 1e-12) return;
  }
  throw new DeclarationError(
    `neuron model "${model.name}": startAtRest: Newton's method did not converge from the declared initial values (got ${[...y].join(', ')})`,
  );
}

/** The threshold (spike RHS) for the given parameter values. */
export function spikeThreshold(model: NeuronModel, values: Readonly<Record<string, number>>): number {
  return evaluate(model.spikeRhs, (s) => values[s]);
}
