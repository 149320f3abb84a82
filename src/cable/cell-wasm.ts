/**
 * One cell on the WebAssembly SIMD single-cell kernel (assembly/cable-cell.ts, part of
 * hhnet.wasm): simulate.ts's scheme in float32 with the four lanes across the cell's
 * compartments, so one cell fills the vectors (the many-cell kernel, cells-wasm.ts, puts cells in
 * the lanes and leaves three of four idle for a single cell).
 *
 * The solver follows the shape: an unbranched cable (every compartment's parent is the one
 * before, at least MIN_PARTITIONED compartments) is solved by the partitioned Thomas method —
 * four blocks eliminated at once, then their 8 boundary values — and any other tree by Hines'
 * elimination, scalar. Mechanisms: passive() and hhChannels(), where every HH placement shares φ,
 * the convention's offset and ENa, EK (the conductances may differ); anything else is refused
 * with an error naming simulateCable, which runs every model.
 *
 * Outputs are sparse on purpose: V at recorded locations every `recordEvery` steps, and the
 * upward threshold crossings at chosen locations found inside the kernel (with the potentials
 * around them, interpolated here exactly like analysis/spikes.ts's detectSpikes).
 */
import { crossingTime } from '../analysis/spikes.js';
import type { Compartments } from '../morphology/tree.js';
import fs from 'node:fs';
import { fileURLToPath } from 'node:url';
import { MAX_PAGES, PAGE_BYTES } from '../kernels/wasm/module.js';
import { wasmApi } from '../kernels/wasm/wasm-api.js';
import { compileEager } from '../kernels/wasm/eager.js';
import type { WasmMemory, WasmModule } from '../kernels/wasm/wasm-api.js';
import { RATE_TABLE_DEFAULTS, rateGrid } from '../kernels/wasm/rate-grid.js';
import type { RateTableOptions } from '../kernels/wasm/rate-grid.js';
import { MAX_CLAMPS, fillClampSchedule, fillHHTable, isHH, isPassive } from './cells-wasm.js';
import type { HHDesc, WasmCableOptions } from './cells-wasm.js';
import { cableCompartments, locate } from './simulate.js';
import type { CableOptions, Location } from './simulate.js';
import type { Mechanism } from './channels.js';

/** Unbranched cables shorter than this take the tree solver (blocks of at least 4 rows). */
export const MIN_PARTITIONED = 16;

export interface CableCellOptions extends WasmCableOptions, Pick<CableOptions, 'clamps'> {
  /** Locations whose V is kept every `recordEvery` steps (and at t = 0). */
  record?: readonly Location[];
  recordEvery?: number;
  /** Upward crossings of thresholdMv at these locations (at most maxPerSite times kept per site). */
  crossings?: { at: readonly Location[]; thresholdMv: number; maxPerSite?: number };
  /**
   * The gates' rate table (cells-wasm.ts's format: x ← E(v)·x + Q(v), built in float64 for dt),
   * or null for the exact rates. Default: 1/32 mV over the default range (−100 … 70 mV for the
   * modern convention) moved with the HH convention's offset — −35 … 135 mV for the shifted
   * convention, whose spikes peak near 100 mV. Vectors with a lane off the table take the exact
   * rates.
   */
  rateTable?: RateTableOptions | null;
  /** Force a solver (tests): 'tree' works for any cell, 'partitioned' only for unbranched ones. */
  solver?: 'auto' | 'partitioned' | 'tree';
}

export interface CableCellResult {
  compartments: Compartments;
  solver: 'partitioned' | 'tree';
  /** Sample times of `v`, ms. */
  t: Float64Array;
  /** V (mV, float32) per recorded location. */
  v: Float32Array[];
  /** Crossing times per crossing site, ms. */
  crossings: Float64Array[];
  /** Crossings beyond maxPerSite (counted, times not kept). */
  crossingsDropped: number;
  /** V of every compartment at the end. */
  vFinal: Float32Array;
  /** Seconds of the stepping itself (the kernel call). */
  seconds: number;
}

