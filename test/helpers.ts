/** Assertions shared by the test files. */
import assert from 'node:assert/strict';

/** |a − b| ≤ tol, with a message that shows both values. */
export function close(a: number, b: number, tol: number, msg?: string): void {
  assert.ok(Math.abs(a - b) <= tol, msg ?? `expected ${b}, got ${a} (tol ${tol})`);
}
