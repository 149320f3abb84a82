/**
 * Many cells of one morphology stepped together: a WebAssembly SIMD kernel (float32, four cells
 * per f32x4 vector) with the scheme of simulate.ts — staggered Rush–Larsen gates, then the
 * voltage by backward Euler or Crank–Nicolson (with the same damped clamp-switching steps), the
 * tree solved by Hines elimination per compartment on four cells at once (the tree and its
 * coefficients are the same for every cell; only V, the gates and the clamp amplitudes differ).
 *
 * Layout (bytes): [0, 64) the exp constants (vexp.ts), then the per-compartment tables (float32
 * C/h, C/(dt/2), the diagonal's axial part, the off-diagonal −g_axial, the passive G and G·E in
 * µS, the area factor, int32 parents, the HH compartments of each placement, the recorded
 * compartments), the per-step clamp switches, the clamp amplitudes [clamp][cell], the state, per
 * group of four cells: V[compartment][lane] then the gates [slot][lane] (so a group's state is
 * contiguous and stays in cache for the whole run), each thread's scratch, the record
 * [sample][location][cell] and the spikes (count per cell, then the step numbers [cell][max]).
 *
 * The kernel runs every step of a group of four cells before the next group: groups are
 * independent, so threads take contiguous ranges of groups and the results do not depend on the
 * number of threads. Pad lanes (cells beyond n) get no current and are never reported.
 *
 * Mechanisms: passive() and hhChannels() (recognised by their `passive` / `hh` descriptions);
 * the HH rate functions are rendered from neurons/hh.ts's declarations (HH_RATE_LETS) with the
 * SIMD renderer of the declared kernels and its vectorised exp.
 */
import { Worker } from 'node:worker_threads';
import type { Compartments } from '../morphology/tree.js';
import { parseExpr } from '../symbolic/expr.js';
import { HH_RATE_LETS } from '../neurons/hh.js';
import { cachedCompile, defaultKernelCacheDir } from '../kernels/wasm/declared-compile.js';
import { SIMD_RUNTIME_SOURCE, VectorRenderer } from '../kernels/wasm/declared-simd-source.js';
import { wasmApi } from '../kernels/wasm/wasm-api.js';
import { compileEager } from '../kernels/wasm/eager.js';
import type { WasmMemory, WasmModule } from '../kernels/wasm/wasm-api.js';
import { EXP_CONSTANTS } from '../kernels/wasm/exp-constants.js';
import { rateGrid } from '../kernels/wasm/rate-grid.js';
import type { RateTableOptions } from '../kernels/wasm/rate-grid.js';
import { hhRates } from './channels.js';
import type { Mechanism } from './channels.js';
import { cableCompartments, locate } from './simulate.js';
import type { CableOptions, Location } from './simulate.js';

/** A point clamp on every cell: the same timing, an amplitude per cell (or one for all), nA. */
export interface CellsClamp {
  at: Location;
  amplitudeNa: number | ArrayLike<number>;
  startMs: number;
  endMs: number;
}

/** The options of simulateCable that the wasm cable kernels take as they are (same meaning). */
export type WasmCableOptions = Pick<
  CableOptions,
  | 'morphology'
  | 'discretization'
  | 'compartments'
  | 'cm'
  | 'ri'
  | 'mechanisms'
  | 'vInit'
  | 'dt'
  | 'tStop'
  | 'method'
  | 'damping'
>;

/** The cable options of simulateCable, with clamps per cell and many cells. */
export interface CableCellsOptions extends WasmCableOptions {
  /** Number of cells (≥ 1). */
  cells: number;
  /** At most 15 clamps. */
  clamps?: readonly CellsClamp[];
  /** Locations whose V is recorded for every cell (every step, and t = 0). */
  record?: readonly Location[];
  /** Spike times (upward crossings of thresholdMv, default 0) at one location per cell. */
  spikes?: { at: Location; thresholdMv?: number; maxPerCell?: number };
  /** Threads (default 1: the caller only); each takes a contiguous range of groups of 4 cells. */
  threads?: number;
  /**
   * Rate tables for the HH gates (as the network's wasm step, RateTableOptions): each gate's
   * update x ← E(v)·x + Q(v) (Rush–Larsen for the step dt), E and Q computed in float64 on a
   * grid over v and interpolated linearly; lanes outside the grid take the exact expressions.
   * Default: exact expressions.
   */
  rateTable?: RateTableOptions | null;
}

