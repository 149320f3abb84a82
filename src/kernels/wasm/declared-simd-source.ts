/**
 * Renders a StepProgram as float32 SIMD AssemblyScript: four neurons per f32x4 vector, every
 * state, partial and adjoint in a local (no memory traffic inside the time loop), the zero
 * partials dropped at render time (the unrolled Jacobian products keep only the nonzero terms),
 * and every subexpression that reads parameters only computed once per group of four neurons,
 * outside the time loop. Same algorithm as the reference (spiking/reference.ts) in float32, so
 * results agree with it to float32 rounding; spike decisions agree between this forward and
 * backward (both decide on the same float32 states).
 *
 * Exports forwardV<suffix>(…, i0, i1, phase) and backwardV<suffix>(…, i0, i1, phase) over flat
 * neurons [i0, i1), a multiple of 4 apart (the host runs any remainder through the scalar
 * kernels), and forwardVS / backwardVS, the same specialised for a static input, hard spikes and
 * the rectangular surrogate. `phase` picks their parts (SIMD_PHASE), so that threads can share the
 * per-sample rows of a call while the per-neuron passes around them run once
 * (declared-threads.ts).
 */
import type { Expr } from '../../symbolic/expr.js';
import { key, symbols } from '../../symbolic/expr.js';
import type { StepPart, StepProgram } from '../spiking/program.js';
import { inputsOf, spikesOf } from '../spiking/program.js';
import type { AffineForm } from './declared-affine.js';
import { affineForm } from './declared-affine.js';

/** Float literal as an f32x4 splat (bound once per group by the caller's hoisting). */
function vnum(v: number): string {
  if (!Number.isFinite(v)) throw new RangeError(`cannot render ${v} as a float literal`);
  const s = String(v);
  return `f32x4.splat(${/[.eE]/.test(s) ? s : `${s}.0`})`;
}

const VFN: Record<string, (a: string[]) => string> = {
  exp: ([a]) => `vexp(${a})`,
  expm1: ([a]) => `vexpm1(${a})`,
  sqrt: ([a]) => `f32x4.sqrt(${a})`,
  abs: ([a]) => `f32x4.abs(${a})`,
  min: ([a, b]) => `f32x4.min(${a}, ${b})`,
  max: ([a, b]) => `f32x4.max(${a}, ${b})`,
  sigmoid: ([a]) => `vsigmoid(${a})`,
  tanh: ([a]) => `vtanh(${a})`,
  exprel: ([a]) => `vexprel(${a})`,
  exprel_d: ([a]) => `vexprelD(${a})`,
  step: ([a]) => `v128.and(f32x4.gt(${a}, f32x4.splat(0.0)), f32x4.splat(1.0))`,
  log: ([a]) => `vlanes1(${a}, 0)`,
  log1p: ([a]) => `vlanes1(${a}, 1)`,
};

/**
 * Whether an expression has a SIMD rendering: sin, cos and powers other than small integers (and
 * ½) would need libm tables in static data, which SIMD modules may not have.
 */
export function simdExprSupported(e: Expr): boolean {
  switch (e.op) {
    case 'num':
    case 'sym':
      return true;
    case 'neg':
      return simdExprSupported(e.a);
    case 'call':
      return e.fn !== 'sin' && e.fn !== 'cos' && e.args.every(simdExprSupported);
    case 'pow':
      return (
        e.b.op === 'num' &&
        ((Number.isInteger(e.b.value) && e.b.value >= 2 && e.b.value <= 4) || e.b.value === 0.5) &&
        simdExprSupported(e.a)
      );
    default:
      return simdExprSupported(e.a) && simdExprSupported(e.b);
  }
}

/** Whether a program has a SIMD kernel (simdExprSupported); the others run the scalar kernels. */
export function simdSupported(prog: StepProgram): boolean {
  return Object.values(prog.parts).every((p) => p.exprs.every(simdExprSupported));
}

const VOP = { add: 'f32x4.add', sub: 'f32x4.sub', mul: 'f32x4.mul', div: 'f32x4.div' } as const;

/**
 * Renders expressions to f32x4 code with common subexpressions bound once: those reading only
 * `invariant` names (and constants) into `pre` (once per group), the others into `body` (per
 * step), in dependency order. Returns the code of each output.
 */
export class VectorRenderer {
  readonly pre: string[];
  readonly body: string[] = [];
  private readonly counts = new Map<string, number>();
  private readonly bound = new Map<string, string>();
  private readonly preBound: Map<string, string>;
  private next = 0;

  constructor(
    private readonly name: (sym: string) => string,
    private readonly invariant: (sym: string) => boolean,
    private readonly tag: string,
    /** Bindings of an earlier renderer sharing the same invariants (the same group). */
    shared?: VectorRenderer,
  ) {
    this.preBound = shared ? shared.preBound : new Map();
    this.pre = shared ? shared.pre : [];
  }

  /** Counts the subtrees of everything this renderer will render (call once, before render). */
  prepare(exprs: readonly Expr[]): void {
    const count = (e: Expr): void => {
      if (e.op === 'sym') return;
      const k = key(e);
      const c = (this.counts.get(k) ?? 0) + 1;
      this.counts.set(k, c);
      if (c > 1) return;
      if (e.op === 'neg') count(e.a);
      else if (e.op === 'call') e.args.forEach(count);
      else if (e.op !== 'num') {
        count(e.a);
        count(e.b);
      }
    };
    exprs.forEach(count);
  }

  private isInvariant(e: Expr): boolean {
    switch (e.op) {
      case 'num':
        return true;
      case 'sym':
        return this.invariant(e.name);
      case 'neg':
        return this.isInvariant(e.a);
      case 'call':
        return e.args.every((a) => this.isInvariant(a));
      default:
        return this.isInvariant(e.a) && this.isInvariant(e.b);
    }
  }

  render(e: Expr): string {
    if (e.op === 'sym') return this.name(e.name);
    const k = key(e);
    const inv = this.isInvariant(e);
    const have = inv ? this.preBound.get(k) : this.bound.get(k);
    if (have) return have;
    let code: string;
    switch (e.op) {
      case 'num':
        code = vnum(e.value);
        break;
      case 'neg':
        code = `f32x4.neg(${this.render(e.a)})`;
        break;
      case 'pow': {
        const base = this.render(e.a);
        if (e.b.op === 'num' && Number.isInteger(e.b.value) && e.b.value >= 2 && e.b.value <= 4)
          code = Array(e.b.value - 1)
            .fill(0)
            .reduce((acc: string) => `f32x4.mul(${acc}, ${base})`, base);
        else if (e.b.op === 'num' && e.b.value === 0.5) code = `f32x4.sqrt(${base})`;
        else throw new Error(`no SIMD rendering of x^${this.render(e.b)} (see simdSupported)`);
        break;
      }
      case 'call':
        code = e.fn === 'detach' ? this.render(e.args[0]) : VFN[e.fn](e.args.map((a) => this.render(a)));
        break;
      default:
        code = `${VOP[e.op]}(${this.render(e.a)}, ${this.render(e.b)})`;
    }
    // Invariants are always bound (hoisted); per-step nodes when used more than once.
    if (inv) {
      const t = `c${this.tag}${this.next++}`;
      this.pre.push(`const ${t} = ${code};`);
      this.preBound.set(k, t);
      return t;
    }
    if ((this.counts.get(k) ?? 0) > 1) {
      const t = `t${this.tag}${this.next++}`;
      this.body.push(`const ${t} = ${code};`);
      this.bound.set(k, t);
      return t;
    }
    return code;
  }
}

