// Multi-task training learns both tasks, each on its own labels: a short run of a spiking model
// ends clearly above chance on both heads, the loss of a training batch is CE(head 1, task-1
// labels) + CE(head 2, task-2 labels), and evaluation scores each head against its own labels.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BatchSampler, fillBatch } from '../src/data/multi.js';
import { MultitaskModel } from '../src/models/multitask.js';
import { Module } from '../src/nn/module.js';
import { resolveTrainConfig } from '../src/train/config.js';
import { buildModel, evaluateAccuracy, loadMultitaskData, trainMultitask } from '../src/train/multitask.js';
import { Tensor } from '../src/tensor/tensor.js';
import { noGrad } from '../src/tensor/autograd.js';

const ROOT = mkdtempSync(join(tmpdir(), 'hhnet-multitask-learning-'));
after(() => rmSync(ROOT, { recursive: true, force: true }));

// lif-fc at T = 4 on 2,048 Multi-MNIST samples: ~2 s per run on the wasm backend, ~10 s on js.
const cfg = resolveTrainConfig({
  model: 'lif-fc',
  dataset: 'multi-mnist',
  epochs: 3,
  limitTrain: 2048,
  limitTest: 256,
  batch: 64,
  T: 4,
  lr: 3e-4,
});
const data = loadMultitaskData(cfg);

/** Mean softmax cross-entropy of logits [B, 10] against labels, in float64. */
function crossEntropy(logits: Float32Array, labels: ArrayLike<number>): number {
  let sum = 0;
  for (let b = 0; b < labels.length; b++) {
    const row = logits.subarray(b * 10, (b + 1) * 10);
    const max = Math.max(...row);
    let z = 0;
    for (const v of row) z += Math.exp(v - max);
    sum += max + Math.log(z) - row[labels[b]];
  }
  return sum / labels.length;
}

test('the two tasks have independent labels in the test data (so a head trained on the wrong task scores near chance)', () => {
  let same = 0;
  for (let i = 0; i < data.test.count; i++) if (data.test.labels1[i] === data.test.labels2[i]) same++;
  assert.ok(same / data.test.count < 0.2, `${same} of ${data.test.count} samples share both labels`);
});

test('a short lif-fc run learns both tasks well above chance (10%)', async () => {
  const history = await trainMultitask(cfg, { out: join(ROOT, 'learn'), resume: false, data });
  const first = history[0];
  const last = history[history.length - 1];
  assert.ok(
    last.acc1 > 30 && last.acc2 > 30,
    `test accuracy after ${cfg.epochs} epochs: task 1 ${last.acc1}%, task 2 ${last.acc2}%`,
  );
  assert.ok(last.loss < first.loss, `training loss ${first.loss} → ${last.loss}`);
});

test("a training batch's loss is CE(head 1, task-1 labels) + CE(head 2, task-2 labels)", async () => {
  // The first batch of a run, recomputed on an identically initialised model.
  const one = { ...cfg, epochs: 1 };
  const model = buildModel(one);
  const idx = new BatchSampler(data.train.count, one.batch, { shuffle: true, seed: one.seed })
    .batches(1)
    .next().value as Int32Array;
  const x = new Float32Array(idx.length * 1296);
  fillBatch(data.train, idx, x);
  const y1 = Array.from(idx, (i) => data.train.labels1[i]);
  const y2 = Array.from(idx, (i) => data.train.labels2[i]);
  const [o1, o2] = noGrad(() => model.forward(new Tensor(x, [idx.length, 1296])));
  const expected = crossEntropy(o1.data, y1) + crossEntropy(o2.data, y2);
  const wrong = {
    'task 2 on task-1 labels': crossEntropy(o1.data, y1) + crossEntropy(o2.data, y1),
    'task 1 on task-2 labels': crossEntropy(o1.data, y2) + crossEntropy(o2.data, y2),
    'heads swapped': crossEntropy(o1.data, y2) + crossEntropy(o2.data, y1),
    'task 1 twice': 2 * crossEntropy(o1.data, y1),
    'task 2 twice': 2 * crossEntropy(o2.data, y2),
  };
  let reported = NaN;
  await trainMultitask(one, {
    out: join(ROOT, 'loss'),
    resume: false,
    data,
    events: { batch: (b) => (b.batch === 1 ? (reported = b.loss) : undefined) },
  });
  assert.ok(Math.abs(reported - expected) <= 1e-5 * expected, `loss ${reported}, expected ${expected}`);
  for (const [what, value] of Object.entries(wrong))
    assert.ok(Math.abs(value - expected) > 1e-3 * expected, `the check tells the loss from "${what}"`);
});

/** Outputs fixed logits per sample, in the order evaluateAccuracy visits the data set. */
class FixedPredictions extends Module implements MultitaskModel {
  readonly modelName = 'ann-fc' as const;
  private next = 0;
  constructor(
    private readonly p1: ArrayLike<number>,
    private readonly p2: ArrayLike<number>,
  ) {
    super();
  }
  forward(x: Tensor): [Tensor, Tensor] {
    const n = x.shape[0];
    const logits = (p: ArrayLike<number>): Tensor => {
      const out = new Float32Array(n * 10);
      for (let i = 0; i < n; i++) out[i * 10 + p[this.next + i]] = 1;
      return new Tensor(out, [n, 10]);
    };
    const out: [Tensor, Tensor] = [logits(this.p1), logits(this.p2)];
    this.next += n;
    return out;
  }
}

test('evaluation scores each head against its own task’s labels', () => {
  const { test: ds } = data;
  const right = evaluateAccuracy(new FixedPredictions(ds.labels1, ds.labels2), ds, undefined, 100);
  assert.deepEqual(right, { acc1: 100, acc2: 100 });
  // Head 2 predicting task 1 scores only where the labels coincide.
  let same = 0;
  for (let i = 0; i < ds.count; i++) if (ds.labels1[i] === ds.labels2[i]) same++;
  const crossed = evaluateAccuracy(new FixedPredictions(ds.labels1, ds.labels1), ds, undefined, 100);
  assert.deepEqual(crossed, { acc1: 100, acc2: (100 * same) / ds.count });
});