/** The table's range follows the convention where not given (the defaults are for a rest at −65 mV). */
function tableFor(vOffset: number, o: RateTableOptions): RateTableOptions {
  return {
    min: o.min ?? RATE_TABLE_DEFAULTS.min + vOffset + 65,
    max: o.max ?? RATE_TABLE_DEFAULTS.max + vOffset + 65,
    step: o.step,
  };
}

/** The HH constants every placement must share (the kernel has one set). */
function sharedHH<T extends HHDesc>(hh: readonly T[]): T | null {
  if (hh.length === 0) return null;
  const [a] = hh;
  for (const b of hh)
    if (
      b.hh.phi !== a.hh.phi ||
      b.params.vOffset !== a.params.vOffset ||
      b.params.ENa !== a.params.ENa ||
      b.params.EK !== a.params.EK
    )
      throw new RangeError(
        'the single-cell wasm kernel needs every HH placement to share temperature, convention, ENa and EK; simulateCable runs mixed ones',
      );
  return a;
}

interface Global {
  readonly value: number;
}
/** What hhnet-cable.wasm (assembly/cable.ts) exports. */
interface CableKernel {
  heapBase(): number;
  cableCellRun(args: number, s0: number, s1: number, rates: number): number;
  CABLE_PARTITIONED: Global;
  CABLE_TREE: Global;
  CABLE_ARG_FIELDS: Global;
  CABLE_ARRAYS: Global;
  CABLE_BLOCKS: Global;
  CABLE_RED_BYTES: Global;
}

let compiled: WasmModule | null = null;

/** hhnet-cable.wasm, compiled once, eagerly by the optimising compiler (kernels/wasm/eager.ts says why). */
function cableModule(): WasmModule {
  if (compiled) return compiled;
  const path = fileURLToPath(new URL('../kernels/wasm/hhnet-cable.wasm', import.meta.url));
  let bytes: Buffer;
  try {
    bytes = fs.readFileSync(path);
  } catch (err) {
    throw new Error(
      `single-cell cable kernel: cannot read ${path} (${(err as NodeJS.ErrnoException).code ?? String(err)}); run \`npm run build\``,
    );
  }
  compiled = compileEager(bytes);
  return compiled;
}

function instantiateCable(memory: WasmMemory): CableKernel {
  return new wasmApi.Instance(cableModule(), {
    env: {
      memory,
      abort: () => {
        throw new Error('single-cell cable kernel aborted');
      },
    },
  }).exports as unknown as CableKernel;
}

let kernel: CableKernel | null = null;

const FIELD = {
  mode: 0,
  cn: 1,
  rows: 2,
  n: 3,
  arr: 4,
  stride: 5,
  parent: 6,
  hh: 7,
  phi: 8,
  vOffset: 9,
  ENa: 10,
  EK: 11,
  dt: 12,
  tab: 13,
  tMin: 14,
  tInv: 15,
  tRows: 16,
  info: 17,
  nClamp: 18,
  clPos: 19,
  clAmp: 20,
  nWatch: 21,
  wPos: 22,
  wPrev: 23,
  threshold: 24,
  wCount: 25,
  wSlots: 26,
  wMax: 27,
  nRec: 28,
  rPos: 29,
  rEvery: 30,
  rOut: 31,
  red: 32,
} as const;
const FLOAT_FIELDS = new Set<number>([
  FIELD.phi,
  FIELD.vOffset,
  FIELD.ENa,
  FIELD.EK,
  FIELD.dt,
  FIELD.tMin,
  FIELD.tInv,
  FIELD.tRows,
  FIELD.threshold,
]);
// Per-position arrays, in assembly/cable-cell.ts's order.
const ARR = { v: 0, m: 1, h: 2, n: 3, ch: 4, dax: 5, off: 6, g0: 7, ge0: 8, gNa: 9, gK: 10 } as const;