/** The vector helpers the generated code calls (vmath.ts provides the exp kernels). */
export const SIMD_RUNTIME_SOURCE = `
import { vexpAt, vexpm1At } from './vexp';

// The module owns no static data (it runs on the backend's memory): the exp constants are read
// from the main module's block, whose address (expConstants()) the host sets here.
let KC: usize = 0;
export function setExpConstants(p: usize): void {
  KC = p;
}
// @ts-ignore: decorator
@inline function vexp(x: v128): v128 {
  return vexpAt(x, KC);
}
// @ts-ignore: decorator
@inline function vexpm1(x: v128): v128 {
  return vexpm1At(x, KC);
}

// @ts-ignore: decorator
@inline function vsigmoid(x: v128): v128 {
  return f32x4.div(f32x4.splat(1.0), f32x4.add(f32x4.splat(1.0), vexp(f32x4.neg(x))));
}
// @ts-ignore: decorator
@inline function vtanh(x: v128): v128 {
  // tanh x = expm1(2x)/(expm1(2x) + 2): accurate near 0, saturating for large |x|.
  const e = vexpm1(f32x4.add(x, x));
  return f32x4.div(e, f32x4.add(e, f32x4.splat(2.0)));
}
function vexprel(x: v128): v128 {
  const series = f32x4.add(f32x4.splat(1.0), f32x4.mul(x, f32x4.add(f32x4.splat(0.5), f32x4.mul(x, f32x4.splat(<f32>(1.0 / 6.0))))));
  const small = f32x4.lt(f32x4.abs(x), f32x4.splat(1e-3));
  const safe = v128.bitselect(f32x4.splat(1.0), x, small);
  return v128.bitselect(series, f32x4.div(vexpm1(safe), safe), small);
}
function vexprelD(x: v128): v128 {
  const series = f32x4.add(f32x4.splat(0.5), f32x4.mul(x, f32x4.add(f32x4.splat(<f32>(1.0 / 3.0)), f32x4.mul(x, f32x4.splat(0.125)))));
  const small = f32x4.lt(f32x4.abs(x), f32x4.splat(2e-2));
  const safe = v128.bitselect(f32x4.splat(1.0), x, small);
  const ex = vexp(safe);
  const closed = f32x4.div(f32x4.sub(f32x4.mul(safe, ex), vexpm1(safe)), f32x4.mul(safe, safe));
  return v128.bitselect(series, closed, small);
}
// Lane by lane with the table-free log1p (log x = log1p(x − 1), exact in float64): Mathf.log,
// sin, cos and pow keep tables in static data, which this module may not have.
function lane1(x: f32, fn: i32): f32 {
  if (fn == 0) return <f32>Math.log1p(<f64>x - 1.0);
  return Mathf.log1p(x);
}
function vlanes1(x: v128, fn: i32): v128 {
  let r = f32x4.splat(lane1(f32x4.extract_lane(x, 0), fn));
  r = f32x4.replace_lane(r, 1, lane1(f32x4.extract_lane(x, 1), fn));
  r = f32x4.replace_lane(r, 2, lane1(f32x4.extract_lane(x, 2), fn));
  return f32x4.replace_lane(r, 3, lane1(f32x4.extract_lane(x, 3), fn));
}
/** 4 floats of a [rows][N] f32 array at row-relative neuron indices (i .. i+3) mod N. */
function gatherF32(base: usize, i: i32, N: i32): v128 {
  const j = i % N;
  if (j + 3 < N) return v128.load(base + (<usize>j << 2));
  let r = f32x4.splat(load<f32>(base + (<usize>j << 2)));
  r = f32x4.replace_lane(r, 1, load<f32>(base + (<usize>((i + 1) % N) << 2)));
  r = f32x4.replace_lane(r, 2, load<f32>(base + (<usize>((i + 2) % N) << 2)));
  return f32x4.replace_lane(r, 3, load<f32>(base + (<usize>((i + 3) % N) << 2)));
}
// A unit's blocks: input channel (or output rule) k of flat neuron i = b·N + j in row r (a frame
// or a step) at ((r·B + b)·W + k)·N + j of a [rows][B][W·N] f32 array (W blocks per sample).
// @ts-ignore: decorator
@inline function blockAt(r: i32, i: i32, N: i32, BN: i32, W: i32, k: i32): usize {
  const j = i % N;
  return <usize>(r * W * BN + (i - j) * W + k * N + j) << 2;
}
/** Flat neurons i .. i+3 of block k in row r (lane by lane where they cross a sample). */
function loadBlock(base: usize, r: i32, i: i32, N: i32, BN: i32, W: i32, k: i32): v128 {
  if ((i % N) + 3 < N) return v128.load(base + blockAt(r, i, N, BN, W, k));
  let v = f32x4.splat(load<f32>(base + blockAt(r, i, N, BN, W, k)));
  v = f32x4.replace_lane(v, 1, load<f32>(base + blockAt(r, i + 1, N, BN, W, k)));
  v = f32x4.replace_lane(v, 2, load<f32>(base + blockAt(r, i + 2, N, BN, W, k)));
  return f32x4.replace_lane(v, 3, load<f32>(base + blockAt(r, i + 3, N, BN, W, k)));
}
/** loadBlock with j = i mod N and whether j + 3 < N given (once per group). */
// @ts-ignore: decorator
@inline function blockLoad(base: usize, r: i32, i: i32, j: i32, whole: bool, N: i32, BN: i32, W: i32, k: i32): v128 {
  if (whole) return v128.load(base + (<usize>(r * W * BN + (i - j) * W + k * N + j) << 2));
  return loadBlock(base, r, i, N, BN, W, k);
}
function storeBlock(base: usize, r: i32, i: i32, N: i32, BN: i32, W: i32, k: i32, v: v128): void {
  if ((i % N) + 3 < N) {
    v128.store(base + blockAt(r, i, N, BN, W, k), v);
    return;
  }
  store<f32>(base + blockAt(r, i, N, BN, W, k), f32x4.extract_lane(v, 0));
  store<f32>(base + blockAt(r, i + 1, N, BN, W, k), f32x4.extract_lane(v, 1));
  store<f32>(base + blockAt(r, i + 2, N, BN, W, k), f32x4.extract_lane(v, 2));
  store<f32>(base + blockAt(r, i + 3, N, BN, W, k), f32x4.extract_lane(v, 3));
}
function addBlock(base: usize, r: i32, i: i32, N: i32, BN: i32, W: i32, k: i32, v: v128): void {
  storeBlock(base, r, i, N, BN, W, k, f32x4.add(loadBlock(base, r, i, N, BN, W, k), v));
}
/** Adds lanes of v into a [rows][N] f32 array at neurons (i .. i+3) mod N (lane by lane when they wrap). */
function addF32(base: usize, i: i32, N: i32, v: v128): void {
  const j = i % N;
  if (j + 3 < N) {
    const p = base + (<usize>j << 2);
    v128.store(p, f32x4.add(v128.load(p), v));
    return;
  }
  let p = base + (<usize>j << 2);
  store<f32>(p, load<f32>(p) + f32x4.extract_lane(v, 0));
  p = base + (<usize>((i + 1) % N) << 2);
  store<f32>(p, load<f32>(p) + f32x4.extract_lane(v, 1));
  p = base + (<usize>((i + 2) % N) << 2);
  store<f32>(p, load<f32>(p) + f32x4.extract_lane(v, 2));
  p = base + (<usize>((i + 3) % N) << 2);
  store<f32>(p, load<f32>(p) + f32x4.extract_lane(v, 3));
}
/** 4 floats of a [rows][N] f32 row at neurons (i .. i+3) mod N, j = i mod N precomputed. */
// @ts-ignore: decorator
@inline function tabLoad(base: usize, j: i32, whole: bool, i: i32, N: i32): v128 {
  return whole ? v128.load(base + (<usize>j << 2)) : gatherF32(base, i, N);
}
// @ts-ignore: decorator
@inline function addF32At(base: usize, j: i32, whole: bool, i: i32, N: i32, v: v128): void {
  if (whole) {
    const p = base + (<usize>j << 2);
    v128.store(p, f32x4.add(v128.load(p), v));
  } else addF32(base, i, N, v);
}
/** Stores the lanes of v for neurons j .. min(j + 4, N) − 1 of a [rows][N] f32 array. */
function storeF32(base: usize, j: i32, N: i32, v: v128): void {
  const p = base + (<usize>j << 2);
  if (j + 4 <= N) {
    v128.store(p, v);
    return;
  }
  store<f32>(p, f32x4.extract_lane(v, 0));
  if (j + 1 < N) store<f32>(p + 4, f32x4.extract_lane(v, 1));
  if (j + 2 < N) store<f32>(p + 8, f32x4.extract_lane(v, 2));
}
/** State k of neurons i .. i+3 from an [N][S] f64 array, as f32 lanes. */
function gatherInit(base: usize, i: i32, N: i32, S: i32, k: i32): v128 {
  const j = i % N;
  if (j + 3 < N) {
    // Four consecutive neurons: one index computation.
    const p = base + ((<usize>j * <usize>S + <usize>k) << 3);
    const st = <usize>S << 3;
    let q = f32x4.splat(<f32>load<f64>(p));
    q = f32x4.replace_lane(q, 1, <f32>load<f64>(p + st));
    q = f32x4.replace_lane(q, 2, <f32>load<f64>(p + 2 * st));
    return f32x4.replace_lane(q, 3, <f32>load<f64>(p + 3 * st));
  }
  let r = f32x4.splat(<f32>load<f64>(base + ((<usize>j * <usize>S + <usize>k) << 3)));
  r = f32x4.replace_lane(r, 1, <f32>load<f64>(base + ((<usize>((i + 1) % N) * <usize>S + <usize>k) << 3)));
  r = f32x4.replace_lane(r, 2, <f32>load<f64>(base + ((<usize>((i + 2) % N) * <usize>S + <usize>k) << 3)));
  return f32x4.replace_lane(r, 3, <f32>load<f64>(base + ((<usize>((i + 3) % N) * <usize>S + <usize>k) << 3)));
}
/** State k of 4 consecutive neurons from saved [T][BN][S] f32 at o = &saved[t][i][0]. */
function gatherSaved(o: usize, S: i32, k: i32): v128 {
  const st = <usize>S << 2;
  const p = o + (<usize>k << 2);
  let r = f32x4.splat(load<f32>(p));
  r = f32x4.replace_lane(r, 1, load<f32>(p + st));
  r = f32x4.replace_lane(r, 2, load<f32>(p + 2 * st));
  return f32x4.replace_lane(r, 3, load<f32>(p + 3 * st));
}
function scatterSaved(o: usize, S: i32, k: i32, v: v128): void {
  const st = <usize>S << 2;
  const p = o + (<usize>k << 2);
  store<f32>(p, f32x4.extract_lane(v, 0));
  store<f32>(p + st, f32x4.extract_lane(v, 1));
  store<f32>(p + 2 * st, f32x4.extract_lane(v, 2));
  store<f32>(p + 3 * st, f32x4.extract_lane(v, 3));
}
// @ts-ignore: decorator
@inline function vsurrogateGrad(kind: i32, p: f32, x: v128): v128 {
  const P = f32x4.splat(p);
  if (kind == 0) return v128.and(f32x4.lt(f32x4.abs(x), P), f32x4.splat(1.0));
  if (kind == 1) {
    const s = vsigmoid(f32x4.mul(P, x));
    return f32x4.mul(P, f32x4.mul(s, f32x4.sub(f32x4.splat(1.0), s)));
  }
  if (kind == 2) {
    const z = f32x4.mul(f32x4.splat(<f32>(Math.PI / 2.0) * p), x);
    return f32x4.div(f32x4.splat(p / 2.0), f32x4.add(f32x4.splat(1.0), f32x4.mul(z, z)));
  }
  const d = f32x4.add(f32x4.splat(1.0), f32x4.mul(P, f32x4.abs(x)));
  return f32x4.div(f32x4.splat(p / 2.0), f32x4.mul(d, d));
}
function vatanHalf(x: v128): v128 {
  let r = f32x4.splat(Mathf.atan(f32x4.extract_lane(x, 0)));
  r = f32x4.replace_lane(r, 1, Mathf.atan(f32x4.extract_lane(x, 1)));
  r = f32x4.replace_lane(r, 2, Mathf.atan(f32x4.extract_lane(x, 2)));
  return f32x4.replace_lane(r, 3, Mathf.atan(f32x4.extract_lane(x, 3)));
}
// @ts-ignore: decorator
@inline function vsurrogatePrimitive(kind: i32, p: f32, x: v128): v128 {
  const P = f32x4.splat(p);
  if (kind == 0) return f32x4.min(f32x4.max(f32x4.add(x, P), f32x4.splat(0.0)), f32x4.add(P, P));
  if (kind == 1) return vsigmoid(f32x4.mul(P, x));
  if (kind == 2)
    return f32x4.add(f32x4.splat(0.5), f32x4.div(vatanHalf(f32x4.mul(f32x4.splat(<f32>(Math.PI / 2.0) * p), x)), f32x4.splat(<f32>Math.PI)));
  return f32x4.add(f32x4.splat(0.5), f32x4.div(f32x4.mul(f32x4.splat(0.5 * p), x), f32x4.add(f32x4.splat(1.0), f32x4.mul(P, f32x4.abs(x)))));
}
`;

