// A recurrent network of a neuron hhnet does not ship (a LIF with a spike-triggered adaptation
// variable, declared in a few lines): 800 excitatory and 200 inhibitory neurons with conductance
// synapses and random delays, driven by Poisson inputs through STDP synapses. Prints rates and the
// mean input weight per second of network time. Run after `npm run build`:
//   node examples/network-ei.mjs
import { declareNeuron, network } from '../dist/src/index.js';

const { Network, conductance, fixedProbability, normal, uniform, spikeStatistics, stdp } = network;

// τm dv/dt = El − v − w + I (mV, ms); w adapts: it jumps by b at each spike and decays with τw.
const adaptiveLif = declareNeuron({
  name: 'adaptive-lif',
  description: 'LIF with a spike-triggered adaptation variable (mV, ms)',
  states: { v: { init: 'El', unit: 'mV' }, w: { init: 0, unit: 'mV' } },
  params: {
    taum: { value: 20, unit: 'ms' },
    El: { value: -70, unit: 'mV' },
    Vt: { value: -50, unit: 'mV' },
    Vr: { value: -65, unit: 'mV' },
    tauw: { value: 150, unit: 'ms' },
    b: { value: 2, unit: 'mV' },
    tref: { value: 2, unit: 'ms' },
  },
  // I is the synaptic input in mV (conductance receptors add g·(E − v), with g relative to gL).
  dynamics: { v: '(El - v - w + I)/taum', w: '-w/tauw' },
  spike: 'v > Vt',
  reset: { v: 'Vr', w: 'w + b' },
  refractory: 'tref',
  inputUnit: 'mV',
  drive: 25,
});

const net = new Network({ dt: 0.1, seed: 42 });
const receptors = { ge: conductance(5, 0), gi: conductance(10, -80) };
const init = { v: uniform(-70, -50) };
const E = net.population('E', { model: adaptiveLif, n: 800, receptors, init });
const I = net.population('I', { model: adaptiveLif, n: 200, receptors, init, params: { b: 0 } });
const input = net.poisson('input', { n: 200, rate: 20 });
const delay = uniform(0.5, 3);
for (const target of [E, I]) {
  net.connect(E, target, { receptor: 'ge', connectivity: fixedProbability(0.05), weight: 0.05, delay });
  net.connect(I, target, { receptor: 'gi', connectivity: fixedProbability(0.1), weight: 0.2, delay });
}
const plastic = net.connect(input, E, {
  receptor: 'ge',
  connectivity: fixedProbability(0.1),
  weight: normal(0.15, 0.05, { min: 0 }),
  plasticity: stdp({ tauPlus: 16.8, tauMinus: 33.7, aPlus: 0.005, aMinus: 0.00525, wMax: 0.3 }),
});
const eSpikes = net.spikeMonitor(E);
const iSpikes = net.spikeMonitor(I);

const meanWeight = () => plastic.weights.reduce((s, w) => s + w, 0) / plastic.synapses;
console.log(
  `${net.synapses} synapses, ${net.bytesPerSynapse.toFixed(1)} bytes each; input weights ${meanWeight().toFixed(4)}`,
);
for (let second = 1; second <= 3; second++) {
  const before = eSpikes.count;
  const iBefore = iSpikes.count;
  const t0 = performance.now();
  net.run(1000);
  const ms = performance.now() - t0;
  console.log(
    `second ${second}: E ${((eSpikes.count - before) / 800).toFixed(2)} Hz, I ${((iSpikes.count - iBefore) / 200).toFixed(2)} Hz, ` +
      `input weights ${meanWeight().toFixed(4)} (${ms.toFixed(0)} ms)`,
  );
}
const { cvIsi } = spikeStatistics(eSpikes.trains(), 3000);
console.log(`E: CV of ISIs ${cvIsi.toFixed(3)}`);
