// A custom spiking network built from hhnet's engine, PyTorch-style: a Linear projection, a layer
// of learning-HH neurons run for T steps (rate output), and a Linear readout, trained with Adam on
// a toy task (is the sum of the inputs positive?). Run after `npm run build`:
//   node examples/custom-snn.mjs
import {
  Adam,
  LearningHHNeurons,
  Linear,
  Module,
  Rng,
  Tensor,
  argmaxRows,
  noGrad,
  softmaxCrossEntropy,
} from '../dist/src/index.js';

class TinyHHNet extends Module {
  constructor(rng) {
    super();
    this.fc1 = this.registerModule('fc1', new Linear(20, 64, rng));
    this.neurons = this.registerModule('neurons', new LearningHHNeurons([64], { rng, threshold: 0.2 }));
    this.readout = this.registerModule('readout', new Linear(64, 2, rng));
  }
  forward(x) {
    const rate = this.neurons.forward(this.fc1.forward(x), { T: 8, timeVarying: false, output: 'rate' });
    return this.readout.forward(rate);
  }
}

export function run({ steps = 150, log = console.log } = {}) {
  const rng = new Rng(42);
  const net = new TinyHHNet(rng);
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
  log(`held-out accuracy ${(100 * accuracy).toFixed(1)}%`);
  return { losses, accuracy };
}

if (import.meta.url === `file://${process.argv[1]}`) run();
