/** One part of a StepProgram rendered as a scalar float64 AssemblyScript function. */
import type { Expr } from '../../symbolic/expr.js';
import { renderJs } from '../../symbolic/expr.js';
import type { StepPart, StepProgram } from '../spiking/program.js';

/** Float literals always carry a decimal point, so AssemblyScript types them f64. */
function f64Literal(v: number): string {
  if (!Number.isFinite(v)) throw new RangeError(`cannot render ${v} as a float literal`);
  const s = String(v);
  return /[.eE]/.test(s) ? s : `${s}.0`;
}

/** One part of a program as a function `(A, X, PP, O)` writing its outputs at O. */
export function renderPart(prog: StepProgram, part: StepPart, name: string): string {
  const { states, params } = prog.definition;
  const { exprs, at } = prog.parts[part];
  const sym = (s: string): string => {
    const k = states.indexOf(s);
    if (k >= 0) return `load<f64>(A, ${k * 8})`;
    const q = params.indexOf(s);
    if (q >= 0) return `load<f64>(PP, ${q * 8})`;
    return 'X';
  };
  const body = renderJs(
    exprs as Expr[],
    sym,
    (i, code) => `store<f64>(O, ${code}, ${at[i] * 8});`,
    'R.',
    f64Literal,
  );
  return `@inline function ${name}(A: usize, X: f64, PP: usize, O: usize): void {\n${indent(body)}\n}`;
}

export const indent = (s: string): string =>
  s
    .split('\n')
    .map((l) => `  ${l}`)
    .join('\n');

/**
 * The pieces both scalar renderers (declared-source.ts, and declared-hoisted-source.ts for
 * programs with batch-invariant states) emit alike: part names, the spike, the reset blend, the
 * per-neuron loads, and the adjoint of the spike and reset at one backward step.
 */
export function scalarSnippets(prog: StepProgram, suffix: string) {
  const { S, P, learnable, resetStates } = prog;
  const V = prog.definition.voltage;
  const incl = prog.definition.inclusive;
  const SS = S * S;
  const fn = (part: StepPart): string => `${part}${suffix}`;
  const lq = (body: (q: number) => string): string => learnable.map(body).join('\n');
  const spike = `(smooth ? surrogatePrimitive(kind, sp, hv - th) : (hv - th ${incl ? '>=' : '>'} 0.0 ? 1.0 : 0.0))`;
  // y = s·reset(h) + (1 − s)·h on the reset states (RR holds reset(h)).
  const blend = (H: string, s: string): string =>
    [
      `memory.copy(Y, ${H}, ${S * 8});`,
      ...(resetStates.length > 0 ? [`${fn('reset')}(${H}, 0.0, PP, RR);`] : []),
      ...resetStates.map(
        (k) =>
          `store<f64>(Y, ${s} * load<f64>(RR, ${k * 8}) + (1.0 - ${s}) * load<f64>(${H}, ${k * 8}), ${k * 8});`,
      ),
    ].join('\n');
  const loadParams = `for (let q = 0; q < ${P}; q++) store<f64>(PP + (<usize>q << 3), <f64>load<f32>(PRM + ((<usize>q * <usize>N + <usize>j) << 2)));`;
  const loadInit = `memory.copy(Y, INIT + <usize>j * ${S * 8}, ${S * 8});`;
  // Backward at step t, with h[t] in H: DH = λ plus what the spike and the reset send back into
  // h[t] (and into the learnable parameters' gradient GP).
  const resetAdjoint = resetStates
    .map(
      (k) => `{
  const lk = load<f64>(LAM, ${k * 8});
  if (!detachReset) dLds += lk * (load<f64>(RR, ${k * 8}) - load<f64>(H, ${k * 8}));
  store<f64>(DH, load<f64>(DH, ${k * 8}) - s * lk, ${k * 8});
  const sl = s * lk;
  if (sl != 0.0) {
    for (let m = 0; m < ${S}; m++) store<f64>(DH + (<usize>m << 3), load<f64>(DH + (<usize>m << 3)) + sl * load<f64>(RP + (<usize>(${k * S} + m) << 3)));
    ${lq((q) => `store<f64>(GP, load<f64>(GP, ${q * 8}) + sl * load<f64>(RP, ${(SS + k * P + q) * 8}), ${q * 8});`)}
  }
}`,
    )
    .join('\n');
  const spikeAdjoint = [
    `const hv = load<f64>(H, ${V * 8});`,
    `const s: f64 = ${spike};`,
    'const sg = surrogateGrad(kind, sp, hv - th);',
    'const g: f64 = rate ? <f64>load<f32>(GOUT + (<usize>i << 2)) * invT : <f64>load<f32>(GOUT + ((<usize>t * <usize>BN + <usize>i) << 2));',
    // A voltage output's gradient enters h_v directly; the spike then only feeds the reset.
    'let dLds: f64 = volt ? 0.0 : g;',
    `memory.copy(DH, LAM, ${S * 8});`,
    ...(resetStates.length > 0
      ? [`${fn('reset')}(H, 0.0, PP, RR);`, `${fn('resetPartials')}(H, 0.0, PP, RP);`, resetAdjoint]
      : []),
    'const ds = dLds * sg;',
    `store<f64>(DH, load<f64>(DH, ${V * 8}) + ds, ${V * 8});`,
    `if (volt) store<f64>(DH, load<f64>(DH, ${V * 8}) + g, ${V * 8});`,
    lq((q) => `store<f64>(GP, load<f64>(GP, ${q * 8}) - ds * load<f64>(DTH, ${q * 8}), ${q * 8});`),
  ].join('\n');
  return { fn, lq, spike, blend, loadParams, loadInit, spikeAdjoint };
}
