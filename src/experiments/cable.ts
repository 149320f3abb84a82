/**
 * `hhnet cable run`: a cell (a built-in shape or an SWC file) with passive or HH membrane, current
 * clamps and recording sites, simulated with the cable solver; traces, spike times per site, a
 * figure of the traces and a space–time heat map of V over the whole cell.
 */
import { readFileSync } from 'node:fs';
import type { Mechanism } from '../cable/channels.js';
import { hhChannels, passive } from '../cable/channels.js';
import type { CurrentClamp, Location } from '../cable/simulate.js';
import { detectSpikes } from '../analysis/spikes.js';
import { simulateCable } from '../cable/simulate.js';
import { readSwc } from '../morphology/swc.js';
import type { Compartments, Morphology } from '../morphology/tree.js';
import { ballAndStick, cylinder, yCell } from '../morphology/tree.js';
import { concatCharts, heatmapChart, lineChart } from '../report/charts.js';
import type { VegaLiteSpec } from '../report/charts.js';

export const CELL_SHAPES = ['cylinder', 'ball-and-stick', 'y'] as const;

export interface CableRunOptions {
  /** A built-in shape or the path of an SWC file. */
  morphology: string;
  lengthUm: number;
  diameterUm: number;
  compartments: number;
  channels: 'hh' | 'passive';
  ri: number;
  cm: number;
  rm: number;
  el: number;
  clamps: { section: number; atUm: number; amplitudeNa: number; startMs: number; endMs: number }[];
  record: { section: number; atUm: number }[];
  duration: number;
  dt: number;
}

export interface CableRunResult {
  morphology: string;
  sections: { name: string; type: string; lengthUm: number }[];
  compartments: number;
  traces: { section: number; atUm: number; t: number[]; v: number[]; spikeTimes: number[] }[];
  /**
   * V over the whole cell in time, downsampled to at most HEATMAP_COLUMNS × HEATMAP_ROWS cells:
   * column j is the sample at tMs[j] (every k-th step), row i the mean V (mV) of compartments
   * rows[i].from … rows[i].to − 1 (consecutive, parents first). `yEdges` are the rows' edges:
   * µm along the cable for a one-section cell, compartment indices otherwise (`yUnit`).
   */
  heatmap: {
    tMs: number[];
    rows: { from: number; to: number }[];
    yEdges: number[];
    yUnit: 'um' | 'compartment';
    v: number[][];
  };
  seconds: number;
}

/** The heat map's size limits (columns: time samples; rows: groups of compartments). */
export const HEATMAP_COLUMNS = 200;
export const HEATMAP_ROWS = 100;

function buildMorphology(o: CableRunOptions): Morphology {
  switch (o.morphology) {
    case 'cylinder':
      return cylinder({ lengthUm: o.lengthUm, diameterUm: o.diameterUm });
    case 'ball-and-stick':
      return ballAndStick({
        somaDiameterUm: 20,
        dendriteLengthUm: o.lengthUm,
        dendriteDiameterUm: o.diameterUm,
      });
    case 'y':
      return yCell({
        trunkLengthUm: o.lengthUm / 2,
        trunkDiameterUm: o.diameterUm,
        branchLengthUm: o.lengthUm / 2,
        branchDiameterUm: o.diameterUm * 2 ** (-2 / 3),
      });
    default: {
      let text: string;
      try {
        text = readFileSync(o.morphology, 'utf8');
      } catch (err) {
        throw new RangeError(
          `--morphology ${o.morphology}: neither ${CELL_SHAPES.join(', ')} nor a readable SWC file (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`,
        );
      }
      try {
        return readSwc(text);
      } catch (err) {
        throw new RangeError(`${o.morphology}: ${(err as Error).message}`);
      }
    }
  }
}

