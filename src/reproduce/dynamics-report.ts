/**
 * The dynamics half of the report: resting state, F–I curve, HH ≡ tv-LIF2HH and s-LIF2HH. Every
 * number in a table carries its path in results.json (data-path), so it can be checked.
 */
import type { EquivalenceResult } from '../experiments/equivalence.js';
import { sustainedFiringOnset } from '../experiments/fi-curve.js';
import type { FiResult } from '../experiments/fi-curve.js';
import type { RestCheck } from '../experiments/rest.js';
import type { Cell, ReportFigure, ReportSection } from '../report/html.js';
import { at } from './cells.js';

/** A plain-words verdict on the s-LIF2HH circuit, computed from the entries. */
function slif2hhSummary(eq: EquivalenceResult): string {
  const s = eq.entries.filter((e) => e.model === 'slif2hh');
  const sameCount = s.filter((e) => e.spikeCount === e.referenceSpikeCount).length;
  const errors = s.map((e) => e.spikeTimeErrorOverISI).filter((x): x is number => x !== null);
  const gammas = s.map((e) => e.coincidence);
  const maxCountDiff = Math.max(...s.map((e) => Math.abs(e.spikeCount - e.referenceSpikeCount)));
  return (
    `s-LIF2HH matches the HH spike count on ${sameCount} of ${s.length} waveforms; its spike-time error / ISI ranges ` +
    `${Math.min(...errors).toFixed(2)}–${Math.max(...errors).toFixed(2)} and Γ ${Math.min(...gammas).toFixed(2)}–` +
    `${Math.max(...gammas).toFixed(2)}, with spike counts off by at most ${maxCountDiff}.`
  );
}

