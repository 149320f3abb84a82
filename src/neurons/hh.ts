/**
 * Hodgkin–Huxley (1952) squid-axon model, in both voltage conventions.
 *
 * Shifted convention (HH's own): rest at 0 mV, ENa = 115, EK = −12, EL = 10.613 mV.
 * Modern convention: the same model moved by −65 mV (ENa = 50, EK = −77, EL = −54.387, rest ≈ −65).
 * Rate functions are written for the shifted voltage u = V − vOffset, so one set serves both.
 * Units: mV, ms, µF/cm², mS/cm², µA/cm².
 */
import { declareNeuron } from './model.js';
import type { ParamDeclaration, StateDeclaration } from './model.js';
import * as exact from '../util/exact-math.js';

export interface HHParams {
  /** Membrane capacitance, µF/cm². */
  C: number;
  /** Maximal conductances, mS/cm². */
  gNa: number;
  gK: number;
  gL: number;
  /** Reversal potentials, mV. */
  ENa: number;
  EK: number;
  EL: number;
  /** Where 0 mV of the shifted convention lies: 0 (shifted) or −65 (modern). */
  vOffset: number;
  /** Spike detection threshold (upward crossing), mV. */
  spikeThreshold: number;
}

export const HH_SHIFTED: Readonly<HHParams> = Object.freeze({
  C: 1,
  gNa: 120,
  gK: 36,
  gL: 0.3,
  ENa: 115,
  EK: -12,
  EL: 10.613,
  vOffset: 0,
  spikeThreshold: 70,
});

export const HH_MODERN: Readonly<HHParams> = Object.freeze({
  C: 1,
  gNa: 120,
  gK: 36,
  gL: 0.3,
  ENa: 50,
  EK: -77,
  EL: -54.387,
  vOffset: -65,
  spikeThreshold: -40,
});

/** x / (e^x − 1), continuous through its removable singularity at x = 0. */
export function vtrap(x: number): number {
  return Math.abs(x) < 1e-6 ? 1 - x / 2 : x / exact.expm1(x);
}

// Rate functions (1/ms) of the shifted voltage u (mV).
export const alphaN = (u: number): number => 0.1 * vtrap((10 - u) / 10);
export const betaN = (u: number): number => 0.125 * exact.exp(-u / 80);
export const alphaM = (u: number): number => vtrap((25 - u) / 10);
export const betaM = (u: number): number => 4 * exact.exp(-u / 18);
export const alphaH = (u: number): number => 0.07 * exact.exp(-u / 20);
export const betaH = (u: number): number => 1 / (exact.exp((30 - u) / 10) + 1);

export interface Gates {
  m: number;
  h: number;
  n: number;
}

/** Steady-state gates x∞ = α/(α + β) at membrane potential v. */
export function steadyStateGates(v: number, p: Readonly<HHParams> = HH_SHIFTED): Gates {
  const u = v - p.vOffset;
  return {
    m: alphaM(u) / (alphaM(u) + betaM(u)),
    h: alphaH(u) / (alphaH(u) + betaH(u)),
    n: alphaN(u) / (alphaN(u) + betaN(u)),
  };
}

/** Total ionic current (µA/cm², outward positive) with gates at their steady state for v. */
export function steadyStateCurrent(v: number, p: Readonly<HHParams> = HH_SHIFTED): number {
  const { m, h, n } = steadyStateGates(v, p);
  return p.gNa * m * m * m * h * (v - p.ENa) + p.gK * n ** 4 * (v - p.EK) + p.gL * (v - p.EL);
}

/**
 * The resting state: the V where the steady-state ionic current plus an applied constant
 * current is zero, found by bisection (the steady-state I–V curve of HH is monotone near rest).
 */
export function restingState(p: Readonly<HHParams> = HH_SHIFTED, current = 0): Gates & { v: number } {
  let lo = p.vOffset - 30;
  let hi = p.vOffset + 30;
  const f = (v: number): number => steadyStateCurrent(v, p) - current;
  if (f(lo) * f(hi) > 0)
    throw new Error(`no resting state within ±30 mV of ${p.vOffset} mV for I = ${current}`);
  for (let i = 0; i < 200 && hi - lo > 1e-13; i++) {
    const mid = 0.5 * (lo + hi);
    if (f(lo) * f(mid) <= 0) hi = mid;
    else lo = mid;
  }
  const v = 0.5 * (lo + hi);
  return { v, ...steadyStateGates(v, p) };
}

