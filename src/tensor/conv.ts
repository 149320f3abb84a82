/**
 * 2-D convolution and average pooling with PyTorch semantics (NCHW layout, weights [Cout, Cin, kh, kw],
 * no dilation or groups). conv2d lowers each chunk of the batch to a matrix with im2col and multiplies
 * it by the weights with the backend's gemm; its backward scatters the column gradient back with
 * col2im. The chunk size keeps the column buffer at about COL_BUFFER_BYTES whatever the batch size.
 *
 * Output size along one axis: out = floor((in + 2·padding − kernel) / stride) + 1.
 *
 * The study's conv net (36×36 input, conv(→10) 3×3, pool 2, conv(10→10) 3×3, pool 2, Linear 810→50):
 *   conv1 3×3, stride 1, padding 1: (36 + 2 − 3)/1 + 1 = 36  → [B, 10, 36, 36]
 *   avgPool 2:                      floor((36 − 2)/2) + 1 = 18 → [B, 10, 18, 18]
 *   conv2 3×3, stride 1, padding 1: (18 + 2 − 3)/1 + 1 = 18  → [B, 10, 18, 18]
 *   avgPool 2:                      floor((18 − 2)/2) + 1 = 9  → [B, 10, 9, 9]
 *   flatten: 10·9·9 = 810 features, which is what Linear 810→50 expects.
 * So both convolutions use padding 1 ("same" size). With no padding on conv2 the maps would be
 * 18 → 16 → pool 8 (640 features); with no padding on conv1 but padding on conv2, 34 → 17 → 17 → 8
 * (640); a stride-2 conv2 instead of pooling gives floor(15/2) + 1 = 8. Only padding 1 on both
 * (stride 1, each followed by pool 2) reaches 9×9.
 */
import { scopedArray } from './scope.js';
import { Backend, ConvGeometry, RESIDENT_MIN_FLOATS } from '../kernels/backend.js';
import { getBackend } from '../kernels/index.js';
import { addFlops } from './accounting.js';
import { accumulateGrad, makeResult } from './autograd.js';
import { Tensor, shapeString } from './tensor.js';

/** Upper bound on the im2col buffer of one batch chunk (at least one sample is always processed). */
const COL_BUFFER_BYTES = 16 * 1024 * 1024;

export interface Conv2dOptions {
  /** Step between kernel applications, the same along both axes (default 1). */
  stride?: number;
  /** Zero padding added on every side (default 0). */
  padding?: number;
}

/** Output length along one axis: floor((size + 2·padding − kernel) / stride) + 1. */
export function conv2dOutputSize(size: number, kernel: number, stride = 1, padding = 0): number {
  return Math.floor((size + 2 * padding - kernel) / stride) + 1;
}

function checkPositiveInt(value: number, what: string, op: string): void {
  if (!Number.isInteger(value) || value < 1)
    throw new RangeError(`${op}: ${what} must be a positive integer, got ${value}`);
}

/**
 * A scratch buffer for the lowered product: resident on backends that have such buffers (the gemm
 * and the lowering kernels then use it in place), unless too small to be worth it. Its contents are
 * unspecified; give it back with be.release.
 */
function scratch(be: Backend, n: number): Float32Array {
  return n >= RESIDENT_MIN_FLOATS ? be.allocate(n, false) : new Float32Array(n);
}

/**
 * 2-D cross-correlation (PyTorch's Conv2d): x [B, Cin, H, W], w [Cout, Cin, kh, kw], b [Cout] or
 * null → [B, Cout, Hout, Wout] with Hout = floor((H + 2·padding − kh) / stride) + 1 (likewise Wout).
 */
