import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Tensor } from '../src/tensor/tensor.js';
import { Adam } from '../src/optim/adam.js';
import { SGD } from '../src/optim/sgd.js';
import { ExponentialLR, MultiStepLR } from '../src/optim/scheduler.js';
import {
  decodeSafetensors,
  encodeSafetensors,
  loadSafetensors,
  saveSafetensors,
} from '../src/io/safetensors.js';
import { Linear } from '../src/nn/layers.js';
import { fans, xavierUniform } from '../src/nn/init.js';
import { Rng } from '../src/util/rng.js';
import { close } from './helpers.js';

test('Adam: first steps match the hand-derived PyTorch values (weight decay 0.1)', () => {
  const p = Tensor.from([1], [1], true);
  const adam = new Adam([p], { lr: 0.1, weightDecay: 0.1 });
  p.grad = Float32Array.of(0.5);
  adam.step();
  // g' = 0.5 + 0.1·1; m̂ = g', v̂ = g'² ⇒ p = 1 − 0.1·sign = 0.9
  close(p.data[0], 0.9, 1e-6);
  p.grad = Float32Array.of(0.5);
  adam.step();
  // g' = 0.59, m = 0.113, v = 0.00070774, bias-corrected: 0.5947368/√0.3540470 ⇒ 0.800047
  close(p.data[0], 0.800047, 2e-6);
});

test('Adam: many steps agree with a float64 transcription of torch.optim.Adam', () => {
  const rng = new Rng(3);
  const n = 50;
  const p = new Tensor(
    Float32Array.from({ length: n }, () => rng.normal()),
    [n],
    true,
  );
  const ref = Float64Array.from(p.data);
  const m = new Float64Array(n);
  const v = new Float64Array(n);
  const [lr, b1, b2, eps, wd] = [1e-2, 0.9, 0.999, 1e-8, 1e-3];
  const adam = new Adam([p], { lr, weightDecay: wd });
  for (let t = 1; t <= 20; t++) {
    const g = Float32Array.from({ length: n }, () => rng.normal());
    p.grad = g;
    adam.step();
    for (let i = 0; i < n; i++) {
      const gi = g[i] + wd * ref[i];
      m[i] = b1 * m[i] + (1 - b1) * gi;
      v[i] = b2 * v[i] + (1 - b2) * gi * gi;
      ref[i] -= (lr * (m[i] / (1 - b1 ** t))) / (Math.sqrt(v[i] / (1 - b2 ** t)) + eps);
    }
  }
  for (let i = 0; i < n; i++) close(p.data[i], ref[i], 1e-5);
});

test('Adam: state round-trips so a resumed optimiser continues identically', () => {
  const mk = () => Tensor.from([0.3, -0.7], [2], true);
  const a = mk();
  const b = mk();
  const oa = new Adam([a], { lr: 0.05 });
  const ob = new Adam([b], { lr: 0.05 });
  for (let s = 0; s < 3; s++) {
    a.grad = Float32Array.of(0.1 * s, -0.2);
    oa.step();
  }
  b.data.set(a.data);
  ob.loadState(oa.stateTensors(), oa.stateScalars());
  a.grad = Float32Array.of(0.4, 0.4);
  b.grad = Float32Array.of(0.4, 0.4);
  oa.step();
  ob.step();
  assert.deepEqual([...a.data], [...b.data]);
});

test('Adam and SGD reject bad hyper-parameters', () => {
  const p = Tensor.from([1], [1], true);
  assert.throws(() => new Adam([p], { lr: -1 }), /lr must be a positive number/);
  assert.throws(() => new Adam([p], { betas: [1, 0.9] }), /beta1 must be in \[0, 1\)/);
  assert.throws(() => new SGD([p], { nesterov: true }), /Nesterov/);
});

test('SGD with momentum, dampening 0 and weight decay follows torch.optim.SGD', () => {
  const p = Tensor.from([1], [1], true);
  const sgd = new SGD([p], { lr: 0.1, momentum: 0.9, weightDecay: 0.5 });
  p.grad = Float32Array.of(1);
  sgd.step(); // d = 1.5, buf = 1.5 ⇒ p = 0.85
  close(p.data[0], 0.85, 1e-6);
  p.grad = Float32Array.of(1);
  sgd.step(); // d = 1.425, buf = 0.9·1.5 + 1.425 = 2.775 ⇒ p = 0.5725
  close(p.data[0], 0.5725, 1e-6);
});

