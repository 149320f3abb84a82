/**
 * The population step as a WebAssembly SIMD kernel, generated from the same plan as the JS step
 * (kernel.ts, planStep): four neurons per f32x4 vector, the quasi-linear coefficients rendered by
 * the training kernels' VectorRenderer (common subexpressions bound once, constants hoisted out of
 * the loop, vectorised exp), exponential Euler (or Euler), the spike rule, the refractory counter
 * and the divergence check of the JS step, in float32.
 *
 * The kernel's population owns its state (WasmPopulationKernel): structure of arrays in the
 * module's own shared memory (state k of neurons 0 … nPad−1 contiguous, nPad = n rounded up to 4;
 * the pad lanes are inert copies of the last neuron, never reported), the external currents, the
 * refractory counters and the fired list. The network adds synaptic input and reads states there
 * while it runs (NeuronPopulation.stateLayout / readState); NeuronPopulation.y is brought up to
 * date around each run. Neurons can be split between worker threads (wasm-step-worker.ts): every
 * neuron's update is independent, so the results do not depend on the number of threads.
 *
 * Memory (bytes): [0, 64) the exp constants (assembly/vmath.ts's block, which vexp.ts reads), then
 * the constant table (exp-Euler factors of constant coefficients, then every literal of the
 * kernel: loading a splat from a fixed address is one instruction, a v128 constant several), the
 * thread control block, and the state, input, refractory and fired arrays.
 *
 * Compiled at run time with the AssemblyScript compiler (about a second; cached on disk by source
 * hash, HHNET_KERNEL_CACHE): prepareWasmStep() asynchronously, or on first use synchronously (a
 * compiler worker the caller blocks on). Models the SIMD renderer cannot express (sin, cos,
 * general powers) have no wasm step: wasmStepUnsupported says why, and populations fall back to JS.
 *
 * With rate tables (RateTableOptions) the gates' updates are interpolated from a table over v that
 * sits after the constant table: each lane reads its row as whole vectors (one cache line for up to
 * eight quantities), and 4×4 shuffles turn the lanes' rows into one vector per quantity.
 */
import { MessageChannel, Worker, receiveMessageOnPort } from 'node:worker_threads';
import type { Expr } from '../symbolic/expr.js';
import { format, jsFunction, renderJs, symbols } from '../symbolic/expr.js';
import {
  cachedCompile,
  defaultKernelCacheDir,
  readCachedKernel,
  writeCachedKernel,
} from '../kernels/wasm/declared-compile.js';
import {
  SIMD_RUNTIME_SOURCE,
  VectorRenderer,
  simdExprSupported,
} from '../kernels/wasm/declared-simd-source.js';
import { wasmApi } from '../kernels/wasm/wasm-api.js';
import { EXP_CONSTANTS } from '../kernels/wasm/exp-constants.js';
import { rateGrid } from '../kernels/wasm/rate-grid.js';
import type { RateTableOptions } from '../kernels/wasm/rate-grid.js';
export { RATE_TABLE_DEFAULTS, rateGrid } from '../kernels/wasm/rate-grid.js';
export type { RateTableOptions } from '../kernels/wasm/rate-grid.js';
import type { WasmMemory, WasmModule } from '../kernels/wasm/wasm-api.js';
import type { PopulationStep, StepPlan } from './kernel.js';
import * as exact from '../util/exact-math.js';

export type NetworkBackend = 'js' | 'wasm';
export const NETWORK_BACKENDS: readonly NetworkBackend[] = ['js', 'wasm'];

/** Why a plan has no wasm step (an expression the SIMD renderer does not cover), or null. */
export function wasmStepUnsupported(plan: StepPlan): string | null {
  const exprs: [string, Expr][] = [];
  plan.terms.forEach((t, k) => {
    exprs.push([`d${plan.model.states[k]}/dt`, t.a], [`d${plan.model.states[k]}/dt`, t.b]);
  });
  for (const [k, e] of plan.resets) exprs.push([`reset of ${plan.model.states[k]}`, e]);
  for (const [where, e] of exprs)
    if (!simdExprSupported(e))
      return `${where} = … ${format(e).slice(0, 60)} … uses sin, cos or a power the wasm SIMD renderer does not cover`;
  return null;
}

/** A kernel's rate table: the tabulated states and the grid (rows of rowFloats float32). */
export interface RateTable {
  /** Indices of the tabulated states; quantity 2q is state q's A, 2q + 1 its B. */
  states: number[];
  min: number;
  step: number;
  /** Grid points min + r·step, r = 0 … rows − 1 (a row: the values, then the slopes to the next). */
  rows: number;
  rowFloats: number;
  /** Byte address of row 0 in the kernel's memory. */
  at: number;
}

/** A rendered kernel: its AssemblyScript, and its constant table (factors first, then literals). */
export interface WasmStepProgram {
  plan: StepPlan;
  source: string;
  /** Per state: the constant b whose exp-Euler factor goes in table slot k (null: none). */
  factorB: (number | null)[];
  literals: number[];
  /** The rate table, when rendered with one and the model has states to tabulate. */
  rates: RateTable | null;
}

