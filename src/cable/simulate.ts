/**
 * The cable equation on a compartmentalized morphology.
 *
 * Units: time ms, potential mV, length µm, current nA, membrane capacitance Cm µF/cm², axial
 * resistivity Ri Ω·cm, membrane conductances S/cm². Internally a compartment's capacitance is in
 * nF and its conductances in µS, so that nF·mV/ms = µS·mV = nA.
 *
 * Compartment i (area A_i, node at its middle) obeys
 *   C_i dV_i/dt = −Σ_k g_k,i (V_i − E_k) + Σ_j g_ij (V_j − V_i) + I_inj,i
 * with C_i = Cm·A_i, g_k,i = ḡ_k(gates)·A_i, and the axial conductance g_ij = 1/(Ri·∫dx/(πr²))
 * between neighbouring nodes (two half-compartment resistances in series; morphology/tree.ts).
 *
 * Time stepping, step dt: the gates live at half steps (staggered, as in Hines' scheme for
 * NEURON): from V^n they advance by Rush–Larsen from t^(n−1/2) to t^(n+1/2); the voltage then
 * takes a linear step with the membrane conductances frozen at those gates — backward Euler
 * (first order: solve with h = dt, V^(n+1) = V*) or Crank–Nicolson (second order: solve with
 * h = dt/2, V^(n+1) = 2V* − V^n). Each solve is the tree system
 *   (C/h + G + axial) V* = C/h · V^n + G·E + I_inj(t^n + h),
 * done in O(N) by the Hines solver. The gates start at their steady state for the initial V.
 *
 * Crank–Nicolson barely damps the stiffest modes (its amplification tends to −1 for dt ≫ the
 * compartments' axial time constants), so a jump in the input — a clamp switching on or off —
 * leaves a slowly fading oscillation at the stimulated node. By default (`damping`, Rannacher's
 * start) a CN step in which a clamp switches is replaced by two backward-Euler half steps; this
 * only happens at O(1) steps, so the scheme stays second order.
 */
import { compartmentAt, compartmentalize } from '../morphology/tree.js';
import type { Compartments, Discretization, Morphology } from '../morphology/tree.js';
import { checkHinesOrder, hinesSolve } from './hines.js';
import type { Mechanism } from './channels.js';

/** Where on the cell: a compartment index, or a section and a position along it (µm). */
export type Location = number | { section: number; xUm: number };

/** A point current clamp: amplitude nA (positive = into the cell) during [startMs, endMs). */
export interface CurrentClamp {
  at: Location;
  amplitudeNa: number;
  startMs: number;
  endMs: number;
}

export interface MechanismPlacement {
  mechanism: Mechanism;
  /** Section indices that carry it (default: every section). */
  sections?: readonly number[];
}

export interface CableOptions {
  /** The cell: a morphology with a discretization, or compartments made already. */
  morphology?: Morphology;
  discretization?: Discretization;
  compartments?: Compartments;
  /** Membrane capacitance, µF/cm² (default 1). */
  cm?: number;
  /** Axial resistivity, Ω·cm (default 100). */
  ri?: number;
  mechanisms: readonly MechanismPlacement[];
  /** Initial potential, mV. */
  vInit: number;
  /** Time step and duration, ms. */
  dt: number;
  tStop: number;
  method?: 'cn' | 'be';
  /** CN only: take steps where a clamp switches as two backward-Euler half steps (default true). */
  damping?: boolean;
  clamps?: readonly CurrentClamp[];
  /** Locations whose V is recorded (every step, and at t = 0). */
  record?: readonly Location[];
  /** Record the gates at the recorded locations too. */
  recordGates?: boolean;
  /**
   * Record V of every compartment at every `every`-th step (and t = 0): for space–time
   * pictures; costs N numbers per kept sample and nothing on the other steps.
   */
  recordAll?: { every: number };
}

