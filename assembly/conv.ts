// Conv lowering for conv2d (src/tensor/conv.ts): im2col and its adjoint col2im, matching the
// reference src/kernels/js/conv.ts bit for bit. x/dx point at the chunk's first sample [count, cin,
// h, w]; col is [cin·kh·kw × count·hOut·wOut]. Element indices fit in i32 (the memory is 4 GiB).

// First output position whose tap at offset k is inside the input: ceil((padding − k) / stride),
// within [0, outSize] (clamped so the zero fills below stay inside the row block).
@inline
function rangeLo(k: i32, outSize: i32, stride: i32, padding: i32): i32 {
  const d = padding - k;
  return d <= 0 ? 0 : min(outSize, (d + stride - 1) / stride);
}

// One past the last such position: floor((size − 1 + padding − k) / stride) + 1, within [lo, outSize].
@inline
function rangeHi(k: i32, size: i32, outSize: i32, stride: i32, padding: i32, lo: i32): i32 {
  const d = size - 1 + padding - k;
  const hi = d < 0 ? 0 : min(outSize, d / stride + 1);
  return max(lo, hi);
}

export function im2col(
  x: usize,
  col: usize,
  count: i32,
  cin: i32,
  h: i32,
  w: i32,
  kh: i32,
  kw: i32,
  stride: i32,
  padding: i32,
  hOut: i32,
  wOut: i32,
): void {
  const p = hOut * wOut;
  const ld = count * p;
  for (let n = 0; n < count; n++) {
    for (let c = 0; c < cin; c++) {
      const plane = (n * cin + c) * h * w;
      for (let ki = 0; ki < kh; ki++) {
        const ohLo = rangeLo(ki, hOut, stride, padding);
        const ohHi = rangeHi(ki, h, hOut, stride, padding, ohLo);
        for (let kj = 0; kj < kw; kj++) {
          const owLo = rangeLo(kj, wOut, stride, padding);
          const owHi = rangeHi(kj, w, wOut, stride, padding, owLo);
          const row = col + ((<usize>(((c * kh + ki) * kw + kj) * ld + n * p)) << 2);
          // Whole output rows whose taps fall in the top/bottom padding are zero.
          memory.fill(row, 0, (<usize>(ohLo * wOut)) << 2);
          memory.fill(row + ((<usize>(ohHi * wOut)) << 2), 0, (<usize>((hOut - ohHi) * wOut)) << 2);
          for (let oh = ohLo; oh < ohHi; oh++) {
            const dst = row + ((<usize>(oh * wOut)) << 2);
            for (let ow = 0; ow < owLo; ow++) store<f32>(dst + ((<usize>ow) << 2), 0);
            for (let ow = owHi; ow < wOut; ow++) store<f32>(dst + ((<usize>ow) << 2), 0);
            // Input index of tap ow = owLo (in range, so never negative).
            const s0 = plane + (oh * stride - padding + ki) * w - padding + kj + owLo * stride;
            const src = x + ((<usize>s0) << 2);
            const d = dst + ((<usize>owLo) << 2);
            const len = owHi - owLo;
            if (stride == 1) {
              // Contiguous: a row copy, four floats at a time.
              let i = 0;
              for (; i + 4 <= len; i += 4)
                v128.store(d + ((<usize>i) << 2), v128.load(src + ((<usize>i) << 2)));
              for (; i < len; i++) store<f32>(d + ((<usize>i) << 2), load<f32>(src + ((<usize>i) << 2)));
            } else {
              for (let i = 0; i < len; i++) {
                store<f32>(d + ((<usize>i) << 2), load<f32>(src + ((<usize>(i * stride)) << 2)));
              }
            }
          }
        }
      }
    }
  }
}

