// Single-precision GEMM with WebAssembly SIMD (f32x4), BLIS-style:
//
//   packAll                              op(A) packed once into MR-tall row panels per KC block
//   for jc (NC columns of C)
//     for pc (KC of the inner dimension) pack op(B)[pc:pc+kc, jc:jc+nc] into NR-wide column panels
//       for ic (MC rows of C), jr, ir    MR×NR register-blocked micro-kernel over kc
//
// All operands are raw pointers into linear memory (row-major, C has leading dimension n).
// gemmPacked computes only the columns C[:, j0:j1], so threads sharing one memory can each take
// column chunks of the same product (runJob in jobs.ts). No allocation: the caller hands in a scratch area
// of gemmScratchBytes() bytes per thread and packedABytes(m, k) bytes for the shared packed op(A).

// Micro-tile: MR rows × NR columns = 4 × 8 floats in 8 f32x4 accumulators. V8 gives wasm 15 xmm
// registers on x64; a 6 × 8 tile (12 accumulators, 2 B vectors, the broadcast A and a product)
// needs 16, so V8 kept accumulators on the stack and it took ~1.25× the time of this one.
const MR: i32 = 4;
const NR: i32 = 8;
// Cache blocking: packed B block KC×NC (1 MiB, L2), an A block MC×KC (120 KiB) streams from L2
// past a B micro-panel KC×NR (8 KiB) that stays in L1.
const KC: i32 = 256;
const MC: i32 = 120;
const NC: i32 = 1024;

const PACK_B_BYTES: usize = (<usize>(KC * NC)) << 2;
const TILE_BYTES: usize = (<usize>(MR * NR)) << 2;

/** Bytes of per-thread scratch (packed B block, one edge tile). */
export function gemmScratchBytes(): i32 {
  return <i32>(PACK_B_BYTES + TILE_BYTES);
}

/** Micro-tile column width (chunks of C columns for threads are multiples of it). */
export function gemmColBlock(): i32 {
  return NR;
}

// @ts-ignore: decorator
@inline
function min(a: i32, b: i32): i32 {
  return a < b ? a : b;
}

// 4×4 transpose of the rows r0..r3 (each 4 floats) into columns.
// @ts-ignore: decorator
@inline
function lo01(a: v128, b: v128): v128 {
  return v128.shuffle<f32>(a, b, 0, 4, 1, 5);
}
// @ts-ignore: decorator
@inline
function hi23(a: v128, b: v128): v128 {
  return v128.shuffle<f32>(a, b, 2, 6, 3, 7);
}
// @ts-ignore: decorator
@inline
function lowHalves(a: v128, b: v128): v128 {
  return v128.shuffle<f32>(a, b, 0, 1, 4, 5);
}
// @ts-ignore: decorator
@inline
function highHalves(a: v128, b: v128): v128 {
  return v128.shuffle<f32>(a, b, 2, 3, 6, 7);
}

/**
 * Packs op(B)[pc:pc+kc, jc:jc+nc] as ceil(nc/NR) panels; panel q holds, for each p, the NR floats
 * op(B)[pc+p, jc+q·NR .. jc+q·NR+NR) (zero past column jc+nc).
 */
