/**
 * Population sizes checked before a simulation starts: a population whose state cannot fit in the
 * machine's memory (or, for the wasm HH kernel, in the 4 GiB wasm memory) fails at once with the
 * size that fits, instead of allocating for minutes or failing with "Invalid typed array length".
 */
import { totalmem } from 'node:os';
import { createPopulation } from './registry.js';
import type { PopulationOptions } from './registry.js';

/** Share of the machine's memory a population may plan to use. */
const RAM_SHARE = 0.75;
const WASM_MEMORY_BYTES = 4 * 2 ** 30;

export class PopulationSizeError extends Error {
  override name = 'UserError';
}

/**
 * Bytes per neuron, generously: each state in float64 with the integrators' stage copies (RK4 keeps
 * five), plus input, spike bookkeeping and recording (one neuron, measured by its variables).
 */
export function bytesPerNeuron(model: string, opts: PopulationOptions = {}): number {
  const states = createPopulation(model, 1, { ...opts, fast: false }).variables.length;
  return 8 * (6 * states + 8);
}

/** Throws PopulationSizeError when `neurons` of `model` cannot fit; `flag` names the setting. */
export function checkPopulationSize(
  model: string,
  neurons: number,
  opts: PopulationOptions & { wasm?: boolean; flag?: string } = {},
): void {
  const per = bytesPerNeuron(model, opts);
  const needed = neurons * per;
  const ram = totalmem() * RAM_SHARE;
  const limit = opts.wasm ? Math.min(ram, WASM_MEMORY_BYTES) : ram;
  if (needed <= limit) return;
  const gib = (b: number) => `${(b / 2 ** 30).toFixed(1)} GiB`;
  const where =
    opts.wasm && WASM_MEMORY_BYTES < ram
      ? 'the 4 GiB the wasm kernels can address'
      : `${Math.round(RAM_SHARE * 100)}% of this machine's ${gib(totalmem())}`;
  throw new PopulationSizeError(
    `${opts.flag ?? '--neurons'} ${neurons}: a population of ${model} needs about ${gib(needed)} ` +
      `(${per} bytes per neuron), more than ${where}; use ${opts.flag ?? '--neurons'} ${Math.floor(limit / per)} or fewer`,
  );
}
