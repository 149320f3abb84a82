// The Hodgkin–Huxley 1952 rate functions on f32x4 (src/neurons/hh.ts's HH_RATE_LETS, written for
// the shifted voltage u = v − vOffset), shared by the population kernel (hh-sim.ts, which inlines
// them into its own step) and the single-cell cable kernel (cable-cell.ts).

import { HALF, ONE, vc, vexp, vexpm1 } from './vmath';

export const R25 = memory.data<f32>([25]);
export const R10 = memory.data<f32>([10]);
export const R_TENTH = memory.data<f32>([0.1]);
export const R_M80 = memory.data<f32>([-1.0 / 80]);
export const R_M18 = memory.data<f32>([-1.0 / 18]);
export const R4 = memory.data<f32>([4]);
export const R007 = memory.data<f32>([0.07]);
export const R0125 = memory.data<f32>([0.125]);
// βh = 1/(e^((30 − u)/10) + 1) = 1/(e^0.5·(e^xm − 1) + e^0.5 + 1)
export const R_SQRT_E = memory.data<f32>([1.6487212707001282]);
export const R_SQRT_E_1 = memory.data<f32>([2.6487212707001282]);

const VTRAP_TINY = memory.data<f32>([1e-6]);

/** x / (e^x − 1) given em = e^x − 1, continuous through x = 0 like hh.ts's vtrap. */
// @ts-ignore: decorator
@inline
export function vtrap(x: v128, em: v128): v128 {
  const series = f32x4.sub(vc(ONE), f32x4.mul(x, vc(HALF)));
  const tiny = f32x4.lt(f32x4.abs(x), vc(VTRAP_TINY));
  return v128.bitselect(series, f32x4.div(x, em), tiny);
}

/**
 * αm, βm, αh, βh, αn, βn at u, stored as six vectors 16 bytes apart from out. Four exponentials:
 * e^(−u/20) = (e^(−u/80))⁴ and e^((30 − u)/10) = e^0.5·e^((25 − u)/10).
 */
// @ts-ignore: decorator
@inline
export function hhRatesTo(u: v128, out: usize): void {
  const xm = f32x4.mul(f32x4.sub(vc(R25), u), vc(R_TENTH));
  const xn = f32x4.mul(f32x4.sub(vc(R10), u), vc(R_TENTH));
  const em = vexpm1(xm);
  const e80 = vexp(f32x4.mul(u, vc(R_M80)));
  const e40 = f32x4.mul(e80, e80);
  v128.store(out, vtrap(xm, em));
  v128.store(out, f32x4.mul(vc(R4), vexp(f32x4.mul(u, vc(R_M18)))), 16);
  v128.store(out, f32x4.mul(vc(R007), f32x4.mul(e40, e40)), 32);
  v128.store(out, f32x4.div(vc(ONE), f32x4.add(f32x4.mul(vc(R_SQRT_E), em), vc(R_SQRT_E_1))), 48);
  v128.store(out, f32x4.mul(vc(R_TENTH), vtrap(xn, vexpm1(xn))), 64);
  v128.store(out, f32x4.mul(vc(R0125), e80), 80);
}
