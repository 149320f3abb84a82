/**
 * The generic spiking kernels' input: one neuron's discrete step as expressions (a StepDefinition,
 * derived from a neuron declaration by src/neurons/derive.ts), and the same step compiled — its
 * symbolic partial derivatives taken and everything rendered to JavaScript — as a StepProgram.
 *
 * One step of the template every generic kernel runs (SpikingJelly's charge / fire / reset):
 *   h = charge(y[t−1], x[t], p)                       (S states)
 *   s[t] = H(h_v − θ(p))   (or the surrogate primitive in smooth mode)
 *   y[t]_k = s·reset_k(h, p) + (1 − s)·h_k            for the states a spike resets, else h_k
 * BPTT needs ∂charge/∂y, ∂charge/∂x, ∂charge/∂p, ∂reset/∂h, ∂reset/∂p and ∂θ/∂p: derived here.
 *
 * A unit (a small circuit of neurons, e.g. the study's s-LIF2HH: three input LIFs and a fourth
 * they drive) is the same template with C input currents and K spike rules, each spike comparing
 * its own voltage state with its own threshold and resetting its own states; the output carries
 * the K spike trains. The single-rule fields below describe the first rule and input.
 */
import type { Expr } from '../../symbolic/expr.js';
import { derivative, jsFunction, key, renderJs, symbols } from '../../symbolic/expr.js';
import { batchInvariantStates } from './invariant.js';

export interface StepDefinition {
  /** Model name (errors, caches). */
  readonly name: string;
  readonly states: readonly string[];
  /** Per-neuron parameter slots, in kernel order (a continuous model's step size `dt` is one). */
  readonly params: readonly string[];
  /** The input current's name in the expressions. */
  readonly input: string;
  /** Index of the voltage state (the spike compares it with θ). */
  readonly voltage: number;
  /** New value of each state from the previous states, the input and the parameters. */
  readonly charge: readonly Expr[];
  /** θ over parameters. */
  readonly threshold: Expr;
  /** Spike when h_v ≥ θ (true) or h_v > θ (false). */
  readonly inclusive: boolean;
  /** Reset values (over the charged states, named as the states, and parameters), by state index. */
  readonly reset: ReadonlyMap<number, Expr>;
  /** A unit's input currents, in the order of the input's blocks (default: [input]). */
  readonly inputs?: readonly string[];
  /** A unit's spike rules, in the order of the output's blocks (default: the rule above). */
  readonly spikes?: readonly SpikeRule[];
}

/** One spike rule: s = H(h_voltage − θ) (≥ when inclusive), then its reset states are reset. */
export interface SpikeRule {
  readonly voltage: number;
  readonly threshold: Expr;
  readonly inclusive: boolean;
  readonly reset: ReadonlyMap<number, Expr>;
}

/** The input currents of a definition (one unless it is a unit). */
export function inputsOf(def: StepDefinition): readonly string[] {
  return def.inputs ?? [def.input];
}

/** The spike rules of a definition (one unless it is a unit). */
export function spikesOf(def: StepDefinition): readonly SpikeRule[] {
  return (
    def.spikes ?? [
      { voltage: def.voltage, threshold: def.threshold, inclusive: def.inclusive, reset: def.reset },
    ]
  );
}

/** x: the input current, or a unit's C input currents. */
type Fn4 = (a: Float64Array, x: number | Float64Array, p: Float64Array, out: Float64Array) => void;
type Fn3 = (a: Float64Array, p: Float64Array, out: Float64Array) => void;

