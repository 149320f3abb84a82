/**
 * hhnet's browser build (dist/playground/hhnet.js): the parts of the public API that run in a
 * page or a Web Worker — neuron models, simulation, stimuli, analysis, the training engine, the
 * multi-task models — on the same kernels as Node. The wasm backend loads after
 * `await preloadKernelFiles(KERNEL_FILES)`, in a cross-origin isolated page; with threads it must
 * run in a Web Worker (it waits on them with Atomics.wait), with one (createWasmBackend({ threads:
 * 1 })) also on a page's main thread.
 */
export * from './neurons/types.js';
export * from './neurons/hh.js';
export * from './neurons/lif.js';
export * from './neurons/tvlif2hh.js';
export * from './neurons/slif2hh.js';
export {
  declareNeuron,
  resolveParams,
  describeParams,
  initialState,
  spikeThreshold,
  DeclarationError,
} from './neurons/model.js';
export type { NeuronDeclaration, NeuronModel, ParamDeclaration, StateDeclaration } from './neurons/model.js';
export { declaredModel, declaredModels, registerNeuron } from './neurons/catalog.js';
export * from './sim/registry.js';
export * from './sim/integrators.js';
export * from './sim/population.js';
export * from './sim/simulate.js';
export * from './sim/network.js';
export * from './sim/stimulus.js';
export * from './analysis/metrics.js';
export * from './analysis/spikes.js';
export { Rng } from './util/rng.js';
export * from './tensor/tensor.js';
export { backward, noGrad, isGradEnabled, makeResult, accumulateGrad } from './tensor/autograd.js';
export * from './tensor/ops.js';
export * from './tensor/conv.js';
export {
  getBackend,
  setBackend,
  backendNames,
  registerBackend,
  backendDescription,
  createWasmBackend,
} from './kernels/index.js';
export type { Backend, WasmBackend, WasmBackendOptions } from './kernels/index.js';
export { KERNEL_FILES } from './kernels/wasm/files.js';
export { preloadKernelFiles } from './kernels/wasm/platform.browser.js';
export * from './nn/module.js';
export * from './nn/init.js';
export * from './nn/layers.js';
export * from './nn/surrogate.js';
export * from './nn/spiking.js';
export * from './nn/spiking-layers.js';
export * from './optim/optimizer.js';
export * from './optim/adam.js';
export * from './optim/sgd.js';
export * from './optim/scheduler.js';
export * from './models/multitask.js';