/**
 * Stores state vectors (lanes = 4 consecutive neurons) into the interleaved [..][neuron][S]
 * layout at o: whole vectors after a transpose for S = 1, 2, 4, lane by lane otherwise.
 */
function storeStates(o: string, v: readonly string[]): string {
  const S = v.length;
  if (S === 1) return `v128.store(${o}, ${v[0]});`;
  if (S === 2)
    return `v128.store(${o}, v128.shuffle<f32>(${v[0]}, ${v[1]}, 0, 4, 1, 5));
v128.store(${o}, v128.shuffle<f32>(${v[0]}, ${v[1]}, 2, 6, 3, 7), 16);`;
  if (S === 4) return transpose(v, (k, code) => `v128.store(${o}, ${code}, ${16 * k});`);
  return v.map((x, k) => `scatterSaved(${o}, ${S}, ${k}, ${x});`).join('\n');
}

/** Declares state vectors `${name}k` loaded from the interleaved layout at o. */
function loadStates(o: string, name: string, S: number): string {
  if (S === 1) return `const ${name}0 = v128.load(${o});`;
  if (S === 2)
    return `const ${name}lo = v128.load(${o});
const ${name}hi = v128.load(${o}, 16);
const ${name}0 = v128.shuffle<f32>(${name}lo, ${name}hi, 0, 2, 4, 6);
const ${name}1 = v128.shuffle<f32>(${name}lo, ${name}hi, 1, 3, 5, 7);`;
  if (S === 4) {
    const rows = [0, 1, 2, 3].map((k) => `const ${name}r${k} = v128.load(${o}, ${16 * k});`).join('\n');
    return `${rows}\n${transpose(
      [0, 1, 2, 3].map((k) => `${name}r${k}`),
      (k, code) => `const ${name}${k} = ${code};`,
    )}`;
  }
  return Array.from({ length: S }, (_, k) => `const ${name}${k} = gatherSaved(${o}, ${S}, ${k});`).join('\n');
}

let transposes = 0;
/** A 4×4 transpose of f32x4 rows a..d (its own inverse), each result row given to emit. */
function transpose(r: readonly string[], emit: (k: number, code: string) => string): string {
  const t = `tr${transposes++}_`;
  return [
    `const ${t}0 = v128.shuffle<f32>(${r[0]}, ${r[1]}, 0, 4, 1, 5);`,
    `const ${t}1 = v128.shuffle<f32>(${r[2]}, ${r[3]}, 0, 4, 1, 5);`,
    `const ${t}2 = v128.shuffle<f32>(${r[0]}, ${r[1]}, 2, 6, 3, 7);`,
    `const ${t}3 = v128.shuffle<f32>(${r[2]}, ${r[3]}, 2, 6, 3, 7);`,
    emit(0, `v128.shuffle<f32>(${t}0, ${t}1, 0, 1, 4, 5)`),
    emit(1, `v128.shuffle<f32>(${t}0, ${t}1, 2, 3, 6, 7)`),
    emit(2, `v128.shuffle<f32>(${t}2, ${t}3, 0, 1, 4, 5)`),
    emit(3, `v128.shuffle<f32>(${t}2, ${t}3, 2, 3, 6, 7)`),
  ].join('\n');
}

/** Vector groups of four neurons each kernel interleaves (independent recurrences hide latency). */
export const SIMD_UNROLL = 4;

/**
 * The parts of a kernel call: PREPARE, the batch-invariant pass over all N neurons (forward: the
 * invariant states' table; backward: the affine coefficient table); ROWS, the per-sample groups of
 * the flat neurons [i0, i1); FINISH (backward), the invariant states' BPTT over all N neurons,
 * which reads the adjoints ROWS summed into GT.
 */
export const SIMD_PHASE = { prepare: 1, rows: 2, finish: 4, all: 7 } as const;

/**
 * The charge partials of the per-sample states as backward renders them: any subexpression equal
 * to a state's charge (e.g. the s-LIF2HH unit's ∂h4/∂w1 = sign(w1)·(decay·m1 + I1), whose factor
 * is m1's charge) becomes that state's charged value h (the symbol "$h<k>"), which backward loads
 * from the saved states anyway — so y[t − 1] and the input need not be rebuilt or read for it.
 * Exact in these kernels: forward computed and saved h from the same expression in float32 (the
 * affine form computes h otherwise, so its programs keep their partials).
 */
