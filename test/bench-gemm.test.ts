// The GEMM benchmark refuses to time a product it has not checked.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { getBackend } from '../src/kernels/index.js';
import { benchGemm, gemmLabel, parseGemmShapes } from '../src/experiments/bench-gemm.js';

test('parseGemmShapes reads MxNxK[:AB] and names a malformed entry', () => {
  assert.deepEqual(parseGemmShapes('128x512x1296:NT, 3x4x5'), [
    { m: 128, n: 512, k: 1296, transA: false, transB: true },
    { m: 3, n: 4, k: 5, transA: false, transB: false },
  ]);
  assert.equal(gemmLabel(parseGemmShapes('7x8x9:tn')[0]), '7x8x9:TN');
  for (const bad of ['0x4x5', '3x4', '3x4x5:NX', 'axbxc', ''])
    assert.throws(() => parseGemmShapes(bad), /expected MxNxK/, bad);
});

test('benchGemm reports a wrong product instead of timing it', () => {
  const shapes = parseGemmShapes('17x9x23:TT');
  const ok = benchGemm({ shapes, repeats: 2, warmup: 1 });
  assert.equal(ok.rows[0].samplesMs.length, 2);
  const be = getBackend();
  const gemm = be.gemm.bind(be);
  be.gemm = (ta, tb, m, n, k, a, b, c, acc) => {
    gemm(ta, tb, m, n, k, a, b, c, acc);
    for (let i = 0; i < c.length; i++) c[i] += 1e-3; // off by a little
  };
  try {
    assert.throws(
      () => benchGemm({ shapes: parseGemmShapes('4x5x6'), repeats: 2, warmup: 1 }),
      /4x5x6:NN gives C\[\d, \d\].*product is wrong/,
    );
  } finally {
    be.gemm = gemm;
  }
});