/** The states whose coefficients depend on the membrane potential alone (rate-table candidates). */
export function tabulableStates(plan: StepPlan): number[] {
  const v = plan.model.states[plan.vk];
  const out: number[] = [];
  plan.terms.forEach((t, k) => {
    if (k === plan.vk || plan.resets.some(([r]) => r === k)) return;
    const read = symbols(t.b, symbols(t.a));
    if (read.has(v) && [...read].every((s) => s === v)) out.push(k);
  });
  return out;
}

/**
 * Fills a rate table for dt: per row the quantities A, B of every tabulated state at the row's
 * potential, then their slopes to the next row (float64 differences), in float32.
 */
export function fillRateTable(plan: StepPlan, rates: RateTable, dt: number, into: Float32Array): void {
  const v = plan.model.states[plan.vk];
  const Q = 2 * rates.states.length;
  const slopes = rates.rowFloats / 2; // the slopes' vectors follow the values' (renderWasmStep)
  const exprs = rates.states.flatMap((k) => [plan.terms[k].a, plan.terms[k].b]);
  const body = renderJs(
    exprs,
    (name) => (name === v ? 'u' : 'NaN'),
    (i, code) => `out[${i}] = ${code};`,
  );
  const coefficients = jsFunction<(u: number, out: Float64Array) => void>('u, out', body);
  const euler = plan.integrator === 'euler';
  const quantities = (u: number, out: Float64Array): void => {
    coefficients(u, out);
    for (let q = 0; q < Q; q += 2) {
      const a = out[q];
      const b = out[q + 1];
      const f = euler || !(b * dt > 1e-12) ? dt : -exact.expm1(-b * dt) / b;
      out[q] = a * f;
      out[q + 1] = b * f;
    }
  };
  let here = new Float64Array(Q);
  let next = new Float64Array(Q);
  quantities(rates.min, here);
  for (let r = 0; r < rates.rows; r++) {
    quantities(rates.min + (r + 1) * rates.step, next);
    const o = r * rates.rowFloats;
    for (let q = 0; q < Q; q++) {
      into[o + q] = here[q];
      into[o + slopes + q] = next[q] - here[q];
    }
    [here, next] = [next, here];
  }
}

/** How renderWasmStep renders a step. */
export interface WasmStepOptions {
  /** Tabulate the gates' updates over v (RateTableOptions); default: exact expressions. */
  rateTable?: RateTableOptions | null;
}

