/**
 * Renders a StepProgram as float32 SIMD AssemblyScript: four neurons per f32x4 vector, every
 * state, partial and adjoint in a local (no memory traffic inside the time loop), the zero
 * partials dropped at render time (the unrolled Jacobian products keep only the nonzero terms),
 * and every subexpression that reads parameters only computed once per group of four neurons,
 * outside the time loop. Same algorithm as the reference (spiking/reference.ts) in float32, so
 * results agree with it to float32 rounding; spike decisions agree between this forward and
 * backward (both decide on the same float32 states).
 *
 * Exports forwardV<suffix>(…, i0, i1) and backwardV<suffix>(…, i0, i1) over flat neurons
 * [i0, i1), a multiple of 4 apart; the host runs any remainder through the scalar kernels.
 */
import type { Expr } from '../../symbolic/expr.js';
import { key } from '../../symbolic/expr.js';
import type { StepProgram } from '../spiking/program.js';

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
 * Whether a program has a SIMD kernel: sin, cos and powers other than small integers (and ½)
 * would need libm tables in static data; such programs run the scalar kernels.
 */
export function simdSupported(prog: StepProgram): boolean {
  const ok = (e: Expr): boolean => {
    switch (e.op) {
      case 'num':
      case 'sym':
        return true;
      case 'neg':
        return ok(e.a);
      case 'call':
        return e.fn !== 'sin' && e.fn !== 'cos' && e.args.every(ok);
      case 'pow':
        return (
          e.b.op === 'num' &&
          ((Number.isInteger(e.b.value) && e.b.value >= 2 && e.b.value <= 4) || e.b.value === 0.5) &&
          ok(e.a)
        );
      default:
        return ok(e.a) && ok(e.b);
    }
  };
  return Object.values(prog.parts).every((p) => p.exprs.every(ok));
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
/** State k of neurons i .. i+3 from an [N][S] f64 array, as f32 lanes. */
function gatherInit(base: usize, i: i32, N: i32, S: i32, k: i32): v128 {
  let r = f32x4.splat(<f32>load<f64>(base + ((<usize>(i % N) * <usize>S + <usize>k) << 3)));
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

/** The SIMD AssemblyScript of one program, exported as forwardV<suffix> and backwardV<suffix>. */
export function renderSimdProgram(prog: StepProgram, suffix: string): string {
  const { S, P, learnable, resetStates } = prog;
  const { states, params, input } = prog.definition;
  const V = prog.definition.voltage;
  const SS = S * S;
  const parts = prog.parts;
  const cmp = prog.definition.inclusive ? 'f32x4.ge' : 'f32x4.gt';
  const isParam = (s: string): boolean => params.includes(s);
  const names = (prefix: string) => (s: string) => {
    const k = states.indexOf(s);
    if (k >= 0) return `${prefix}${k}`;
    const q = params.indexOf(s);
    if (q >= 0) return `p${q}`;
    if (s === input) return 'x';
    throw new Error(`unknown symbol ${s}`);
  };
  const loadParams = params
    .map((_, q) => `const p${q} = gatherF32(PRM + <usize>${q} * <usize>N * 4, i, N);`)
    .join('\n');
  const spikeOf = (hv: string): string =>
    `(smooth ? vsurrogatePrimitive(kind, sp, f32x4.sub(${hv}, th)) : v128.and(${cmp}(${hv}, th), f32x4.splat(1.0)))`;
  const ind = (s: string, n: number): string => s.replace(/\n/g, `\n${' '.repeat(n)}`);

  // ---- forward
  const fwdCharge = new VectorRenderer(names('y'), isParam, 'f');
  fwdCharge.prepare(parts.charge.exprs);
  const hCode = parts.charge.exprs.map((e) => fwdCharge.render(e));
  const fwdTh = new VectorRenderer(names('y'), isParam, 'g', fwdCharge);
  const thCode = fwdTh.render(parts.threshold.exprs[0]);
  const fwdReset = new VectorRenderer(names('h'), isParam, 'r', fwdCharge);
  fwdReset.prepare(parts.reset.exprs);
  const rCode = parts.reset.exprs.map((e) => fwdReset.render(e));
  const blendLines = (hp: string, s: string, rs: string[], dst: string): string =>
    states
      .map((_, k) => {
        const at = resetStates.indexOf(k);
        if (at < 0) return `${dst}${k} = ${hp}${k};`;
        return `${dst}${k} = f32x4.add(f32x4.mul(${s}, ${rs[at]}), f32x4.mul(f32x4.sub(f32x4.splat(1.0), ${s}), ${hp}${k}));`;
      })
      .join('\n');

  const forward = `
export function forwardV${suffix}(
  B: i32, N: i32, T: i32, tv: i32, Rr: i32, rate: i32, smooth: i32, kind: i32, sp: f32,
  IN: usize, OUT: usize, SAVED: usize, PRM: usize, INIT: usize, i0: i32, i1: i32,
): void {
  const BN = B * N;
  const invT = f32x4.splat(<f32>(1.0 / <f64>T));
  for (let i = i0; i < i1; i += 4) {
    ${ind(loadParams, 4)}
    ${ind([...fwdCharge.pre].join('\n'), 4)}
    const th = ${thCode};
    ${states.map((_, k) => `let y${k} = gatherInit(INIT, i, N, ${S}, ${k});`).join('\n    ')}
    let acc = f32x4.splat(0.0);
    let x = v128.load(IN + (<usize>i << 2));
    let xo = i;
    let left = 0;
    for (let t = 0; t < T; t++) {
      if (tv && left-- == 0) {
        x = v128.load(IN + (<usize>xo << 2));
        xo += BN;
        left = Rr - 1;
      }
      ${ind(fwdCharge.body.join('\n'), 6)}
      ${hCode.map((c, k) => `const h${k} = ${c};`).join('\n      ')}
      if (SAVED) {
        const o = SAVED + ((<usize>t * <usize>BN + <usize>i) * ${S * 4});
        ${ind(
          storeStates(
            'o',
            states.map((_, k) => `h${k}`),
          ),
          8,
        )}
      }
      const s = ${spikeOf(`h${V}`)};
      if (rate) acc = f32x4.add(acc, s);
      else v128.store(OUT + ((<usize>t * <usize>BN + <usize>i) << 2), s);
      ${ind(fwdReset.body.join('\n'), 6)}
      ${ind(blendLines('h', 's', rCode, 'y'), 6)}
    }
    if (rate) v128.store(OUT + (<usize>i << 2), f32x4.div(acc, f32x4.splat(<f32>T)));
  }
}`;
  void fwdTh;

  // ---- backward
  const isInv = isParam;
  const bTh = new VectorRenderer(names('y'), isInv, 'b');
  const bThCode = bTh.render(parts.threshold.exprs[0]);
  const dthCode = new Map<number, string>();
  parts.thresholdPartials.exprs.forEach((e, i) => dthCode.set(parts.thresholdPartials.at[i], bTh.render(e)));
  // y[t−1] from the previous charged state: its reset values.
  const bPrevReset = new VectorRenderer(names('g'), isInv, 'q', bTh);
  bPrevReset.prepare(parts.reset.exprs);
  const prevResetCode = parts.reset.exprs.map((e) => bPrevReset.render(e));
  // Reset values and partials at h.
  const bReset = new VectorRenderer(names('h'), isInv, 'r', bTh);
  bReset.prepare([...parts.reset.exprs, ...parts.resetPartials.exprs]);
  const resetCode = parts.reset.exprs.map((e) => bReset.render(e));
  const rp = new Map<number, string>();
  parts.resetPartials.exprs.forEach((e, i) => rp.set(parts.resetPartials.at[i], bReset.render(e)));
  // Charge partials at y[t−1], x.
  const bCharge = new VectorRenderer(names('y'), isInv, 'c', bTh);
  bCharge.prepare(parts.chargePartials.exprs);
  const cp = new Map<number, string>();
  parts.chargePartials.exprs.forEach((e, i) => cp.set(parts.chargePartials.at[i], bCharge.render(e)));
  const sum = (terms: string[]): string =>
    terms.length === 0 ? 'f32x4.splat(0.0)' : terms.reduce((a, b) => `f32x4.add(${a}, ${b})`);

  const resetBlock = resetStates
    .map((k) => {
      const rk = resetCode[resetStates.indexOf(k)];
      const lines = [
        `if (!detachReset) dLds = f32x4.add(dLds, f32x4.mul(lam${k}, f32x4.sub(${rk}, h${k})));`,
        `const sl${k} = f32x4.mul(s, lam${k});`,
        `dh${k} = f32x4.sub(dh${k}, sl${k});`,
      ];
      states.forEach((_, m) => {
        const c = rp.get(k * S + m);
        if (c) lines.push(`dh${m} = f32x4.add(dh${m}, f32x4.mul(sl${k}, ${c}));`);
      });
      for (const q of learnable) {
        const c = rp.get(SS + k * P + q);
        if (c) lines.push(`gp${q} = f32x4.add(gp${q}, f32x4.mul(sl${k}, ${c}));`);
      }
      return lines.join('\n');
    })
    .join('\n');
  const gxTerms = states.flatMap((_, k) => (cp.has(SS + k) ? [`f32x4.mul(dh${k}, ${cp.get(SS + k)})`] : []));
  const gpTerms = learnable
    .map((q) => {
      const terms = states.flatMap((_, k) => {
        const c = cp.get(SS + S + k * P + q);
        return c ? [`f32x4.mul(dh${k}, ${c})`] : [];
      });
      return terms.length ? `gp${q} = f32x4.add(gp${q}, ${sum(terms)});` : '';
    })
    .join('\n');
  const lamLines = states
    .map((_, m) => {
      const terms = states.flatMap((__, k) => {
        const c = cp.get(k * S + m);
        return c ? [`f32x4.mul(dh${k}, ${c})`] : [];
      });
      return `lam${m} = ${sum(terms)};`;
    })
    .join('\n');
  void dthCode;

  const backward = `
export function backwardV${suffix}(
  B: i32, N: i32, T: i32, tv: i32, Rr: i32, rate: i32, smooth: i32, kind: i32, sp: f32, detachReset: i32,
  IN: usize, SAVED: usize, GOUT: usize, GIN: usize, PRM: usize, INIT: usize, GPRM: usize, GX: usize, i0: i32, i1: i32,
): void {
  const BN = B * N;
  const frames = tv ? T / Rr : 1;
  const invT = f32x4.splat(<f32>(1.0 / <f64>T));
  for (let i = i0; i < i1; i += 4) {
    ${ind(loadParams, 4)}
    ${ind(bTh.pre.join('\n'), 4)}
    const th = ${bThCode};
    ${learnable.map((q) => `const dth${q} = ${dthCode.get(q) ?? 'f32x4.splat(0.0)'};`).join('\n    ')}
    ${states.map((_, k) => `let lam${k} = f32x4.splat(0.0);`).join('\n    ')}
    ${learnable.map((q) => `let gp${q} = f32x4.splat(0.0);`).join('\n    ')}
    for (let f = 0; f < frames; f++) v128.store(GX + (<usize>f << 4), f32x4.splat(0.0));
    // h[t] is carried from the previous iteration's h[t − 1] (loaded once each).
    ${ind(loadStates(`SAVED + ((<usize>(T - 1) * <usize>BN + <usize>i) * ${S * 4})`, 'first', S), 4)}
    ${states.map((_, k) => `let c${k} = first${k};`).join('\n    ')}
    for (let t = T - 1; t >= 0; t--) {
      ${states.map((_, k) => `const h${k} = c${k};`).join('\n      ')}
      ${states.map((_, k) => `let y${k}: v128;`).join('\n      ')}
      if (t == 0) {
        ${states.map((_, k) => `y${k} = gatherInit(INIT, i, N, ${S}, ${k});`).join('\n        ')}
      } else {
        const ap = SAVED + ((<usize>(t - 1) * <usize>BN + <usize>i) * ${S * 4});
        ${ind(loadStates('ap', 'g', S), 8)}
        const sPrev = ${spikeOf(`g${V}`)};
        ${ind(bPrevReset.body.join('\n'), 8)}
        ${ind(blendLines('g', 'sPrev', prevResetCode, 'y'), 8)}
        ${states.map((_, k) => `c${k} = g${k};`).join('\n        ')}
      }
      const s = ${spikeOf(`h${V}`)};
      const sg = vsurrogateGrad(kind, sp, f32x4.sub(h${V}, th));
      let dLds = rate ? f32x4.mul(v128.load(GOUT + (<usize>i << 2)), invT) : v128.load(GOUT + ((<usize>t * <usize>BN + <usize>i) << 2));
      ${states.map((_, k) => `let dh${k} = lam${k};`).join('\n      ')}
      ${ind(bReset.body.join('\n'), 6)}
      ${ind(resetBlock, 6)}
      const ds = f32x4.mul(dLds, sg);
      dh${V} = f32x4.add(dh${V}, ds);
      ${learnable.map((q) => `gp${q} = f32x4.sub(gp${q}, f32x4.mul(ds, dth${q}));`).join('\n      ')}
      const frame: i32 = tv ? t / Rr : 0;
      const x = v128.load(IN + ((<usize>frame * <usize>BN + <usize>i) << 2));
      ${ind(bCharge.body.join('\n'), 6)}
      const gxAt = GX + (<usize>frame << 4);
      v128.store(gxAt, f32x4.add(v128.load(gxAt), ${sum(gxTerms)}));
      ${ind(gpTerms, 6)}
      ${ind(lamLines, 6)}
    }
    if (GIN) for (let f = 0; f < frames; f++) {
      const o = GIN + ((<usize>f * <usize>BN + <usize>i) << 2);
      v128.store(o, f32x4.add(v128.load(o), v128.load(GX + (<usize>f << 4))));
    }
    ${learnable
      .map((q) =>
        [0, 1, 2, 3]
          .map(
            (l) =>
              `{ const o = GPRM + ((<usize>${q} * <usize>N + <usize>((i + ${l}) % N)) << 3); store<f64>(o, load<f64>(o) + <f64>f32x4.extract_lane(gp${q}, ${l})); }`,
          )
          .join('\n    '),
      )
      .join('\n    ')}
  }
}`;
  return `${forward}\n${backward}\n`;
}