/** A StepDefinition compiled for a set of parameters that receive gradients. */
export interface StepProgram {
  readonly definition: StepDefinition;
  readonly S: number;
  readonly P: number;
  /** Input currents C and spike rules K (1 and 1 but for a unit). */
  readonly C: number;
  readonly K: number;
  /** Per state: the spike rule that resets it, or −1. */
  readonly resetSpike: readonly number[];
  /** Parameter slots whose gradients are derived (others are constants for BPTT). */
  readonly learnable: readonly number[];
  /** States a spike resets, ascending. */
  readonly resetStates: readonly number[];
  /**
   * Batch-invariant states (invariant.ts), ascending: computed once per neuron for the batch and
   * saved once per neuron. Empty when compiled with `hoist: false`.
   */
  readonly invariant: readonly number[];
  /** The other states, ascending: computed and saved per sample. */
  readonly varying: readonly number[];
  /** h_k = charge_k(y, p) for the invariant states k only (they read no input). */
  readonly chargeInvariant: Fn3;
  /** h_k = charge_k(y, x, p) for the varying states k only. */
  readonly chargeVarying: Fn4;
  /** The chargePartials rows of the invariant states (same slots; ∂/∂x is 0 there). */
  readonly chargePartialsInvariant: Fn3;
  /** The chargePartials rows of the varying states. */
  readonly chargePartialsVarying: Fn4;
  /** h = charge(y, x, p). */
  readonly charge: Fn4;
  /** out[k] = θ_k(p) for each spike rule k. */
  readonly threshold: (p: Float64Array, out: Float64Array) => void;
  /** out[k] = reset_k(h, p) for the reset states (other slots untouched). */
  readonly reset: Fn3;
  /**
   * Partials of charge at (y, x, p), into out (length chargePartialsLength; slots never written
   * stay as the caller left them, so zero it once): [S·S] ∂h_k/∂y_j at k·S + j, then [S·C]
   * ∂h_k/∂x_c at k·C + c, then [S·P] ∂h_k/∂p_q at k·P + q (learnable q only).
   */
  readonly chargePartials: Fn4;
  readonly chargePartialsLength: number;
  /** Partials of the reset at (h, p): [S·S] ∂r_k/∂h_j (reset rows only), then [S·P] ∂r_k/∂p_q. */
  readonly resetPartials: Fn3;
  readonly resetPartialsLength: number;
  /** out[k·P + q] = ∂θ_k/∂p_q (learnable q). */
  readonly thresholdPartials: (p: Float64Array, out: Float64Array) => void;
  /** Identifies the compiled step (definition and learnable set), for kernel caches. */
  readonly key: string;
  /**
   * The key without the learnable set: programs of one family compute the same outputs and input
   * gradients, so a kernel compiled with learnable set L also serves any subset of L (it computes
   * gradients nobody asked for only when some are asked for).
   */
  readonly family: string;
  /** The JavaScript source of the functions above (docs, debugging). */
  readonly source: string;
  /** The expressions behind each function, with the output slot of each (other renderers). */
  readonly parts: Readonly<
    Record<StepPart, { readonly exprs: readonly Expr[]; readonly at: readonly number[] }>
  >;
}

export type StepPart =
  | 'charge'
  | 'threshold'
  | 'reset'
  | 'chargePartials'
  | 'resetPartials'
  | 'thresholdPartials'
  | 'chargeInvariant'
  | 'chargeVarying'
  | 'chargePartialsInvariant'
  | 'chargePartialsVarying';

export interface CompileOptions {
  /** Hoist the batch-invariant states out of the per-sample loop (default true). */
  hoist?: boolean;
}

/**
 * Length of the saved buffer of a forward: [T][B·N][Sv] for the varying states (in `varying`
 * order), then [T][Si][N] for the invariant ones (one row per neuron, shared by the batch). With
 * no invariant states this is the plain [T][B·N][S].
 */
export function savedLength(prog: StepProgram, steps: number, batch: number, neurons: number): number {
  return steps * neurons * (batch * prog.varying.length + prog.invariant.length);
}

/**
 * Whether backward reads the forward's input: some partial, the reset or the threshold names it.
 * (The input's own gradient needs ∂h/∂x, not x: a model affine in its input never reads it.)
 */
export function backwardReadsInput(prog: StepProgram): boolean {
  const inputs = inputsOf(prog.definition);
  const parts: StepPart[] = ['chargePartials', 'resetPartials', 'reset', 'threshold', 'thresholdPartials'];
  return parts.some((part) => prog.parts[part].exprs.some((e) => inputs.some((x) => symbols(e).has(x))));
}

export class StepProgramError extends Error {
  override name = 'StepProgramError';
}

/**
 * Checks a definition's names and derives its partials. `learnable` names the parameters that
 * need gradients; a derivative that does not exist (step(), a second derivative of exprel) is an
 * error naming the model, the expression and the variable.
 */