/** Renders a plan's step (see the file comment); throws when wasmStepUnsupported. */
export function renderWasmStep(plan: StepPlan, opts: WasmStepOptions = {}): WasmStepProgram {
  const why = wasmStepUnsupported(plan);
  if (why) throw new RangeError(`model ${plan.model.name}: no wasm step: ${why}`);
  const { model, S, vk, terms, integrator } = plan;
  const states = model.states;
  const literals: number[] = [];
  const at = new Map<number, number>();
  /** A literal as a load from the table (at TABLE + 4·(S + index)). */
  const lit = (v: number): string => {
    if (!Number.isFinite(v)) throw new RangeError(`cannot render ${v} as a constant`);
    const f = Math.fround(v);
    let i = at.get(f);
    if (i === undefined) {
      i = literals.length;
      literals.push(f);
      at.set(f, i);
    }
    return `v128.load32_splat(0, ${TABLE + 4 * (S + i)})`;
  };
  const names = (prefix: string) => (s: string) => {
    const k = states.indexOf(s);
    return k >= 0 ? `${prefix}${k}` : 'x';
  };
  const grid = opts.rateTable ? rateGrid(opts.rateTable) : null;
  const tabulated = grid ? tabulableStates(plan) : [];
  const isTab = (k: number): boolean => tabulated.includes(k);
  const coefExprs = (t: { a: Expr; b: Expr }): Expr[] => (t.b.op === 'num' ? [t.a] : [t.a, t.b]);
  // The tabulated states' exact coefficients are rendered apart (gate), inside the fallback.
  const coef = new VectorRenderer(names('s'), () => false, 'A');
  coef.prepare(terms.filter((_, k) => !isTab(k)).flatMap(coefExprs));
  const gate = new VectorRenderer(names('s'), () => false, 'G', coef);
  gate.prepare(tabulated.flatMap((k) => coefExprs(terms[k])));
  const renderer = (k: number): VectorRenderer => (isTab(k) ? gate : coef);
  const aCode: string[] = [];
  const bCode: (string | null)[] = [];
  for (const k of [...terms.keys()].sort((x, y) => Number(isTab(x)) - Number(isTab(y)))) {
    aCode[k] = renderer(k).render(terms[k].a);
    bCode[k] = terms[k].b.op === 'num' ? null : renderer(k).render(terms[k].b);
  }
  const rst = new VectorRenderer(names('n'), () => false, 'R', coef);
  rst.prepare(plan.resets.map(([, e]) => e));
  const rCode = plan.resets.map(([, e]) => rst.render(e));

  const factorB: (number | null)[] = states.map(() => null);
  const update = (k: number): string[] => {
    const s = `s${k}`;
    const a = `a${k}`;
    const b = terms[k].b;
    const set = isTab(k) ? `n${k} =` : `let n${k} =`;
    const lines = [`const ${a} = ${aCode[k]};`];
    if (b.op === 'num') {
      const bv = b.value;
      if (bv * 1 === 0) return [...lines, `${set} f32x4.add(${s}, f32x4.mul(DT, ${a}));`];
      const d = `f32x4.sub(${a}, f32x4.mul(${lit(bv)}, ${s}))`;
      if (integrator === 'euler') return [...lines, `${set} f32x4.add(${s}, f32x4.mul(DT, ${d}));`];
      factorB[k] = bv;
      return [...lines, `${set} f32x4.add(${s}, f32x4.mul(${d}, F${k}));`];
    }
    lines.push(`const b${k} = ${bCode[k]};`, `const d${k} = f32x4.sub(${a}, f32x4.mul(b${k}, ${s}));`);
    if (integrator === 'euler') return [...lines, `${set} f32x4.add(${s}, f32x4.mul(DT, d${k}));`];
    // −expm1(−b·dt)/b where b·dt > 1e-12, else dt (Euler), as the JS step.
    return [
      ...lines,
      `const z${k} = f32x4.mul(b${k}, DT);`,
      `const f${k} = v128.bitselect(f32x4.div(kexpm1(f32x4.neg(z${k})), f32x4.neg(b${k})), DT, f32x4.gt(z${k}, TINY));`,
      `${set} f32x4.add(${s}, f32x4.mul(d${k}, f${k}));`,
    ];
  };
  const updates = states.flatMap((_, k) => (isTab(k) ? [] : update(k)));
  const Q = 2 * tabulated.length;
  // A row: the quantities in vectors of four (G of them), then their slopes in as many.
  const G = Math.ceil(Q / 4);
  const rowFloats = 8 * G;
  // The table path: each lane's row read as vectors, interpolated, then transposed to quantities.
  const tableLines = (): string[] => {
    if (!grid || tabulated.length === 0) return [];
    const lines = [
      ...tabulated.map((k) => `let n${k} = s${k};`),
      `const ru = f32x4.mul(f32x4.sub(s${vk}, ${lit(grid.min)}), ${lit(1 / grid.step)});`,
      `if (i32x4.all_true(v128.and(f32x4.ge(ru, ${lit(0)}), f32x4.lt(ru, ${lit(grid.rows)})))) {`,
      `  const rj = i32x4.trunc_sat_f32x4_s(ru);`,
      `  const rw = f32x4.sub(ru, f32x4.convert_i32x4_s(rj));`,
      `  const ro = i32x4.mul(rj, i32x4.splat(${4 * rowFloats}));`,
      ...[0, 1, 2, 3].map((l) => `  const r${l}: usize = <usize>i32x4.extract_lane(ro, ${l});`),
    ];
    // Lane l's weight, its row's vectors interpolated (P), then 4×4 transposes into quantities T.
    for (let l = 0; l < 4; l++) lines.push(`  const w${l} = f32x4.shuffle(rw, rw, ${l}, ${l}, ${l}, ${l});`);
    for (let g = 0; g < G; g++) {
      for (let l = 0; l < 4; l++)
        lines.push(
          `  const P${g}_${l} = f32x4.add(v128.load(r${l}, RATES_AT + ${16 * g}), f32x4.mul(w${l}, v128.load(r${l}, RATES_AT + ${16 * (G + g)})));`,
        );
      const P = (l: number) => `P${g}_${l}`;
      lines.push(
        `  const U${g}_0 = f32x4.shuffle(${P(0)}, ${P(1)}, 0, 4, 1, 5);`,
        `  const U${g}_1 = f32x4.shuffle(${P(2)}, ${P(3)}, 0, 4, 1, 5);`,
        `  const U${g}_2 = f32x4.shuffle(${P(0)}, ${P(1)}, 2, 6, 3, 7);`,
        `  const U${g}_3 = f32x4.shuffle(${P(2)}, ${P(3)}, 2, 6, 3, 7);`,
      );
      const lanes = ['0, 1, 4, 5', '2, 3, 6, 7'];
      for (let j = 0; j < 4 && 4 * g + j < Q; j++)
        lines.push(
          `  const T${4 * g + j} = f32x4.shuffle(U${g}_${j < 2 ? 0 : 2}, U${g}_${j < 2 ? 1 : 3}, ${lanes[j % 2]});`,
        );
    }
    tabulated.forEach((k, q) =>
      lines.push(`  n${k} = f32x4.add(s${k}, f32x4.sub(T${2 * q}, f32x4.mul(T${2 * q + 1}, s${k})));`),
    );
    return [
      ...lines,
      `} else {`,
      ...gate.body.map((l) => `  ${l}`),
      ...tabulated.flatMap((k) => update(k).map((l) => `  ${l}`)),
      `}`,
    ];
  };
  const tablePath = tableLines();
  const hasReset = plan.resets.length > 0;
  const threshold = lit(plan.threshold);
  const above = (x: string): string => `${model.inclusive ? 'f32x4.ge' : 'f32x4.gt'}(${x}, TH)`;
  const below = (x: string): string => `${model.inclusive ? 'f32x4.lt' : 'f32x4.le'}(${x}, TH)`;
  const spikeRule = hasReset
    ? [
        // Held states keep their value while refractory; the counter counts down; a spike is the
        // condition after the step outside the refractory period, then the reset.
        `const inRef = i32x4.gt_s(ref, ZERO);`,
        ...plan.resets.map(([k]) => `n${k} = v128.bitselect(s${k}, n${k}, inRef);`),
        `let nref = i32x4.add(ref, inRef);`,
        `const spike = v128.andnot(${above(`n${vk}`)}, inRef);`,
        `if (v128.any_true(spike)) {`,
        ...rst.body.map((l) => `  ${l}`),
        ...rCode.map((c, i) => `  const r${i} = ${c};`),
        ...plan.resets.map(([k], i) => `  n${k} = v128.bitselect(r${i}, n${k}, spike);`),
        `  nref = v128.bitselect(RS, nref, spike);`,
        `}`,
      ]
    : [
        // With a refractory period the condition outside it (Brian2's rule), else an upward
        // crossing; not within the period (counted down first).
        `let nref = i32x4.add(ref, i32x4.gt_s(ref, ZERO));`,
        plan.refractoryMs > 0
          ? `const spike = v128.and(${above(`n${vk}`)}, i32x4.eq(nref, ZERO));`
          : `const spike = v128.and(v128.and(${below(`s${vk}`)}, ${above(`n${vk}`)}), i32x4.eq(nref, ZERO));`,
        `nref = v128.bitselect(RS, nref, spike);`,
      ];
  const fireLanes = [0, 1, 2, 3]
    .map((l) => `      if (bits & ${1 << l}) { store<i32>(FIRED + (<usize>count << 2), i + ${l}); count++; }`)
    .join('\n');
  const factorLoads = factorB
    .map((b, k) => (b === null ? '' : `const F${k} = v128.load32_splat(0, ${TABLE + 4 * k});`))
    .filter((l) => l);
  // The hoisted constants: literal splats become table loads.
  const pre = coef.pre.map((l) =>
    l.replace(/f32x4\.splat\((-?[0-9.]+(?:[eE][-+]?[0-9]+)?)\)/g, (_, v: string) => lit(Number(v))),
  );
  const limit = lit(plan.voltageLimit);
  const tiny = lit(1e-12);
  const helpers = helperSource(lit);
  const fast = (lines: readonly string[]): string[] => lines.map(withHelpers);
  const ind = (lines: readonly string[], n: number): string =>
    lines.map((l) => `${' '.repeat(n)}${l}`).join('\n');
  const source = `${SIMD_RUNTIME_SOURCE}
${helpers}
// Population step of ${model.name} (${integrator}): neurons [i0, i1) of n, a multiple of 4 apart.
// State k of neuron i at ST + 4·(k·stride + i); fired indices from FIRED; returns how many fired,
// or −1 − i when neuron i's potential left the limit (or became NaN).
export function step(
  ST: usize, stride: i32, IN: usize, REF: usize, FIRED: usize,
  n: i32, i0: i32, i1: i32, dt: f32, refSteps: i32,
): i32 {
  const row: usize = <usize>stride << 2;
${ind(
  states.map((_, k) => `const P${k}: usize = ST + ${k} * row;`),
  2,
)}
  const DT = f32x4.splat(dt);
  const RS = i32x4.splat(refSteps);
  const NV = i32x4.splat(n);
  const IOTA = i32x4(0, 1, 2, 3);
  const ZERO = i32x4.splat(0);
  const TH = ${threshold};
  const LIM = ${limit};
  const TINY = ${tiny};
${ind(factorLoads, 2)}
${ind(fast(pre), 2)}
  let count: i32 = 0;
  for (let i = i0; i < i1; i += 4) {
    const o: usize = <usize>i << 2;
${ind(
  states.map((_, k) => `const s${k} = v128.load(P${k} + o);`),
  4,
)}
    const x = v128.load(IN + o);
    const ref = v128.load(REF + o);
${ind(fast(coef.body), 4)}
${ind(fast(updates), 4)}
${ind(fast(tablePath), 4)}
${ind(fast(spikeRule), 4)}
${ind(
  states.map((_, k) => `v128.store(P${k} + o, n${k});`),
  4,
)}
    v128.store(REF + o, nref);
    const valid = i32x4.lt_s(i32x4.add(i32x4.splat(i), IOTA), NV);
    const fired = v128.and(spike, valid);
    if (v128.any_true(fired)) {
      const bits = i32x4.bitmask(fired);
${fireLanes}
    }
    const bad = v128.andnot(valid, f32x4.le(f32x4.abs(n${vk}), LIM));
    if (v128.any_true(bad)) return -1 - (i + ctz<i32>(i32x4.bitmask(bad)));
  }
  return count;
}
`;
  const rates: RateTable | null =
    grid && tabulated.length
      ? { states: tabulated, ...grid, rowFloats, at: TABLE + Math.ceil((S + literals.length) / 16) * 64 }
      : null;
  return {
    plan,
    source: rates ? source.replaceAll('RATES_AT', String(rates.at)) : source,
    factorB,
    literals,
    rates,
  };
}

