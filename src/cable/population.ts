/**
 * The cell population of the speed comparison with Brian2 (bench/compare/brian_cable.py
 * `population`; docs/benchmarks.md part 5): N ball-and-stick cells (soma a cylinder 20 × 20 µm, one
 * compartment; dendrite 1000 × 1 µm in 50), HH everywhere (modern convention, rest −65 mV, HH's
 * own leak), Ri 100 Ω·cm, a constant current into every soma, stepped together on the many-cell
 * WASM kernel (cells-wasm.ts), Crank–Nicolson. Spikes: upward 0 mV crossings at the soma.
 */
import { ballAndStick } from '../morphology/tree.js';
import { hhChannels } from './channels.js';
import { simulateCableCells } from './cells-wasm.js';
import type { CableCellsOptions } from './cells-wasm.js';
import type { RateTableOptions } from '../kernels/wasm/rate-grid.js';

export interface PopulationOptions {
  cells: number;
  /** ms (default 100). */
  durationMs?: number;
  /** ms (default 0.025). */
  dt?: number;
  /** nA into each soma (default 0.5). */
  currentNa?: number;
  threads?: number;
  /** The gates' rate tables (default 1/32 mV), or null for the exact rates. */
  rateTable?: RateTableOptions | null;
}

export interface PopulationResult {
  cells: number;
  compartmentsPerCell: number;
  /** The kernel's stepping (its compile, done by a one-step run first, excluded). */
  seconds: number;
  spikesPerCell: number;
  threads: number;
}

/** The model as simulateCableCells options. */
export function populationOptions(o: PopulationOptions): CableCellsOptions {
  return {
    morphology: ballAndStick({ somaDiameterUm: 20, dendriteLengthUm: 1000, dendriteDiameterUm: 1 }),
    discretization: { perSection: (_s, i) => (i === 0 ? 1 : 50) },
    mechanisms: [{ mechanism: hhChannels({ convention: 'modern' }) }],
    ri: 100,
    vInit: -65,
    dt: o.dt ?? 0.025,
    tStop: o.durationMs ?? 100,
    method: 'cn',
    cells: o.cells,
    threads: o.threads ?? 1,
    clamps: [{ at: 0, amplitudeNa: o.currentNa ?? 0.5, startMs: 0, endMs: Infinity }],
    spikes: { at: 0 },
    rateTable: o.rateTable === undefined ? {} : o.rateTable,
  };
}

/** Runs the population once for the timing (after a one-step run that compiles the kernel). */
export async function runPopulation(o: PopulationOptions): Promise<PopulationResult> {
  const options = populationOptions(o);
  await simulateCableCells({ ...options, tStop: options.dt });
  const r = await simulateCableCells(options);
  return {
    cells: o.cells,
    compartmentsPerCell: r.compartments.count,
    seconds: r.seconds,
    spikesPerCell: r.spikes.reduce((s, x) => s + x.length, 0) / o.cells,
    threads: r.threads,
  };
}