export function compileStep(
  def: StepDefinition,
  learnable: readonly string[] = [],
  opts: CompileOptions = {},
): StepProgram {
  const { states, params } = def;
  const inputs = inputsOf(def);
  const spikes = spikesOf(def);
  const S = states.length;
  const P = params.length;
  const C = inputs.length;
  const K = spikes.length;
  const fail = (msg: string): never => {
    throw new StepProgramError(`neuron model "${def.name}": ${msg}`);
  };
  const stateIdx = new Map(states.map((s, k) => [s, k]));
  const paramIdx = new Map(params.map((s, q) => [s, q]));
  const inputIdx = new Map(inputs.map((s, c) => [s, c]));
  if (C === 0 || K === 0) fail('a unit needs at least one input and one spike rule');
  if (inputIdx.size !== C || inputs.some((n) => stateIdx.has(n) || paramIdx.has(n)))
    fail(`the inputs ${inputs.join(', ')} must be distinct names, neither states nor parameters`);
  const first = spikes[0];
  if (
    first.voltage !== def.voltage ||
    first.inclusive !== def.inclusive ||
    key(first.threshold) !== key(def.threshold) ||
    first.reset !== def.reset ||
    inputs[0] !== def.input
  )
    fail(
      'the single-rule fields (input, voltage, threshold, inclusive, reset) must be the first input and rule',
    );
  const check = (e: Expr, allowed: (s: string) => boolean, what: string): void => {
    for (const s of symbols(e)) if (!allowed(s)) fail(`${what} reads "${s}", which is not defined there`);
  };
  def.charge.forEach((e, k) =>
    check(e, (s) => stateIdx.has(s) || paramIdx.has(s) || inputIdx.has(s), `the step of ${states[k]}`),
  );
  // Each state is reset by one rule at most (its spike decides the blend).
  const resetSpike = states.map(() => -1);
  const resetExpr = new Map<number, Expr>();
  spikes.forEach((rule, r) => {
    const what = K > 1 ? ` of spike rule ${r + 1}` : '';
    if (!(rule.voltage >= 0 && rule.voltage < S)) fail(`the voltage${what} is not a state`);
    check(rule.threshold, (s) => paramIdx.has(s), `the threshold${what}`);
    for (const [k, e] of rule.reset) {
      if (resetSpike[k] >= 0) fail(`${states[k]} is reset by spike rules ${resetSpike[k] + 1} and ${r + 1}`);
      check(e, (s) => stateIdx.has(s) || paramIdx.has(s), `the reset of ${states[k]}`);
      resetSpike[k] = r;
      resetExpr.set(k, e);
    }
  });
  const learn = learnable.map((n) => {
    const q = paramIdx.get(n);
    if (q === undefined) return fail(`"${n}" is not a parameter (parameters: ${params.join(', ')})`);
    return q;
  });

  const d = (e: Expr, x: string, what: string): Expr => {
    try {
      return derivative(e, x);
    } catch (err) {
      return fail(`${what} has no derivative with respect to ${x}: ${(err as Error).message}`);
    }
  };
  const sym = (prefix: string) => (s: string) => {
    const k = stateIdx.get(s);
    if (k !== undefined) return `${prefix}[${k}]`;
    const q = paramIdx.get(s);
    if (q !== undefined) return `p[${q}]`;
    return C === 1 ? 'x' : `x[${inputIdx.get(s)}]`;
  };
  const resetStates = [...resetExpr.keys()].sort((a, b) => a - b);

  // Sparse outputs: only nonzero partials are written.
  const slots = (entries: [number, Expr][]): { exprs: Expr[]; at: number[] } => {
    const nz = entries.filter(([, e]) => !(e.op === 'num' && e.value === 0));
    return { exprs: nz.map(([, e]) => e), at: nz.map(([i]) => i) };
  };
  const chargeEntries: [number, Expr][] = [];
  def.charge.forEach((e, k) => {
    const what = `the step of ${states[k]}`;
    states.forEach((s, j) => chargeEntries.push([k * S + j, d(e, s, what)]));
    inputs.forEach((x, c) => chargeEntries.push([S * S + k * C + c, d(e, x, what)]));
    for (const q of learn) chargeEntries.push([S * S + S * C + k * P + q, d(e, params[q], what)]);
  });
  const resetEntries: [number, Expr][] = [];
  for (const k of resetStates) {
    const e = resetExpr.get(k) as Expr;
    const what = `the reset of ${states[k]}`;
    states.forEach((s, j) => resetEntries.push([k * S + j, d(e, s, what)]));
    for (const q of learn) resetEntries.push([S * S + k * P + q, d(e, params[q], what)]);
  }
  const thEntries: [number, Expr][] = spikes.flatMap((rule, r) =>
    learn.map((q): [number, Expr] => [r * P + q, d(rule.threshold, params[q], 'the threshold')]),
  );
  // A unit's states are not hoisted (every state there belongs to some spiking neuron).
  const invariant = (opts.hoist ?? true) && C === 1 && K === 1 ? batchInvariantStates(def) : [];
  const isInv = new Set(invariant);
  const varying = states.map((_, k) => k).filter((k) => !isInv.has(k));
  // The state (row) a chargePartials slot belongs to.
  const rowOf = (at: number): number =>
    at < S * S
      ? Math.floor(at / S)
      : at < S * S + S * C
        ? Math.floor((at - S * S) / C)
        : Math.floor((at - S * S - S * C) / P);

  const body = (
    list: { readonly exprs: readonly Expr[]; readonly at: readonly number[] },
    prefix: string,
  ): string => renderJs(list.exprs, sym(prefix), (i, code) => `out[${list.at[i]}] = ${code};`);
  const all = (exprs: readonly Expr[], at: readonly number[]) => ({ exprs: [...exprs], at: [...at] });
  const parts: StepProgram['parts'] = {
    charge: all(
      def.charge,
      states.map((_, k) => k),
    ),
    threshold: all(
      spikes.map((rule) => rule.threshold),
      spikes.map((_, r) => r),
    ),
    reset: all(
      resetStates.map((k) => resetExpr.get(k) as Expr),
      resetStates,
    ),
    chargePartials: slots(chargeEntries),
    resetPartials: slots(resetEntries),
    thresholdPartials: slots(thEntries),
    chargeInvariant: all(
      invariant.map((k) => def.charge[k]),
      invariant,
    ),
    chargeVarying: all(
      varying.map((k) => def.charge[k]),
      varying,
    ),
    chargePartialsInvariant: slots(chargeEntries.filter(([at]) => isInv.has(rowOf(at)))),
    chargePartialsVarying: slots(chargeEntries.filter(([at]) => !isInv.has(rowOf(at)))),
  };
  const src = Object.fromEntries(Object.entries(parts).map(([k, v]) => [k, body(v, 'y')])) as Record<
    StepPart,
    string
  >;
  const make = jsFunction;
  const family = `${definitionKey(def)}${invariant.length > 0 ? `|hoist:${invariant.join(',')}` : ''}`;
  return {
    definition: def,
    key: `${family}|learn:${learn.join(',')}`,
    family,
    S,
    P,
    C,
    K,
    resetSpike,
    learnable: learn,
    resetStates,
    invariant,
    varying,
    charge: make<Fn4>('y, x, p, out', src.charge),
    chargeInvariant: make<Fn3>('y, p, out', src.chargeInvariant),
    chargeVarying: make<Fn4>('y, x, p, out', src.chargeVarying),
    chargePartialsInvariant: make<Fn3>('y, p, out', src.chargePartialsInvariant),
    chargePartialsVarying: make<Fn4>('y, x, p, out', src.chargePartialsVarying),
    threshold: make<(p: Float64Array, out: Float64Array) => void>('p, out', src.threshold),
    reset: make<Fn3>('y, p, out', src.reset),
    chargePartials: make<Fn4>('y, x, p, out', src.chargePartials),
    chargePartialsLength: S * S + S * C + S * P,
    resetPartials: make<Fn3>('y, p, out', src.resetPartials),
    resetPartialsLength: S * S + S * P,
    thresholdPartials: make<(p: Float64Array, out: Float64Array) => void>('p, out', src.thresholdPartials),
    source: Object.entries(src)
      .map(([k, v]) => `// ${k}\n${v}`)
      .join('\n'),
    parts,
  };
}

/** A cache key of a definition (the structure of its expressions). */
function definitionKey(def: StepDefinition): string {
  return JSON.stringify([
    def.name,
    def.states,
    def.params,
    def.input,
    def.voltage,
    def.charge.map(key),
    key(def.threshold),
    def.inclusive,
    [...def.reset].map(([k, e]) => [k, key(e)]),
    def.inputs ?? null,
    def.spikes?.map((r) => [
      r.voltage,
      key(r.threshold),
      r.inclusive,
      [...r.reset].map(([k, e]) => [k, key(e)]),
    ]) ?? null,
  ]);
}
