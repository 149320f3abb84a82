/**
 * The reference conv lowering (im2col and its adjoint col2im) in plain TypeScript; the wasm
 * backend's assembly/conv.ts must match it bit for bit. Layouts in ConvGeometry (backend.ts).
 */
import type { ConvGeometry } from '../backend.js';

/** Index range [lo, hi) of output positions whose tap at offset k lands inside an input of `size`. */
function validRange(
  k: number,
  size: number,
  outSize: number,
  stride: number,
  padding: number,
): [number, number] {
  // Input index = o·stride − padding + k must lie in [0, size).
  const lo = Math.max(0, Math.ceil((padding - k) / stride));
  const hi = Math.min(outSize, Math.floor((size - 1 + padding - k) / stride) + 1);
  return [lo, Math.max(lo, hi)];
}

export function im2colJs(
  x: Float32Array,
  g: ConvGeometry,
  first: number,
  count: number,
  col: Float32Array,
): void {
  const { cin, h, w, kh, kw, stride, padding, hOut, wOut } = g;
  const p = hOut * wOut;
  const ld = count * p;
  col.fill(0, 0, cin * kh * kw * ld);
  for (let n = 0; n < count; n++) {
    const sample = (first + n) * cin * h * w;
    for (let c = 0; c < cin; c++) {
      const plane = sample + c * h * w;
      for (let ki = 0; ki < kh; ki++) {
        const [ohLo, ohHi] = validRange(ki, h, hOut, stride, padding);
        for (let kj = 0; kj < kw; kj++) {
          const [owLo, owHi] = validRange(kj, w, wOut, stride, padding);
          const rowBase = ((c * kh + ki) * kw + kj) * ld + n * p;
          for (let oh = ohLo; oh < ohHi; oh++) {
            const src = plane + (oh * stride - padding + ki) * w - padding + kj;
            const dst = rowBase + oh * wOut;
            for (let ow = owLo; ow < owHi; ow++) col[dst + ow] = x[src + ow * stride];
          }
        }
      }
    }
  }
}

export function col2imJs(
  col: Float32Array,
  g: ConvGeometry,
  first: number,
  count: number,
  dx: Float32Array,
): void {
  const { cin, h, w, kh, kw, stride, padding, hOut, wOut } = g;
  const p = hOut * wOut;
  const ld = count * p;
  for (let n = 0; n < count; n++) {
    const sample = (first + n) * cin * h * w;
    for (let c = 0; c < cin; c++) {
      const plane = sample + c * h * w;
      for (let ki = 0; ki < kh; ki++) {
        const [ohLo, ohHi] = validRange(ki, h, hOut, stride, padding);
        for (let kj = 0; kj < kw; kj++) {
          const [owLo, owHi] = validRange(kj, w, wOut, stride, padding);
          const rowBase = ((c * kh + ki) * kw + kj) * ld + n * p;
          for (let oh = ohLo; oh < ohHi; oh++) {
            const dst = plane + (oh * stride - padding + ki) * w - padding + kj;
            const src = rowBase + oh * wOut;
            for (let ow = owLo; ow < owHi; ow++) dx[dst + ow * stride] += col[src + ow];
          }
        }
      }
    }
  }
}

/** out[pl, oh, ow] = mean of the kernel×kernel window at (oh·stride, ow·stride) of plane pl of x. */
export function avgPool2dJs(
  x: Float32Array,
  planes: number,
  h: number,
  w: number,
  kernel: number,
  stride: number,
  out: Float32Array,
): void {
  const hOut = Math.floor((h - kernel) / stride) + 1;
  const wOut = Math.floor((w - kernel) / stride) + 1;
  const inv = 1 / (kernel * kernel);
  for (let pl = 0; pl < planes; pl++) {
    const src = pl * h * w;
    const dst = pl * hOut * wOut;
    for (let oh = 0; oh < hOut; oh++) {
      for (let ow = 0; ow < wOut; ow++) {
        let s = 0;
        for (let i = 0; i < kernel; i++) {
          const row = src + (oh * stride + i) * w + ow * stride;
          for (let j = 0; j < kernel; j++) s += x[row + j];
        }
        out[dst + oh * wOut + ow] = s * inv;
      }
    }
  }
}

/** dx += the adjoint of avgPool2dJs applied to g [planes, hOut, wOut]. */
export function avgPool2dBackwardJs(
  g: Float32Array,
  planes: number,
  h: number,
  w: number,
  kernel: number,
  stride: number,
  dx: Float32Array,
): void {
  const hOut = Math.floor((h - kernel) / stride) + 1;
  const wOut = Math.floor((w - kernel) / stride) + 1;
  const inv = 1 / (kernel * kernel);
  for (let pl = 0; pl < planes; pl++) {
    const base = pl * h * w;
    const gOff = pl * hOut * wOut;
    for (let oh = 0; oh < hOut; oh++) {
      for (let ow = 0; ow < wOut; ow++) {
        const v = g[gOff + oh * wOut + ow] * inv;
        for (let i = 0; i < kernel; i++) {
          const row = base + (oh * stride + i) * w + ow * stride;
          for (let j = 0; j < kernel; j++) dx[row + j] += v;
        }
      }
    }
  }
}