test('MultiStepLR and ExponentialLR follow the epoch schedule and can be re-positioned', () => {
  const p = Tensor.from([1], [1], true);
  const opt = new Adam([p], { lr: 1e-4 });
  const sched = new MultiStepLR(opt, [2, 4], 0.1);
  const lrs = [];
  for (let e = 0; e < 5; e++) {
    lrs.push(opt.lr);
    sched.step();
  }
  lrs.forEach((x, i) => close(x, [1e-4, 1e-4, 1e-5, 1e-5, 1e-6][i], 1e-12));
  sched.setEpoch(1);
  close(opt.lr, 1e-4, 1e-12);
  assert.throws(() => new MultiStepLR(opt, [3, 2]), /increasing/);
  const opt2 = new SGD([p], { lr: 1 });
  const exp = new ExponentialLR(opt2, 0.97);
  exp.step();
  exp.step();
  close(opt2.lr, 0.97 ** 2, 1e-12);
});

test('Linear uses PyTorch default init bounds U(±1/√fan_in); xavier bound √(6/(in+out))', () => {
  const lin = new Linear(100, 30, new Rng(1));
  const bound = 1 / Math.sqrt(100);
  assert.ok(lin.weight.data.every((w) => Math.abs(w) <= bound));
  assert.ok(Math.max(...lin.weight.data.map(Math.abs)) > 0.9 * bound, 'weights should fill the range');
  assert.ok(lin.bias!.data.every((b) => Math.abs(b) <= bound));
  assert.deepEqual(fans([8, 4, 3, 3]), { fanIn: 36, fanOut: 72 });
  const x = xavierUniform(new Float32Array(1000), [10, 100], new Rng(2));
  const xb = Math.sqrt(6 / 110);
  assert.ok(x.every((w) => Math.abs(w) <= xb) && Math.max(...x.map(Math.abs)) > 0.9 * xb);
  assert.deepEqual(
    lin.namedParameters().map(([n]) => n),
    ['weight', 'bias'],
  );
  const scaled = new Linear(100, 30, new Rng(1), { weightScale: 0.01 });
  close(scaled.weight.data[5], 0.01 * lin.weight.data[5], 1e-9);
});

test('safetensors: round trip, 8-byte aligned header, PyTorch-readable layout', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'hhnet-st-'));
  const tensors = new Map([
    ['fc1.weight', { shape: [2, 3], data: Float32Array.of(1, 2, 3, 4, 5, 6) }],
    ['fc1.bias', { shape: [2], data: Float32Array.of(-1.5, 0.25) }],
  ]);
  const path = join(dir, 'm.safetensors');
  await saveSafetensors(path, tensors, { format: 'pt' });
  const bytes = readFileSync(path);
  const headerLen = Number(bytes.readBigUInt64LE(0));
  assert.equal((8 + headerLen) % 8, 0);
  const header = JSON.parse(bytes.subarray(8, 8 + headerLen).toString());
  assert.deepEqual(header['fc1.weight'], { dtype: 'F32', shape: [2, 3], data_offsets: [0, 24] });
  assert.deepEqual(header['fc1.bias'].data_offsets, [24, 32]);
  assert.equal(bytes.readFloatLE(8 + headerLen + 24), -1.5);
  const back = loadSafetensors(path);
  assert.deepEqual([...back.tensors.get('fc1.weight')!.data], [1, 2, 3, 4, 5, 6]);
  assert.equal(back.metadata.format, 'pt');
});

test('safetensors: truncated, garbage and unsupported files are rejected with the file name', () => {
  const good = encodeSafetensors(new Map([['a', { shape: [4], data: new Float32Array(4) }]]));
  assert.throws(
    () => decodeSafetensors(good.subarray(0, good.length - 3), 'x.st'),
    /x\.st: tensor 'a' runs past the end/,
  );
  assert.throws(() => decodeSafetensors(new Uint8Array(4), 'y.st'), /y\.st: not a safetensors file/);
  const dir = mkdtempSync(join(tmpdir(), 'hhnet-st-'));
  const bad = Buffer.alloc(8 + 4);
  bad.writeBigUInt64LE(4n, 0);
  bad.write('{oops', 8);
  writeFileSync(join(dir, 'bad.st'), bad);
  assert.throws(() => loadSafetensors(join(dir, 'bad.st')), /bad\.st: header is not valid JSON/);
  const f16 = Buffer.from(JSON.stringify({ a: { dtype: 'F16', shape: [1], data_offsets: [0, 2] } }));
  const buf = Buffer.concat([Buffer.alloc(8), f16, Buffer.alloc(2)]);
  buf.writeBigUInt64LE(BigInt(f16.length), 0);
  assert.throws(() => decodeSafetensors(buf, 'h.st'), /dtype F16; only F32/);
  assert.throws(() => loadSafetensors(join(dir, 'missing.st')), /missing\.st: cannot read \(ENOENT\)/);
});