/**
 * Inlined variants of the runtime's helpers with their constants from the table: exprel, and
 * c/exprel(x) = c·x/(eˣ − 1) with one division (the HH rate functions' form).
 */
function helperSource(lit: (v: number) => string): string {
  const one = lit(1);
  return `
// @ts-ignore: decorator
@inline function nexprel(x: v128): v128 {
  const small = f32x4.lt(f32x4.abs(x), ${lit(1e-3)});
  const safe = v128.bitselect(${one}, x, small);
  const series = f32x4.add(${one}, f32x4.mul(x, f32x4.add(${lit(0.5)}, f32x4.mul(x, ${lit(1 / 6)}))));
  return v128.bitselect(series, f32x4.div(kexpm1(safe), safe), small);
}
// @ts-ignore: decorator
@inline function ninvexprel(x: v128): v128 {
  const small = f32x4.lt(f32x4.abs(x), ${lit(1e-3)});
  const safe = v128.bitselect(${one}, x, small);
  const series = f32x4.add(${one}, f32x4.mul(x, f32x4.add(${lit(-0.5)}, f32x4.mul(x, ${lit(1 / 12)}))));
  return v128.bitselect(series, f32x4.div(safe, kexpm1(safe)), small);
}
// @ts-ignore: decorator
@inline function nsigmoid(x: v128): v128 {
  return f32x4.div(${one}, f32x4.add(${one}, kexp(f32x4.neg(x))));
}
// The runtime's exp with the constants' address as a literal (0), not a global: one load each.
// @ts-ignore: decorator
@inline function kexp(x: v128): v128 {
  return vexpAt(x, 0);
}
// @ts-ignore: decorator
@inline function kexpm1(x: v128): v128 {
  return vexpm1At(x, 0);
}
`;
}

