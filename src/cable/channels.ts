/**
 * Membrane mechanisms of a cable compartment: each contributes a conductance g (S/cm²) and a
 * driving term g·E (S/cm² · mV), so its current density is g·(V − E) (outward positive), and
 * may carry gates advanced by exponential Euler (Rush–Larsen): with the rates α, β (1/ms) at
 * the present V held over the step, x ← x∞ + (x − x∞)·e^(−(α+β)·dt), exact for frozen V.
 */
import { hhParams } from '../neurons/hh.js';
import type { HHParams } from '../neurons/hh.js';
import { HH_RATE_LETS } from '../neurons/hh.js';
import { jsFunction, parseExpr, renderJs } from '../symbolic/expr.js';
import * as exact from '../util/exact-math.js';

export interface Mechanism {
  readonly name: string;
  /** Gate names (stored per compartment, in this order). */
  readonly gates: readonly string[];
  /** Gates at their steady state for the potential v (mV). */
  init(v: number, g: Float64Array, off: number): void;
  /** Advances the gates over dt (ms) with the rates at v (mV), Rush–Larsen. */
  advance(v: number, dt: number, g: Float64Array, off: number): void;
  /** Adds conductance (S/cm²) to out[0] and conductance × reversal (S/cm² · mV) to out[1]. */
  conductance(g: Float64Array, off: number, out: Float64Array): void;
}

/** Passive leak: g = 1/Rm (S/cm²; Rm in Ω·cm²), reversal e (mV). */
export function passive(o: { g?: number; rm?: number; e: number }): Mechanism & {
  /** Conductance S/cm² and reversal mV (read by the many-cell kernel, cells-wasm.ts). */
  readonly passive: { readonly g: number; readonly e: number };
} {
  const g = o.g ?? (o.rm !== undefined ? 1 / o.rm : NaN);
  if (!(g >= 0)) throw new RangeError('passive: give g (S/cm²) ≥ 0 or rm (Ω·cm²) > 0');
  const ge = g * o.e;
  return {
    name: 'pas',
    passive: { g, e: o.e },
    gates: [],
    init() {},
    advance() {},
    conductance(_g, _off, out) {
      out[0] += g;
      out[1] += ge;
    },
  };
}

/**
 * The HH rate functions α_m, β_m, α_h, β_h, α_n, β_n (1/ms) of the shifted voltage u (mV),
 * compiled from the declarations in neurons/hh.ts (HH_RATE_LETS) through the symbolic layer.
 * Fills r[0…5] in that order.
 */
export const hhRates: (u: number, r: Float64Array) => void = (() => {
  const names = ['am', 'bm', 'ah', 'bh', 'an', 'bn'];
  const exprs = names.map((n) => parseExpr(HH_RATE_LETS[n], `hh.${n}`));
  const body = renderJs(
    exprs,
    (s) => {
      if (s !== 'u') throw new Error(`HH rate reads "${s}"; only u is expected`);
      return 'u';
    },
    (i, code) => `r[${i}] = ${code};`,
  );
  return jsFunction<(u: number, r: Float64Array) => void>('u, r', body);
})();

export interface HHChannelOptions {
  /** 'shifted' (rest ≈ 0 mV, HH's own) or 'modern' (rest ≈ −65 mV). Default shifted. */
  convention?: 'shifted' | 'modern';
  /** Overrides of the convention's parameters (conductances in mS/cm², as in neurons/hh.ts). */
  params?: Partial<HHParams>;
  /**
   * Temperature, °C (default 6.3, where the rate functions are written): rates are multiplied by
   * φ = q10^((T − 6.3)/10) with q10 = 3 (Hodgkin & Huxley 1952).
   */
  temperatureC?: number;
  /** Include the HH leak (gL, EL). Default true. */
  leak?: boolean;
}

/**
 * Hodgkin–Huxley (1952) Na, K and leak channels. Parameters and rate functions come from
 * neurons/hh.ts (HH_SHIFTED / HH_MODERN, HH_RATE_LETS); conductances there are in mS/cm² and
 * are converted to S/cm² here. Gates m, h, n.
 */
export function hhChannels(o: HHChannelOptions = {}): Mechanism & {
  readonly params: Readonly<HHParams>;
  /** Rate factor φ and the conductances in S/cm² (read by the many-cell kernel, cells-wasm.ts). */
  readonly hh: { readonly phi: number; readonly gNa: number; readonly gK: number; readonly gL: number };
} {
  const p = hhParams(o.params ?? {}, o.convention ?? 'shifted');
  const phi = 3 ** (((o.temperatureC ?? 6.3) - 6.3) / 10);
  const gNa = p.gNa * 1e-3;
  const gK = p.gK * 1e-3;
  const gL = o.leak === false ? 0 : p.gL * 1e-3;
  const r = new Float64Array(6);
  return {
    name: 'hh',
    params: p,
    hh: { phi, gNa, gK, gL },
    gates: ['m', 'h', 'n'],
    init(v, g, off) {
      hhRates(v - p.vOffset, r);
      g[off] = r[0] / (r[0] + r[1]);
      g[off + 1] = r[2] / (r[2] + r[3]);
      g[off + 2] = r[4] / (r[4] + r[5]);
    },
    advance(v, dt, g, off) {
      hhRates(v - p.vOffset, r);
      for (let k = 0; k < 3; k++) {
        const a = phi * r[2 * k];
        const s = a + phi * r[2 * k + 1];
        const inf = a / s;
        g[off + k] = inf + (g[off + k] - inf) * exact.exp(-s * dt);
      }
    },
    conductance(g, off, out) {
      const m = g[off];
      const n2 = g[off + 2] * g[off + 2];
      const na = gNa * m * m * m * g[off + 1];
      const k = gK * n2 * n2;
      out[0] += na + k + gL;
      out[1] += na * p.ENa + k * p.EK + gL * p.EL;
    },
  };
}
