/**
 * Finite-difference gradient check (like torch.autograd.gradcheck, adapted to float32): compares
 * the autodiff gradient of L = Σ out·r (r a fixed random projection) with central differences.
 */
import { Rng } from '../util/rng.js';
import { Tensor } from './tensor.js';

export interface GradcheckOptions {
  /** Finite-difference step (float32 needs a fairly large one). */
  eps?: number;
  /** Pass when |analytic − numeric| ≤ atol + rtol·|numeric| for every checked element. */
  atol?: number;
  rtol?: number;
  /** Check at most this many elements per input (chosen at random). */
  maxElements?: number;
  seed?: number;
}

export interface GradcheckResult {
  ok: boolean;
  maxAbsError: number;
  worst: string;
  checked: number;
}

/** fn must be deterministic (re-seed any randomness inside it). */
export function gradcheck(fn: () => Tensor, inputs: Tensor[], opts: GradcheckOptions = {}): GradcheckResult {
  const eps = opts.eps ?? 1e-2;
  const atol = opts.atol ?? 1e-3;
  const rtol = opts.rtol ?? 2e-2;
  const rng = new Rng(opts.seed ?? 7);
  const probe = fn();
  const r = new Float64Array(probe.size).map(() => rng.normal());
  const loss = (): number => {
    const out = fn();
    let s = 0;
    for (let i = 0; i < out.size; i++) s += out.data[i] * r[i];
    return s;
  };
  for (const x of inputs) x.grad = null;
  const out = fn();
  out.backward(Float32Array.from(r));
  let maxAbsError = 0;
  let worst = '';
  let ok = true;
  let checked = 0;
  inputs.forEach((x, xi) => {
    const analytic = x.grad ?? new Float32Array(x.size);
    const count = Math.min(x.size, opts.maxElements ?? 64);
    const picks =
      count === x.size ? [...Array(x.size).keys()] : Array.from({ length: count }, () => rng.int(x.size));
    for (const i of picks) {
      const orig = x.data[i];
      x.data[i] = orig + eps;
      const lp = loss();
      x.data[i] = orig - eps;
      const lm = loss();
      x.data[i] = orig;
      const numeric = (lp - lm) / (2 * eps);
      const err = Math.abs(analytic[i] - numeric);
      checked++;
      if (err > maxAbsError) {
        maxAbsError = err;
        worst = `input ${xi} element ${i}: analytic ${analytic[i]}, numeric ${numeric}`;
      }
      if (err > atol + rtol * Math.abs(numeric)) ok = false;
    }
  });
  return { ok, maxAbsError, worst, checked };
}
