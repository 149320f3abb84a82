/** Reference GEMM: straightforward loops, i-k-j order so the inner loop is contiguous. */
export function gemmJs(
  transA: boolean,
  transB: boolean,
  m: number,
  n: number,
  k: number,
  a: Float32Array,
  b: Float32Array,
  c: Float32Array,
  accumulate: boolean,
): void {
  if (!accumulate) c.fill(0, 0, m * n);
  const row = new Float64Array(n);
  for (let i = 0; i < m; i++) {
    row.fill(0);
    for (let p = 0; p < k; p++) {
      const aip = transA ? a[p * m + i] : a[i * k + p];
      if (aip === 0) continue;
      if (transB) {
        for (let j = 0; j < n; j++) row[j] += aip * b[j * k + p];
      } else {
        const off = p * n;
        for (let j = 0; j < n; j++) row[j] += aip * b[off + j];
      }
    }
    const co = i * n;
    for (let j = 0; j < n; j++) c[co + j] += row[j];
  }
}
