/**
 * Conduction velocity of an action potential along a uniform HH axon (Hodgkin & Huxley 1952
 * constants, shifted convention): the axon is stimulated at x = 0 (20 µA·(d/476 µm)² for 0.2 ms,
 * enough to fire it at any diameter), and the 50 mV upward crossing time is found at 21 points over
 * the middle 60% of the axon (each interpolated between the two nodes around it); the velocity is
 * the slope of the least-squares line of position against time.
 */
import { cylinder } from '../morphology/tree.js';
import { hhChannels } from './channels.js';
import { detectSpikes } from '../analysis/spikes.js';
import { simulateCable } from './simulate.js';
import { simulateCableCells } from './cells-wasm.js';
import { simulateCableCell } from './cell-wasm.js';

/** The potential whose upward crossing times the spike, mV. */
const THRESHOLD_MV = 50;
import type { RateTableOptions } from '../kernels/wasm/rate-grid.js';

export interface VelocityOptions {
  /** Axon diameter, µm (default 476, the squid giant axon of HH 1952). */
  diameterUm?: number;
  /** Axon length, µm (default 30,000). */
  lengthUm?: number;
  /** Compartments (default: 50 µm each). */
  compartments?: number;
  /** Time step, ms (default 0.005). */
  dt?: number;
  /** Axial resistivity, Ω·cm (default 35.4). */
  ri?: number;
  /** Temperature, °C (default 18.5, HH's propagated-spike calculation). */
  temperatureC?: number;
}

export interface VelocityResult {
  velocityMps: number;
  diameterUm: number;
  lengthUm: number;
  compartments: number;
  dt: number;
  /** The fitted points: position (µm) and crossing time (ms). */
  points: { xUm: number; tMs: number }[];
  /** Wall time of the simulation (simulateCable), s. */
  seconds: number;
}

/** The axon's simulation and where its spike is timed (shared by both engines). */
function velocityPlan(o: VelocityOptions) {
  const d = o.diameterUm ?? 476;
  const L = o.lengthUm ?? 30000;
  const N = o.compartments ?? Math.max(10, Math.round(L / 50));
  const dt = o.dt ?? 0.005;
  for (const [name, v] of [
    ['diameter', d],
    ['length', L],
    ['dt', dt],
  ] as const)
    if (!(v > 0) || !Number.isFinite(v)) throw new RangeError(`axon velocity: ${name} must be > 0, got ${v}`);
  if (!Number.isInteger(N) || N < 10)
    throw new RangeError(`axon velocity: at least 10 compartments, got ${N}`);
  const dx = L / N;
  const xs = Array.from({ length: 21 }, (_, k) => L * (0.2 + (0.6 * k) / 20));
  const below = (x: number): number => Math.max(0, Math.min(N - 2, Math.floor(x / dx - 0.5)));
  const nodes = [...new Set(xs.flatMap((x) => [below(x), below(x) + 1]))].sort((a, b) => a - b);
  // Slow enough for the thinnest axons (velocity ∝ √d): 3 ms per cm at 476 µm, scaled.
  const tStop = 1 + ((3 * L) / 10000) * Math.sqrt(476 / d);
  const sim = {
    morphology: cylinder({ lengthUm: L, diameterUm: d }),
    discretization: { perSection: N },
    ri: o.ri ?? 35.4,
    mechanisms: [{ mechanism: hhChannels({ convention: 'shifted', temperatureC: o.temperatureC ?? 18.5 }) }],
    vInit: 0,
    dt,
    tStop,
    clamps: [{ at: 0, amplitudeNa: 20000 * (d / 476) ** 2, startMs: 0, endMs: 0.2 }],
  };
  /** The fit from each recorded node's first crossing time (ms), in `nodes` order. */
  const fit = (first: readonly (number | undefined)[], seconds: number): VelocityResult => {
    const tAt = new Map(nodes.map((n, k) => [n, first[k]]));
    const points = xs.map((x) => {
      const k = below(x);
      const t0 = tAt.get(k);
      const t1 = tAt.get(k + 1);
      if (t0 === undefined || t1 === undefined)
        throw new RangeError(
          `axon velocity: no spike reached ${x.toFixed(0)} µm within ${tStop.toFixed(1)} ms (diameter ${d} µm); the axon did not conduct`,
        );
      return { xUm: x, tMs: t0 + ((t1 - t0) * (x - (k + 0.5) * dx)) / dx };
    });
    const n = points.length;
    const mt = points.reduce((s, p) => s + p.tMs, 0) / n;
    const mx = points.reduce((s, p) => s + p.xUm, 0) / n;
    let sxt = 0;
    let stt = 0;
    for (const p of points) {
      sxt += (p.xUm - mx) * (p.tMs - mt);
      stt += (p.tMs - mt) ** 2;
    }
    return {
      velocityMps: sxt / stt / 1000,
      diameterUm: d,
      lengthUm: L,
      compartments: N,
      dt,
      points,
      seconds,
    };
  };
  return { nodes, sim, fit };
}

/** The velocity with the plain-TypeScript solver (simulateCable, float64). */
export function axonVelocity(o: VelocityOptions = {}): VelocityResult {
  const { nodes, sim, fit } = velocityPlan(o);
  const t0 = performance.now();
  const r = simulateCable({ ...sim, record: nodes });
  const seconds = (performance.now() - t0) / 1000;
  return fit(
    r.v.map((v) => detectSpikes(r.t, v, THRESHOLD_MV)[0]),
    seconds,
  );
}

/**
 * The same on the single-cell WASM SIMD kernel (float32; cell-wasm.ts, the partitioned solver for
 * this unbranched axon): the kernel finds the first crossing at each node itself, so nothing is
 * recorded per step. Rate tables unless `rateTable` is null (default: 1/32 mV over −35 … 135 mV,
 * the shifted convention's range). `seconds` is the kernel's stepping alone.
 */
export function axonVelocityWasm(
  o: VelocityOptions & { rateTable?: RateTableOptions | null } = {},
): VelocityResult {
  const { nodes, sim, fit } = velocityPlan(o);
  const r = simulateCableCell({
    ...sim,
    crossings: { at: nodes, thresholdMv: THRESHOLD_MV, maxPerSite: 1 },
    rateTable: o.rateTable,
  });
  return fit(
    r.crossings.map((c) => c[0]),
    r.seconds,
  );
}

/**
 * The same on the many-cell WASM kernel (cells-wasm.ts with one cell in four lanes: slower, kept as
 * a check of that kernel), with the gates' rate tables unless `rateTable` is null.
 */
export async function axonVelocityWasmCells(
  o: VelocityOptions & { rateTable?: RateTableOptions | null } = {},
): Promise<VelocityResult> {
  const { nodes, sim, fit } = velocityPlan(o);
  const r = await simulateCableCells({
    ...sim,
    cells: 1,
    record: nodes,
    rateTable: o.rateTable === undefined ? {} : o.rateTable,
  });
  return fit(
    r.v.map((perCell) => detectSpikes(r.t, perCell[0], THRESHOLD_MV)[0]),
    r.seconds,
  );
}