const chargedCache = new WeakMap<StepProgram, { exprs: Expr[]; at: readonly number[] }>();
export function chargedPartials(prog: StepProgram): { exprs: Expr[]; at: readonly number[] } {
  let r = chargedCache.get(prog);
  if (r) return r;
  const { exprs, at } = prog.parts.chargePartialsVarying;
  const unit = prog.C > 1 || prog.K > 1;
  const byKey = new Map<string, number>();
  if (unit || !affineForm(prog))
    for (const k of prog.varying) {
      const e = prog.definition.charge[k];
      if (e.op !== 'num' && e.op !== 'sym') byKey.set(key(e), k);
    }
  const rewrite = (e: Expr): Expr => {
    const k = byKey.get(key(e));
    if (k !== undefined) return { op: 'sym', name: `$h${k}` };
    switch (e.op) {
      case 'num':
      case 'sym':
        return e;
      case 'neg':
        return { op: 'neg', a: rewrite(e.a) };
      case 'call':
        return { op: 'call', fn: e.fn, args: e.args.map(rewrite) };
      default:
        return { op: e.op, a: rewrite(e.a), b: rewrite(e.b) };
    }
  };
  r = { exprs: byKey.size > 0 ? exprs.map(rewrite) : [...exprs], at };
  chargedCache.set(prog, r);
  return r;
}

/** Whether the SIMD backward reads the forward's input (with chargedPartials' partials). */
export function simdBackwardReadsInput(prog: StepProgram): boolean {
  const inputs = inputsOf(prog.definition);
  const others: StepPart[] = [
    'resetPartials',
    'reset',
    'threshold',
    'thresholdPartials',
    'chargePartialsInvariant',
  ];
  return [...chargedPartials(prog).exprs, ...others.flatMap((part) => prog.parts[part].exprs)].some((e) =>
    inputs.some((x) => symbols(e).has(x)),
  );
}

/**
 * The SIMD AssemblyScript of one program, exported as forwardV<suffix> and backwardV<suffix>.
 * Each kernel runs SIMD_UNROLL groups of four neurons side by side (their recurrences are
 * independent, so the CPU overlaps them), then single groups for the rest.
 */
