// Computing resources (spec 3.4): parameter counts against the saved model, analytic FLOP counts
// and graph memory against hand counts from the layer sizes, and the `hhnet resources` command.
// No timing assertions: the machine is shared and timings are noisy.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { countModelResources, parameterCount } from '../src/experiments/resources.js';
import type { ResourcesResult } from '../src/experiments/resources.js';
import { loadSafetensors } from '../src/io/safetensors.js';
import { FC_MODELS, MULTITASK_MODELS, createMultitaskModel } from '../src/models/multitask.js';
import { lifSpikes } from '../src/nn/spiking.js';
import { saveModel } from '../src/train/checkpoint.js';
import { addFlops, countFlops, graphMemory } from '../src/tensor/accounting.js';
import { makeResult } from '../src/tensor/autograd.js';
import { linear, relu, reshape, softmaxCrossEntropy, sum } from '../src/tensor/ops.js';
import { Tensor } from '../src/tensor/tensor.js';
import { Rng } from '../src/util/rng.js';
import { runCli } from './helpers.js';

const ROOT = mkdtempSync(join(tmpdir(), 'hhnet-resources-test-'));
after(() => rmSync(ROOT, { recursive: true, force: true }));
let dirs = 0;
const outDir = (name: string): string => join(ROOT, `${name}-${++dirs}`);

const cli = (args: string[]) => runCli(args);

const B = 4;
const T = 3;
const F32 = 4;

/** Linear in → out on a batch: 2·B·out·in multiply-adds plus B·out bias adds. */
const linearFlops = (inF: number, outF: number): number => 2 * B * outF * inF + B * outF;
/** fc2 (hidden → 50) and the two heads (50 → 10). */
const tailFlops = (hidden: number): number => linearFlops(hidden, 50) + 2 * linearFlops(50, 10);
/** Rate output: one add per spike train and step, then one 1/T scale per train. */
const rateFlops = (trains: number): number => trains * (T + 1);

test('params = trainable + buffers = every element of the saved model.safetensors', async () => {
  for (const name of [...FC_MODELS, 'hh-conv', 'slif2hh-conv'] as const) {
    const net = createMultitaskModel(name, new Rng(3), { T });
    const dir = outDir(`model-${name}`);
    await saveModel(dir, net, {});
    const { tensors } = loadSafetensors(join(dir, 'model.safetensors'));
    let saved = 0;
    for (const t of tensors.values()) saved += t.data.length;
    const p = parameterCount(net);
    assert.equal(p.total, saved, name);
    assert.equal(p.total, p.trainable + p.buffers, name);
  }
  // The learning HH's six rate vectors are buffers (constant, spec 2.5), everything else trains.
  const hh = parameterCount(createMultitaskModel('hh-fc', new Rng(1), { T }));
  assert.equal(hh.buffers, 6 * 512);
  assert.deepEqual(
    hh.bufferNames,
    ['alpha_n', 'beta_n', 'alpha_m', 'beta_m', 'alpha_h', 'beta_h'].map((r) => `neurons.${r}`),
  );
  assert.equal(hh.trainable, 1296 * 512 + 512 + 512 * 50 + 50 + 2 * (50 * 10 + 10));
});

test('FLOPs of lif-fc and hh-fc equal the hand count from the layer sizes', () => {
  const lif = countModelResources('lif-fc', { batch: B, T });
  // LIF: 5 per neuron-step (decay·m·(1 − s) + x: 4; compare: 1).
  const lifKernel = B * 512 * T * 5 + rateFlops(B * 512);
  assert.deepEqual(lif.flopsByOp, { linear: linearFlops(1296, 512) + tailFlops(512), lifSpikes: lifKernel });
  assert.equal(lif.flopsPerBatch, linearFlops(1296, 512) + lifKernel + tailFlops(512));
  assert.equal(lif.flopsPerSample, lif.flopsPerBatch / B);

  const hh = countModelResources('hh-fc', { batch: B, T });
  // Learning HH: gate tables 35 per neuron-step + 1 per neuron (shared by the batch); per
  // batch-neuron-step v = A·v + kI + c and the compare (4); per batch-neuron k and k·I (2).
  const hhKernel = 512 * (35 * T + 1) + B * 512 * (4 * T + 2) + rateFlops(B * 512);
  assert.equal(hh.flopsByOp.learningHhSpikes, hhKernel);
  assert.equal(hh.flopsPerBatch, linearFlops(1296, 512) + hhKernel + tailFlops(512));

  const sl = countModelResources('slif2hh-fc', { batch: B, T });
  // s-LIF2HH: 25 per unit-step and 3 |w| per batch-unit; four rate trains per unit.
  const slKernel = B * 512 * (25 * T + 3) + rateFlops(4 * B * 512);
  assert.equal(sl.flopsPerBatch, linearFlops(1296, 3 * 512) + slKernel + tailFlops(4 * 512));

  const ann = countModelResources('ann-fc', { batch: B, T });
  assert.equal(ann.flopsPerBatch, linearFlops(1296, 512) + B * 512 + tailFlops(512));
});