export function runCable(o: CableRunOptions): CableRunResult {
  const m = buildMorphology(o);
  const mechanism: Mechanism =
    o.channels === 'hh' ? hhChannels({ convention: 'modern' }) : passive({ rm: o.rm, e: o.el });
  const vInit = o.channels === 'hh' ? -65 : o.el;
  const where = (s: number, x: number): Location => {
    const sec = m.sections[s];
    if (!sec)
      throw new RangeError(`section ${s} does not exist (the cell has sections 0…${m.sections.length - 1})`);
    if (!(x >= 0 && x <= sec.length))
      throw new RangeError(`${x} µm lies outside section ${s} (${sec.name}, 0…${sec.length.toFixed(1)} µm)`);
    return { section: s, xUm: x };
  };
  const clamps: CurrentClamp[] = o.clamps.map((c) => ({
    at: where(c.section, c.atUm),
    amplitudeNa: c.amplitudeNa,
    startMs: c.startMs,
    endMs: c.endMs,
  }));
  const t0 = performance.now();
  const totalLength = m.sections.reduce((s, x) => s + x.length, 0);
  const steps = Math.round(o.duration / o.dt);
  const r = simulateCable({
    recordAll: { every: Math.max(1, Math.ceil(steps / (HEATMAP_COLUMNS - 1))) },
    morphology: m,
    discretization: { maxLengthUm: totalLength / o.compartments },
    ri: o.ri,
    cm: o.cm,
    mechanisms: [{ mechanism }],
    vInit,
    dt: o.dt,
    tStop: o.duration,
    clamps,
    record: o.record.map((p) => where(p.section, p.atUm)),
  });
  const seconds = (performance.now() - t0) / 1000;
  // Traces are kept at most every 0.025 ms (figures and files stay small).
  const every = Math.max(1, Math.round(0.025 / o.dt));
  return {
    morphology: o.morphology,
    sections: m.sections.map((s) => ({ name: s.name, type: s.type, lengthUm: s.length })),
    compartments: r.compartments.count,
    traces: o.record.map((p, k) => ({
      section: p.section,
      atUm: p.atUm,
      t: Array.from(r.t).filter((_, n) => n % every === 0),
      v: Array.from(r.v[k]).filter((_, n) => n % every === 0),
      spikeTimes: o.channels === 'hh' ? detectSpikes(r.t, r.v[k], 0) : [],
    })),
    heatmap: heatmap(r.compartments, r.all!),
    seconds,
  };
}

function heatmap(c: Compartments, all: { t: Float64Array; v: Float64Array }): CableRunResult['heatmap'] {
  const N = c.count;
  const per = Math.ceil(N / HEATMAP_ROWS);
  const rows: { from: number; to: number }[] = [];
  for (let i = 0; i < N; i += per) rows.push({ from: i, to: Math.min(N, i + per) });
  const oneSection = c.morphology.sections.length === 1;
  const yEdges = oneSection
    ? [...rows.map((r) => c.x0[r.from]), c.x1[N - 1]]
    : [...rows.map((r) => r.from), N];
  const samples = all.t.length;
  const round = (x: number): number => Math.round(x * 1000) / 1000;
  const v = rows.map((r) => {
    const out = new Array<number>(samples);
    for (let k = 0; k < samples; k++) {
      let s = 0;
      for (let i = r.from; i < r.to; i++) s += all.v[k * N + i];
      out[k] = round(s / (r.to - r.from));
    }
    return out;
  });
  return { tMs: Array.from(all.t), rows, yEdges, yUnit: oneSection ? 'um' : 'compartment', v };
}

export function cableFigure(title: string, r: CableRunResult): VegaLiteSpec {
  return concatCharts(
    [
      lineChart({
        title,
        xLabel: 'time (ms)',
        yLabel: 'V (mV)',
        series: r.traces.map((tr) => ({ name: `section ${tr.section} at ${tr.atUm} µm`, x: tr.t, y: tr.v })),
        height: 260,
      }),
    ],
    1,
  );
}

/**
 * The space–time heat map of V: x = time (each sample drawn until the next one), y = position
 * along the cable (one-section cells) or compartment index (branched cells), colour = V.
 */
export function cableHeatmapFigure(title: string, r: CableRunResult): VegaLiteSpec {
  const h = r.heatmap;
  const t = h.tMs;
  const last = t.length > 1 ? t[t.length - 1] + (t[t.length - 1] - t[t.length - 2]) : t[0] + 1;
  return heatmapChart({
    title,
    xLabel: 'time (ms)',
    yLabel: h.yUnit === 'um' ? 'position along the cable (µm)' : 'compartment (parents before children)',
    zLabel: 'V (mV)',
    x: [...t, last],
    y: h.yEdges,
    z: h.v,
    height: 300,
  });
}