export interface CableCellsResult {
  compartments: Compartments;
  /** Sample times, ms. */
  t: Float64Array;
  /** v[r][cell]: V (mV, float32) at recorded location r of the cell, per sample. */
  v: Float32Array[][];
  /** Spike times per cell, ms (the first sample at or above the threshold after one below it). */
  spikes: Float64Array[];
  /** Spikes per cell beyond maxPerCell (counted, times not kept). */
  spikesDropped: number;
  /** Seconds of the stepping itself (every thread), and the threads used. */
  seconds: number;
  threads: number;
}

interface PassiveDesc {
  passive: { g: number; e: number };
}
/** What the wasm kernels read of an hhChannels() mechanism. */
export interface HHDesc {
  hh: { phi: number; gNa: number; gK: number; gL: number };
  params: { ENa: number; EK: number; EL: number; vOffset: number };
}

export function isPassive(m: Mechanism): m is Mechanism & PassiveDesc {
  return typeof (m as Partial<PassiveDesc>).passive === 'object';
}
export function isHH(m: Mechanism): m is Mechanism & HHDesc {
  return typeof (m as Partial<HHDesc>).hh === 'object' && typeof (m as Partial<HHDesc>).params === 'object';
}

export const MAX_CLAMPS = 15;
const PAGE = 65536;
const MAX_PAGES = 65536;

/** One HH placement as the kernel sees it. */
interface HHPlaced {
  mech: Mechanism & HHDesc;
  comps: number[];
}