export function renderSimdProgram(prog: StepProgram, suffix: string): string {
  const { S, P, learnable, resetStates, invariant, varying } = prog;
  // Backward loads the input only when it reads it (then the host copies it in: IN may be 0).
  const readsX = simdBackwardReadsInput(prog);
  const { states, params } = prog.definition;
  const V = prog.definition.voltage;
  const SS = S * S;
  // A unit (C inputs, K spike rules; program.ts) reads its inputs and writes its outputs in
  // blocks; it has no invariant states and no affine form.
  const { C, K, resetSpike } = prog;
  const unit = C > 1 || K > 1;
  const rules = spikesOf(prog.definition);
  const inputs = inputsOf(prog.definition);
  const SP = SS + S * C;
  const affine = unit ? null : affineForm(prog);
  const parts = prog.parts;
  // Batch-invariant states (none: the plain kernels): read from the f32 table [T][Si][N] (TAB)
  // their own pass fills once per neuron, their adjoints summed into GT ([T][Si][N]).
  const Si = invariant.length;
  const Sv = varying.length;
  const isInv = (k: number): boolean => invariant.includes(k);
  const reads = (exprs: readonly Expr[]): Set<number> =>
    new Set(exprs.flatMap((e) => [...symbols(e)].map((n) => states.indexOf(n)).filter((k) => k >= 0)));
  const resetReads = reads([...parts.reset.exprs, ...parts.resetPartials.exprs]);
  // The parameters the per-sample groups read (the invariant passes load their own); with the
  // affine form the charge's are in the coefficients, and its partials' needed for wp only.
  const paramsOf = (ps: readonly StepPart[]): Set<number> =>
    new Set(
      ps
        .flatMap((part) => parts[part].exprs.flatMap((e) => [...symbols(e)]))
        .map((n) => params.indexOf(n))
        .filter((q) => q >= 0),
    );
  // Affine coefficients that read no state (dt/C, say) are per-neuron constants: computed once
  // per group from the parameters instead of loaded from the table every step.
  const constCols = new Set(
    (affine?.cols ?? [])
      .map((e, c) => [e, c] as const)
      .filter(([e]) => [...symbols(e)].every((n) => params.includes(n)))
      .map(([, c]) => c),
  );
  const spikeParams = new Set([
    ...paramsOf(['threshold', 'reset', 'resetPartials', 'thresholdPartials']),
    ...[...constCols].flatMap((c) =>
      [...symbols((affine as AffineForm).cols[c])].map((n) => params.indexOf(n)),
    ),
  ]);
  const fwdParams_ = affine
    ? spikeParams
    : paramsOf(['chargeVarying', 'threshold', 'reset', 'resetPartials', 'thresholdPartials']);
  const bwdParams_ = paramsOf([
    'threshold',
    'reset',
    'resetPartials',
    'thresholdPartials',
    'chargePartialsVarying',
  ]);
  const tab = (base: string, t: string, k: number): string =>
    `${base} + (<usize>(${t}) * ${Si} + ${invariant.indexOf(k)}) * <usize>N * 4`;
  // The affine form (declared-affine.ts): coefficients from the table CT [T][Nc][N].
  const aff = affine;
  const Nc = aff ? aff.cols.length : 0;
  const coef = (c: number, u: string, iu: string, r: VectorRenderer): string =>
    constCols.has(c)
      ? r.render((aff as AffineForm).cols[c])
      : `tabLoad(CT + (<usize>t * ${Nc} + ${c}) * <usize>N * 4, jw${u}, whole${u}, ${iu}, N)`;
  const cmp = (r: number): string => (rules[r].inclusive ? 'f32x4.ge' : 'f32x4.gt');
  const isParam = (n: string): boolean => params.includes(n);
  const ind = (text: string, n: number): string => text.replace(/\n/g, `\n${' '.repeat(n)}`);
  const sum = (terms: string[]): string =>
    terms.length === 0 ? 'f32x4.splat(0.0)' : terms.reduce((a, b) => `f32x4.add(${a}, ${b})`);
  // The varying states' rows (all rows without invariant states).
  const cpv = chargedPartials(prog);
  const exprAt = new Map(cpv.at.map((at, i) => [at, cpv.exprs[i]]));
  const mainAt = cpv.at.filter((at) => at < SP);
  const paramAt = cpv.at.filter((at) => at >= SP);
  const readsState = (ats: number[]): boolean =>
    ats.some((at) => [...symbols(exprAt.get(at) as Expr)].some((n) => states.includes(n)));
  // y[t−1] is rebuilt in backward only when a partial reads it.
  // With the affine form only parameter gradients (and the invariant states' adjoints) need it.
  const needY =
    readsState(mainAt) && !aff ? 'true' : readsState(paramAt) || readsState(mainAt) ? 'wp' : 'false';

  /** The code of one group of four neurons; every name it declares ends in `u`. */
  const group = (u: string, lane: number) => {
    const names = (prefix: string) => (n: string) => {
      const k = states.indexOf(n);
      if (k >= 0) return `${prefix}${k}${u}`;
      if (n.startsWith('$h')) return `h${n.slice(2)}${u}`; // a charged state (chargedPartials)
      const q = params.indexOf(n);
      if (q >= 0) return `p${q}${u}`;
      const c = inputs.indexOf(n);
      if (c >= 0) return C === 1 ? `x${u}` : `x${c}_${u}`;
      throw new Error(`unknown symbol ${n}`);
    };
    const iu = lane === 0 ? 'i' : `(i + ${4 * lane})`;
    // Per spike rule r: its threshold, spike and (with more than one rule) names of its own.
    const rn = (base: string, r: number): string => (r === 0 ? `${base}${u}` : `${base}${r}_${u}`);
    const spikeOf = (hv: string, r = 0): string =>
      `(smooth ? vsurrogatePrimitive(kind, sp, f32x4.sub(${hv}, ${rn('th', r)})) : v128.and(${cmp(r)}(${hv}, ${rn('th', r)}), f32x4.splat(1.0)))`;
    const blendLines = (hp: string, sv: (r: number) => string, rs: string[], dst: string): string =>
      states
        .map((_, k) => {
          const at = resetStates.indexOf(k);
          if (isInv(k)) return ''; // read from the table each step
          if (at < 0) return `${dst}${k}${u} = ${hp}${k}${u};`;
          const s = sv(resetSpike[k]);
          return `${dst}${k}${u} = f32x4.add(f32x4.mul(${s}, ${rs[at]}), f32x4.mul(f32x4.sub(f32x4.splat(1.0), ${s}), ${hp}${k}${u}));`;
        })
        .join('\n');
    // A parameter only wp code reads is loaded only when parameter gradients are wanted.
    const loadParams = (used: Set<number>, wpOnly: (q: number) => boolean) =>
      params
        .map((_, q) => q)
        .filter((q) => used.has(q))
        .map((q) => {
          const g =
            Si > 0 || unit
              ? `tabLoad(PRM + <usize>${q} * <usize>N * 4, jw${u}, whole${u}, ${iu}, N)`
              : `gatherF32(PRM + <usize>${q} * <usize>N * 4, ${iu}, N)`;
          return `const p${q}${u} = ${wpOnly(q) ? `wp ? ${g} : f32x4.splat(0.0)` : g};`;
        })
        .join('\n');
    const states_ = (f: (k: number) => string, sep = '\n') => states.map((_, k) => f(k)).join(sep);
    // The group's first neuron and whether its four are consecutive (table rows: one load).
    const groupIndex =
      Si > 0 || unit ? [`const jw${u} = ${iu} % N;`, `const whole${u} = jw${u} + 3 < N;`] : [];

    // Forward.
    const fCharge = new VectorRenderer(names('y'), isParam, `f${u}_`);
    const chargeV = parts.chargeVarying;
    fCharge.prepare(chargeV.exprs);
    // B_k·x with a constant B_k changes only when x does: computed with x, not every step.
    const bxRows = aff ? aff.rows.filter((r) => constCols.has(r.x)) : [];
    const bxCode = bxRows.map((r) => `bx${r.k}${u} = f32x4.mul(${coef(r.x, u, iu, fCharge)}, x${u});`);
    const hCode = aff
      ? aff.rows.map((r) =>
          sum([
            ...r.y.map(([m, c]) => `f32x4.mul(${coef(c, u, iu, fCharge)}, y${m}${u})`),
            ...(r.x < 0
              ? []
              : constCols.has(r.x)
                ? [`bx${r.k}${u}`]
                : [`f32x4.mul(${coef(r.x, u, iu, fCharge)}, x${u})`]),
            coef(r.c, u, iu, fCharge),
          ]),
        )
      : chargeV.exprs.map((e) => fCharge.render(e));
    const yInv = aff ? [] : [...reads(chargeV.exprs)].filter(isInv);
    const hInv = invariant.filter((k) => resetReads.has(k));
    const gTh = new VectorRenderer(names('y'), isParam, `g${u}_`, fCharge);
    const thCodes = parts.threshold.exprs.map((e) => gTh.render(e));
    const fReset = new VectorRenderer(names('h'), isParam, `r${u}_`, fCharge);
    fReset.prepare(parts.reset.exprs);
    const rCode = parts.reset.exprs.map((e) => fReset.render(e));
    const forward = {
      setup: [
        ...groupIndex,
        loadParams(fwdParams_, () => false),
        ...fCharge.pre,
        ...thCodes.map((c, r) => `const ${rn('th', r)} = ${c};`),
        // With the affine form the invariant states are not read per sample.
        states_(
          (k) =>
            `let y${k}${u} = ${aff && isInv(k) ? 'f32x4.splat(0.0)' : `gatherInit(INIT, ${iu}, N, ${S}, ${k})`};`,
        ),
        ...rules.map((_, r) => `let ${rn('acc', r)} = f32x4.splat(0.0);`),
        ...(unit
          ? inputs.map(
              (_, c) => `let x${c}_${u} = blockLoad(IN, 0, ${iu}, jw${u}, whole${u}, N, BN, ${C}, ${c});`,
            )
          : [`let x${u} = v128.load(IN + (<usize>${iu} << 2));`]),
        ...bxRows.map((r) => `let bx${r.k}${u} = f32x4.splat(0.0);`),
        ...bxCode,
      ].join('\n'),
      frame: [
        ...(unit
          ? inputs.map(
              (_, c) =>
                `x${c}_${u} = blockLoad(IN, (xo - i) / BN, ${iu}, jw${u}, whole${u}, N, BN, ${C}, ${c});`,
            )
          : [`x${u} = v128.load(IN + (<usize>(xo + ${4 * lane}) << 2));`]),
        ...bxCode,
      ].join('\n'),
      step: [
        ...(yInv.length > 0
          ? [
              `if (t > 0) {`,
              ...yInv.map(
                (k) => `  y${k}${u} = tabLoad(${tab('TAB', 't - 1', k)}, jw${u}, whole${u}, ${iu}, N);`,
              ),
              `}`,
            ]
          : []),
        ...fCharge.body,
        ...hCode.map((c, i) => `const h${chargeV.at[i]}${u} = ${c};`),
        ...hInv.map((k) => `const h${k}${u} = tabLoad(${tab('TAB', 't', k)}, jw${u}, whole${u}, ${iu}, N);`),
        `if (SAVED) {`,
        `  const o${u} = SAVED + ((<usize>t * <usize>BN + <usize>${iu}) * ${Sv * 4});`,
        `  ${ind(
          storeStates(
            `o${u}`,
            varying.map((k) => `h${k}${u}`),
          ),
          2,
        )}`,
        `}`,
        ...(unit
          ? rules.flatMap((rule, r) => [
              `const ${rn('s', r)} = ${spikeOf(`h${rule.voltage}${u}`, r)};`,
              `if (rate) ${rn('acc', r)} = f32x4.add(${rn('acc', r)}, ${rn('s', r)});`,
              `else storeBlock(OUT, t, ${iu}, N, BN, ${K}, ${r}, ${rn('s', r)});`,
            ])
          : [
              `const s${u} = ${spikeOf(`h${V}${u}`)};`,
              `const out${u} = volt ? h${V}${u} : s${u};`,
              `if (rate) acc${u} = f32x4.add(acc${u}, out${u});`,
              `else v128.store(OUT + ((<usize>t * <usize>BN + <usize>${iu}) << 2), out${u});`,
            ]),
        ...fReset.body,
        blendLines('h', (r) => rn('s', r), rCode, 'y'),
      ].join('\n'),
      end: unit
        ? rules
            .map(
              (_, r) =>
                `if (rate) storeBlock(OUT, 0, ${iu}, N, BN, ${K}, ${r}, f32x4.div(${rn('acc', r)}, f32x4.splat(<f32>T)));`,
            )
            .join('\n')
        : `if (rate) v128.store(OUT + (<usize>${iu} << 2), f32x4.div(acc${u}, f32x4.splat(<f32>T)));`,
    };

    // Backward.
    const bTh = new VectorRenderer(names('y'), isParam, `b${u}_`);
    const bThCodes = parts.threshold.exprs.map((e) => bTh.render(e));
    const dth = new Map<number, string>();
    parts.thresholdPartials.exprs.forEach((e, i) => dth.set(parts.thresholdPartials.at[i], bTh.render(e)));
    const bPrev = new VectorRenderer(names('g'), isParam, `q${u}_`, bTh);
    bPrev.prepare(parts.reset.exprs);
    const prevReset = parts.reset.exprs.map((e) => bPrev.render(e));
    const bReset = new VectorRenderer(names('h'), isParam, `r${u}_`, bTh);
    bReset.prepare([...parts.reset.exprs, ...parts.resetPartials.exprs]);
    const resetCode = parts.reset.exprs.map((e) => bReset.render(e));
    const rp = new Map<number, string>();
    parts.resetPartials.exprs.forEach((e, i) => rp.set(parts.resetPartials.at[i], bReset.render(e)));
    const bCharge = new VectorRenderer(names('y'), isParam, `c${u}_`, bTh);
    bCharge.prepare(mainAt.map((at) => exprAt.get(at) as Expr));
    const bChargeP = new VectorRenderer(names('y'), isParam, `d${u}_`, bTh);
    bChargeP.prepare(paramAt.map((at) => exprAt.get(at) as Expr));
    const cp = new Map<number, string>();
    // With the affine form, the varying states' rows come from the table (only the invariant
    // states' columns are rendered, for their adjoints).
    mainAt
      .filter((at) => !aff || isInv(at % S))
      .forEach((at) => cp.set(at, bCharge.render(exprAt.get(at) as Expr)));
    paramAt.forEach((at) => cp.set(at, bChargeP.render(exprAt.get(at) as Expr)));
    const resetBlock = resetStates
      .map((k) => {
        const rk = resetCode[resetStates.indexOf(k)];
        const [dLds, sk] = [rn('dLds', resetSpike[k]), rn('s', resetSpike[k])];
        const lines = [
          `if (!detachReset) ${dLds} = f32x4.add(${dLds}, f32x4.mul(lam${k}${u}, f32x4.sub(${rk}, h${k}${u})));`,
          `const sl${k}${u} = f32x4.mul(${sk}, lam${k}${u});`,
          `dh${k}${u} = f32x4.sub(dh${k}${u}, sl${k}${u});`,
        ];
        states.forEach((_, m) => {
          const c = rp.get(k * S + m);
          if (c) lines.push(`dh${m}${u} = f32x4.add(dh${m}${u}, f32x4.mul(sl${k}${u}, ${c}));`);
        });
        for (const q of learnable) {
          const c = rp.get(SS + k * P + q);
          if (c) lines.push(`if (wp) gp${q}${u} = f32x4.add(gp${q}${u}, f32x4.mul(sl${k}${u}, ${c}));`);
        }
        return lines.join('\n');
      })
      .join('\n');
    // dh_k·∂ (a partial that is the constant 1, as an input's often is: dh_k itself).
    const term = (k: number, at: number): string[] => {
      if (!cp.has(at)) return [];
      const e = exprAt.get(at);
      return [e?.op === 'num' && e.value === 1 ? `dh${k}${u}` : `f32x4.mul(dh${k}${u}, ${cp.get(at)})`];
    };
    const gpTerms = learnable
      .map((q) => {
        const terms = states.flatMap((_, k) => term(k, SP + k * P + q));
        return terms.length ? `gp${q}${u} = f32x4.add(gp${q}${u}, ${sum(terms)});` : '';
      })
      .join('\n');
    const affineTerms = (pick: (r: AffineForm['rows'][number]) => number): string[] =>
      (aff as AffineForm).rows
        .filter((r) => pick(r) >= 0)
        .map((r) => `f32x4.mul(dh${r.k}${u}, ${coef(pick(r), u, iu, bTh)})`);
    const lamLine = (m: number): string => {
      const terms = states.flatMap((_, k) => term(k, k * S + m));
      if (!isInv(m) && aff)
        return `lam${m}${u} = ${sum(affineTerms((r) => r.y.find(([mm]) => mm === m)?.[1] ?? -1))};`;
      if (!isInv(m)) return `lam${m}${u} = ${sum(terms)};`;
      return terms.length
        ? `if (wp && t > 0) addF32At(${tab('GT', 't - 1', m)}, jw${u}, whole${u}, ${iu}, N, ${sum(terms)});`
        : '';
    };
    // With the affine form the invariant states' lines read bindings of the wp block: inside it.
    const lamLines = states
      .map((_, m) => m)
      .filter((m) => !aff || !isInv(m))
      .map(lamLine)
      .join('\n');
    const lamInv = aff ? invariant.map(lamLine) : [];
    const gxAt = `GX + ((<usize>${lane} * <usize>frames + <usize>frame) << 4)`;
    // A unit's input gradient per channel c: GX holds [lane][frame][c] vectors.
    const gxAtC = (f: string, c: number): string =>
      `GX + (((<usize>${lane} * <usize>frames + <usize>${f}) * ${C} + ${c}) << 4)`;
    // Rendered before the setup is assembled: its group constants land in bTh.pre.
    const gxtCode = aff ? sum(affineTerms((r) => r.x)) : sum(states.flatMap((_, k) => term(k, SS + k * C)));
    const gxtCodes = inputs.map((_, c) => sum(states.flatMap((_, k) => term(k, SS + k * C + c))));
    // A static input's gradient Σ_t Σ_k dh_k·B_k with constant B_k is Σ_k B_k·(Σ_t dh_k): the
    // adjoints summed per step, multiplied once per group (as the hand-written kernel does).
    const xRows = aff ? aff.rows.filter((r) => r.x >= 0) : [];
    const sumDh = xRows.length > 0 && xRows.every((r) => constCols.has(r.x));
    const gxSum = sumDh ? sum(xRows.map((r) => `f32x4.mul(dx${r.k}${u}, ${coef(r.x, u, iu, bTh)})`)) : '';
    const backward = {
      setup: [
        ...groupIndex,
        ...(unit
          ? rules.map(
              (_, r) =>
                `const ${rn('gRate', r)} = rate ? f32x4.mul(blockLoad(GOUT, 0, ${iu}, jw${u}, whole${u}, N, BN, ${K}, ${r}), invT) : f32x4.splat(0.0);`,
            )
          : [
              `const gRate${u} = rate ? f32x4.mul(v128.load(GOUT + (<usize>${iu} << 2)), invT) : f32x4.splat(0.0);`,
            ]),
        loadParams(bwdParams_, (q) => aff !== null && !spikeParams.has(q)),
        ...bTh.pre,
        ...bThCodes.map((c, r) => `const ${rn('th', r)} = ${c};`),
        // ∂θ_r/∂p_q where it is not 0 (a zero term would still cost a multiply per step).
        ...rules.flatMap((_, r) =>
          learnable
            .filter((q) => dth.has(r * P + q))
            .map((q) => `const ${rn(`dth${q}_`, r)} = ${dth.get(r * P + q)};`),
        ),
        varying.map((k) => `let lam${k}${u} = f32x4.splat(0.0);`).join('\n'),
        ...learnable.map((q) => `let gp${q}${u} = f32x4.splat(0.0);`),
        `for (let f = 0; f < frames * ${C}; f++) v128.store(GX + ((<usize>${lane} * <usize>frames * ${C} + <usize>f) << 4), f32x4.splat(0.0));`,
        ...inputs.map((_, c) => `let ${c === 0 ? `gxAcc${u}` : `gxAcc${c}_${u}`} = f32x4.splat(0.0);`),
        ...(sumDh ? xRows.map((r) => `let dx${r.k}${u} = f32x4.splat(0.0);`) : []),
        loadStates(`SAVED + ((<usize>(T - 1) * <usize>BN + <usize>${iu}) * ${Sv * 4})`, `first${u}_`, Sv),
        varying.map((k, c) => `let c${k}${u} = first${u}_${c};`).join('\n'),
      ].join('\n'),
      step: [
        varying.map((k) => `const h${k}${u} = c${k}${u};`).join('\n'),
        ...hInv.map((k) => `const h${k}${u} = tabLoad(${tab('TAB', 't', k)}, jw${u}, whole${u}, ${iu}, N);`),
        states_((k) => `let g${k}${u} = f32x4.splat(0.0);`),
        `if (t > 0) {`,
        `  const ap${u} = SAVED + ((<usize>(t - 1) * <usize>BN + <usize>${iu}) * ${Sv * 4});`,
        `  ${ind(loadStates(`ap${u}`, `l${u}_`, Sv), 2)}`,
        `  ${ind(
          [
            ...varying.map((k, c) => `g${k}${u} = l${u}_${c};`),
            ...hInv.map(
              (k) => `g${k}${u} = tabLoad(${tab('TAB', 't - 1', k)}, jw${u}, whole${u}, ${iu}, N);`,
            ),
          ].join('\n'),
          2,
        )}`,
        `}`,
        states_((k) => `let y${k}${u} = f32x4.splat(0.0);`),
        `if (${needY}) {`,
        `  if (t == 0) {`,
        `    ${ind(
          states_((k) => `y${k}${u} = gatherInit(INIT, ${iu}, N, ${S}, ${k});`),
          4,
        )}`,
        `  } else {`,
        ...rules.map((rule, r) => `    const ${rn('sPrev', r)} = ${spikeOf(`g${rule.voltage}${u}`, r)};`),
        `    ${ind([...bPrev.body, blendLines('g', (r) => rn('sPrev', r), prevReset, 'y'), ...invariant.map((k) => `y${k}${u} = tabLoad(${tab('TAB', 't - 1', k)}, jw${u}, whole${u}, ${iu}, N);`)].join('\n'), 4)}`,
        `  }`,
        `}`,
        varying.map((k) => `c${k}${u} = g${k}${u};`).join('\n'),
        ...rules.flatMap((rule, r) => [
          `const ${rn('s', r)} = ${spikeOf(`h${rule.voltage}${u}`, r)};`,
          `const ${rn('sg', r)} = vsurrogateGrad(kind, sp, f32x4.sub(h${rule.voltage}${u}, ${rn('th', r)}));`,
          unit
            ? `const ${rn('gOut', r)} = rate ? ${rn('gRate', r)} : blockLoad(GOUT, t, ${iu}, jw${u}, whole${u}, N, BN, ${K}, ${r});`
            : `const gOut${u} = rate ? gRate${u} : v128.load(GOUT + ((<usize>t * <usize>BN + <usize>${iu}) << 2));`,
          // A voltage output's gradient enters h_v directly; the spike then only feeds the reset.
          `let ${rn('dLds', r)} = volt ? f32x4.splat(0.0) : ${rn('gOut', r)};`,
        ]),
        states_((k) => `let dh${k}${u} = ${isInv(k) ? 'f32x4.splat(0.0)' : `lam${k}${u}`};`),
        ...bReset.body,
        resetBlock,
        ...rules.flatMap((rule, r) => [
          `const ${rn('ds', r)} = f32x4.mul(${rn('dLds', r)}, ${rn('sg', r)});`,
          `dh${rule.voltage}${u} = f32x4.add(dh${rule.voltage}${u}, ${rn('ds', r)});`,
          ...learnable
            .filter((q) => dth.has(r * P + q))
            .map(
              (q) =>
                `if (wp) gp${q}${u} = f32x4.sub(gp${q}${u}, f32x4.mul(${rn('ds', r)}, ${rn(`dth${q}_`, r)}));`,
            ),
        ]),
        `if (volt) dh${V}${u} = f32x4.add(dh${V}${u}, gOut${u});`,
        // An invariant state's adjoint only feeds parameter gradients: summed when they are wanted.
        ...invariant
          .filter((m) => resetStates.some((k) => rp.has(k * S + m)))
          .map((m) => `if (wp) addF32At(${tab('GT', 't', m)}, jw${u}, whole${u}, ${iu}, N, dh${m}${u});`),
        ...(readsX
          ? unit
            ? inputs.map(
                (_, c) =>
                  `const x${c}_${u} = blockLoad(IN, frame, ${iu}, jw${u}, whole${u}, N, BN, ${C}, ${c});`,
              )
            : [`const x${u} = v128.load(IN + ((<usize>frame * <usize>BN + <usize>${iu}) << 2));`]
          : []),
        ...(aff ? [] : bCharge.body),
        ...(sumDh
          ? [
              `if (tv) {`,
              `  const gxt${u} = ${gxtCode};`,
              `  v128.store(${gxAt}, f32x4.add(v128.load(${gxAt}), gxt${u}));`,
              `} else {`,
              ...xRows.map((r) => `  dx${r.k}${u} = f32x4.add(dx${r.k}${u}, dh${r.k}${u});`),
              `}`,
            ]
          : unit
            ? gxtCodes.flatMap((code, c) => {
                const acc = c === 0 ? `gxAcc${u}` : `gxAcc${c}_${u}`;
                return [
                  `const gxt${c}_${u} = ${code};`,
                  `if (tv) v128.store(${gxAtC('frame', c)}, f32x4.add(v128.load(${gxAtC('frame', c)}), gxt${c}_${u}));`,
                  `else ${acc} = f32x4.add(${acc}, gxt${c}_${u});`,
                ];
              })
            : [
                `const gxt${u} = ${gxtCode};`,
                `if (tv) v128.store(${gxAt}, f32x4.add(v128.load(${gxAt}), gxt${u}));`,
                `else gxAcc${u} = f32x4.add(gxAcc${u}, gxt${u});`,
              ]),
        `if (wp) {`,
        `  ${ind([...(aff ? bCharge.body : []), ...bChargeP.body, gpTerms, ...lamInv].join('\n'), 2)}`,
        `}`,
        lamLines,
      ].join('\n'),
      end: [
        ...(sumDh ? [`if (!tv) gxAcc${u} = ${gxSum};`] : []),
        ...(unit
          ? [
              ...inputs.map(
                (_, c) =>
                  `if (!tv) v128.store(${gxAtC('0', c)}, ${c === 0 ? `gxAcc${u}` : `gxAcc${c}_${u}`});`,
              ),
              `if (GIN) for (let f = 0; f < frames; f++) {`,
              ...inputs.map(
                (_, c) => `  addBlock(GIN, f, ${iu}, N, BN, ${C}, ${c}, v128.load(${gxAtC('f', c)}));`,
              ),
              `}`,
            ]
          : [
              `if (!tv) v128.store(GX + (<usize>${lane} * <usize>frames << 4), gxAcc${u});`,
              `if (GIN) for (let f = 0; f < frames; f++) {`,
              `  const o = GIN + ((<usize>f * <usize>BN + <usize>${iu}) << 2);`,
              `  v128.store(o, f32x4.add(v128.load(o), v128.load(GX + ((<usize>${lane} * <usize>frames + <usize>f) << 4))));`,
              `}`,
            ]),
        `if (wp) {`,
        ...learnable.flatMap((q) =>
          [0, 1, 2, 3].map(
            (l) =>
              `  { const o = GPRM + ((<usize>${q} * <usize>N + <usize>((${iu} + ${l}) % N)) << 3); store<f64>(o, load<f64>(o) + <f64>f32x4.extract_lane(gp${q}${u}, ${l})); }`,
          ),
        ),
        `}`,
      ].join('\n'),
    };
    return { forward, backward };
  };

  /** A loop over groups of `unroll` × 4 neurons from i (leaves i where it stopped). */
  const loops = (kind: 'forward' | 'backward'): string =>
    [SIMD_UNROLL, 1]
      .map((unroll) => {
        const gs = Array.from(
          { length: unroll },
          (_, lane) => group(unroll === 1 ? '' : `_${lane}`, lane)[kind],
        );
        const each = (f: (g: (typeof gs)[number]) => string, n: number) =>
          gs.map((g) => ind(f(g), n)).join(`\n${' '.repeat(n)}`);
        const body =
          kind === 'forward'
            ? `let xo = i;
    let left = 0;
    for (let t = 0; t < T; t++) {
      if (tv && left-- == 0) {
        ${each((g) => ('frame' in g ? g.frame : ''), 8)}
        xo += BN;
        left = Rr - 1;
      }
      ${each((g) => g.step, 6)}
    }`
            : `for (let t = T - 1; t >= 0; t--) {
      const frame: i32 = tv ? t / Rr : 0;
      ${each((g) => g.step, 6)}
    }`;
        return `for (; i + ${4 * unroll} <= i1; i += ${4 * unroll}) {
    ${each((g) => g.setup, 4)}
    ${body}
    ${each((g) => g.end, 4)}
  }`;
      })
      .join('\n  ');

  const phased = (bit: number, code: string): string =>
    code.trim() === '' ? '' : `if (phase & ${bit}) {\n  ${ind(code, 2)}\n}`;
  const fwdBody = `const BN = B * N;
  ${ind(phased(SIMD_PHASE.prepare, invariantForward(prog, aff)), 2)}
  if (phase & ${SIMD_PHASE.rows}) {
    let i = i0;
    ${ind(loops('forward'), 2)}
  }`;
  const bwdBody = `const BN = B * N;
  const frames = tv ? T / Rr : 1;
  const invT = f32x4.splat(<f32>(1.0 / <f64>T));
  ${Si > 0 ? `const TAB = SAVED + <usize>T * <usize>BN * ${Sv * 4};` : ''}
  ${ind(phased(SIMD_PHASE.prepare, affineTable(prog, aff)), 2)}
  // wp (parameter gradients wanted) as a constant in each copy of the loops: without them the
  // optimiser drops the parameter-gradient code and the values it keeps live.
  if ((phase & ${SIMD_PHASE.rows}) != 0 && GPRM != 0) {
    const wp = true;
    let i = i0;
    ${ind(loops('backward'), 2)}
  } else if (phase & ${SIMD_PHASE.rows}) {
    const wp = false;
    let i = i0;
    ${ind(loops('backward'), 2)}
  }
  ${ind(phased(SIMD_PHASE.finish, invariantBackward(prog)), 2)}`;
  // Hoisted kernels take the invariant table (forward) and the adjoint table (backward) last.
  const fwdParams = (flags: string) => `B: i32, N: i32, T: i32, ${flags}, sp: f32,
  IN: usize, OUT: usize, SAVED: usize, PRM: usize, INIT: usize, i0: i32, i1: i32, phase: i32,${Si > 0 ? ' TAB: usize,' : ''}${aff ? ' CT: usize,' : ''}`;
  const bwdParams = (flags: string) => `B: i32, N: i32, T: i32, ${flags}, sp: f32, detachReset: i32,
  IN: usize, SAVED: usize, GOUT: usize, GIN: usize, PRM: usize, INIT: usize, GPRM: usize, GX: usize, i0: i32, i1: i32, phase: i32,${Si > 0 ? ' GT: usize,' : ''}${aff ? ' CT: usize,' : ''}`;
  // om: the output mode, bit 0 rate, bit 1 voltage (the training kernels below take spikes only).
  const general = 'tv: i32, Rr: i32, om: i32, smooth: i32, kind: i32';
  // The training case — a static input, hard spikes, the rectangular surrogate — with those
  // flags as constants, so the optimiser drops their branches from the time loop.
  const fixed = 'tv_: i32, Rr: i32, om: i32, smooth_: i32, kind_: i32';
  const constants = 'const tv = 0;\n  const smooth = 0;\n  const kind = 0;\n  const volt = 0;';
  const mode = 'const rate = om & 1;';
  return `
export function forwardV${suffix}(
  ${fwdParams(general)}
): void {
  ${mode}
  const volt = om & 2;
  ${fwdBody}
}

export function forwardVS${suffix}(
  ${fwdParams(fixed)}
): void {
  ${constants}
  ${mode}
  ${fwdBody}
}

export function backwardV${suffix}(
  ${bwdParams(general)}
): void {
  ${mode}
  const volt = om & 2;
  ${bwdBody}
}

export function backwardVS${suffix}(
  ${bwdParams(fixed)}
): void {
  ${constants}
  ${mode}
  ${bwdBody}
}
`;
}