/** Runs one cell (see the file comment). */
export function simulateCableCell(o: CableCellOptions): CableCellResult {
  const c = cableCompartments(o);
  const N = c.count;
  const method = o.method ?? 'cn';
  if (method !== 'cn' && method !== 'be')
    throw new RangeError(`method must be 'cn' or 'be', got ${String(method)}`);
  if (!(o.dt > 0 && o.tStop >= 0 && Number.isFinite(o.tStop)))
    throw new RangeError('dt must be positive and tStop non-negative');
  const steps = Math.round(o.tStop / o.dt);
  const every = o.recordEvery ?? 1;
  if (!(Number.isInteger(every) && every >= 1))
    throw new RangeError(`recordEvery must be an integer ≥ 1, got ${every}`);
  const cm = o.cm ?? 1;
  const ri = o.ri ?? 100;
  const h = method === 'cn' ? o.dt / 2 : o.dt;

  let unbranched = true;
  for (let i = 1; i < N; i++) if (c.parent[i] !== i - 1) unbranched = false;
  const want = o.solver ?? 'auto';
  if (want === 'partitioned' && !unbranched)
    throw new RangeError('the partitioned solver needs an unbranched cable (parent of i = i − 1)');
  const partitioned = want === 'partitioned' || (want === 'auto' && unbranched && N >= MIN_PARTITIONED);
  const ex = (kernel ??= instantiateFresh());
  const blocks = ex.CABLE_BLOCKS.value;
  // Rows of vectors; position of compartment i: block j = ⌊i/M⌋ in lane j of row i mod M.
  const rows = partitioned ? Math.ceil(N / blocks) : Math.ceil(N / 4);
  const pos = (i: number): number => (partitioned ? 4 * (i % rows) + Math.floor(i / rows) : i);

  // Mechanisms per compartment (µS from S/cm²: area µm² × 1e−2).
  const g0 = new Float64Array(N);
  const ge0 = new Float64Array(N);
  const gNa = new Float64Array(N);
  const gK = new Float64Array(N);
  const hhAt = new Uint8Array(N);
  const hhMechs: (Mechanism & HHDesc)[] = [];
  for (const pl of o.mechanisms) {
    const secs = pl.sections ? new Set(pl.sections) : null;
    const m = pl.mechanism;
    if (isHH(m)) hhMechs.push(m);
    else if (!isPassive(m))
      throw new RangeError(
        `mechanism "${m.name}": the single-cell wasm kernel knows passive() and hhChannels(); simulateCable runs any`,
      );
    for (let i = 0; i < N; i++) {
      if (secs && !secs.has(c.section[i])) continue;
      const a = c.area[i] * 1e-2;
      if (isPassive(m)) {
        g0[i] += m.passive.g * a;
        ge0[i] += m.passive.g * m.passive.e * a;
      } else if (isHH(m)) {
        if (hhAt[i]++) throw new RangeError(`compartment ${i} carries HH twice`);
        gNa[i] += m.hh.gNa * a;
        gK[i] += m.hh.gK * a;
        g0[i] += m.hh.gL * a;
        ge0[i] += m.hh.gL * m.params.EL * a;
      }
    }
  }
  const hh = sharedHH(hhMechs);
  const clamps = o.clamps ?? [];
  if (clamps.length > MAX_CLAMPS) throw new RangeError(`at most ${MAX_CLAMPS} clamps, got ${clamps.length}`);
  for (const cl of clamps)
    if (!Number.isFinite(cl.amplitudeNa))
      throw new RangeError(`clamp amplitude must be finite, got ${cl.amplitudeNa}`);
  const clampAt = clamps.map((cl) => pos(locate(c, cl.at)));
  const rec = (o.record ?? []).map((r) => locate(c, r));
  const watch = (o.crossings?.at ?? []).map((r) => locate(c, r));
  const threshold = o.crossings?.thresholdMv ?? 0;
  const maxPerSite = o.crossings?.maxPerSite ?? 1000;
  if (!Number.isFinite(threshold)) throw new RangeError('crossings.thresholdMv must be finite');
  if (!(Number.isInteger(maxPerSite) && maxPerSite >= 1))
    throw new RangeError(`crossings.maxPerSite must be an integer ≥ 1, got ${maxPerSite}`);
  const grid = hh && o.rateTable !== null ? rateGrid(tableFor(hh.params.vOffset, o.rateTable ?? {})) : null;

  // Memory: the module's static data, then this run's regions.
  const samples = Math.floor(steps / every) + 1;
  let at = Math.ceil(ex.heapBase() / 64) * 64;
  const place = (bytes: number): number => {
    const p = at;
    at = Math.ceil((at + bytes) / 64) * 64;
    return p;
  };
  const nArrays = ex.CABLE_ARRAYS.value;
  const stride = rows * 16;
  const p = {
    args: place(4 * ex.CABLE_ARG_FIELDS.value),
    rates: place(96),
    red: place(ex.CABLE_RED_BYTES.value),
    tab: place(grid ? grid.rows * 64 : 0),
    arr: place(nArrays * stride),
    parent: place(4 * N),
    info: place(4 * steps),
    clPos: place(4 * MAX_CLAMPS),
    clAmp: place(4 * MAX_CLAMPS),
    wPos: place(4 * watch.length),
    wPrev: place(4 * watch.length),
    wCount: place(4 * watch.length),
    wSlots: place(12 * watch.length * maxPerSite),
    rPos: place(4 * rec.length),
    rOut: place(4 * rec.length * samples),
  };
  const pages = Math.ceil(at / PAGE_BYTES);
  if (pages > MAX_PAGES)
    throw new RangeError(`the run needs ${at} bytes (over 4 GiB): fewer steps or recorded locations`);
  const memory = new wasmApi.Memory({ initial: pages });
  const run = instantiateCable(memory);
  const buf = memory.buffer;
  const f32 = new Float32Array(buf);
  const i32 = new Int32Array(buf);

  const arr = (k: number): Float32Array => new Float32Array(buf, p.arr + k * stride, rows * 4);
  arr(ARR.v).fill(o.vInit);
  arr(ARR.ch).fill(1); // pad positions: C/h = 1 and nothing else keeps their V
  const dax = new Float64Array(N);
  for (let i = 1; i < N; i++) {
    const gAx = 1 / (ri * c.axialToParent[i] * 1e-2);
    dax[i] += gAx;
    dax[c.parent[i]] += gAx;
    arr(ARR.off)[pos(i)] = -gAx;
  }
  const gates = new Float64Array(3);
  if (hh) hh.init(o.vInit, gates, 0);
  for (let i = 0; i < N; i++) {
    const q = pos(i);
    arr(ARR.ch)[q] = (cm * c.area[i] * 1e-5) / h;
    arr(ARR.dax)[q] = dax[i];
    arr(ARR.g0)[q] = g0[i];
    arr(ARR.ge0)[q] = ge0[i];
    arr(ARR.gNa)[q] = gNa[i];
    arr(ARR.gK)[q] = gK[i];
  }
  // Gates everywhere (pads and HH-free compartments too: stepped, never used).
  arr(ARR.m).fill(gates[0]);
  arr(ARR.h).fill(gates[1]);
  arr(ARR.n).fill(gates[2]);
  if (!partitioned) i32.set(c.parent, p.parent >>> 2);
  if (grid && hh) fillHHTable(hh, grid, o.dt, new Float32Array(buf, p.tab, grid.rows * 16));
  fillClampSchedule(new Int32Array(buf, p.info, steps), clamps, method, o.damping !== false, o.dt);
  i32.set(clampAt, p.clPos >>> 2);
  f32.set(
    clamps.map((cl) => cl.amplitudeNa),
    p.clAmp >>> 2,
  );
  i32.set(watch.map(pos), p.wPos >>> 2);
  f32.fill(o.vInit, p.wPrev >>> 2, (p.wPrev >>> 2) + watch.length);
  i32.set(rec.map(pos), p.rPos >>> 2);
  f32.fill(o.vInit, p.rOut >>> 2, (p.rOut >>> 2) + rec.length);

  const fields: [number, number][] = [
    [FIELD.mode, partitioned ? ex.CABLE_PARTITIONED.value : ex.CABLE_TREE.value],
    [FIELD.cn, method === 'cn' ? 1 : 0],
    [FIELD.rows, rows],
    [FIELD.n, N],
    [FIELD.arr, p.arr],
    [FIELD.stride, stride],
    [FIELD.parent, p.parent],
    [FIELD.hh, hh ? 1 : 0],
    [FIELD.phi, hh?.hh.phi ?? 0],
    [FIELD.vOffset, hh?.params.vOffset ?? 0],
    [FIELD.ENa, hh?.params.ENa ?? 0],
    [FIELD.EK, hh?.params.EK ?? 0],
    [FIELD.dt, o.dt],
    [FIELD.tab, grid ? p.tab : 0],
    [FIELD.tMin, grid?.min ?? 0],
    [FIELD.tInv, grid ? 1 / grid.step : 0],
    [FIELD.tRows, grid?.rows ?? 0],
    [FIELD.info, p.info],
    [FIELD.nClamp, clamps.length],
    [FIELD.clPos, p.clPos],
    [FIELD.clAmp, p.clAmp],
    [FIELD.nWatch, watch.length],
    [FIELD.wPos, p.wPos],
    [FIELD.wPrev, p.wPrev],
    [FIELD.threshold, threshold],
    [FIELD.wCount, p.wCount],
    [FIELD.wSlots, p.wSlots],
    [FIELD.wMax, maxPerSite],
    [FIELD.nRec, rec.length],
    [FIELD.rPos, p.rPos],
    [FIELD.rEvery, rec.length ? every : 0],
    [FIELD.rOut, p.rOut],
    [FIELD.red, p.red],
  ];
  if (fields.length !== ex.CABLE_ARG_FIELDS.value)
    throw new Error('hhnet.wasm: unexpected cable argument block');
  for (const [f, value] of fields) {
    if (FLOAT_FIELDS.has(f)) f32[(p.args >>> 2) + f] = value;
    else i32[(p.args >>> 2) + f] = value;
  }

  const t0 = performance.now();
  const dropped = run.cableCellRun(p.args, 0, steps, p.rates);
  const seconds = (performance.now() - t0) / 1000;

  const t = Float64Array.from({ length: rec.length ? samples : 0 }, (_, s) => s * every * o.dt);
  const out = new Float32Array(buf, p.rOut, rec.length * samples);
  const v = rec.map((_, r) => Float32Array.from({ length: samples }, (_, s) => out[s * rec.length + r]));
  const crossings = watch.map((_, w) => {
    const k = Math.min(i32[(p.wCount >>> 2) + w], maxPerSite);
    const times = new Float64Array(k);
    for (let j = 0; j < k; j++) {
      const slot = (p.wSlots >>> 2) + 3 * (w * maxPerSite + j);
      const s = i32[slot];
      times[j] = crossingTime((s - 1) * o.dt, s * o.dt, f32[slot + 1], f32[slot + 2], threshold);
    }
    return times;
  });
  const vAll = arr(ARR.v);
  const vFinal = Float32Array.from({ length: N }, (_, i) => vAll[pos(i)]);
  return {
    compartments: c,
    solver: partitioned ? 'partitioned' : 'tree',
    t,
    v,
    crossings,
    crossingsDropped: dropped,
    vFinal,
    seconds,
  };
}

/** An instance for reading the module's constants (heapBase, the layout globals). */
function instantiateFresh(): CableKernel {
  return instantiateCable(new wasmApi.Memory({ initial: 1 }));
}
