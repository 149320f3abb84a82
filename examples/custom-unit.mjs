// A unit hhnet does not ship: a neuron with a dendrite, declared in a few lines as one trainable
// model with two inputs and two spike rules. The dendrite d integrates its own input and spikes
// (a dendritic spike); the soma s integrates its input plus a learned coupling g·d from the
// dendrite, and spikes. A layer of these takes [B, 2N] (the N dendritic inputs, then the N somatic
// ones) and gives [B, 2N] (dendritic spikes, then somatic). hhnet derives the BPTT partials and,
// on the wasm backend, compiles the unit's SIMD kernels at run time. The example trains a small
// network of them on a toy task. Run after `npm run build`:
//   node examples/custom-unit.mjs
import {
  Adam,
  DeclaredNeurons,
  Linear,
  Module,
  Rng,
  Tensor,
  argmaxRows,
  declareNeuron,
  getBackend,
  noGrad,
  softmaxCrossEntropy,
} from '../dist/src/index.js';

export const dendriticUnit = declareNeuron({
  name: 'dendrite-soma',
  description: 'a dendrite and a soma, each a discrete LIF, the soma driven by g·d',
  states: { s: { init: 0, doc: 'soma' }, d: { init: 0, doc: 'dendrite' } },
  inputs: ['Id', 'Is'],
  params: {
    decay: { value: 0.6 },
    g: { value: 0.5, doc: 'dendrite-to-soma coupling', learnable: true },
    thS: { value: 1, learnable: true },
    thD: { value: 1.5, learnable: true },
  },
  step: { d: 'decay*d + Id', s: 'decay*s + Is + g*(decay*d + Id)' },
  voltage: 's',
  spike: 's > thS',
  reset: { s: '0' },
  moreSpikes: [{ spike: 'd > thD', reset: { d: '0' } }],
});

class TinyUnitNet extends Module {
  constructor(rng) {
    super();
    this.fc1 = this.registerModule('fc1', new Linear(20, 2 * 32, rng));
    this.units = this.registerModule(
      'units',
      new DeclaredNeurons(dendriticUnit, [32], { learn: ['g', 'thS', 'thD'], surrogate: 'sigmoid:4' }),
    );
    this.readout = this.registerModule('readout', new Linear(2 * 32, 2, rng));
  }
  forward(x) {
    const rates = this.units.forward(this.fc1.forward(x), { T: 10, timeVarying: false, output: 'rate' });
    return this.readout.forward(rates);
  }
}

/** Trains on: is the sum of the 20 inputs positive? Returns the losses and held-out accuracy. */
export async function run({ steps = 150, log = console.log } = {}) {
  const rng = new Rng(5);
  const net = new TinyUnitNet(rng);
  // On the wasm backend: generate and compile the unit's kernels (a few seconds the first time, cached).
  const kernelPath = await net.units.compile();
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
  const g = net.units.values.g.data;
  log(
    `held-out accuracy ${(100 * accuracy).toFixed(1)}%; learned coupling g in [${Math.min(...g).toFixed(2)}, ${Math.max(...g).toFixed(2)}] (backend ${getBackend().name}, kernel: ${kernelPath})`,
  );
  return { losses, accuracy, kernelPath };
}

if (import.meta.url === `file://${process.argv[1]}`) await run();