export interface CableResult {
  compartments: Compartments;
  /** Times of the samples, ms (0, dt, 2dt, …). */
  t: Float64Array;
  /** V (mV) per recorded location. */
  v: Float64Array[];
  /** Gates per recorded location: name ("hh.m") → trace (gates at t − dt/2, staggered). */
  gates: Record<string, Float64Array>[];
  /** The final V of every compartment, mV. */
  vFinal: Float64Array;
  /** With `recordAll`: the kept sample times and V, row-major (sample k, compartment i at k·N + i). */
  all?: { every: number; t: Float64Array; v: Float64Array };
}

export function locate(c: Compartments, at: Location): number {
  if (typeof at === 'number') {
    if (!(Number.isInteger(at) && at >= 0 && at < c.count))
      throw new RangeError(`compartment ${at} does not exist (0…${c.count - 1})`);
    return at;
  }
  const s = c.morphology.sections[at.section];
  if (!s) throw new RangeError(`section ${at.section} does not exist`);
  if (!(at.xUm >= 0 && at.xUm <= s.length))
    throw new RangeError(`position ${at.xUm} µm lies outside section ${at.section} (0…${s.length} µm)`);
  return compartmentAt(c, at.section, at.xUm / s.length);
}

/** The compartments of a cable run (made from the morphology when not given), Hines-ordered. */
export function cableCompartments(
  o: Pick<CableOptions, 'compartments' | 'morphology' | 'discretization'>,
): Compartments {
  if (!o.compartments && !o.morphology) throw new RangeError('give a morphology or compartments');
  const c = o.compartments ?? compartmentalize(o.morphology!, o.discretization);
  checkHinesOrder(c.parent);
  return c;
}