export function conv2d(x: Tensor, w: Tensor, b: Tensor | null, opts: Conv2dOptions = {}): Tensor {
  const stride = opts.stride ?? 1;
  const padding = opts.padding ?? 0;
  checkPositiveInt(stride, 'stride', 'conv2d');
  if (!Number.isInteger(padding) || padding < 0) {
    throw new RangeError(`conv2d: padding must be a non-negative integer, got ${padding}`);
  }
  if (x.ndim !== 4) throw new RangeError(`conv2d: input must be [B, Cin, H, W], got ${shapeString(x.shape)}`);
  if (w.ndim !== 4)
    throw new RangeError(`conv2d: weight must be [Cout, Cin, kh, kw], got ${shapeString(w.shape)}`);
  const [batch, cin, h, width] = x.shape;
  const [cout, wCin, kh, kw] = w.shape;
  if (wCin !== cin) {
    throw new RangeError(
      `conv2d: input ${shapeString(x.shape)} has ${cin} channels but weight ${shapeString(w.shape)} expects ${wCin} (expected input [B, ${wCin}, H, W])`,
    );
  }
  if (b && (b.ndim !== 1 || b.shape[0] !== cout)) {
    throw new RangeError(
      `conv2d: bias ${shapeString(b.shape)} does not fit weight ${shapeString(w.shape)} (expected [${cout}])`,
    );
  }
  const hOut = conv2dOutputSize(h, kh, stride, padding);
  const wOut = conv2dOutputSize(width, kw, stride, padding);
  if (kh < 1 || kw < 1 || hOut < 1 || wOut < 1) {
    throw new RangeError(
      `conv2d: kernel ${kh}×${kw} with padding ${padding} does not fit input ${shapeString(x.shape)} (padded input must be at least the kernel size)`,
    );
  }
  const geom: ConvGeometry = { cin, h, w: width, kh, kw, stride, padding, hOut, wOut };
  const kSize = cin * kh * kw;
  const p = hOut * wOut;
  const chunk = Math.max(1, Math.min(batch, Math.floor(COL_BUFFER_BYTES / (4 * Math.max(1, kSize * p)))));
  const be = getBackend();
  // The lowered product Cout × K × (B·P) (padding taps included, as the gemm runs them), plus bias.
  addFlops('conv2d', 2 * cout * kSize * batch * p + (b ? batch * cout * p : 0));

  const out = scopedArray(batch * cout * p);
  if (batch > 0 && cout > 0 && p > 0) {
    const col = scratch(be, kSize * chunk * p);
    const y = scratch(be, cout * chunk * p);
    for (let first = 0; first < batch; first += chunk) {
      const count = Math.min(chunk, batch - first);
      const ld = count * p;
      const colView = col.subarray(0, kSize * ld);
      const yView = y.subarray(0, cout * ld);
      be.im2col(x.data, geom, first, count, colView);
      // y [Cout × count·P] = W [Cout × K] · col [K × count·P]
      be.gemm(false, false, cout, ld, kSize, w.data, colView, yView, false);
      for (let n = 0; n < count; n++) {
        for (let co = 0; co < cout; co++) {
          const dst = ((first + n) * cout + co) * p;
          const src = co * ld + n * p;
          const bias = b ? b.data[co] : 0;
          for (let i = 0; i < p; i++) out[dst + i] = yView[src + i] + bias;
        }
      }
    }
    be.release(col);
    be.release(y);
  }

  const parents = b ? [x, w, b] : [x, w];
  return makeResult(out, [batch, cout, hOut, wOut], parents, () => (g) => {
    if (b && b.requiresGrad) {
      const gb = scopedArray(cout);
      for (let n = 0; n < batch; n++) {
        for (let co = 0; co < cout; co++) {
          const off = (n * cout + co) * p;
          let s = 0;
          for (let i = 0; i < p; i++) s += g[off + i];
          gb[co] += s;
        }
      }
      accumulateGrad(b, gb);
    }
    if (!(x.requiresGrad || w.requiresGrad) || batch === 0 || cout === 0 || p === 0) return;
    const col = scratch(be, kSize * chunk * p);
    const gy = scratch(be, cout * chunk * p);
    const dx = x.requiresGrad ? x.ensureGrad() : null;
    const dw = w.requiresGrad ? w.ensureGrad() : null;
    for (let first = 0; first < batch; first += chunk) {
      const count = Math.min(chunk, batch - first);
      const ld = count * p;
      const colView = col.subarray(0, kSize * ld);
      const gyView = gy.subarray(0, cout * ld);
      // Gather dLoss/dy of this chunk into [Cout × count·P], the layout of the forward product.
      for (let n = 0; n < count; n++) {
        for (let co = 0; co < cout; co++) {
          const src = ((first + n) * cout + co) * p;
          gyView.set(g.subarray(src, src + p), co * ld + n * p);
        }
      }
      if (dw) {
        be.im2col(x.data, geom, first, count, colView);
        // dW [Cout × K] += gy [Cout × count·P] · colᵀ
        be.gemm(false, true, cout, kSize, ld, gyView, colView, dw, true);
      }
      if (dx) {
        // dcol [K × count·P] = Wᵀ · gy, then scattered back onto the input positions.
        be.gemm(true, false, kSize, ld, cout, w.data, gyView, colView, false);
        be.col2im(colView, geom, first, count, dx);
      }
    }
    be.release(col);
    be.release(gy);
  });
}

/**
 * Average pooling (PyTorch's AvgPool2d without padding): x [B, C, H, W] → [B, C, Hout, Wout] with
 * Hout = floor((H − kernel) / stride) + 1; trailing rows/columns that do not fill a window are dropped.
 */
export function avgPool2d(x: Tensor, kernel = 2, stride = kernel): Tensor {
  checkPositiveInt(kernel, 'kernel', 'avgPool2d');
  checkPositiveInt(stride, 'stride', 'avgPool2d');
  if (x.ndim !== 4)
    throw new RangeError(`avgPool2d: input must be [B, C, H, W], got ${shapeString(x.shape)}`);
  const [batch, channels, h, w] = x.shape;
  if (h < kernel || w < kernel) {
    throw new RangeError(
      `avgPool2d: input ${shapeString(x.shape)} is smaller than the ${kernel}×${kernel} window (expected H, W ≥ ${kernel})`,
    );
  }
  const hOut = Math.floor((h - kernel) / stride) + 1;
  const wOut = Math.floor((w - kernel) / stride) + 1;
  const planes = batch * channels;
  // kernel² adds into the window sum and the 1/kernel² scale, per output.
  addFlops('avgPool2d', planes * hOut * wOut * (kernel * kernel + 1));
  const out = scopedArray(planes * hOut * wOut);
  const be = getBackend();
  be.avgPool2d(x.data, planes, h, w, kernel, stride, out);
  return makeResult(out, [batch, channels, hOut, wOut], [x], () => (g) => {
    const dx = scopedArray(x.size);
    be.avgPool2dBackward(g, planes, h, w, kernel, stride, dx);
    accumulateGrad(x, dx, true);
  });
}
