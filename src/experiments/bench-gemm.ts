/**
 * Matrix-product throughput of the active backend (`hhnet bench gemm`): the products that dominate
 * an fc model's training step — the first layer's forward x·Wᵀ (batch × 1296 pixels into the hidden
 * width) and its weight gradient dYᵀ·x — timed one call at a time after warm-up, medians reported
 * in ms and GFLOP/s (2·m·n·k flops per product). Each shape's product is checked once against a
 * float64 dot product of a few entries, so a fast wrong kernel cannot report a number.
 */
import { backendDescription, getBackend } from '../kernels/index.js';
import { Rng } from '../util/rng.js';
import { median } from './bench-train.js';

/** One product: C[m×n] = op(A)·op(B) with op(A) m×k and op(B) k×n, each maybe transposed. */
export interface GemmShape {
  m: number;
  n: number;
  k: number;
  transA: boolean;
  transB: boolean;
}

export interface GemmBenchRow extends GemmShape {
  /** "m×n×k NT" as the flag spells it. */
  label: string;
  ms: number;
  gflops: number;
  samplesMs: number[];
}

export interface GemmBenchResult {
  backend: string;
  kernels: string;
  repeats: number;
  rows: GemmBenchRow[];
}

export interface GemmBenchOptions {
  shapes: readonly GemmShape[];
  repeats: number;
  warmup: number;
  seed?: number;
}

/** fc1 of hh-fc and lif-fc at batch 128: forward x·Wᵀ, then the weight gradient dYᵀ·x. */
export const FC_GEMM_SHAPES = '128x512x1296:NT,512x1296x128:TN';

export function gemmLabel(s: GemmShape): string {
  return `${s.m}x${s.n}x${s.k}:${s.transA ? 'T' : 'N'}${s.transB ? 'T' : 'N'}`;
}

/**
 * Parses "MxNxK[:AB],…" (AB: N or T for A and for B, default NN) into shapes; a malformed entry is
 * an error naming it and the expected form.
 */
export function parseGemmShapes(text: string): GemmShape[] {
  const entries = text.split(',').map((e) => e.trim());
  return entries.map((e) => {
    const m = /^(\d+)x(\d+)x(\d+)(?::([NT])([NT]))?$/i.exec(e);
    const dims = m ? [m[1], m[2], m[3]].map(Number) : [];
    if (!m || dims.some((d) => !Number.isSafeInteger(d) || d < 1))
      throw new RangeError(
        `GEMM shape "${e}": expected MxNxK or MxNxK:AB with positive integers and A, B each N or T (e.g. ${FC_GEMM_SHAPES})`,
      );
    const [mm, n, k] = dims;
    return { m: mm, n, k, transA: m[4]?.toUpperCase() === 'T', transB: m[5]?.toUpperCase() === 'T' };
  });
}

function randomArray(rng: Rng, n: number): Float32Array {
  return Float32Array.from({ length: n }, () => rng.uniform() - 0.5);
}

/** C[i, j] in float64 from the stored operands (the layouts of Backend.gemm). */
function entry(s: GemmShape, a: Float32Array, b: Float32Array, i: number, j: number): number {
  let acc = 0;
  for (let p = 0; p < s.k; p++) {
    const av = s.transA ? a[p * s.m + i] : a[i * s.k + p];
    const bv = s.transB ? b[j * s.k + p] : b[p * s.n + j];
    acc += av * bv;
  }
  return acc;
}

function checkProduct(s: GemmShape, a: Float32Array, b: Float32Array, c: Float32Array, rng: Rng): void {
  for (let probe = 0; probe < 16; probe++) {
    const i = rng.int(s.m);
    const j = rng.int(s.n);
    const want = entry(s, a, b, i, j);
    // float32 accumulation over k terms of size ≤ 0.25: well inside k·2⁻²⁰ of the sum of |terms|.
    if (!(Math.abs(c[i * s.n + j] - want) <= 1e-5 * s.k + 1e-6))
      throw new Error(
        `bench gemm: ${gemmLabel(s)} gives C[${i}, ${j}] = ${c[i * s.n + j]}, expected ${want} (the backend's product is wrong)`,
      );
  }
}

export function benchGemm(o: GemmBenchOptions): GemmBenchResult {
  const be = getBackend();
  const rng = new Rng(o.seed ?? 1);
  const rows = o.shapes.map((s): GemmBenchRow => {
    const a = randomArray(rng, s.m * s.k);
    const b = randomArray(rng, s.k * s.n);
    const c = new Float32Array(s.m * s.n);
    const run = (): void => be.gemm(s.transA, s.transB, s.m, s.n, s.k, a, b, c, false);
    run();
    checkProduct(s, a, b, c, rng);
    for (let r = 1; r < o.warmup; r++) run();
    const samplesMs: number[] = [];
    for (let r = 0; r < o.repeats; r++) {
      const t0 = performance.now();
      run();
      samplesMs.push(performance.now() - t0);
    }
    const ms = median(samplesMs);
    return { ...s, label: gemmLabel(s), ms, gflops: (2 * s.m * s.n * s.k) / (ms * 1e6), samplesMs };
  });
  return { backend: be.name, kernels: backendDescription(), repeats: o.repeats, rows };
}