/** Runs the cable model; see the file's doc for the scheme. */
export function simulateCable(o: CableOptions): CableResult {
  const c = cableCompartments(o);
  const N = c.count;
  const cm = o.cm ?? 1;
  const ri = o.ri ?? 100;
  const method = o.method ?? 'cn';
  if (!(o.dt > 0 && o.tStop >= 0)) throw new RangeError('dt must be positive and tStop non-negative');
  const steps = Math.round(o.tStop / o.dt);
  // Capacitance nF = Cm (µF/cm²) · A (µm² = 1e−8 cm²) · 1e3; conductance µS = g (S/cm²) · A · 1e−8 · 1e6.
  const cap = new Float64Array(N);
  const areaS = new Float64Array(N); // area × 1e−2: S/cm² → µS
  const gAx = new Float64Array(N); // µS to the parent: 1 / (Ri · factor · 1e4 µm/cm · 1e−6 MΩ/Ω)
  for (let i = 0; i < N; i++) {
    cap[i] = cm * c.area[i] * 1e-5;
    areaS[i] = c.area[i] * 1e-2;
    if (i > 0) gAx[i] = 1 / (ri * c.axialToParent[i] * 1e-2);
  }
  // Mechanisms: per compartment, the list of (mechanism, gate offset).
  const placed: { mech: Mechanism; comps: Int32Array; off: Int32Array }[] = [];
  let gateCount = 0;
  for (const pl of o.mechanisms) {
    const secs = pl.sections ? new Set(pl.sections) : null;
    const comps: number[] = [];
    for (let i = 0; i < N; i++) if (!secs || secs.has(c.section[i])) comps.push(i);
    const off = new Int32Array(comps.length);
    for (let k = 0; k < comps.length; k++) {
      off[k] = gateCount;
      gateCount += pl.mechanism.gates.length;
    }
    placed.push({ mech: pl.mechanism, comps: Int32Array.from(comps), off });
  }
  const gates = new Float64Array(gateCount);
  const v = new Float64Array(N).fill(o.vInit);
  for (const pl of placed)
    for (let k = 0; k < pl.comps.length; k++) pl.mech.init(v[pl.comps[k]], gates, pl.off[k]);

  const every = o.recordAll?.every;
  if (every !== undefined && !(Number.isInteger(every) && every >= 1))
    throw new RangeError(`recordAll.every must be an integer ≥ 1, got ${every}`);
  const allCount = every === undefined ? 0 : Math.floor(steps / every) + 1;
  const all =
    every === undefined
      ? undefined
      : { every, t: new Float64Array(allCount), v: new Float64Array(allCount * N) };
  const clamps = (o.clamps ?? []).map((cl) => ({ ...cl, i: locate(c, cl.at) }));
  const rec = (o.record ?? []).map((r) => locate(c, r));
  const t = new Float64Array(steps + 1);
  const vOut = rec.map(() => new Float64Array(steps + 1));
  // Per recorded location: (trace, index into gates) for each gate of each mechanism there.
  const gateSlots = rec.map((i) => {
    const slots: { trace: Float64Array; at: number; name: string }[] = [];
    if (!o.recordGates) return slots;
    for (const pl of placed) {
      const k = pl.comps.indexOf(i);
      if (k < 0) continue;
      pl.mech.gates.forEach((g, j) =>
        slots.push({ trace: new Float64Array(steps + 1), at: pl.off[k] + j, name: `${pl.mech.name}.${g}` }),
      );
    }
    return slots;
  });
  const gateOut = gateSlots.map((slots) => Object.fromEntries(slots.map((s) => [s.name, s.trace])));
  const record = (n: number): void => {
    t[n] = n * o.dt;
    for (let r = 0; r < rec.length; r++) {
      vOut[r][n] = v[rec[r]];
      for (const s of gateSlots[r]) s.trace[n] = gates[s.at];
    }
    if (all && n % all.every === 0) {
      const k = n / all.every;
      all.t[k] = t[n];
      all.v.set(v, k * N);
    }
  };
  record(0);

  const h = method === 'cn' ? o.dt / 2 : o.dt;
  const diag = new Float64Array(N);
  const off = new Float64Array(N);
  const rhs = new Float64Array(N);
  const G = new Float64Array(N);
  const GE = new Float64Array(N);
  const acc = new Float64Array(2);
  for (let i = 1; i < N; i++) off[i] = -gAx[i];
  /** Solves (C/hs + G + axial) V* = C/hs · V + G·E + I(tc) into rhs. */
  const solve = (hs: number, tc: number): void => {
    for (let i = 0; i < N; i++) {
      const ch = cap[i] / hs;
      diag[i] = ch + G[i];
      rhs[i] = ch * v[i] + GE[i];
    }
    for (let i = 1; i < N; i++) {
      diag[i] += gAx[i];
      diag[c.parent[i]] += gAx[i];
    }
    for (const cl of clamps) if (tc >= cl.startMs && tc < cl.endMs) rhs[cl.i] += cl.amplitudeNa;
    hinesSolve(c.parent, diag, off, rhs);
  };
  for (let n = 0; n < steps; n++) {
    const tn = n * o.dt;
    // Gates: t − dt/2 → t + dt/2 with V at t (the first step advances from the steady state).
    G.fill(0);
    GE.fill(0);
    for (const pl of placed) {
      for (let k = 0; k < pl.comps.length; k++) {
        const i = pl.comps[k];
        pl.mech.advance(v[i], o.dt, gates, pl.off[k]);
        acc[0] = 0;
        acc[1] = 0;
        pl.mech.conductance(gates, pl.off[k], acc);
        G[i] += acc[0] * areaS[i];
        GE[i] += acc[1] * areaS[i];
      }
    }
    const switching =
      method === 'cn' &&
      o.damping !== false &&
      clamps.some(
        (cl) => (cl.startMs >= tn && cl.startMs < tn + o.dt) || (cl.endMs >= tn && cl.endMs < tn + o.dt),
      );
    if (switching) {
      // Two backward-Euler half steps (the clamp evaluated at the end of each).
      solve(o.dt / 2, tn + o.dt / 2);
      v.set(rhs);
      solve(o.dt / 2, tn + o.dt);
      v.set(rhs);
    } else {
      solve(h, tn + h);
      if (method === 'cn') for (let i = 0; i < N; i++) v[i] = 2 * rhs[i] - v[i];
      else v.set(rhs);
    }
    record(n + 1);
  }
  return { compartments: c, t, v: vOut, gates: gateOut, vFinal: v, ...(all ? { all } : {}) };
}