export function dynamicsSections(
  rest: RestCheck[],
  fi: Record<string, FiResult>,
  eq: EquivalenceResult,
  fig: (id: string, caption: string, command: string) => ReportFigure,
): ReportSection[] {
  const rateAt = (k: 'expeuler' | 'rk4', current: number): Cell => {
    const i = fi[k].points.findIndex((p) => Math.abs(p.current - current) < 1e-9);
    return i < 0 ? 'not in sweep' : at(fi[k].points[i].rateHz, `fiCurve.${k}.${i}.rateHz`);
  };
  const c = eq.config;
  return [
    {
      id: 'rest',
      title: 'Resting state',
      intro:
        'The resting potential solves I_ion(V, x∞(V)) = 0; the neuron is then left alone for 100 ms at dt 0.01 ms. ' +
        'Published steady-state gates at 0 mV (shifted convention): m ≈ 0.0529, h ≈ 0.5961, n ≈ 0.3177.',
      tables: [
        {
          title: 'Resting state and drift over 100 ms',
          columns: ['model', 'integrator', 'V rest (mV)', 'm', 'h', 'n', 'max |ΔV| (mV)'],
          rows: rest.map((r, i) => [
            r.model,
            r.integrator,
            ...(['restV', 'm', 'h', 'n', 'maxDriftMv'] as const).map((k) => at(r[k], `rest.${i}.${k}`)),
          ]),
        },
      ],
    },
    {
      id: 'fi',
      title: 'F–I curve of the Hodgkin–Huxley neuron',
      intro:
        'Steady firing rate (from the inter-spike intervals in the last 250 ms of a 500 ms run) against constant current. ' +
        'The 1952 model fires repetitively only above about 6.2–6.3 µA/cm² and at about 68 Hz at 10 µA/cm².',
      figures: [
        fig(
          'fi-curve',
          'Solid: exponential Euler; dashed: RK4.',
          `hhnet fi-curve --model hh --currents ${fi.expeuler.config.currents.join(',')} --duration 500 --dt ${fi.expeuler.config.dt} --integrator rk4`,
        ),
      ],
      tables: [
        {
          title: 'Key facts',
          columns: [
            'integrator',
            'rate at 6.0 (Hz)',
            'rate at 6.3 (Hz)',
            'rate at 10 (Hz)',
            'sustained firing from (µA/cm²)',
          ],
          rows: (['expeuler', 'rk4'] as const).map((k) => [
            k,
            rateAt(k, 6),
            rateAt(k, 6.3),
            rateAt(k, 10),
            at(sustainedFiringOnset(fi[k].points), `fiCurve.sustainedOnset.${k}`),
          ]),
        },
        {
          title: 'All points',
          columns: [
            'current (µA/cm²)',
            'rate expeuler (Hz)',
            'rate RK4 (Hz)',
            'spikes (expeuler)',
            'first spike (ms)',
          ],
          rows: fi.expeuler.points.map((p, i) => [
            at(p.current, `fiCurve.expeuler.${i}.current`),
            at(p.rateHz, `fiCurve.expeuler.${i}.rateHz`),
            at(fi.rk4.points[i].rateHz, `fiCurve.rk4.${i}.rateHz`),
            at(p.spikeCount, `fiCurve.expeuler.${i}.spikeCount`),
            at(p.firstSpikeMs, `fiCurve.expeuler.${i}.firstSpikeMs`),
          ]),
        },
      ],
    },
    {
      id: 'equivalence',
      title: 'One HH neuron equals four tv-LIF neurons (tv-LIF2HH); s-LIF2HH keeps part of the behaviour',
      intro:
        `HH and the tv-LIF2HH micro-circuit are driven by the same five waveforms for ${c.duration} ms at dt ${c.dt} ms ` +
        `(${c.integrator}); the micro-circuit computes its own gates from its own potential. The s-LIF2HH circuit runs at ` +
        `dt ${c.slif2hhDt} ms with one wiring fitted to the HH spike trains of all five waveforms (seed ${c.seed}, ` +
        `${eq.slif2hhFit.evaluations} evaluations, loss ${eq.slif2hhFit.loss.toFixed(3)}). Metrics: mean |Δt| of paired spikes over ` +
        `the mean HH inter-spike interval (the study's metric), Kistler's coincidence factor Γ (Δ = ${c.coincidenceWindow} ms), ` +
        `van Rossum distance (τ = ${c.vanRossumTau} ms) and the RMSE of V. ` +
        slif2hhSummary(eq),
      figures: [
        ...eq.waveforms.map((w) =>
          fig(
            `equivalence-waveform-${w.stimulus}`,
            `Input ${w.stimulus} (${Object.entries(w.params)
              .map(([k, v]) => `${k} ${v}`)
              .join(', ')}). The dashed tv-LIF2HH trace lies on the HH trace.`,
            `hhnet equivalence --dt ${c.dt} --duration ${c.duration} --integrator ${c.integrator} --seed ${c.seed}`,
          ),
        ),
        ...eq.networks.map((n) =>
          fig(
            `equivalence-network-${n.name}`,
            `${n.description}. ${n.equalCounts}/${n.neurons} neurons with equal spike counts; largest paired spike-time difference ${n.maxSpikeTimeDiff.toExponential(2)} ms.`,
            `hhnet equivalence --dt ${c.dt} --duration ${c.duration} --integrator ${c.integrator} --seed ${c.seed}`,
          ),
        ),
      ],
      tables: [
        {
          title: 'Spike trains and voltage against HH',
          columns: [
            'stimulus',
            'model',
            'spikes',
            'HH spikes',
            'error / ISI',
            'Γ',
            'van Rossum',
            'V RMSE (mV)',
          ],
          rows: eq.entries.map((e, i) => [
            e.stimulus,
            e.model,
            ...(
              [
                'spikeCount',
                'referenceSpikeCount',
                'spikeTimeErrorOverISI',
                'coincidence',
                'vanRossum',
                'vRmse',
              ] as const
            ).map((k) => at(e[k], `equivalence.entries.${i}.${k}`)),
          ]),
        },
        {
          title: 'Networks built from HH neurons vs from tv-LIF2HH circuits',
          columns: [
            'network',
            'neurons',
            'equal counts',
            'spikes HH',
            'spikes tv-LIF2HH',
            'mean Γ',
            'max |Δt| (ms)',
          ],
          rows: eq.networks.map((n, i) => [
            n.name,
            at(n.neurons, `equivalence.networks.${i}.neurons`),
            at(n.equalCounts, `equivalence.networks.${i}.equalCounts`),
            at(n.totalSpikes.hh, `equivalence.networks.${i}.totalSpikes.hh`),
            at(n.totalSpikes.tvlif2hh, `equivalence.networks.${i}.totalSpikes.tvlif2hh`),
            at(n.meanCoincidence, `equivalence.networks.${i}.meanCoincidence`),
            at(n.maxSpikeTimeDiff, `equivalence.networks.${i}.maxSpikeTimeDiff`),
          ]),
        },
      ],
    },
  ];
}
