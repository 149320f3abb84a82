// A neuron hhnet does not ship, declared in a few lines: the quadratic integrate-and-fire neuron
// with spike-triggered adaptation (Izhikevich 2007, ch. 8), in dimensionless units. hhnet derives
// its simulation (the three integrators), its trainable layer and the BPTT partials from the
// declaration. The example simulates one neuron, then trains a small network of them (learning
// each neuron's adaptation jump) on a toy task. Run after `npm run build`:
//   node examples/custom-neuron.mjs
import {
  Adam,
  DeclaredNeurons,
  Linear,
  Module,
  OdePopulation,
  Rng,
  Tensor,
  argmaxRows,
  constant,
  declareNeuron,
  getBackend,
  noGrad,
  quasiLinearOf,
  simulate,
  softmaxCrossEntropy,
} from '../dist/src/index.js';

export const qifAdaptive = declareNeuron({
  name: 'qif-adaptive',
  description: 'quadratic integrate-and-fire with spike-triggered adaptation',
  states: { v: { init: 0 }, w: { init: 0 } },
  params: {
    tau: { value: 10, unit: 'ms' },
    tauW: { value: 100, unit: 'ms' },
    jump: { value: 0.5, doc: 'adaptation added per spike', learnable: true },
    vPeak: { value: 1 },
  },
  dynamics: { v: '(v*v - w + I)/tau', w: '-w/tauW' },
  spike: 'v >= vPeak',
  reset: { v: '-1', w: 'w + jump' },
  trainingDt: 1,
});

/** One neuron under a constant drive: its spike times (adapting). */
export function simulateOne(log = console.log) {
  const pop = new OdePopulation(quasiLinearOf(qifAdaptive), 1, 'rk4');
  const result = simulate(pop, constant({ amplitude: 0.5 }), { duration: 300, dt: 0.01 });
  const times = result.spikeTimes[0];
  log(
    `qif-adaptive at I = 0.5: ${times.length} spikes, first at ${times
      .slice(0, 4)
      .map((t) => t.toFixed(1))
      .join(', ')} ms`,
  );
  return times;
}

class TinyQifNet extends Module {
  constructor(rng) {
    super();
    this.fc1 = this.registerModule('fc1', new Linear(20, 64, rng));
    this.neurons = this.registerModule(
      'neurons',
      new DeclaredNeurons(qifAdaptive, [64], { learn: ['jump'], surrogate: 'sigmoid:4' }),
    );
    this.readout = this.registerModule('readout', new Linear(64, 2, rng));
  }
  forward(x) {
    const rate = this.neurons.forward(this.fc1.forward(x), { T: 12, timeVarying: false, output: 'rate' });
    return this.readout.forward(rate);
  }
}

/** Trains on: is the sum of the 20 inputs positive? Returns the losses and held-out accuracy. */
export async function run({ steps = 150, log = console.log } = {}) {
  simulateOne(log);
  const rng = new Rng(7);
  const net = new TinyQifNet(rng);
  // On the wasm backend: generate and compile the neuron's kernels (about 4 s the first time, cached).
  const kernelPath = await net.neurons.compile();
  const opt = new Adam(net.parameters(), { lr: 1e-2 });
  const batch = 64;
  const sample = () => {
    const x = Float32Array.from({ length: batch * 20 }, () => rng.normal());
    const y = Int32Array.from({ length: batch }, (_, b) =>
      x.slice(b * 20, b * 20 + 20).reduce((s, v) => s + v, 0) > 0 ? 1 : 0,
    );
    return { x: new Tensor(x, [batch, 20]), y };
  };
  const losses = [];
  for (let step = 1; step <= steps; step++) {
    const { x, y } = sample();
    const loss = softmaxCrossEntropy(net.forward(x), y);
    opt.zeroGrad();
    loss.backward();
    opt.step();
    losses.push(loss.item());
    if (step % 50 === 0) log(`step ${step}: loss ${loss.item().toFixed(4)}`);
  }
  const { x, y } = sample();
  const pred = noGrad(() => argmaxRows(net.forward(x)));
  const accuracy = pred.filter((p, i) => p === y[i]).length / batch;
  log(
    `held-out accuracy ${(100 * accuracy).toFixed(1)}% (backend ${getBackend().name}, kernel: ${kernelPath})`,
  );
  return { losses, accuracy, kernelPath };
}

if (import.meta.url === `file://${process.argv[1]}`) await run();