function packB(transB: i32, b: usize, n: i32, k: i32, pc: i32, kc: i32, jc: i32, nc: i32, dst: usize): void {
  const zero = f32x4.splat(0);
  for (let jr = 0; jr < nc; jr += NR) {
    const nr = min(NR, nc - jr);
    const j = jc + jr;
    let d = dst + ((<usize>(jr * kc)) << 2);
    if (!transB) {
      // op(B)[p, j] = B[p·n + j]: each panel row is a contiguous run of B's row p.
      let s = b + ((<usize>(pc * n + j)) << 2);
      const rowBytes = (<usize>n) << 2;
      if (nr == NR) {
        for (let p = 0; p < kc; p++) {
          v128.store(d, v128.load(s));
          v128.store(d, v128.load(s, 16), 16);
          s += rowBytes;
          d += NR << 2;
        }
      } else {
        for (let p = 0; p < kc; p++) {
          v128.store(d, zero);
          v128.store(d, zero, 16);
          for (let jj = 0; jj < nr; jj++)
            store<f32>(d + ((<usize>jj) << 2), load<f32>(s + ((<usize>jj) << 2)));
          s += rowBytes;
          d += NR << 2;
        }
      }
    } else {
      // op(B)[p, j] = B[j·k + p]: NR rows of B, read 4 p at a time and transposed in registers.
      const kb = (<usize>k) << 2;
      const s0 = b + ((<usize>(j * k + pc)) << 2);
      if (nr == NR) {
        let p = 0;
        for (; p + 4 <= kc; p += 4) {
          const s = s0 + ((<usize>p) << 2);
          const r0 = v128.load(s);
          const r1 = v128.load(s + kb);
          const r2 = v128.load(s + 2 * kb);
          const r3 = v128.load(s + 3 * kb);
          const r4 = v128.load(s + 4 * kb);
          const r5 = v128.load(s + 5 * kb);
          const r6 = v128.load(s + 6 * kb);
          const r7 = v128.load(s + 7 * kb);
          const t0 = lo01(r0, r1);
          const t1 = hi23(r0, r1);
          const t2 = lo01(r2, r3);
          const t3 = hi23(r2, r3);
          const u0 = lo01(r4, r5);
          const u1 = hi23(r4, r5);
          const u2 = lo01(r6, r7);
          const u3 = hi23(r6, r7);
          v128.store(d, lowHalves(t0, t2));
          v128.store(d, lowHalves(u0, u2), 16);
          v128.store(d, highHalves(t0, t2), 32);
          v128.store(d, highHalves(u0, u2), 48);
          v128.store(d, lowHalves(t1, t3), 64);
          v128.store(d, lowHalves(u1, u3), 80);
          v128.store(d, highHalves(t1, t3), 96);
          v128.store(d, highHalves(u1, u3), 112);
          d += 4 * NR * 4;
        }
        for (; p < kc; p++) {
          const s = s0 + ((<usize>p) << 2);
          for (let jj = 0; jj < NR; jj++) store<f32>(d + ((<usize>jj) << 2), load<f32>(s + <usize>jj * kb));
          d += NR << 2;
        }
      } else {
        for (let p = 0; p < kc; p++) {
          const s = s0 + ((<usize>p) << 2);
          v128.store(d, zero);
          v128.store(d, zero, 16);
          for (let jj = 0; jj < nr; jj++) store<f32>(d + ((<usize>jj) << 2), load<f32>(s + <usize>jj * kb));
          d += NR << 2;
        }
      }
    }
  }
}

/**
 * Packs op(A)[ic:ic+mc, pc:pc+kc] as ceil(mc/MR) panels; panel q holds, for each p, the MR floats
 * op(A)[ic+q·MR .. ic+q·MR+MR, pc+p] (zero past row ic+mc).
 */
function packA(transA: i32, a: usize, m: i32, k: i32, ic: i32, mc: i32, pc: i32, kc: i32, dst: usize): void {
  for (let ir = 0; ir < mc; ir += MR) {
    const mr = min(MR, mc - ir);
    const i = ic + ir;
    let d = dst + ((<usize>(ir * kc)) << 2);
    if (transA) {
      // op(A)[i, p] = A[p·m + i]: the MR floats of panel row p are contiguous in A.
      const mb = (<usize>m) << 2;
      let s = a + ((<usize>(pc * m + i)) << 2);
      if (mr == MR) {
        for (let p = 0; p < kc; p++) {
          v128.store(d, v128.load(s));
          s += mb;
          d += MR << 2;
        }
      } else {
        for (let p = 0; p < kc; p++) {
          for (let ii = 0; ii < MR; ii++) {
            store<f32>(d + ((<usize>ii) << 2), ii < mr ? load<f32>(s + ((<usize>ii) << 2)) : 0);
          }
          s += mb;
          d += MR << 2;
        }
      }
    } else {
      // op(A)[i, p] = A[i·k + p]: the MR = 4 rows of A, 4 p at a time, transposed in registers.
      const kb = (<usize>k) << 2;
      const s0 = a + ((<usize>(i * k + pc)) << 2);
      if (mr == MR) {
        let p = 0;
        for (; p + 4 <= kc; p += 4) {
          const s = s0 + ((<usize>p) << 2);
          const r0 = v128.load(s);
          const r1 = v128.load(s + kb);
          const r2 = v128.load(s + 2 * kb);
          const r3 = v128.load(s + 3 * kb);
          const t0 = lo01(r0, r1);
          const t1 = hi23(r0, r1);
          const t2 = lo01(r2, r3);
          const t3 = hi23(r2, r3);
          v128.store(d, lowHalves(t0, t2));
          v128.store(d, highHalves(t0, t2), 16);
          v128.store(d, lowHalves(t1, t3), 32);
          v128.store(d, highHalves(t1, t3), 48);
          d += 4 * MR * 4;
        }
        for (; p < kc; p++) {
          const s = s0 + ((<usize>p) << 2);
          for (let ii = 0; ii < MR; ii++) store<f32>(d + ((<usize>ii) << 2), load<f32>(s + <usize>ii * kb));
          d += MR << 2;
        }
      } else {
        for (let p = 0; p < kc; p++) {
          const s = s0 + ((<usize>p) << 2);
          for (let ii = 0; ii < MR; ii++) {
            store<f32>(d + ((<usize>ii) << 2), ii < mr ? load<f32>(s + <usize>ii * kb) : 0);
          }
          d += MR << 2;
        }
      }
    }
  }
}

