/**
 * The part of hhnet's public API that runs wherever JavaScript runs: neuron models, simulation,
 * stimuli, analysis, the training engine and the multi-task models. The Node entry (index.ts)
 * and the browser build (browser.ts) both export it, each adding what only it has.
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
export { declaredModel, declaredModels, registerNeuron, trainableModels } from './neurons/catalog.js';
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
export { tidy, inScope } from './tensor/scope.js';
export * from './tensor/conv.js';
export {
  getBackend,
  setBackend,
  backendNames,
  registerBackend,
  backendDescription,
} from './kernels/index.js';
export type { Backend } from './kernels/index.js';
export * from './nn/module.js';
export * from './nn/init.js';
export * from './nn/layers.js';
export * from './nn/surrogate.js';
export * from './nn/spiking.js';
export * from './nn/spiking-layers.js';
export * from './nn/slif2hh-unit.js';
export * from './optim/optimizer.js';
export * from './optim/adam.js';
export * from './optim/sgd.js';
export * from './optim/scheduler.js';
export * from './models/multitask.js';