/** Renders the kernel for N compartments, the HH placements and the method. */
export function renderCellsKernel(
  N: number,
  hh: readonly HHPlaced[],
  method: 'cn' | 'be',
  recCount: number,
  clampCount: number,
  grid: RateGrid | null = null,
): string {
  const names = ['am', 'bm', 'ah', 'bh', 'an', 'bn'];
  const exprs = names.map((n) => parseExpr(HH_RATE_LETS[n], `hh.${n}`));
  const gateSlots = hh.reduce((s, p) => s + 3 * p.comps.length, 0);
  const f = (x: number): string => {
    if (!Number.isFinite(x)) throw new RangeError(`cannot render ${x}`);
    const s = String(Math.fround(x));
    return `f32x4.splat(<f32>${/[.eE]/.test(s) ? s : `${s}.0`})`;
  };
  const hhBlocks = hh.map((p, q) => {
    const r = new VectorRenderer(
      (s) => {
        if (s !== 'u') throw new Error(`HH rate reads "${s}"; only u is expected`);
        return 'u';
      },
      () => false,
      `H${q}_`,
    );
    r.prepare(exprs);
    const codes = exprs.map((e) => r.render(e));
    const { phi, gNa, gK, gL } = p.mech.hh;
    const { ENa, EK, EL, vOffset } = p.mech.params;
    const exact = [
      ...r.body,
      ...codes.map((c, k) => `const r${k} = ${c};`),
      ...[0, 1, 2].flatMap((k) => [
        `const a${k} = f32x4.mul(PHI, r${2 * k});`,
        `const s${k} = f32x4.add(a${k}, f32x4.mul(PHI, r${2 * k + 1}));`,
        `const i${k} = f32x4.div(a${k}, s${k});`,
        `x${k} = f32x4.add(i${k}, f32x4.mul(f32x4.sub(o${k}, i${k}), vexp(f32x4.neg(f32x4.mul(s${k}, DT)))));`,
      ]),
    ];
    const RT = grid ? 64 + q * grid.rows * 64 : 0;
    const tabled = grid
      ? [
          `const ru = f32x4.mul(f32x4.sub(vv, ${f(grid.min)}), ${f(1 / grid.step)});`,
          `if (i32x4.all_true(v128.and(f32x4.ge(ru, f32x4.splat(0.0)), f32x4.lt(ru, ${f(grid.rows)})))) {`,
          `  const rj = i32x4.trunc_sat_f32x4_s(ru);`,
          `  const rw = f32x4.sub(ru, f32x4.convert_i32x4_s(rj));`,
          `  const ro = i32x4.shl(rj, 6);`,
          ...[0, 1, 2, 3].flatMap((l) => [
            `  const p${l}: usize = <usize>i32x4.extract_lane(ro, ${l});`,
            `  const w${l} = f32x4.shuffle(rw, rw, ${l}, ${l}, ${l}, ${l});`,
            `  const P${l} = f32x4.add(v128.load(p${l}, ${RT}), f32x4.mul(w${l}, v128.load(p${l}, ${RT + 32})));`,
            `  const R${l} = f32x4.add(v128.load(p${l}, ${RT + 16}), f32x4.mul(w${l}, v128.load(p${l}, ${RT + 48})));`,
          ]),
          `  const U0 = f32x4.shuffle(P0, P1, 0, 4, 1, 5);`,
          `  const U1 = f32x4.shuffle(P2, P3, 0, 4, 1, 5);`,
          `  const U2 = f32x4.shuffle(P0, P1, 2, 6, 3, 7);`,
          `  const U3 = f32x4.shuffle(P2, P3, 2, 6, 3, 7);`,
          `  const V0 = f32x4.shuffle(R0, R1, 0, 4, 1, 5);`,
          `  const V1 = f32x4.shuffle(R2, R3, 0, 4, 1, 5);`,
          `  x0 = f32x4.add(f32x4.mul(f32x4.shuffle(U0, U1, 0, 1, 4, 5), o0), f32x4.shuffle(U0, U1, 2, 3, 6, 7));`,
          `  x1 = f32x4.add(f32x4.mul(f32x4.shuffle(U2, U3, 0, 1, 4, 5), o1), f32x4.shuffle(U2, U3, 2, 3, 6, 7));`,
          `  x2 = f32x4.add(f32x4.mul(f32x4.shuffle(V0, V1, 0, 1, 4, 5), o2), f32x4.shuffle(V0, V1, 2, 3, 6, 7));`,
          `} else {`,
          ...exact.map((l) => `  ${l}`),
          `}`,
        ]
      : exact;
    const gateLines = [
      ...[0, 1, 2].map((k) => `const o${k} = v128.load(gp, ${16 * k});`),
      ...[0, 1, 2].map((k) => `let x${k} = o${k};`),
      ...tabled,
      ...[0, 1, 2].map((k) => `v128.store(gp, x${k}, ${16 * k});`),
    ];
    return `
    {
      // HH placement ${q}: ${p.comps.length} compartments
      const PHI = ${f(phi)};
      const VOFF = ${f(vOffset)};
      const GNA = ${f(gNa)};
      const GK = ${f(gK)};
      const GL = ${f(gL)};
      const ENA = ${f(ENa)};
      const EK = ${f(EK)};
      const EL = ${f(EL)};
${r.pre.map((l) => `      ${l}`).join('\n')}
      for (let k = 0; k < ${p.comps.length}; k++) {
        const i: usize = <usize>load<i32>(HHIDX${q} + (<usize>k << 2));
        const gp: usize = GS + ((<usize>(HHOFF${q} + 3 * k)) << 4);
        const vv = v128.load(VS + (i << 4));
        const u = f32x4.sub(vv, VOFF);
${gateLines.map((l) => `        ${l}`).join('\n')}
        const m3 = f32x4.mul(f32x4.mul(x0, x0), x0);
        const n2 = f32x4.mul(x2, x2);
        const A = v128.load32_splat(AREA + (i << 2));
        const na = f32x4.mul(f32x4.mul(GNA, m3), x1);
        const kk = f32x4.mul(GK, f32x4.mul(n2, n2));
        const g = f32x4.mul(f32x4.add(f32x4.add(na, kk), GL), A);
        const ge = f32x4.mul(f32x4.add(f32x4.add(f32x4.mul(na, ENA), f32x4.mul(kk, EK)), f32x4.mul(GL, EL)), A);
        v128.store(GM + (i << 4), f32x4.add(v128.load(GM + (i << 4)), g));
        v128.store(GEM + (i << 4), f32x4.add(v128.load(GEM + (i << 4)), ge));
      }
    }`;
  });
  // Table offsets (bytes from TAB): C/h, C/(dt/2), axial diagonal, off, G0, GE0, area, parent.
  const T = (k: number): number => 4 * N * k;
  let hhAt = T(8);
  const hhIdx = hh.map((p) => {
    const at = hhAt;
    hhAt += 4 * p.comps.length;
    return at;
  });
  const recAt = hhAt;
  let off = 0;
  const hhOff = hh.map((p) => {
    const o = off;
    off += 3 * p.comps.length;
    return o;
  });
  const clampLines = Array.from(
    { length: clampCount },
    (_, c) => `
    if (bits & ${1 << c}) {
      const ci: usize = <usize>load<i32>(CLI + ${4 * c});
      v128.store(RH + (ci << 4), f32x4.add(v128.load(RH + (ci << 4)), v128.load(AMP + ((<usize>(${c} * cellPad + 4 * g)) << 2))));
    }`,
  ).join('');
  return `${SIMD_RUNTIME_SOURCE}
// Many-cell cable kernel: ${N} compartments, ${hh.length} HH placements (${gateSlots} gate slots), ${method}.
// @ts-ignore: decorator
@inline function solve(N: i32, TAB: usize, CH: usize, VS: usize, GM: usize, GEM: usize, DG: usize, RH: usize, bits: i32, CLI: usize, AMP: usize, cellPad: i32, g: i32): void {
  for (let i: usize = 0; i < <usize>N; i++) {
    const ch = v128.load32_splat(CH + (i << 2));
    v128.store(DG + (i << 4), f32x4.add(f32x4.add(ch, v128.load(GM + (i << 4))), v128.load32_splat(TAB + ${T(2)} + (i << 2))));
    v128.store(RH + (i << 4), f32x4.add(f32x4.mul(ch, v128.load(VS + (i << 4))), v128.load(GEM + (i << 4))));
  }${clampLines}
  for (let i: usize = <usize>N - 1; i > 0; i--) {
    const p: usize = <usize>load<i32>(TAB + ${T(7)} + (i << 2));
    const o = v128.load32_splat(TAB + ${T(3)} + (i << 2));
    // The reciprocal replaces the diagonal: back substitution then multiplies (no division on its chain).
    const inv = f32x4.div(f32x4.splat(1.0), v128.load(DG + (i << 4)));
    v128.store(DG + (i << 4), inv);
    const fct = f32x4.mul(o, inv);
    v128.store(DG + (p << 4), f32x4.sub(v128.load(DG + (p << 4)), f32x4.mul(fct, o)));
    v128.store(RH + (p << 4), f32x4.sub(v128.load(RH + (p << 4)), f32x4.mul(fct, v128.load(RH + (i << 4)))));
  }
  v128.store(RH, f32x4.div(v128.load(RH), v128.load(DG)));
  for (let i: usize = 1; i < <usize>N; i++) {
    const p: usize = <usize>load<i32>(TAB + ${T(7)} + (i << 2));
    const o = v128.load32_splat(TAB + ${T(3)} + (i << 2));
    v128.store(RH + (i << 4), f32x4.mul(f32x4.sub(v128.load(RH + (i << 4)), f32x4.mul(o, v128.load(RH + (p << 4)))), v128.load(DG + (i << 4))));
  }
}

// Groups [g0, g1) of four cells, every step. TAB: the tables; INFO: per step (bit 0: a damped
// switching step; bits 1…15: clamps on in the first solve; bits 16…30: in the second); CLI: the
// clamps' compartments; AMP: amplitudes [clamp][cell]; ST: the groups' state; SCR: this thread's
// scratch; REC: samples [step][location][cell]; SPN/SPT: spike counts and step numbers.
export function run(
  g0: i32, g1: i32, steps: i32, dt: f32, cellPad: i32,
  TAB: usize, INFO: usize, CLI: usize, AMP: usize, ST: usize, SCR: usize,
  REC: usize, SPN: usize, SPT: usize, maxSp: i32, site: i32, th: f32,
): i32 {
  const N: i32 = ${N};
  const DT = f32x4.splat(dt);
  const TH = f32x4.splat(th);
  const TWO = f32x4.splat(2.0);
  const GM: usize = SCR;
  const GEM: usize = SCR + (<usize>N << 4);
  const DG: usize = SCR + (<usize>N << 5);
  const RH: usize = SCR + (<usize>N * 48);
  let dropped: i32 = 0;
${hh.map((_, q) => `  const HHIDX${q}: usize = TAB + ${hhIdx[q]};\n  const HHOFF${q}: i32 = ${hhOff[q]};`).join('\n')}
  const RECI: usize = TAB + ${recAt};
  for (let g = g0; g < g1; g++) {
    const VS: usize = ST + <usize>g * ${16 * (N + gateSlots)};
    const GS: usize = VS + ${16 * N};
    for (let n = 0; n < steps; n++) {
      const vOld = v128.load(VS + (<usize>site << 4));
      for (let i: usize = 0; i < <usize>N; i++) {
        v128.store(GM + (i << 4), v128.load32_splat(TAB + ${T(4)} + (i << 2)));
        v128.store(GEM + (i << 4), v128.load32_splat(TAB + ${T(5)} + (i << 2)));
      }
      const AREA: usize = TAB + ${T(6)};${hhBlocks.join('')}
      const info = load<i32>(INFO + (<usize>n << 2));
      if (info & 1) {
        solve(N, TAB, TAB + ${T(1)}, VS, GM, GEM, DG, RH, (info >> 1) & 0x7fff, CLI, AMP, cellPad, g);
        memory.copy(VS, RH, <usize>N << 4);
        solve(N, TAB, TAB + ${T(1)}, VS, GM, GEM, DG, RH, (info >> 16) & 0x7fff, CLI, AMP, cellPad, g);
        memory.copy(VS, RH, <usize>N << 4);
      } else {
        solve(N, TAB, TAB + ${T(0)}, VS, GM, GEM, DG, RH, (info >> 1) & 0x7fff, CLI, AMP, cellPad, g);
        for (let i: usize = 0; i < <usize>N; i++) {
          ${
            method === 'cn'
              ? 'v128.store(VS + (i << 4), f32x4.sub(f32x4.mul(TWO, v128.load(RH + (i << 4))), v128.load(VS + (i << 4))));'
              : 'v128.store(VS + (i << 4), v128.load(RH + (i << 4)));'
          }
        }
      }
${
  recCount > 0
    ? `      for (let r: usize = 0; r < ${recCount}; r++) {
        const ri: usize = <usize>load<i32>(RECI + (r << 2));
        v128.store(REC + ((<usize>(n + 1) * ${recCount} + r) * <usize>cellPad + (<usize>g << 2)) * 4, v128.load(VS + (ri << 4)));
      }`
    : ''
}
      if (maxSp >= 0) {
        const vNew = v128.load(VS + (<usize>site << 4));
        const up = v128.and(f32x4.lt(vOld, TH), f32x4.ge(vNew, TH));
        if (v128.any_true(up)) {
          const bitsUp = i32x4.bitmask(up);
          for (let l = 0; l < 4; l++) {
            if (bitsUp & (1 << l)) {
              const cell: usize = (<usize>g << 2) + <usize>l;
              const c = load<i32>(SPN + (cell << 2));
              if (c < maxSp) store<i32>(SPT + ((cell * <usize>maxSp + <usize>c) << 2), n + 1);
              else dropped++;
              store<i32>(SPN + (cell << 2), c + 1);
            }
          }
        }
      }
    }
  }
  return dropped;
}
`;
}

