/**
 * Renders a StepProgram (spiking/program.ts) as AssemblyScript: the step's expressions and their
 * derived partials as straight-line functions, inside one template of the generic forward and
 * BPTT drivers — the same algorithm, order of operations and float32 rounding points as the
 * reference (spiking/reference.ts), in float64 arithmetic. One module may hold several programs
 * (each under its own suffix).
 *
 * Memory: every pointer argument is a byte offset into the module's (imported) memory, laid out
 * by the host (declared.ts): f32 input/output/saved/gradient buffers, parameters [P][N] f32, the
 * initial state [N][S] f64, parameter gradients [P][N] f64, and f64 scratch.
 */
import type { StepProgram } from '../spiking/program.js';
import { renderPart, scalarSnippets } from './declared-part.js';
import { renderHoisted } from './declared-hoisted-source.js';
import { SIMD_RUNTIME_SOURCE, renderSimdProgram, simdSupported } from './declared-simd-source.js';

/** The helpers the rendered expressions call as R.name(…), and the surrogates. */
export const RUNTIME_SOURCE = `
namespace R {
  // @ts-ignore: decorator
  @inline export function exp(x: f64): f64 { return Math.exp(x); }
  // @ts-ignore: decorator
  @inline export function expm1(x: f64): f64 { return Math.expm1(x); }
  // @ts-ignore: decorator
  @inline export function log(x: f64): f64 { return Math.log(x); }
  // @ts-ignore: decorator
  @inline export function log1p(x: f64): f64 { return Math.log1p(x); }
  // @ts-ignore: decorator
  @inline export function sqrt(x: f64): f64 { return Math.sqrt(x); }
  // @ts-ignore: decorator
  @inline export function tanh(x: f64): f64 { return Math.tanh(x); }
  // @ts-ignore: decorator
  @inline export function sin(x: f64): f64 { return Math.sin(x); }
  // @ts-ignore: decorator
  @inline export function cos(x: f64): f64 { return Math.cos(x); }
  // @ts-ignore: decorator
  @inline export function abs(x: f64): f64 { return Math.abs(x); }
  // @ts-ignore: decorator
  @inline export function min(a: f64, b: f64): f64 { return Math.min(a, b); }
  // @ts-ignore: decorator
  @inline export function max(a: f64, b: f64): f64 { return Math.max(a, b); }
  // @ts-ignore: decorator
  @inline export function step(x: f64): f64 { return x > 0 ? 1.0 : 0.0; }
  // @ts-ignore: decorator
  @inline export function sigmoid(x: f64): f64 { return 1.0 / (1.0 + Math.exp(-x)); }
  export function exprel(x: f64): f64 {
    return Math.abs(x) < 1e-6 ? 1.0 + x / 2.0 + (x * x) / 6.0 : Math.expm1(x) / x;
  }
  export function exprel_d(x: f64): f64 {
    if (Math.abs(x) < 1e-3) return 0.5 + x / 3.0 + (x * x) / 8.0 + (x * x * x) / 30.0;
    return (x * Math.exp(x) - Math.expm1(x)) / (x * x);
  }
}

function surrogateGrad(kind: i32, p: f64, x: f64): f64 {
  if (kind == 0) return x > -p && x < p ? 1.0 : 0.0;
  if (kind == 1) {
    const s = 1.0 / (1.0 + Math.exp(-p * x));
    return p * s * (1.0 - s);
  }
  if (kind == 2) {
    const z = (Math.PI * p * x) / 2.0;
    return p / 2.0 / (1.0 + z * z);
  }
  const d = 1.0 + p * Math.abs(x);
  return p / 2.0 / (d * d);
}

function surrogatePrimitive(kind: i32, p: f64, x: f64): f64 {
  if (kind == 0) return x <= -p ? 0.0 : x >= p ? 2.0 * p : x + p;
  if (kind == 1) return 1.0 / (1.0 + Math.exp(-p * x));
  if (kind == 2) return 0.5 + Math.atan((Math.PI * p * x) / 2.0) / Math.PI;
  return 0.5 + (0.5 * p * x) / (1.0 + p * Math.abs(x));
}
`;

