/** Recurrent spiking networks of declared neuron models (see docs/networks.md). */
export * from './benchmarks.js';
export * from './connectivity.js';
export * from './kernel.js';
export * from './monitors.js';
export * from './network.js';
export * from './population.js';
export * from './projection.js';
export * from './receptors.js';
export * from './statistics.js';
export * from './stdp.js';
export * from './values.js';
export type {
  NetworkBackend,
  RateTable,
  RateTableOptions,
  WasmStepOptions,
  WasmStepProgram,
  WasmPopulationOptions,
} from './wasm-step.js';
export {
  NETWORK_BACKENDS,
  RATE_TABLE_DEFAULTS,
  WasmPopulationKernel,
  compileWasmStepSync,
  prepareWasmStep,
  renderWasmStep,
  tabulableStates,
  wasmPopulationStep,
  wasmStepUnsupported,
} from './wasm-step.js';