/** A rate table's grid: rows over [min, min + rows·step), mV (kernels/wasm/rate-grid.ts). */
export type RateGrid = ReturnType<typeof rateGrid>;

/**
 * Fills an HH placement's rate table for dt (float64, then float32): per row the gates' E, Q
 * (x ← E·x + Q) as [Em, Qm, Eh, Qh][En, Qn, 0, 0], then the slopes to the next row likewise.
 */
export function fillHHTable(mech: HHDesc, grid: RateGrid, dt: number, into: Float32Array): void {
  const r = new Float64Array(6);
  const at = (v: number, out: Float64Array): void => {
    hhRates(v - mech.params.vOffset, r);
    for (let k = 0; k < 3; k++) {
      const a = mech.hh.phi * r[2 * k];
      const s = a + mech.hh.phi * r[2 * k + 1];
      out[2 * k] = Math.exp(-s * dt);
      out[2 * k + 1] = (-Math.expm1(-s * dt) * a) / s;
    }
  };
  let here = new Float64Array(6);
  let next = new Float64Array(6);
  at(grid.min, here);
  for (let row = 0; row < grid.rows; row++) {
    at(grid.min + (row + 1) * grid.step, next);
    const o = row * 16;
    for (let q = 0; q < 6; q++) {
      into[o + q] = here[q];
      into[o + 8 + q] = next[q] - here[q];
    }
    [here, next] = [next, here];
  }
}

