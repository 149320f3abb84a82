// util/exact-math.ts: exp and expm1 built from + − × only (the same bits on every JavaScript
// engine) stay within a couple of ulp of Math.exp/Math.expm1, with the right special values.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { exp, expm1 } from '../src/util/exact-math.js';

/** |a − b| in units of b's last place (at b's magnitude; subnormals: of the smallest normal). */
function ulps(a: number, b: number): number {
  if (a === b) return 0;
  return Math.abs(a - b) / (Math.max(Math.abs(b), 2 ** -1022) * 2 ** -52);
}

test('exp is within 1 ulp of Math.exp over its whole range', () => {
  fc.assert(
    fc.property(fc.double({ min: -745, max: 709.78, noNaN: true }), (x) => ulps(exp(x), Math.exp(x)) <= 1),
    { numRuns: 20_000 },
  );
  let worst = 0;
  for (let i = -200_000; i <= 200_000; i++) worst = Math.max(worst, ulps(exp(i / 1000), Math.exp(i / 1000)));
  assert.ok(worst <= 1, `worst ${worst} ulp on [-200, 200]`);
});

test('expm1 is within 3 ulp of Math.expm1, also for tiny arguments', () => {
  fc.assert(
    fc.property(fc.double({ min: -50, max: 50, noNaN: true }), (x) => ulps(expm1(x), Math.expm1(x)) <= 3),
    { numRuns: 20_000 },
  );
  for (const x of [1e-300, -1e-300, 1e-10, -1e-10, 0.299, -0.299, 0.3, -0.3])
    assert.ok(ulps(expm1(x), Math.expm1(x)) <= 3, `expm1(${x})`);
});

test('special values: NaN, ±Infinity, ±0, overflow and underflow', () => {
  assert.ok(Number.isNaN(exp(NaN)) && Number.isNaN(expm1(NaN)));
  assert.equal(exp(Infinity), Infinity);
  assert.equal(exp(-Infinity), 0);
  assert.equal(expm1(-Infinity), -1);
  assert.equal(exp(0), 1);
  assert.equal(exp(-0), 1);
  assert.ok(Object.is(expm1(-0), -0));
  assert.equal(exp(709.79), Infinity);
  assert.equal(exp(709.782), Math.exp(709.782));
  assert.equal(exp(-745.2), 0);
  assert.ok(exp(-745) > 0, 'the smallest subnormal');
  assert.ok(ulps(exp(-720), Math.exp(-720)) <= 1, 'subnormal results');
});