/** The AssemblyScript of one program's kernels, exported as forward<suffix> and backward<suffix>. */
export function renderProgram(prog: StepProgram, suffix: string): string {
  if (prog.invariant.length > 0) return renderHoisted(prog, suffix);
  const { S, P } = prog;
  const V = prog.definition.voltage;
  const SS = S * S;
  const { fn, lq, spike, blend, loadParams, loadInit, spikeAdjoint } = scalarSnippets(prog, suffix);
  const parts = (
    ['charge', 'threshold', 'reset', 'chargePartials', 'resetPartials', 'thresholdPartials'] as const
  )
    .map((p) => renderPart(prog, p, fn(p)))
    .join('\n\n');
  return `
${parts}

export function forward${suffix}(
  B: i32, N: i32, T: i32, tv: i32, Rr: i32, om: i32, smooth: i32, kind: i32, sp: f64,
  IN: usize, OUT: usize, SAVED: usize, PRM: usize, INIT: usize, SCR: usize, i0: i32, i1: i32,
): void {
  const rate = om & 1;
  const volt = om & 2;
  const Y = SCR;
  const H = Y + ${S * 8};
  const RR = H + ${S * 8};
  const PP = RR + ${S * 8};
  const TH = PP + ${P * 8};
  const BN = B * N;
  for (let i = i0; i < i1; i++) {
    const j = i % N;
    ${loadParams}
    ${loadInit}
    ${fn('threshold')}(PP, 0.0, PP, TH);
    const th = load<f64>(TH);
    let acc: f64 = 0.0;
    let x: f64 = <f64>load<f32>(IN + (<usize>i << 2));
    let xo = i;
    let left = 0;
    for (let t = 0; t < T; t++) {
      if (tv && left-- == 0) {
        x = <f64>load<f32>(IN + (<usize>xo << 2));
        xo += BN;
        left = Rr - 1;
      }
      ${fn('charge')}(Y, x, PP, H);
      if (!smooth) for (let k = 0; k < ${S}; k++) store<f64>(H + (<usize>k << 3), <f64><f32>load<f64>(H + (<usize>k << 3)));
      if (SAVED) {
        const o = SAVED + ((<usize>t * <usize>BN + <usize>i) * ${S * 4});
        for (let k = 0; k < ${S}; k++) store<f32>(o + (<usize>k << 2), <f32>load<f64>(H + (<usize>k << 3)));
      }
      const hv = load<f64>(H, ${V * 8});
      const s: f64 = ${spike};
      const o: f64 = volt ? hv : s;
      if (rate) acc += o;
      else store<f32>(OUT + ((<usize>t * <usize>BN + <usize>i) << 2), <f32>o);
      ${blend('H', 's').split('\n').join('\n      ')}
    }
    if (rate) store<f32>(OUT + (<usize>i << 2), <f32>(acc / <f64>T));
  }
}

export function backward${suffix}(
  B: i32, N: i32, T: i32, tv: i32, Rr: i32, om: i32, smooth: i32, kind: i32, sp: f64, detachReset: i32,
  IN: usize, SAVED: usize, GOUT: usize, GIN: usize, PRM: usize, INIT: usize, GPRM: usize, SCR: usize, i0: i32, i1: i32,
): void {
  const rate = om & 1;
  const volt = om & 2;
  const Y = SCR;
  const H = Y + ${S * 8};
  const HP = H + ${S * 8};
  const RR = HP + ${S * 8};
  const LAM = RR + ${S * 8};
  const DH = LAM + ${S * 8};
  const PP = DH + ${S * 8};
  const TH = PP + ${P * 8};
  const DTH = TH + 8;
  const CP = DTH + ${P * 8};
  const RP = CP + ${prog.chargePartialsLength * 8};
  const GP = RP + ${prog.resetPartialsLength * 8};
  const GX = GP + ${P * 8};
  const BN = B * N;
  const frames = tv ? T / Rr : 1;
  const invT = 1.0 / <f64>T;
  memory.fill(CP, 0, ${(prog.chargePartialsLength + prog.resetPartialsLength + P) * 8});
  memory.fill(DTH, 0, ${P * 8});
  for (let i = i0; i < i1; i++) {
    const j = i % N;
    ${loadParams}
    ${fn('threshold')}(PP, 0.0, PP, TH);
    ${fn('thresholdPartials')}(PP, 0.0, PP, DTH);
    const th = load<f64>(TH);
    memory.fill(LAM, 0, ${S * 8});
    memory.fill(GP, 0, ${P * 8});
    memory.fill(GX, 0, <usize>frames << 3);
    for (let t = T - 1; t >= 0; t--) {
      const at = SAVED + ((<usize>t * <usize>BN + <usize>i) * ${S * 4});
      for (let k = 0; k < ${S}; k++) store<f64>(H + (<usize>k << 3), <f64>load<f32>(at + (<usize>k << 2)));
      if (t == 0) {
        ${loadInit}
      } else {
        const ap = at - <usize>BN * ${S * 4};
        for (let k = 0; k < ${S}; k++) store<f64>(HP + (<usize>k << 3), <f64>load<f32>(ap + (<usize>k << 2)));
        const hv = load<f64>(HP, ${V * 8});
        const sPrev: f64 = ${spike};
        ${blend('HP', 'sPrev').split('\n').join('\n        ')}
      }
      ${spikeAdjoint.split('\n').join('\n      ')}
      const xi = tv ? (t / Rr) * BN + i : i;
      const x = <f64>load<f32>(IN + (<usize>xi << 2));
      ${fn('chargePartials')}(Y, x, PP, CP);
      let gxt: f64 = 0.0;
      for (let k = 0; k < ${S}; k++) gxt += load<f64>(DH + (<usize>k << 3)) * load<f64>(CP + (<usize>(${SS} + k) << 3));
      const frame: i32 = tv ? t / Rr : 0;
      const gxAt = GX + (<usize>frame << 3);
      store<f64>(gxAt, load<f64>(gxAt) + gxt);
      ${lq(
        (q) => `{
        let g: f64 = 0.0;
        for (let k = 0; k < ${S}; k++) g += load<f64>(DH + (<usize>k << 3)) * load<f64>(CP + (<usize>(${SS + S + q} + k * ${P}) << 3));
        store<f64>(GP, load<f64>(GP, ${q * 8}) + g, ${q * 8});
      }`,
      )}
      for (let m = 0; m < ${S}; m++) {
        let g: f64 = 0.0;
        for (let k = 0; k < ${S}; k++) g += load<f64>(DH + (<usize>k << 3)) * load<f64>(CP + (<usize>(k * ${S} + m) << 3));
        store<f64>(LAM + (<usize>m << 3), g);
      }
    }
    if (GIN) for (let f = 0; f < frames; f++) {
      const o = GIN + ((<usize>f * <usize>BN + <usize>i) << 2);
      store<f32>(o, <f32>(<f64>load<f32>(o) + load<f64>(GX + (<usize>f << 3))));
    }
    ${lq((q) => `{ const o = GPRM + ((<usize>${q} * <usize>N + <usize>j) << 3); store<f64>(o, load<f64>(o) + load<f64>(GP, ${q * 8})); }`)}
  }
}
`;
}

