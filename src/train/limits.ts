/**
 * Memory limits checked before training starts: what one training step of a model keeps for
 * backward is measured on the engine's own graph (one sample at T = 1 and T = 2; it grows
 * linearly in the batch and in T) and compared with what the machine and the wasm kernels can
 * hold, so an impossible --batch or --T fails at once with a message naming the flag, not after
 * data loading with "Invalid typed array length" or "memory access out of bounds".
 */
import { totalmem } from 'node:os';
import { getBackend } from '../kernels/backend.js';
import { graphMemory } from '../tensor/accounting.js';
import { Tensor } from '../tensor/tensor.js';

/** wasm32 addresses at most 4 GiB; the kernels keep every saved activation there. */
export const WASM_MEMORY_BYTES = 4 * 2 ** 30;
/** Share of the machine's memory a training step may plan to use. */
const RAM_SHARE = 0.75;

export class MemoryLimitError extends Error {
  override name = 'UserError';
}

export interface StepMemory {
  /** Bytes one sample keeps for backward: perSample + perSampleStep·T. */
  perSample: number;
  perSampleStep: number;
}

/**
 * Measures a model family's activation memory: `lossAt(T)` builds the model for T steps and
 * returns the loss of one sample (its graph is what backward keeps).
 */
export function measureStepMemory(lossAt: (T: number) => Tensor): StepMemory {
  const at1 = graphMemory(lossAt(1)).bytes;
  const at2 = graphMemory(lossAt(2)).bytes;
  const perSampleStep = Math.max(0, at2 - at1);
  return { perSample: Math.max(0, at1 - perSampleStep), perSampleStep };
}

export function formatBytes(bytes: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB'];
  let v = bytes;
  let u = 0;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  return `${v.toPrecision(3)} ${units[u]}`;
}

/**
 * Throws MemoryLimitError when a step with this batch and T cannot fit. `what` names the run
 * (e.g. "hh-fc"); the message names --batch and --T and the largest batch that fits.
 */
export function checkStepMemory(mem: StepMemory, batch: number, T: number, what: string): void {
  const perSample = mem.perSample + mem.perSampleStep * T;
  const needed = batch * perSample;
  const ram = totalmem() * RAM_SHARE;
  const wasm = getBackend().name === 'wasm';
  const limit = wasm ? Math.min(WASM_MEMORY_BYTES, ram) : ram;
  if (needed <= limit) return;
  const where =
    wasm && WASM_MEMORY_BYTES < ram
      ? `the ${formatBytes(WASM_MEMORY_BYTES)} the wasm kernels can address`
      : `${Math.round(RAM_SHARE * 100)}% of this machine's ${formatBytes(totalmem())}`;
  const maxBatch = Math.floor(limit / perSample);
  throw new MemoryLimitError(
    `--batch ${batch} with --T ${T}: a training step of ${what} keeps about ${formatBytes(needed)} ` +
      `for backward, more than ${where}; ` +
      (maxBatch >= 1
        ? `use --batch ${maxBatch} or less at this T, or a smaller --T`
        : `even one sample needs ${formatBytes(perSample)}: use a smaller --T`),
  );
}
