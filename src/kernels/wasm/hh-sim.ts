/**
 * Host side of the wasm HH population kernel (assembly/hh-sim.ts): one run() advances a whole
 * population by up to `maxSteps` steps in one call. The state lives on the JS side (float32) and is
 * copied in and out around each call, like every other operand of this backend, so runs of several
 * populations (or other kernels in between) never disturb each other. Large runs are shared
 * between the worker threads in chunks of neuron groups; the kernel reads one state set and writes
 * another, so a chunk the caller takes over from a paused worker is recomputed from the untouched
 * input into a side set.
 */
import type { Arena } from './arena.js';
import type { KernelExports } from './module.js';
import type { Job } from './threads.js';

/** What the driver needs from the backend that owns the memory and the threads. */
export interface HhSimContext {
  readonly ex: KernelExports;
  readonly arena: Arena;
  /** Threads that could share a job now (1: the caller only). */
  threadsUp(): number;
  /** Waits until no worker can still write the operand memory. */
  settle(): void;
  /** Runs a job on all threads; late chunks go to takeOver; returns them. */
  runShared(job: Job, fallbackChunkMs: number, takeOver: (late: number[]) => void): number[];
}

export type HhMethod = 'euler' | 'expeuler' | 'rk4';

/** The model constants the kernel takes (src/neurons/hh.ts's HHParams plus the blow-up limit). */
export interface HhKernelParams {
  C: number;
  gNa: number;
  gK: number;
  gL: number;
  ENa: number;
  EK: number;
  EL: number;
  vOffset: number;
  spikeThreshold: number;
  /** |V| beyond this (or NaN) is reported as a blow-up. */
  voltageLimit: number;
}

/** A population's state, one float32 per neuron and variable. */
export interface HhState {
  v: Float32Array;
  m: Float32Array;
  h: Float32Array;
  n: Float32Array;
}

/** The first step (0-based within the run) at which some neuron's |V| left the limit. */
export interface HhDivergence {
  step: number;
  neuron: number;
  value: number;
}

export interface HhRun {
  params: Readonly<HhKernelParams>;
  method: HhMethod;
  dt: number;
  steps: number;
  /** n currents held for every step, or `steps` rows of n (time-major). */
  input: Float64Array;
  held: boolean;
  /** State to advance in place; pad lanes of the last group start from `pad` (a resting neuron). */
  state: HhState;
  pad: Readonly<{ v: number; m: number; h: number; n: number }>;
  /** Called for each spike, per neuron in time order: in step `step` of the run, `fraction` into it. */
  onSpike(neuron: number, step: number, fraction: number): void;
  /**
   * Exponential Euler only: the gates' updates interpolated from this table over v, built for
   * these parameters and this dt (null or absent: the exact rates).
   */
  rateTable?: HhRateTable | null;
}

/** A rate table (assembly/hh-sim.ts hhSetTable): `rows` rows of HH_TABLE_ROW (16) floats from min. */
export interface HhRateTable {
  table: Float32Array;
  min: number;
  step: number;
  rows: number;
}

export interface HhSim {
  /** Most steps one run may take (every spike must fit the kernel's per-neuron slots). */
  readonly maxSteps: number;
  /** Advances the state; returns the first blow-up (the state is then garbage) or null. */
  run(r: HhRun): HhDivergence | null;
}

/** Runs below this many neuron-steps stay on the calling thread (waking workers costs ~0.1 ms). */
const PARALLEL_MIN_NEURON_STEPS = 1e5;
/** Smallest chunk a thread takes, in groups of four neurons. */
const MIN_GROUPS_PER_CHUNK = 16;