// dx += col2im(col): the same traversal as im2col, adding each tap back onto its input position.
// The per-element order of the additions is the reference's (taps in (c, ki, kj) order).
export function col2im(
  col: usize,
  dx: usize,
  count: i32,
  cin: i32,
  h: i32,
  w: i32,
  kh: i32,
  kw: i32,
  stride: i32,
  padding: i32,
  hOut: i32,
  wOut: i32,
): void {
  const p = hOut * wOut;
  const ld = count * p;
  for (let n = 0; n < count; n++) {
    for (let c = 0; c < cin; c++) {
      const plane = (n * cin + c) * h * w;
      for (let ki = 0; ki < kh; ki++) {
        const ohLo = rangeLo(ki, hOut, stride, padding);
        const ohHi = rangeHi(ki, h, hOut, stride, padding, ohLo);
        for (let kj = 0; kj < kw; kj++) {
          const owLo = rangeLo(kj, wOut, stride, padding);
          const owHi = rangeHi(kj, w, wOut, stride, padding, owLo);
          const len = owHi - owLo;
          if (len <= 0) continue;
          const row = ((c * kh + ki) * kw + kj) * ld + n * p + owLo;
          for (let oh = ohLo; oh < ohHi; oh++) {
            const s = col + ((<usize>(row + oh * wOut)) << 2);
            const d0 = plane + (oh * stride - padding + ki) * w - padding + kj + owLo * stride;
            const d = dx + ((<usize>d0) << 2);
            if (stride == 1) {
              let i = 0;
              for (; i + 4 <= len; i += 4) {
                const at = d + ((<usize>i) << 2);
                v128.store(at, f32x4.add(v128.load(at), v128.load(s + ((<usize>i) << 2))));
              }
              for (; i < len; i++) {
                const at = d + ((<usize>i) << 2);
                store<f32>(at, load<f32>(at) + load<f32>(s + ((<usize>i) << 2)));
              }
            } else {
              for (let i = 0; i < len; i++) {
                const at = d + ((<usize>(i * stride)) << 2);
                store<f32>(at, load<f32>(at) + load<f32>(s + ((<usize>i) << 2)));
              }
            }
          }
        }
      }
    }
  }
}

// Average pooling over planes [h, w] → [hOut, wOut] (no padding). Sums and the 1/kernel² scale are
// in f64, like the reference's JS numbers, so the results match it bit for bit.
export function avgPool2d(x: usize, out: usize, planes: i32, h: i32, w: i32, kernel: i32, stride: i32): void {
  const hOut = (h - kernel) / stride + 1;
  const wOut = (w - kernel) / stride + 1;
  const inv: f64 = 1.0 / <f64>(kernel * kernel);
  let o = out;
  for (let pl = 0; pl < planes; pl++) {
    const src = x + ((<usize>(pl * h * w)) << 2);
    for (let oh = 0; oh < hOut; oh++) {
      for (let ow = 0; ow < wOut; ow++) {
        let s: f64 = 0;
        for (let i = 0; i < kernel; i++) {
          const row = src + ((<usize>((oh * stride + i) * w + ow * stride)) << 2);
          for (let j = 0; j < kernel; j++) s += <f64>load<f32>(row + ((<usize>j) << 2));
        }
        store<f32>(o, <f32>(s * inv));
        o += 4;
      }
    }
  }
}

// dx += the adjoint of avgPool2d applied to g (each window gets g·(1/kernel²), added in f64).
export function avgPool2dBackward(
  g: usize,
  dx: usize,
  planes: i32,
  h: i32,
  w: i32,
  kernel: i32,
  stride: i32,
): void {
  const hOut = (h - kernel) / stride + 1;
  const wOut = (w - kernel) / stride + 1;
  const inv: f64 = 1.0 / <f64>(kernel * kernel);
  let gi = g;
  for (let pl = 0; pl < planes; pl++) {
    const base = dx + ((<usize>(pl * h * w)) << 2);
    for (let oh = 0; oh < hOut; oh++) {
      for (let ow = 0; ow < wOut; ow++) {
        const v: f64 = <f64>load<f32>(gi) * inv;
        gi += 4;
        for (let i = 0; i < kernel; i++) {
          const row = base + ((<usize>((oh * stride + i) * w + ow * stride)) << 2);
          for (let j = 0; j < kernel; j++) {
            const at = row + ((<usize>j) << 2);
            store<f32>(at, <f32>(<f64>load<f32>(at) + v));
          }
        }
      }
    }
  }
}
