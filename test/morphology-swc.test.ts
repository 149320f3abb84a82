// A realistic neuron shape as SWC: the project's synthetic pyramidal cell
// (src/morphology/synthetic.ts, examples/morphologies/pyramidal.swc) loads, and simulates with
// HH channels in soma and axon and a passive dendritic tree: the soma fires, the spike travels
// down the axon, and it reaches the distal apical tuft attenuated, as a passive tree filters it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { compartmentalize, parseSwc, pyramidalSwc, readSwc } from '../src/morphology/index.js';
import { hhChannels, passive, simulateCable } from '../src/cable/index.js';
import { detectSpikes } from '../src/analysis/spikes.js';

const EXAMPLE = fileURLToPath(new URL('../../examples/morphologies/pyramidal.swc', import.meta.url));

test('examples/morphologies/pyramidal.swc is the generator’s output (seed 1), and seeds differ', () => {
  assert.equal(readFileSync(EXAMPLE, 'utf8'), pyramidalSwc({ seed: 1 }));
  assert.notEqual(pyramidalSwc({ seed: 2 }), pyramidalSwc({ seed: 1 }));
  assert.throws(() => pyramidalSwc({ stepUm: 0 }), /stepUm must be in \(0, 50\] µm, got 0/);
  assert.throws(() => pyramidalSwc({ basal: 2.5 }), /basal must be an integer in \[0, 12\], got 2\.5/);
});

test('the synthetic pyramidal cell: a branched shape of realistic size', () => {
  const text = readFileSync(EXAMPLE, 'utf8');
  const points = parseSwc(text);
  const m = readSwc(text);
  assert.ok(points.length > 400, `${points.length} points`);
  const length = (type: string) =>
    m.sections.filter((s) => s.type === type).reduce((a, s) => a + s.length, 0);
  // Apical tree of millimetres, basal of one to two, a 1 mm axon, a sphere-equivalent soma.
  assert.ok(length('apical') > 2000 && length('apical') < 6000, `apical ${length('apical')} µm`);
  assert.ok(length('dendrite') > 800 && length('dendrite') < 3000, `basal ${length('dendrite')} µm`);
  assert.ok(Math.abs(length('axon') - 1000) < 1, `axon ${length('axon')} µm`);
  assert.equal(m.sections[0].type, 'soma');
  assert.ok(m.sections.length > 50, `${m.sections.length} sections`);
  const c = compartmentalize(m, { maxLengthUm: 20 });
  assert.ok(c.count > 300, `${c.count} compartments`);
});

test('it simulates: the soma fires, the axon conducts, the passive apical tuft sees an attenuated echo', () => {
  const m = readSwc(readFileSync(EXAMPLE, 'utf8'));
  const active = m.sections.flatMap((s, i) => (s.type === 'soma' || s.type === 'axon' ? [i] : []));
  const dendrites = m.sections.flatMap((s, i) => (s.type === 'apical' || s.type === 'dendrite' ? [i] : []));
  const axonEnd = m.sections.length - 1; // the axon's second section, written last
  assert.equal(m.sections[axonEnd].type, 'axon');
  // The apical point farthest from the soma (straight-line distance of its section's end).
  const tip = dendrites.reduce((best, i) => (distal(m, i) > distal(m, best) ? i : best), dendrites[0]);
  const r = simulateCable({
    morphology: m,
    discretization: { maxLengthUm: 20 },
    ri: 100,
    mechanisms: [
      { mechanism: hhChannels({ convention: 'modern' }), sections: active },
      { mechanism: passive({ rm: 20000, e: -65 }), sections: dendrites },
    ],
    vInit: -65,
    dt: 0.025,
    tStop: 20,
    clamps: [{ at: 0, amplitudeNa: 2, startMs: 2, endMs: 12 }],
    record: [
      0,
      { section: axonEnd, xUm: m.sections[axonEnd].length },
      { section: tip, xUm: m.sections[tip].length },
    ],
  });
  const soma = detectSpikes(r.t, r.v[0], 0);
  const axon = detectSpikes(r.t, r.v[1], 0);
  assert.ok(soma.length >= 1, 'the soma fires');
  assert.ok(axon.length >= 1, 'the spike reaches the end of the axon');
  // About 1 mm of 1 µm HH axon at 6.3 °C: well under 1 m/s, so a delay of a few ms.
  const delay = axon[0] - soma[0];
  assert.ok(delay > 0.5 && delay < 10, `axonal delay ${delay} ms`);
  const peak = (v: Float64Array) => v.reduce((a, x) => Math.max(a, x), -Infinity);
  const tipPeak = peak(r.v[2]);
  assert.ok(detectSpikes(r.t, r.v[2], 0).length === 0, 'the passive tuft does not spike');
  assert.ok(tipPeak > -64 && tipPeak < peak(r.v[0]) - 20, `tuft peak ${tipPeak} mV, soma ${peak(r.v[0])} mV`);
});

/** How far a section's far end lies from the soma along its path (sum of ancestors' lengths). */
function distal(m: ReturnType<typeof readSwc>, i: number): number {
  let d = 0;
  for (let s = i; s > 0; s = m.sections[s].parent) d += m.sections[s].length;
  return d;
}