/** a·b + c: one fused multiply-add where the relaxed-SIMD build runs on FMA hardware. */
// @ts-ignore: decorator
@inline
function madd(a: v128, b: v128, c: v128): v128 {
  if (ASC_FEATURE_RELAXED_SIMD) return f32x4.relaxed_madd(a, b, c);
  return f32x4.add(c, f32x4.mul(a, b));
}

/**
 * The 4×8 micro-kernel: T = Σ_p ap[p]ᵀ·bp[p] over kc packed steps, then C = T (add = 0) or
 * C += T (add ≠ 0) for the first `rows` rows of the tile at c, whose rows are ldc bytes apart.
 * Inlined into two instances: full tiles (rows folds to MR) and bottom-edge tiles.
 */
// @ts-ignore: decorator
@inline
function kernel4x8(kc: i32, ap: usize, bp: usize, c: usize, ldc: usize, add: i32, rows: i32): void {
  let c00 = f32x4.splat(0);
  let c01 = f32x4.splat(0);
  let c10 = f32x4.splat(0);
  let c11 = f32x4.splat(0);
  let c20 = f32x4.splat(0);
  let c21 = f32x4.splat(0);
  let c30 = f32x4.splat(0);
  let c31 = f32x4.splat(0);
  for (let p = 0; p < kc; p++) {
    const b0 = v128.load(bp);
    const b1 = v128.load(bp, 16);
    let a = v128.load32_splat(ap);
    c00 = madd(a, b0, c00);
    c01 = madd(a, b1, c01);
    a = v128.load32_splat(ap, 4);
    c10 = madd(a, b0, c10);
    c11 = madd(a, b1, c11);
    a = v128.load32_splat(ap, 8);
    c20 = madd(a, b0, c20);
    c21 = madd(a, b1, c21);
    a = v128.load32_splat(ap, 12);
    c30 = madd(a, b0, c30);
    c31 = madd(a, b1, c31);
    ap += MR << 2;
    bp += NR << 2;
  }
  // Row r of the tile is written only when r < rows (a partial panel at the bottom edge of C).
  if (add) {
    c00 = f32x4.add(c00, v128.load(c));
    c01 = f32x4.add(c01, v128.load(c, 16));
  }
  v128.store(c, c00);
  v128.store(c, c01, 16);
  if (rows < 2) return;
  c += ldc;
  if (add) {
    c10 = f32x4.add(c10, v128.load(c));
    c11 = f32x4.add(c11, v128.load(c, 16));
  }
  v128.store(c, c10);
  v128.store(c, c11, 16);
  if (rows < 3) return;
  c += ldc;
  if (add) {
    c20 = f32x4.add(c20, v128.load(c));
    c21 = f32x4.add(c21, v128.load(c, 16));
  }
  v128.store(c, c20);
  v128.store(c, c21, 16);
  if (rows < 4) return;
  c += ldc;
  if (add) {
    c30 = f32x4.add(c30, v128.load(c));
    c31 = f32x4.add(c31, v128.load(c, 16));
  }
  v128.store(c, c30);
  v128.store(c, c31, 16);
}

/** Full 4×8 tile. */
function kernelFull(kc: i32, ap: usize, bp: usize, c: usize, ldc: usize, add: i32): void {
  kernel4x8(kc, ap, bp, c, ldc, add, MR);
}

/** Tile of which only the first `rows` (< MR) rows exist in C. */
function kernelRows(kc: i32, ap: usize, bp: usize, c: usize, ldc: usize, add: i32, rows: i32): void {
  kernel4x8(kc, ap, bp, c, ldc, add, rows);
}

/** Rows of op(A) once packed: m rounded up to whole MR panels. */
// @ts-ignore: decorator
@inline
function paddedRows(m: i32): i32 {
  return ((m + MR - 1) / MR) * MR;
}

/** Bytes packAll needs for op(A) of m×k. */
export function packedABytes(m: i32, k: i32): usize {
  return <usize>paddedRows(m) * <usize>k * 4;
}

/**
 * Packs all of op(A) (m×k) once, KC-column block after block: block pc starts at float
 * pc·paddedRows(m) and holds the MR-row panels of op(A)[:, pc:pc+kc] (see packA).
 */