/**
 * Per step (as simulateCable decides, in float64): bit 0 a damped clamp-switching step (CN), bits
 * 1…15 the clamps on in the (first) solve, bits 16…30 those on in the second. At most 15 clamps.
 */
export function fillClampSchedule(
  info: Int32Array,
  clamps: readonly { startMs: number; endMs: number }[],
  method: 'cn' | 'be',
  damping: boolean,
  dt: number,
): void {
  const h = method === 'cn' ? dt / 2 : dt;
  const on = (tc: number): number =>
    clamps.reduce((b, cl, k) => (tc >= cl.startMs && tc < cl.endMs ? b | (1 << k) : b), 0);
  for (let s = 0; s < info.length; s++) {
    const tn = s * dt;
    const switching =
      method === 'cn' &&
      damping &&
      clamps.some(
        (cl) => (cl.startMs >= tn && cl.startMs < tn + dt) || (cl.endMs >= tn && cl.endMs < tn + dt),
      );
    info[s] = switching ? 1 | (on(tn + dt / 2) << 1) | (on(tn + dt) << 16) : on(tn + h) << 1;
  }
}

const modules = new Map<string, WasmModule>();

async function compileCells(source: string): Promise<WasmModule> {
  const have = modules.get(source);
  if (have) return have;
  const { bytes } = await cachedCompile(source, 'simd', defaultKernelCacheDir());
  // Optimised code from the first call: run() steps a whole simulation in one call.
  const m = compileEager(bytes);
  modules.set(source, m);
  return m;
}

