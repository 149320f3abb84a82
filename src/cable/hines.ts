/**
 * The Hines (1984) solver: a symmetric linear system whose off-diagonal entries follow a tree,
 * with the nodes numbered so that every parent precedes its children (parent[i] < i, parent[0]
 * = −1), is solved in O(N) by Gaussian elimination from the leaves to the root and back
 * substitution from the root to the leaves — no fill-in, whatever the branching.
 *
 * Row i reads: diag[i]·x[i] + off[i]·x[parent[i]] + Σ_{children c} off[c]·x[c] = rhs[i]
 * (off[i] is the entry linking i and its parent, at (i, parent) and (parent, i)).
 */

/** Solves in place: diag and rhs are overwritten; the solution is left in rhs. */
export function hinesSolve(
  parent: Int32Array,
  diag: Float64Array,
  off: Float64Array,
  rhs: Float64Array,
): void {
  const n = diag.length;
  for (let i = n - 1; i > 0; i--) {
    const p = parent[i];
    const f = off[i] / diag[i];
    diag[p] -= f * off[i];
    rhs[p] -= f * rhs[i];
  }
  rhs[0] /= diag[0];
  for (let i = 1; i < n; i++) rhs[i] = (rhs[i] - off[i] * rhs[parent[i]]) / diag[i];
}

/** Checks that parent[] orders a tree as the solver needs (root first, parents before children). */
export function checkHinesOrder(parent: Int32Array): void {
  if (parent.length === 0 || parent[0] !== -1) throw new RangeError('node 0 must be the root (parent −1)');
  for (let i = 1; i < parent.length; i++)
    if (!(parent[i] >= 0 && parent[i] < i))
      throw new RangeError(`node ${i}: parent ${parent[i]} must precede it (0 ≤ parent < ${i})`);
}