export function createHhSim(ctx: HhSimContext): HhSim {
  const { ex, arena } = ctx;
  const slots = ex.HH_SLOTS.value;
  const argBytes = ex.HH_ARG_BYTES.value;
  const methods: Record<HhMethod, number> = {
    euler: ex.HH_EULER.value,
    expeuler: ex.HH_EXPEULER.value,
    rk4: ex.HH_RK4.value,
  };
  const maxSteps = 2 * slots;
  if (ex.HH_TABLE_ROW.value !== 16) throw new Error('hhnet.wasm: unexpected HH rate-table row size');

  function run(r: HhRun): HhDivergence | null {
    const n = r.state.v.length;
    const { steps, params: p } = r;
    if (!(Number.isInteger(steps) && steps >= 1 && steps <= maxSteps))
      throw new RangeError(`wasm hh: steps must be an integer from 1 to ${maxSteps}, got ${steps}`);
    if (!(Number.isFinite(r.dt) && r.dt > 0)) throw new RangeError(`wasm hh: dt must be > 0 ms, got ${r.dt}`);
    if (r.input.length < (r.held ? n : steps * n))
      throw new RangeError(`wasm hh: input has ${r.input.length} currents, needs ${r.held ? n : steps * n}`);
    const groups = Math.ceil(n / 4);
    const nPad = groups * 4;
    const perChunk = Math.max(MIN_GROUPS_PER_CHUNK, Math.ceil(groups / ex.JOB_MAX_CHUNKS.value));
    const chunks = Math.ceil(groups / perChunk);
    const shared = chunks > 1 && n * steps >= PARALLEL_MIN_NEURON_STEPS && ctx.threadsUp() > 1;
    const setBytes = ex.hhSetBytes(n);
    const rows = r.held ? 1 : steps;
    const table = r.method === 'expeuler' ? (r.rateTable ?? null) : null;
    if (table && table.table.length !== table.rows * 16)
      throw new RangeError(`wasm hh: a rate table of ${table.rows} rows needs ${table.rows * 16} floats`);
    ctx.settle();
    // Argument blocks (main, side), input state, input currents, output set, side output set.
    const ptrs = arena.place([
      argBytes,
      argBytes,
      setBytes,
      rows * nPad * 4,
      setBytes,
      shared ? setBytes : 0,
      table ? table.table.length * 4 : 0,
    ]);
    if (!ptrs) throw new RangeError(`wasm hh: ${n} neurons × ${rows} input rows do not fit in 4 GiB`);
    const [argMain, argSide, inSet, input, outSet, sideSet, tablePtr] = ptrs;
    const f32 = arena.f32;
    const plane = nPad; // floats per variable
    const vars = [r.state.v, r.state.m, r.state.h, r.state.n];
    const pads = [r.pad.v, r.pad.m, r.pad.h, r.pad.n];
    vars.forEach((x, k) => {
      const at = (inSet >>> 2) + k * plane;
      f32.set(x, at);
      f32.fill(pads[k], at + n, at + nPad);
    });
    for (let row = 0; row < rows; row++) {
      const at = (input >>> 2) + row * nPad;
      f32.set(r.input.subarray(row * n, row * n + n), at);
      f32.fill(0, at + n, at + nPad);
    }
    if (table) f32.set(table.table, tablePtr >>> 2);
    const setArgs = (args: number, out: number): void => {
      ex.hhSetArgs(
        args,
        n,
        steps,
        methods[r.method],
        r.held ? 0 : nPad * 4,
        r.dt,
        p.C,
        p.gNa,
        p.gK,
        p.gL,
        p.ENa,
        p.EK,
        p.EL,
        p.vOffset,
        p.spikeThreshold,
        p.voltageLimit,
        inSet,
        input,
        out,
      );
      if (table) ex.hhSetTable(args, tablePtr, table.min, 1 / table.step, table.rows);
    };
    setArgs(argMain, outSet);
    let late: number[] = [];
    if (shared) {
      setArgs(argSide, sideSet);
      const job = { kind: ex.JOB_HH.value, chunks, args: [perChunk, argMain] };
      late = ctx.runShared(job, (perChunk * 4 * steps) / 2e4, (taken) => {
        for (const c of taken) ex.hhAdvance(argSide, c * perChunk, (c + 1) * perChunk);
      });
    } else {
      ex.hhAdvance(argMain, 0, groups);
    }
    // Collect neuron range [i0, i1) from the output set at `set`.
    let worst: HhDivergence | null = null;
    const collect = (set: number, i0: number, i1: number): void => {
      const base = set >>> 2;
      vars.forEach((x, k) => x.set(f32.subarray(base + k * plane + i0, base + k * plane + i1), i0));
      const counts = base + 4 * plane;
      const slotBase = base + 5 * plane;
      const i32 = arena.i32;
      for (let i = i0; i < i1; i++) {
        const c = i32[counts + i];
        if (c === 0) continue;
        if (c < 0) {
          const step = -1 - c;
          if (!worst || step < worst.step) worst = { step, neuron: i, value: r.state.v[i] };
          continue;
        }
        for (let k = 0, at = slotBase + 2 * i * slots; k < c; k++, at += 2)
          r.onSpike(i, i32[at], f32[at + 1]);
      }
    };
    if (late.length === 0) collect(outSet, 0, n);
    else
      for (let c = 0; c < chunks; c++)
        collect(late.includes(c) ? sideSet : outSet, c * perChunk * 4, Math.min(n, (c + 1) * perChunk * 4));
    return worst;
  }

  return { maxSteps, run };
}
