// The s-LIF2HH calls the override and unit tests share: layouts, outputs, weights and surrogates.
import type { Slif2hhOptions } from '../src/nn/spiking.js';
import type { Tensor } from '../src/tensor/tensor.js';
import type { Rng } from '../src/util/rng.js';
import { randomTensor as tensor } from './helpers.js';

export interface Slif2hhCase {
  name: string;
  make: (rng: Rng) => { x: Tensor; w: Tensor; opts: Slif2hhOptions };
}

export const SLIF2HH_CASES: readonly Slif2hhCase[] = [
  {
    name: 'static input, spike trains, a weight triple per unit',
    make: (rng) => ({
      x: tensor(rng, [4, 3 * 9], 0, 1.5, true),
      w: tensor(rng, [9, 3], -1, 1, true),
      opts: { T: 12, output: 'spikes' },
    }),
  },
  {
    name: 'framed time-varying input (repeat 2), rate, shared weights, reset detached',
    make: (rng) => ({
      x: tensor(rng, [5, 3, 3 * 6], 0, 2, true),
      w: tensor(rng, [3], 0.2, 1, true),
      opts: { timeVarying: true, repeat: 2, decay: 0.7, threshold: 1, detachReset: true },
    }),
  },
  {
    name: 'conv layout [B, 3C, H, W], sigmoid surrogate',
    make: (rng) => ({
      x: tensor(rng, [2, 6, 3, 3], 0, 1.2, true),
      w: tensor(rng, [18, 3], -1, 1, true),
      opts: { T: 10, output: 'spikes', decay: 0.2, threshold: 0.5, surrogate: 'sigmoid:4' },
    }),
  },
];
