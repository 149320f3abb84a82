// The examples in examples/ are part of the documentation: they must keep running and learning.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { getBackend } from '../src/kernels/index.js';

test('examples/custom-snn.mjs trains a learning-HH network that solves its toy task', async () => {
  const url = new URL('../../examples/custom-snn.mjs', import.meta.url).href;
  const example = (await import(url)) as {
    run(opts: { steps: number; log: (s: string) => void }): { losses: number[]; accuracy: number };
  };
  const { losses, accuracy } = example.run({ steps: 100, log: () => {} });
  const first = losses.slice(0, 10).reduce((a, b) => a + b) / 10;
  const last = losses.slice(-10).reduce((a, b) => a + b) / 10;
  assert.ok(last < first / 3, `loss should fall well below its start (${first} → ${last})`);
  assert.ok(accuracy >= 0.8, `held-out accuracy ${accuracy}`);
});

test('examples/custom-neuron.mjs declares a neuron, simulates it and trains a network of it', async () => {
  const url = new URL('../../examples/custom-neuron.mjs', import.meta.url).href;
  const example = (await import(url)) as {
    simulateOne(log: (s: string) => void): number[];
    run(opts: {
      steps: number;
      log: (s: string) => void;
    }): Promise<{ losses: number[]; accuracy: number; kernelPath: string }>;
  };
  const times = example.simulateOne(() => {});
  assert.ok(times.length >= 3, `the neuron fires under a constant drive (${times.length} spikes)`);
  const isi = times.slice(1).map((t, i) => t - times[i]);
  assert.ok(isi[isi.length - 1] > isi[0], `adaptation lengthens the interspike intervals (${isi})`);
  const { losses, accuracy, kernelPath } = await example.run({ steps: 100, log: () => {} });
  const first = losses.slice(0, 10).reduce((a, b) => a + b) / 10;
  const last = losses.slice(-10).reduce((a, b) => a + b) / 10;
  assert.ok(last < first / 3, `loss should fall well below its start (${first} → ${last})`);
  assert.ok(accuracy >= 0.8, `held-out accuracy ${accuracy}`);
  // The neuron declared at run time trains on generated wasm kernels, not a JS fallback.
  assert.equal(kernelPath, getBackend().name === 'wasm' ? 'wasm (generated)' : 'reference');
});

test('examples/custom-unit.mjs declares a two-input, two-spike unit and trains a network of it', async () => {
  const url = new URL('../../examples/custom-unit.mjs', import.meta.url).href;
  const example = (await import(url)) as {
    run(opts: {
      steps: number;
      log: (s: string) => void;
    }): Promise<{ losses: number[]; accuracy: number; kernelPath: string }>;
  };
  const { losses, accuracy, kernelPath } = await example.run({ steps: 100, log: () => {} });
  const first = losses.slice(0, 10).reduce((a, b) => a + b) / 10;
  const last = losses.slice(-10).reduce((a, b) => a + b) / 10;
  assert.ok(last < first / 3, `loss should fall well below its start (${first} → ${last})`);
  assert.ok(accuracy >= 0.8, `held-out accuracy ${accuracy}`);
  // The unit declared at run time trains on generated SIMD kernels, not a JS fallback.
  assert.equal(kernelPath, getBackend().name === 'wasm' ? 'wasm (generated)' : 'reference');
});