/** Per-group names of an invariant pass: states y<k>, parameters p<q>. */
function passNames(prog: StepProgram) {
  const { states, params } = prog.definition;
  return (n: string): string => {
    const k = states.indexOf(n);
    if (k >= 0) return `y${k}`;
    const q = params.indexOf(n);
    if (q >= 0) return `p${q}`;
    throw new Error(`an invariant state reads ${n}`);
  };
}

/** Parameters of neurons j .. j+3 (wrapping mod N), and the group's parameter-only bindings. */
function passParams(prog: StepProgram): string {
  return prog.definition.params
    .map((_, q) => `const p${q} = gatherF32(PRM + <usize>${q} * <usize>N * 4, j, N);`)
    .join('\n');
}

const tableAt = (prog: StepProgram, base: string, t: string, k: number): string =>
  `${base} + (<usize>(${t}) * ${prog.invariant.length} + ${prog.invariant.indexOf(k)}) * <usize>N * 4`;

/** y[t − 1] of the invariant states of neurons j … j + 3: the initial state at t = 0, else the table's row. */
function previousInvariant(prog: StepProgram): string {
  const { invariant, S } = prog;
  return `${invariant.map((k) => `let y${k} = f32x4.splat(0.0);`).join('\n')}
if (t == 0) {
  ${invariant.map((k) => `y${k} = gatherInit(INIT, j, N, ${S}, ${k});`).join('\n  ')}
} else {
  ${invariant.map((k) => `y${k} = gatherF32(${tableAt(prog, 'TAB', 't - 1', k)}, j, N);`).join('\n  ')}
}`;
}