test('graphMemory of a tiny graph equals the hand count; shared and released buffers are not counted', () => {
  const x = Tensor.from([1, 2, 3, 4, 5, 6], [2, 3]); // leaf input: not counted
  const w = Tensor.from([0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1, 1.1, 1.2], [4, 3], true);
  const b = Tensor.from([0, 0.1, 0.2, 0.3], [4], true);
  const y = linear(x, w, b); // [2, 4]: 32 bytes
  const s = lifSpikes(y, { T: 3 }); // rate [2, 4]: 32 bytes, saves mem [3, 2, 4]: 96 bytes
  const r = reshape(s, [2, 4]); // shares s's data: 0
  const loss = softmaxCrossEntropy(r, [0, 3]); // scalar: 4 bytes, keeps probs [2, 4]: 32 bytes
  const m = graphMemory(loss);
  assert.equal(m.nodes, 4);
  assert.equal(m.tensorBytes, 32 + 32 + 4);
  assert.equal(m.savedBytes, 96 + 32);
  assert.equal(m.bytes, 196);
  loss.backward();
  assert.equal(graphMemory(loss).bytes, 0, 'backward releases the graph');

  // Overlapping views of one buffer count once; a saved view of the output's own data adds nothing.
  const buf = new Float32Array(8);
  const p = Tensor.from([1, 2], [2], true);
  const out = makeResult(buf.subarray(0, 2), [2], [p], () => () => {}, [
    buf.subarray(1, 5),
    buf.subarray(3, 6),
  ]);
  const v = graphMemory(out);
  assert.equal(v.tensorBytes, 2 * F32);
  assert.equal(v.bytes, 6 * F32);

  // Inference records nothing.
  const q = relu(x);
  assert.equal(graphMemory(sum(q)).bytes, 0);
});

test('activation memory of hh-fc and slif2hh-fc: hand counts, and HH keeps about a quarter', () => {
  // Shared by both: fc2 [B, 50], heads 2 × [B, 10], two CE scalars and their sum; probs 2 × [B, 10].
  const tail = F32 * (B * 50 + 2 * B * 10 + 3) + F32 * 2 * B * 10;
  const hh = countModelResources('hh-fc', { batch: B, T });
  // fc1 [B, 512], rates [B, 512]; the input gradient factor [B, 512] (all backward needs of the
  // steps), packed rates 6·512 and the dt fill 512. Saving v as the reference does keeps
  // [T, B, 512] instead of the factor.
  const hhBytes = F32 * (3 * B * 512) + F32 * (6 * 512 + 512) + tail;
  assert.equal(hh.peakActivationBytes, hhBytes);
  assert.equal(hh.referenceActivationBytes, hhBytes + F32 * (T - 1) * B * 512);
  const sl = countModelResources('slif2hh-fc', { batch: B, T });
  // fc1 [B, 1536], rates [B, 2048]; saved m1..m4 [T, B, 512, 4].
  const slBytes = F32 * (B * 1536 + B * 2048) + F32 * 4 * T * B * 512 + tail;
  assert.equal(sl.peakActivationBytes, slBytes);
  assert.equal(sl.referenceActivationBytes, slBytes);
  assert.ok(hh.referenceActivationBytes < sl.peakActivationBytes);
  // At the study's T = 15, saving states as the reference does, they dominate: HH ≈ 1/4 of
  // s-LIF2HH (spec 3.4); without v, HH keeps some 5%.
  const hh15 = countModelResources('hh-fc', { batch: 8, T: 15 });
  const sl15 = countModelResources('slif2hh-fc', { batch: 8, T: 15 });
  const ratio = hh15.referenceActivationBytes / sl15.referenceActivationBytes;
  assert.ok(ratio > 0.2 && ratio < 0.3, `hh / slif2hh = ${ratio}`);
  const own = hh15.peakActivationBytes / sl15.peakActivationBytes;
  assert.ok(own < 0.1, `hh / slif2hh recomputing v = ${own}`);
});