/**
 * The f64 scratch bytes forward and backward of a program need for `frames` input frames, and
 * with invariant states their float64 table [T][Si][N] (trajectories, then batch-summed adjoints).
 */
export function scratchBytes(prog: StepProgram, frames: number, steps: number, neurons: number): number {
  const table = prog.invariant.length * steps * neurons;
  return (
    8 * (6 * prog.S + 3 * prog.P + 2 + prog.chargePartialsLength + prog.resetPartialsLength + frames + table)
  );
}

/** The kinds of generated module: scalar float64 kernels, or float32 SIMD kernels. */
export type ModuleKind = 'scalar' | 'simd';

/**
 * A whole module of the given kind for the programs (suffixed _0, _1, …): scalar modules export
 * forward_i / backward_i (the reference's arithmetic; they own static data: libm tables), SIMD
 * modules forwardV_i / backwardV_i and setExpConstants (no static data: they run on the backend's
 * memory). A program without SIMD support (simdSupported) gets stubs in a SIMD module that are
 * never called.
 */
export function renderModule(programs: readonly StepProgram[], kind: ModuleKind): string {
  // A unit (several inputs or spike rules) has no scalar kernels (declared.ts runs its SIMD ones).
  if (kind === 'scalar')
    return [
      RUNTIME_SOURCE,
      ...programs.map((p, i) => (p.C > 1 || p.K > 1 ? '' : renderProgram(p, `_${i}`))),
    ].join('\n');
  return [
    SIMD_RUNTIME_SOURCE,
    ...programs.map((p, i) => (simdSupported(p) ? renderSimdProgram(p, `_${i}`) : '')),
  ].join('\n');
}