/**
 * The invariant states of every neuron, four neurons a group, for all T steps, into the f32 table
 * TAB [T][Si][N] (empty for a program without them).
 */
function invariantForward(prog: StepProgram, aff: AffineForm | null): string {
  const { invariant, S } = prog;
  if (invariant.length === 0) return '';
  const isParam = (n: string): boolean => prog.definition.params.includes(n);
  const r = new VectorRenderer(passNames(prog), isParam, 'I');
  const { exprs, at } = prog.parts.chargeInvariant;
  r.prepare([...exprs, ...(aff?.cols ?? [])]);
  const code = exprs.map((e) => r.render(e));
  // The affine coefficients of step t, from y[t − 1] (into CT).
  const cols = (aff?.cols ?? []).map(
    (e, c) => `storeF32(CT + (<usize>t * ${aff?.cols.length} + ${c}) * <usize>N * 4, j, N, ${r.render(e)});`,
  );
  return `// The batch-invariant states, once per neuron for the whole batch.
for (let j = 0; j < N; j += 4) {
  ${passParams(prog).replace(/\n/g, '\n  ')}
  ${r.pre.join('\n  ')}
  ${invariant.map((k) => `let y${k} = gatherInit(INIT, j, N, ${S}, ${k});`).join('\n  ')}
  for (let t = 0; t < T; t++) {
    ${r.body.join('\n    ')}
    ${cols.join('\n    ')}
    ${code.map((c, i) => `const h${at[i]} = ${c};`).join('\n    ')}
    ${at.map((k) => `storeF32(${tableAt(prog, 'TAB', 't', k)}, j, N, h${k});`).join('\n    ')}
    ${at.map((k) => `y${k} = h${k};`).join('\n    ')}
  }
}`;
}