test('countFlops: nothing is counted outside a scope; nested scopes add into the outer one', () => {
  addFlops('outside', 5); // no scope: ignored
  const outer = countFlops(() => {
    addFlops('a', 2);
    const inner = countFlops(() => {
      addFlops('b', 3);
      return 'x';
    });
    assert.equal(inner.flops, 3);
    assert.equal(inner.result, 'x');
  });
  assert.equal(outer.flops, 5);
  assert.deepEqual(outer.byOp, { a: 2, b: 3 });
});

test('hhnet resources writes resources.json and the figure; progress goes to stderr', async () => {
  const out = outDir('cli');
  const r = await cli([
    'resources',
    '--models',
    'lif-fc,hh-fc',
    '--batch',
    '4',
    '--T',
    '2',
    '--repeats',
    '1',
    '--warmup',
    '0',
    '--out',
    out,
  ]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /lif-fc/);
  assert.match(r.stderr, /hh-fc/);
  const json = JSON.parse(readFileSync(join(out, 'resources.json'), 'utf8')) as ResourcesResult;
  assert.deepEqual(
    json.models.map((m) => m.model),
    ['lif-fc', 'hh-fc'],
  );
  for (const m of json.models) {
    for (const k of [
      'params',
      'flopsPerSample',
      'trainMsPerBatch',
      'inferMsPerBatch',
      'peakActivationBytes',
    ] as const)
      assert.ok(Number.isFinite(m[k]) && m[k] > 0, `${m.model}.${k} = ${m[k]}`);
  }
  assert.equal(json.config.batch, 4);
  assert.equal(json.config.T, 2);
  assert.ok(json.machine.node);
  assert.match(readFileSync(join(out, 'figures', 'resources.svg'), 'utf8'), /<svg/);
  const spec = JSON.parse(readFileSync(join(out, 'figures', 'resources.vl.json'), 'utf8')) as {
    concat: unknown[];
  };
  assert.equal(spec.concat.length, 5);

  const j = await cli([
    'resources',
    '--models',
    'ann-fc',
    '--batch',
    '2',
    '--T',
    '1',
    '--repeats',
    '1',
    '--json',
    '--quiet',
    '--out',
    outDir('json'),
  ]);
  assert.equal(j.code, 0, j.stderr);
  assert.equal((JSON.parse(j.stdout) as ResourcesResult).models[0].model, 'ann-fc');
  assert.equal(j.stderr, '');
});

test('hhnet resources: bad input fails with one clear line', async () => {
  const cases: [string[], RegExp][] = [
    [
      ['--models', 'lif-fc,gru'],
      new RegExp(`unknown model\\(s\\) gru \\(available: ${MULTITASK_MODELS.join(', ')}\\)`),
    ],
    [['--models', ''], /comma-separated list/],
    [['--batch', '0'], /--batch.*positive integer/],
    [['--T', 'x'], /--T.*positive integer/],
    [['--backend', 'cuda'], /unknown --backend 'cuda'/],
  ];
  const outs = cases.map(() => outDir('bad'));
  const results = await Promise.all(cases.map(([args], i) => cli(['resources', ...args, '--out', outs[i]])));
  results.forEach((r, i) => {
    const [args, message] = cases[i];
    assert.notEqual(r.code, 0, args.join(' '));
    assert.match(r.stderr, message, r.stderr);
    assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace');
    assert.equal(r.stdout, '');
  });
  const unknown = results[0];
  assert.equal(unknown.code, 2);
  assert.equal(unknown.stderr.trim().split('\n').length, 1);
  assert.ok(!existsSync(outs[0]), 'nothing written on bad input');
});