/** The arguments of the call whose '(' is at open, and the index of its ')'. */
function callArgs(code: string, open: number): { args: string[]; close: number } {
  const args: string[] = [];
  let depth = 0;
  let from = open + 1;
  for (let i = open; i < code.length; i++) {
    const c = code[i];
    if (c === '(') depth++;
    else if (c === ')' && --depth === 0) {
      args.push(code.slice(from, i).trim());
      return { args, close: i };
    } else if (c === ',' && depth === 1) {
      args.push(code.slice(from, i).trim());
      from = i + 1;
    }
  }
  throw new Error(`unbalanced generated code: ${code}`);
}

/** Rendered code with the runtime helpers swapped for the inlined ones (helperSource). */
function withHelpers(code: string): string {
  return swapCalls(code)
    .replace(/\bvexp\(/g, 'kexp(')
    .replace(/\bvexpm1\(/g, 'kexpm1(');
}

function swapCalls(code: string): string {
  let out = '';
  let i = 0;
  for (;;) {
    const m = /f32x4\.div\(|vexprel\(|vsigmoid\(/.exec(code.slice(i));
    if (!m) return out + code.slice(i);
    const at = i + m.index;
    const open = at + m[0].length - 1;
    const { args, close } = callArgs(code, open);
    const inner = args.map(swapCalls);
    out += code.slice(i, at);
    const divisor = m[0] === 'f32x4.div(' ? /^vexprel\((.*)\)$/s.exec(args[1]) : null;
    if (divisor && callArgs(args[1], 'vexprel'.length).close === args[1].length - 1)
      out += `f32x4.mul(${inner[0]}, ninvexprel(${swapCalls(divisor[1])}))`;
    else if (m[0] === 'vexprel(') out += `nexprel(${inner[0]})`;
    else if (m[0] === 'vsigmoid(') out += `nsigmoid(${inner[0]})`;
    else out += `f32x4.div(${inner.join(', ')})`;
    i = close + 1;
  }
}

// ---------------------------------------------------------------------------------------------
// Compiling: in-process and on-disk caches, asynchronously or by blocking on a compiler worker.

const modules = new Map<string, WasmModule>();

/** Compiles (or finds cached) a rendered kernel, asynchronously. */
export async function prepareWasmStep(program: WasmStepProgram): Promise<WasmModule> {
  const have = modules.get(program.source);
  if (have) return have;
  const { bytes } = await cachedCompile(program.source, 'simd', defaultKernelCacheDir());
  const module = new wasmApi.Module(bytes);
  modules.set(program.source, module);
  return module;
}

/** How long a synchronous compile may take (the compiler loads binaryen first). */
const COMPILE_TIMEOUT_MS = 300_000;

/** The compiled kernel, compiling it now if needed (blocks: about a second, more on a busy machine). */
export function compileWasmStepSync(program: WasmStepProgram): WasmModule {
  const have = modules.get(program.source);
  if (have) return have;
  const cacheDir = defaultKernelCacheDir();
  let bytes = readCachedKernel(program.source, 'simd', cacheDir);
  if (!bytes) {
    const signal = new Int32Array(new SharedArrayBuffer(4));
    const { port1, port2 } = new MessageChannel();
    const worker = new Worker(new URL('./wasm-compile-worker.js', import.meta.url), {
      workerData: { source: program.source, port: port2, signal },
      transferList: [port2],
    });
    try {
      const woke = Atomics.wait(signal, 0, 0, COMPILE_TIMEOUT_MS);
      const reply = receiveMessageOnPort(port1)?.message as
        { bytes?: Uint8Array; error?: string } | undefined;
      if (woke === 'timed-out' || !reply)
        throw new Error(
          `compiling the wasm population step did not finish in ${COMPILE_TIMEOUT_MS / 1000} s`,
        );
      if (!reply.bytes) throw new Error(reply.error ?? 'compiling the wasm population step failed');
      bytes = reply.bytes;
    } finally {
      port1.close();
      void worker.terminate();
    }
    void writeCachedKernel(program.source, 'simd', cacheDir, bytes);
  }
  const module = new wasmApi.Module(bytes);
  modules.set(program.source, module);
  return module;
}

// ---------------------------------------------------------------------------------------------
// A population's state and kernel in the module's memory, with optional worker threads.

const PAGE = 65536;
/** Byte address of the constant table (the exp constants are below it, at 0). */
const TABLE = 64;
/**
 * Control block (int32 words): a step's generation (what wakes the workers), the stop flag, dt
 * (float32 bits), the refractory steps and the number of sleeping workers; then, each on its own
 * cache line, the number of chunks done and per thread the next unclaimed chunk of its share;
 * then the chunk bounds (chunks + 1) and each chunk's result.
 */
export const CTL_GEN = 0;
export const CTL_STOP = 1;
export const CTL_DT = 2;
export const CTL_REFSTEPS = 3;
/** How many workers sleep (the caller wakes them only then: a wake-up may cost it its CPU). */
export const CTL_SLEEPING = 4;
const CTL_DONE = 16;
const CTL_NEXT = 32;
/** A chunk's result when its step threw. */
export const STEP_FAILED = -0x80000000;
/** Neurons per thread below which a population uses fewer threads. */
export const MIN_NEURONS_PER_THREAD = 128;
/** Chunks per thread a step is split into. */
export const CHUNKS_PER_THREAD = 8;

/** The arguments of the kernel's step besides the range. */
export interface StepLayout {
  ST: number;
  stride: number;
  IN: number;
  REF: number;
  FIRED: number;
  n: number;
}

/** What a step worker receives (wasm-step-worker.ts). */
export interface StepWorkerInit {
  module: WasmModule;
  memory: WasmMemory;
  /** Byte address of the control block. */
  ctl: number;
  chunks: number;
  threads: number;
  /** This worker's thread number (the caller is 0). */
  thread: number;
  layout: StepLayout;
}

type StepExport = (
  ST: number,
  stride: number,
  IN: number,
  REF: number,
  FIRED: number,
  n: number,
  i0: number,
  i1: number,
  dt: number,
  refSteps: number,
) => number;

/**
 * The chunks of a step and who steps them. Thread t's share is chunks [t·C/T, (t+1)·C/T): each
 * thread steps its own share first (its neurons stay in its core's cache from step to step), then
 * whatever of the others' shares is still unclaimed, so a late or paused thread costs little.
 * Every chunk is stepped exactly once, from the same state, whoever claims it: the results do not
 * depend on the threads.
 */
export class ChunkBoard {
  readonly ctl: Int32Array;
  readonly ctlF32: Float32Array;
  private readonly bounds: number;
  private readonly results: number;

  constructor(
    buffer: ArrayBuffer | SharedArrayBuffer,
    at: number,
    readonly chunks: number,
    readonly threads: number,
  ) {
    this.bounds = CTL_NEXT + 16 * threads;
    this.results = this.bounds + chunks + 1;
    const words = ChunkBoard.words(chunks, threads);
    this.ctl = new Int32Array(buffer, at, words);
    this.ctlF32 = new Float32Array(buffer, at, words);
  }

  static words(chunks: number, threads: number): number {
    return CTL_NEXT + 16 * threads + 2 * chunks + 1;
  }

  /** First chunk of thread t's share (t = threads: the end). */
  private share(t: number): number {
    return Math.floor((t * this.chunks) / this.threads);
  }

  /** Sets the chunk bounds over nPad neurons (whole vectors), every chunk claimed. */
  init(nPad: number): void {
    for (let c = 0; c <= this.chunks; c++)
      this.ctl[this.bounds + c] = Math.round((nPad / 4) * (c / this.chunks)) * 4;
    for (let t = 0; t < this.threads; t++) this.ctl[CTL_NEXT + 16 * t] = this.share(t + 1) - this.share(t);
  }

  /** Opens a step's chunks (the caller, once the state is ready and dt is written). */
  open(): void {
    Atomics.store(this.ctl, CTL_DONE, 0);
    for (let t = 0; t < this.threads; t++) Atomics.store(this.ctl, CTL_NEXT + 16 * t, 0);
  }

  /** Claims and steps chunks, own share first (see the class comment), until none is left. */
  work(thread: number, layout: StepLayout, run: StepExport): void {
    const { ST, stride, IN, REF, FIRED, n } = layout;
    const ctl = this.ctl;
    for (let k = 0; k < this.threads; k++) {
      const t = (thread + k) % this.threads;
      const first = this.share(t);
      const count = this.share(t + 1) - first;
      for (;;) {
        const q = Atomics.add(ctl, CTL_NEXT + 16 * t, 1);
        if (q >= count) break;
        const c = first + q;
        const i0 = ctl[this.bounds + c];
        const i1 = ctl[this.bounds + c + 1];
        let r: number;
        try {
          r = run(ST, stride, IN, REF, FIRED + 4 * i0, n, i0, i1, this.ctlF32[CTL_DT], ctl[CTL_REFSTEPS]);
        } catch {
          r = STEP_FAILED;
        }
        ctl[this.results + c] = r;
        ctl[CTL_NEXT + 16 * thread + 1]++;
        if (Atomics.add(ctl, CTL_DONE, 1) === this.chunks - 1) Atomics.notify(ctl, CTL_DONE);
      }
    }
  }

  /** Waits for the chunks still in flight on workers (they update the state in place). */
  wait(): void {
    if (!waitFor(this.ctl, CTL_DONE, this.chunks, STALL_MS))
      throw new Error(`a wasm population step worker has not finished its chunk in ${STALL_MS / 1000} s`);
  }

  /** Chunks thread t has stepped so far (its own counter, written by it alone). */
  stepped(t: number): number {
    return Atomics.load(this.ctl, CTL_NEXT + 16 * t + 1);
  }

  /** Chunk c's first neuron and result. */
  first(c: number): number {
    return this.ctl[this.bounds + c];
  }
  result(c: number): number {
    return this.ctl[this.results + c];
  }
}

export interface WasmPopulationOptions {
  /** Threads stepping the neurons (default 1: the caller only). */
  threads?: number;
}

export class WasmPopulationKernel {
  readonly n: number;
  readonly nPad: number;
  readonly S: number;
  /** State k of neuron i at state[k·nPad + i]. */
  readonly state: Float32Array;
  readonly input: Float32Array;
  readonly refractory: Int32Array;
  /** Indices of the neurons that fired in the last step (the first `step()` of them). */
  readonly fired: Int32Array;
  private readonly memory: WasmMemory;
  private readonly run: StepExport;
  private readonly layout: StepLayout;
  private readonly table: Float32Array;
  private readonly rateTable: Float32Array | null;
  private readonly board: ChunkBoard | null = null;
  private readonly workers: Worker[] = [];
  private readonly started: Promise<unknown>;
  private factorsDt = NaN;

  constructor(
    readonly program: WasmStepProgram,
    module: WasmModule,
    n: number,
    opts: WasmPopulationOptions = {},
  ) {
    const { S } = program.plan;
    this.n = n;
    this.S = S;
    const nPad = Math.ceil(n / 4) * 4;
    this.nPad = nPad;
    const wanted = Math.max(1, Math.floor(opts.threads ?? 1));
    const threads = Math.max(1, Math.min(wanted, Math.floor(n / MIN_NEURONS_PER_THREAD)));
    const chunks = Math.min(threads * CHUNKS_PER_THREAD, nPad / 4);
    const ctlBytes = threads > 1 ? Math.ceil(ChunkBoard.words(chunks, threads) / 16) * 64 : 0;
    const tableLen = S + program.literals.length;
    const rates = program.rates;
    const ratesAt = TABLE + Math.ceil(tableLen / 16) * 64;
    if (rates && rates.at !== ratesAt) throw new Error('rate table address does not match the kernel layout');
    const ctl = ratesAt + (rates ? rates.rows * rates.rowFloats * 4 : 0);
    const ST = ctl + ctlBytes;
    const IN = ST + S * nPad * 4;
    const REF = IN + nPad * 4;
    const FIRED = REF + nPad * 4;
    const pages = Math.ceil((FIRED + nPad * 4) / PAGE);
    this.memory = new wasmApi.Memory({ initial: pages, maximum: pages, shared: true });
    const instance = new wasmApi.Instance(module, { env: { memory: this.memory } });
    const ex = instance.exports as Record<string, (...args: number[]) => number>;
    const buf = this.memory.buffer;
    new Float32Array(buf, 0, EXP_CONSTANTS.length).set(EXP_CONSTANTS);
    ex.setExpConstants(0);
    this.run = ex.step as StepExport;
    this.layout = { ST, stride: nPad, IN, REF, FIRED, n };
    this.table = new Float32Array(buf, TABLE, tableLen);
    this.table.set(program.literals, S);
    this.rateTable = rates ? new Float32Array(buf, rates.at, rates.rows * rates.rowFloats) : null;
    this.state = new Float32Array(buf, ST, S * nPad);
    this.input = new Float32Array(buf, IN, nPad);
    this.refractory = new Int32Array(buf, REF, nPad);
    this.fired = new Int32Array(buf, FIRED, nPad);
    this.started = Promise.resolve();
    if (threads === 1) return;
    const board = new ChunkBoard(buf, ctl, chunks, threads);
    board.init(nPad);
    this.board = board;
    for (let w = 1; w < threads; w++) {
      const init: StepWorkerInit = {
        module,
        memory: this.memory,
        ctl,
        chunks,
        threads,
        thread: w,
        layout: this.layout,
      };
      const worker = new Worker(new URL('./wasm-step-worker.js', import.meta.url), { workerData: init });
      worker.on('error', () => undefined); // its share is taken by the others
      worker.unref();
      this.workers.push(worker);
    }
    this.started = Promise.all(
      this.workers.map((w) => new Promise((resolve) => w.once('message', resolve).once('exit', resolve))),
    );
    if (this.workers.length) stopOnCollect.register(this, this.workers.slice());
  }

  /** Threads stepping the neurons (the caller included; 1 after close()). */
  get threads(): number {
    return this.workers.length + 1;
  }

  /** Resolves once every worker thread has started (or failed to): they take chunks from then. */
  async whenReady(): Promise<void> {
    for (const w of this.workers) w.ref();
    try {
      await this.started;
    } finally {
      for (const w of this.workers) w.unref();
    }
  }

  /** Chunks of neurons each thread has stepped (the caller first): how the work was shared. */
  chunksStepped(): number[] {
    const board = this.board;
    return board ? Array.from({ length: board.threads }, (_, t) => board.stepped(t)) : [];
  }

  /** Fills the kernel's state from neuron-major y (pad lanes: copies of the last neuron). */
  load(y: Float64Array, current: Float64Array, refractory: Int32Array): void {
    const { S, n, nPad, state } = this;
    for (let k = 0; k < S; k++) {
      const row = k * nPad;
      for (let i = 0, o = k; i < n; i++, o += S) state[row + i] = y[o];
      state.fill(y[(n - 1) * S + k], row + n, row + nPad);
    }
    this.input.set(current.subarray(0, n));
    this.input.fill(0, n);
    this.refractory.set(refractory.subarray(0, n));
    this.refractory.fill(0, n);
  }

  /** Writes the kernel's state back to neuron-major y and the refractory counters. */
  store(y: Float64Array, refractory: Int32Array): void {
    const { S, n, nPad, state } = this;
    for (let k = 0; k < S; k++) {
      const row = k * nPad;
      for (let i = 0, o = k; i < n; i++, o += S) y[o] = state[row + i];
    }
    refractory.set(this.refractory.subarray(0, n));
  }

  /**
   * One step of all neurons: the number that fired (their indices in `fired`), or −1 − i when
   * neuron i diverged (the first such neuron).
   */
  step(dt: number, refractorySteps: number): number {
    if (dt !== this.factorsDt) this.setFactors(dt);
    const { ST, stride, IN, REF, FIRED, n } = this.layout;
    const board = this.board;
    if (!board || this.workers.length === 0)
      return this.run(ST, stride, IN, REF, FIRED, n, 0, this.nPad, dt, refractorySteps);
    const ctl = board.ctl;
    board.ctlF32[CTL_DT] = dt;
    ctl[CTL_REFSTEPS] = refractorySteps;
    board.open();
    Atomics.add(ctl, CTL_GEN, 1);
    if (Atomics.load(ctl, CTL_SLEEPING) > 0) Atomics.notify(ctl, CTL_GEN);
    board.work(0, this.layout, this.run);
    board.wait();
    // Spikes in chunk order (the order of one thread), or the first divergence.
    let count = 0;
    for (let c = 0; c < board.chunks; c++) {
      const r = board.result(c);
      if (r === STEP_FAILED) throw new Error('a wasm population step failed in a worker thread');
      if (r < 0) return r;
      const from = board.first(c);
      if (r > 0 && count !== from) this.fired.copyWithin(count, from, from + r);
      count += r;
    }
    return count;
  }

  /** The exp-Euler factors of the constant coefficients, in float64 as the JS step, for dt. */
  private setFactors(dt: number): void {
    this.program.factorB.forEach((b, k) => {
      if (b !== null) this.table[k] = b * dt > 1e-12 ? -exact.expm1(-b * dt) / b : dt;
    });
    const rates = this.program.rates;
    if (rates && this.rateTable) fillRateTable(this.program.plan, rates, dt, this.rateTable);
    this.factorsDt = dt;
  }

  /** Stops the worker threads (the kernel then runs on the caller alone). */
  close(): void {
    if (this.workers.length === 0) return;
    stopOnCollect.unregister(this);
    if (this.board) stopWorkers(this.board.ctl, this.workers);
    this.workers.length = 0;
  }
}

function stopWorkers(ctl: Int32Array, workers: readonly Worker[]): void {
  Atomics.store(ctl, CTL_STOP, 1);
  Atomics.add(ctl, CTL_GEN, 1);
  Atomics.notify(ctl, CTL_GEN);
  for (const w of workers) void w.terminate();
}

/** Workers of a kernel dropped without close() are stopped when it is collected. */
const stopOnCollect = new FinalizationRegistry<Worker[]>((workers) => {
  for (const w of workers) void w.terminate();
});

/** How long the caller polls for chunks in flight before it sleeps (a chunk: a few µs). */
export const SPIN_MS = 1;
/**
 * How long an idle worker polls for the next step before it sleeps: longer than the network's
 * work between steps (tens of µs), short enough not to take a busy machine's CPU from the caller
 * (a worker that wakes late costs little: the caller takes the chunks).
 */
export const WORKER_SPIN_MS = 0.2;

/** How long a chunk in flight may keep the caller waiting before it gives up (a dead worker). */
const STALL_MS = 60_000;

/** Waits until ctl[at] equals value (true), polling first, then sleeping; false after timeoutMs. */
export function waitFor(ctl: Int32Array, at: number, value: number, timeoutMs: number): boolean {
  const start = performance.now();
  for (let k = 0; ; k++) {
    const v = Atomics.load(ctl, at);
    if (v === value) return true;
    if ((k & 63) === 63) {
      const waited = performance.now() - start;
      if (waited >= timeoutMs) return false;
      if (waited >= SPIN_MS) Atomics.wait(ctl, at, v, 100);
    }
  }
}

// ---------------------------------------------------------------------------------------------
// The PopulationStep contract of kernel.ts, on a private kernel (states copied in and out).

/**
 * The wasm step as a PopulationStep (same arguments and result as the generated JS step), for
 * comparing the two and for callers holding neuron-major state: each call copies the state in and
 * out, so the network uses WasmPopulationKernel directly instead.
 */
export function wasmPopulationStep(program: WasmStepProgram, module: WasmModule): PopulationStep {
  let kernel: WasmPopulationKernel | null = null;
  return (y, n, inp, dt, refractory, refractorySteps, fired) => {
    if (!kernel || kernel.n !== n) kernel = new WasmPopulationKernel(program, module, n);
    kernel.load(y, inp, refractory);
    const r = kernel.step(dt, refractorySteps);
    kernel.store(y, refractory);
    if (r > 0) fired.set(kernel.fired.subarray(0, r));
    return r;
  };
}