export function packAll(transA: i32, a: usize, m: i32, k: i32, dst: usize): void {
  const mp = <usize>paddedRows(m);
  for (let pc = 0; pc < k; pc += KC) {
    packA(transA, a, m, k, 0, m, pc, min(KC, k - pc), dst + ((<usize>pc * mp) << 2));
  }
}

/**
 * Chunk `i` of packAll split into KC blocks × `parts` row ranges of `rowsPerChunk` rows (a
 * multiple of MR), so threads can pack op(A) together (JOB_PACK in jobs.ts).
 */
export function packChunk(
  transA: i32,
  a: usize,
  m: i32,
  k: i32,
  dst: usize,
  rowsPerChunk: i32,
  parts: i32,
  i: i32,
): void {
  const pc = (i / parts) * KC;
  const ic = (i % parts) * rowsPerChunk;
  if (pc >= k || ic >= m) return;
  const kc = min(KC, k - pc);
  const mp = <usize>paddedRows(m);
  packA(
    transA,
    a,
    m,
    k,
    ic,
    min(rowsPerChunk, m - ic),
    pc,
    kc,
    dst + ((<usize>pc * mp + <usize>ic * <usize>kc) << 2),
  );
}

/** KC, the inner-dimension block of packed op(A) (packChunk's block count is ceil(k / KC)). */
export function gemmInnerBlock(): i32 {
  return KC;
}

/**
 * C[:, j0:j1] = op(A)·op(B)[:, j0:j1] (+ C when accumulate ≠ 0), op(A) already packed by packAll
 * at pa. C is row-major m×n; scratch holds this thread's packed B block and edge tile.
 */
export function gemmPacked(
  transB: i32,
  m: i32,
  n: i32,
  k: i32,
  pa: usize,
  b: usize,
  c: usize,
  accumulate: i32,
  j0: i32,
  j1: i32,
  scratch: usize,
): void {
  if (m <= 0 || j1 <= j0) return;
  const ldc = (<usize>n) << 2;
  if (k <= 0) {
    if (!accumulate) {
      for (let i = 0; i < m; i++)
        memory.fill(c + <usize>i * ldc + ((<usize>j0) << 2), 0, (<usize>(j1 - j0)) << 2);
    }
    return;
  }
  const mp = <usize>paddedRows(m);
  const pB = scratch;
  const tile = scratch + PACK_B_BYTES;
  for (let jc = j0; jc < j1; jc += NC) {
    const nc = min(NC, j1 - jc);
    for (let pc = 0; pc < k; pc += KC) {
      const kc = min(KC, k - pc);
      const add = accumulate || pc > 0 ? 1 : 0;
      packB(transB, b, n, k, pc, kc, jc, nc, pB);
      const aBlock = pa + ((<usize>pc * mp) << 2);
      for (let ic = 0; ic < m; ic += MC) {
        const mc = min(MC, m - ic);
        for (let jr = 0; jr < nc; jr += NR) {
          const nr = min(NR, nc - jr);
          const bp = pB + ((<usize>(jr * kc)) << 2);
          for (let ir = 0; ir < mc; ir += MR) {
            const mr = min(MR, mc - ir);
            const ap = aBlock + ((<usize>((ic + ir) * kc)) << 2);
            const cp = c + <usize>(ic + ir) * ldc + ((<usize>(jc + jr)) << 2);
            if (nr == NR) {
              if (mr == MR) kernelFull(kc, ap, bp, cp, ldc, add);
              else kernelRows(kc, ap, bp, cp, ldc, add, mr);
            } else {
              // Right-edge tile: compute the full padded tile aside, then write its valid part.
              kernelFull(kc, ap, bp, tile, NR << 2, 0);
              for (let ii = 0; ii < mr; ii++) {
                const crow = cp + <usize>ii * ldc;
                const trow = tile + ((<usize>(ii * NR)) << 2);
                for (let jj = 0; jj < nr; jj++) {
                  const off = (<usize>jj) << 2;
                  const t = load<f32>(trow + off);
                  store<f32>(crow + off, add ? load<f32>(crow + off) + t : t);
                }
              }
            }
          }
        }
      }
    }
  }
}

/**
 * C[m×n] = op(A)·op(B) (+ C when accumulate ≠ 0) on one thread; op(A) is m×k (A stored k×m when
 * transA), op(B) is k×n (B stored n×k when transB). pa: packedABytes(m, k) bytes for packed A.
 */
export function gemm(
  transA: i32,
  transB: i32,
  m: i32,
  n: i32,
  k: i32,
  a: usize,
  b: usize,
  c: usize,
  accumulate: i32,
  pa: usize,
  scratch: usize,
): void {
  packAll(transA, a, m, k, pa);
  gemmPacked(transB, m, n, k, pa, b, c, accumulate, 0, n, scratch);
}