/**
 * The invariant states' BPTT, once per group of four neurons: their adjoints are what the batch
 * summed into GT plus what their later steps send back; they yield parameter gradients only (no
 * input reaches these states), so the pass runs only when those are wanted.
 */
function invariantBackward(prog: StepProgram): string {
  const { invariant, S, P, learnable } = prog;
  if (invariant.length === 0 || learnable.length === 0) return '';
  const SS = S * S;
  const SP = SS + S;
  const isParam = (n: string): boolean => prog.definition.params.includes(n);
  const r = new VectorRenderer(passNames(prog), isParam, 'J');
  const { exprs, at } = prog.parts.chargePartialsInvariant;
  r.prepare(exprs);
  const cp = new Map(at.map((a, i) => [a, r.render(exprs[i])]));
  const sum = (terms: string[]): string =>
    terms.length === 0 ? 'f32x4.splat(0.0)' : terms.reduce((a, b) => `f32x4.add(${a}, ${b})`);
  const dot = (slot: (k: number) => number): string =>
    sum(invariant.filter((k) => cp.has(slot(k))).map((k) => `f32x4.mul(dh${k}, ${cp.get(slot(k))})`));
  return `// The batch-invariant states' own BPTT (parameter gradients only).
if (GPRM != 0) for (let j = 0; j < N; j += 4) {
  ${passParams(prog).replace(/\n/g, '\n  ')}
  ${r.pre.join('\n  ')}
  ${invariant.map((k) => `let adj${k} = f32x4.splat(0.0);`).join('\n  ')}
  ${learnable.map((q) => `let gq${q} = f32x4.splat(0.0);`).join('\n  ')}
  for (let t = T - 1; t >= 0; t--) {
    ${invariant.map((k) => `const dh${k} = f32x4.add(adj${k}, gatherF32(${tableAt(prog, 'GT', 't', k)}, j, N));`).join('\n    ')}
    ${previousInvariant(prog).replace(/\n/g, '\n    ')}
    ${r.body.join('\n    ')}
    ${learnable.map((q) => `gq${q} = f32x4.add(gq${q}, ${dot((k) => SP + k * P + q)});`).join('\n    ')}
    ${invariant.map((m) => `adj${m} = ${dot((k) => k * S + m)};`).join('\n    ')}
  }
  ${learnable
    .flatMap((q) =>
      [0, 1, 2, 3].map(
        (l) =>
          `if (j + ${l} < N) { const o = GPRM + ((<usize>${q} * <usize>N + <usize>(j + ${l})) << 3); store<f64>(o, load<f64>(o) + <f64>f32x4.extract_lane(gq${q}, ${l})); }`,
      ),
    )
    .join('\n  ')}
}`;
}

/** Backward's coefficient table CT, rebuilt from the saved invariant states (affine form only). */
function affineTable(prog: StepProgram, aff: AffineForm | null): string {
  if (!aff) return '';
  const isParam = (n: string): boolean => prog.definition.params.includes(n);
  const r = new VectorRenderer(passNames(prog), isParam, 'K');
  r.prepare(aff.cols);
  const cols = aff.cols.map(
    (e, c) => `storeF32(CT + (<usize>t * ${aff.cols.length} + ${c}) * <usize>N * 4, j, N, ${r.render(e)});`,
  );
  return `// The affine coefficients of every neuron and step, from the saved invariant states.
for (let j = 0; j < N; j += 4) {
  ${passParams(prog).replace(/\n/g, '\n  ')}
  ${r.pre.join('\n  ')}
  for (let t = 0; t < T; t++) {
    ${previousInvariant(prog).replace(/\n/g, '\n    ')}
    ${r.body.join('\n    ')}
    ${cols.join('\n    ')}
  }
}`;
}