type RunExport = (...args: number[]) => number;

/** Runs n cells of one morphology (see the file comment); V and spikes per cell. */
export async function simulateCableCells(o: CableCellsOptions): Promise<CableCellsResult> {
  const c = cableCompartments(o);
  const N = c.count;
  if (!(Number.isInteger(o.cells) && o.cells >= 1))
    throw new RangeError(`cells must be an integer ≥ 1, got ${o.cells}`);
  const method = o.method ?? 'cn';
  if (method !== 'cn' && method !== 'be')
    throw new RangeError(`method must be 'cn' or 'be', got ${String(method)}`);
  if (!(o.dt > 0 && o.tStop >= 0 && Number.isFinite(o.tStop)))
    throw new RangeError('dt must be positive and tStop non-negative');
  const threadsWanted = o.threads ?? 1;
  if (!(Number.isInteger(threadsWanted) && threadsWanted >= 1))
    throw new RangeError(`threads must be an integer ≥ 1, got ${threadsWanted}`);
  const steps = Math.round(o.tStop / o.dt);
  const n = o.cells;
  const cellPad = Math.ceil(n / 4) * 4;
  const groups = cellPad / 4;
  const cm = o.cm ?? 1;
  const ri = o.ri ?? 100;
  const h = method === 'cn' ? o.dt / 2 : o.dt;

  // Mechanisms: passive summed per compartment; HH placements kept apart.
  const g0 = new Float64Array(N);
  const ge0 = new Float64Array(N);
  const areaS = new Float64Array(N);
  for (let i = 0; i < N; i++) areaS[i] = c.area[i] * 1e-2;
  const hh: HHPlaced[] = [];
  for (const pl of o.mechanisms) {
    const secs = pl.sections ? new Set(pl.sections) : null;
    const comps: number[] = [];
    for (let i = 0; i < N; i++) if (!secs || secs.has(c.section[i])) comps.push(i);
    const m = pl.mechanism;
    if (isPassive(m)) {
      for (const i of comps) {
        g0[i] += m.passive.g * areaS[i];
        ge0[i] += m.passive.g * m.passive.e * areaS[i];
      }
    } else if (isHH(m)) hh.push({ mech: m, comps });
    else
      throw new RangeError(
        `mechanism "${m.name}": the many-cell kernel knows passive() and hhChannels() only`,
      );
  }
  const clamps = o.clamps ?? [];
  if (clamps.length > MAX_CLAMPS) throw new RangeError(`at most ${MAX_CLAMPS} clamps, got ${clamps.length}`);
  const clampAt = clamps.map((cl) => locate(c, cl.at));
  const amps = clamps.map((cl) => {
    const a = cl.amplitudeNa;
    if (typeof a === 'number') {
      if (!Number.isFinite(a)) throw new RangeError(`clamp amplitude must be finite, got ${a}`);
      return new Float64Array(n).fill(a);
    }
    if (a.length !== n) throw new RangeError(`clamp amplitudes: one per cell (${n}), got ${a.length}`);
    const out = Float64Array.from(a);
    if (!out.every(Number.isFinite)) throw new RangeError('clamp amplitudes must be finite');
    return out;
  });
  const rec = (o.record ?? []).map((r) => locate(c, r));
  const spikeSite = o.spikes ? locate(c, o.spikes.at) : 0;
  const maxSp = o.spikes ? (o.spikes.maxPerCell ?? 1000) : -1;
  if (o.spikes && !(Number.isInteger(maxSp) && maxSp >= 1))
    throw new RangeError(`spikes.maxPerCell must be an integer ≥ 1, got ${maxSp}`);
  const threshold = o.spikes?.thresholdMv ?? 0;
  if (!Number.isFinite(threshold)) throw new RangeError('spikes.thresholdMv must be finite');

  const grid = o.rateTable && hh.length ? rateGrid(o.rateTable) : null;
  const source = renderCellsKernel(N, hh, method, rec.length, clamps.length, grid);
  const module = await compileCells(source);

  // Memory layout.
  const gateSlots = hh.reduce((s, p) => s + 3 * p.comps.length, 0);
  const align = (x: number): number => Math.ceil(x / 64) * 64;
  const TAB = 64 + (grid ? hh.length * grid.rows * 64 : 0);
  const tabWords = 8 * N + hh.reduce((s, p) => s + p.comps.length, 0) + rec.length;
  const INFO = align(TAB + 4 * tabWords);
  const CLI = align(INFO + 4 * steps);
  const AMP = align(CLI + 4 * MAX_CLAMPS);
  const ST = align(AMP + 4 * clamps.length * cellPad);
  const stateBytes = 16 * (N + gateSlots) * groups;
  const threads = Math.max(1, Math.min(threadsWanted, groups));
  const SCR = align(ST + stateBytes);
  const scrBytes = align(64 * N);
  const REC = SCR + threads * scrBytes;
  const recBytes = 4 * (steps + 1) * rec.length * cellPad;
  const SPN = align(REC + recBytes);
  const SPT = align(SPN + 4 * cellPad);
  const end = SPT + 4 * cellPad * Math.max(maxSp, 0);
  const pages = Math.ceil(end / PAGE);
  if (pages > MAX_PAGES)
    throw new RangeError(`the run needs ${end} bytes (over 4 GiB): fewer cells, steps or recorded locations`);
  const memory: WasmMemory = new wasmApi.Memory({ initial: pages, maximum: pages, shared: true });
  const buf = memory.buffer;
  new Float32Array(buf, 0, EXP_CONSTANTS.length).set(EXP_CONSTANTS);
  if (grid)
    hh.forEach((p, q) =>
      fillHHTable(p.mech, grid, o.dt, new Float32Array(buf, 64 + q * grid.rows * 64, grid.rows * 16)),
    );
  const tab = new Float32Array(buf, TAB, tabWords);
  const tabI = new Int32Array(buf, TAB, tabWords);
  for (let i = 0; i < N; i++) {
    const cap = cm * c.area[i] * 1e-5;
    tab[i] = cap / h;
    tab[N + i] = cap / (o.dt / 2);
    tab[4 * N + i] = g0[i];
    tab[5 * N + i] = ge0[i];
    tab[6 * N + i] = areaS[i];
    tabI[7 * N + i] = c.parent[i];
  }
  const dax = new Float64Array(N);
  for (let i = 1; i < N; i++) {
    const gAx = 1 / (ri * c.axialToParent[i] * 1e-2);
    tab[3 * N + i] = -gAx;
    dax[i] += gAx;
    dax[c.parent[i]] += gAx;
  }
  for (let i = 0; i < N; i++) tab[2 * N + i] = dax[i];
  let w = 8 * N;
  for (const p of hh) for (const i of p.comps) tabI[w++] = i;
  for (const r of rec) tabI[w++] = r;
  // Per-step clamp switches, decided in float64 exactly as simulateCable decides them.
  fillClampSchedule(new Int32Array(buf, INFO, steps), clamps, method, o.damping !== false, o.dt);
  new Int32Array(buf, CLI, MAX_CLAMPS).set(clampAt);
  const amp = new Float32Array(buf, AMP, clamps.length * cellPad);
  amps.forEach((a, k) => amp.set(a, k * cellPad));
  // Initial state: V and the gates' steady state (float64, as simulateCable), per group.
  const st = new Float32Array(buf, ST, stateBytes / 4);
  const gates = new Float64Array(3);
  const perGroup = 4 * (N + gateSlots);
  for (let g = 0; g < groups; g++) {
    const base = g * perGroup;
    st.fill(o.vInit, base, base + 4 * N);
    let slot = N;
    for (const p of hh)
      for (let k = 0; k < p.comps.length; k++) {
        p.mech.init(o.vInit, gates, 0);
        for (let j = 0; j < 3; j++, slot++) st.fill(gates[j], base + 4 * slot, base + 4 * slot + 4);
      }
  }
  const recArr = new Float32Array(buf, REC, recBytes / 4);
  for (let r = 0; r < rec.length; r++) recArr.fill(o.vInit, r * cellPad, (r + 1) * cellPad);

  const args = (t: number): number[] => {
    const a = Math.floor((t * groups) / threads);
    const b = Math.floor(((t + 1) * groups) / threads);
    return [
      a,
      b,
      steps,
      o.dt,
      cellPad,
      TAB,
      INFO,
      CLI,
      AMP,
      ST,
      SCR + t * scrBytes,
      REC,
      SPN,
      SPT,
      maxSp,
      spikeSite,
      threshold,
    ];
  };
  const instance = new wasmApi.Instance(module, { env: { memory } });
  const ex = instance.exports as Record<string, RunExport>;
  ex.setExpConstants(0);
  let dropped = 0;
  const t0 = performance.now();
  if (threads === 1) dropped = ex.run(...args(0));
  else {
    const workers = Array.from(
      { length: threads - 1 },
      (_, k) =>
        new Worker(new URL('./cells-wasm-worker.js', import.meta.url), {
          workerData: { module, memory, args: args(k + 1) },
        }),
    );
    const done = workers.map(
      (wk) =>
        new Promise<number>((resolve, reject) => {
          wk.once('message', (m: number) => resolve(m));
          wk.once('error', reject);
          wk.once('exit', (code) => reject(new Error(`a cable cells worker exited (${code})`)));
        }),
    );
    try {
      dropped = ex.run(...args(0));
      for (const d of await Promise.all(done)) dropped += d;
    } finally {
      for (const wk of workers) void wk.terminate();
    }
  }
  const seconds = (performance.now() - t0) / 1000;

  const t = new Float64Array(steps + 1);
  for (let s = 0; s <= steps; s++) t[s] = s * o.dt;
  const v = rec.map((_, r) =>
    Array.from({ length: n }, (_, cell) => {
      const trace = new Float32Array(steps + 1);
      for (let s = 0; s <= steps; s++) trace[s] = recArr[(s * rec.length + r) * cellPad + cell];
      return trace;
    }),
  );
  const spn = new Int32Array(buf, SPN, cellPad);
  const spt = new Int32Array(buf, SPT, cellPad * Math.max(maxSp, 0));
  const spikes = Array.from({ length: n }, (_, cell) => {
    const k = o.spikes ? Math.min(spn[cell], maxSp) : 0;
    const out = new Float64Array(k);
    for (let j = 0; j < k; j++) out[j] = spt[cell * maxSp + j] * o.dt;
    return out;
  });
  return { compartments: c, t, v, spikes, spikesDropped: dropped, seconds, threads };
}