/** Parameters of a convention with overrides applied. */
export function hhParams(params: Partial<HHParams>, convention: 'shifted' | 'modern'): HHParams {
  return { ...(convention === 'modern' ? HH_MODERN : HH_SHIFTED), ...params };
}

/**
 * Quasi-linear coefficients of the gates m, h, n (stored at indices iM, iM + 1, iM + 2) at the
 * shifted voltage u: dx/dt = αx − (αx + βx)·x (the fast HH kernel's rate tables).
 */
export function gateCoefficients(u: number, a: Float64Array, b: Float64Array, iM: number): void {
  const am = alphaM(u);
  const ah = alphaH(u);
  const an = alphaN(u);
  a[iM] = am;
  b[iM] = am + betaM(u);
  a[iM + 1] = ah;
  b[iM + 1] = ah + betaH(u);
  a[iM + 2] = an;
  b[iM + 2] = an + betaN(u);
}

/**
 * The HH pieces of a declaration (model.ts), shared by the HH declarations and the tv-LIF2HH
 * circuit's: the parameters of a convention, the rate functions of the shifted voltage `u` (a let
 * the declaration defines) written with exprel (x/(e^x − 1) = 1/exprel(x)), and the gate
 * equations and their steady-state initial values.
 */
export function hhParamDeclarations(p: Readonly<HHParams>): Record<keyof HHParams, ParamDeclaration> {
  return {
    C: { value: p.C, unit: 'µF/cm²' },
    gNa: { value: p.gNa, unit: 'mS/cm²' },
    gK: { value: p.gK, unit: 'mS/cm²' },
    gL: { value: p.gL, unit: 'mS/cm²' },
    ENa: { value: p.ENa, unit: 'mV' },
    EK: { value: p.EK, unit: 'mV' },
    EL: { value: p.EL, unit: 'mV' },
    vOffset: { value: p.vOffset, unit: 'mV', doc: 'where 0 mV of the shifted convention lies' },
    spikeThreshold: { value: p.spikeThreshold, unit: 'mV' },
  };
}

export const HH_RATE_LETS: Readonly<Record<string, string>> = Object.freeze({
  am: '1/exprel((25 - u)/10)',
  bm: '4*exp(-u/18)',
  ah: '0.07*exp(-u/20)',
  bh: '1/(exp((30 - u)/10) + 1)',
  an: '0.1/exprel((10 - u)/10)',
  bn: '0.125*exp(-u/80)',
});

export const HH_GATE_DYNAMICS: Readonly<Record<'m' | 'h' | 'n', string>> = Object.freeze({
  m: 'am*(1 - m) - bm*m',
  h: 'ah*(1 - h) - bh*h',
  n: 'an*(1 - n) - bn*n',
});

/** Gates at their steady state for the potential the `u` let reads. */
export const HH_GATE_STATES: Readonly<Record<'m' | 'h' | 'n', StateDeclaration>> = Object.freeze({
  m: { init: 'am/(am + bm)' },
  h: { init: 'ah/(ah + bh)' },
  n: { init: 'an/(an + bn)' },
});

/** The model as a declaration: simulation, training and kernels derive from it. */
function hhDeclaration(name: string, description: string, p: Readonly<HHParams>) {
  return declareNeuron({
    name,
    description,
    reference: 'Hodgkin AL, Huxley AF (1952) J Physiol 117:500–544',
    states: { v: { init: 'vOffset', unit: 'mV' }, ...HH_GATE_STATES },
    params: hhParamDeclarations(p),
    let: {
      u: 'v - vOffset',
      ...HH_RATE_LETS,
      ionic: 'gNa*m^3*h*(v - ENa) + gK*n^4*(v - EK) + gL*(v - EL)',
    },
    dynamics: { v: '(I - ionic)/C', ...HH_GATE_DYNAMICS },
    drive: 10,
    spike: 'v > spikeThreshold',
    startAtRest: true,
    voltageLimit: 1000,
    trainingDt: 0.05,
  });
}

export const hhDeclared = hhDeclaration(
  'hh',
  'Hodgkin–Huxley 1952, shifted convention (rest 0 mV)',
  HH_SHIFTED,
);
export const hhModernDeclared = hhDeclaration(
  'hh-modern',
  'Hodgkin–Huxley 1952, modern convention (rest −65 mV)',
  HH_MODERN,
);
