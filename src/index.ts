/** hhnet public API: neuron models, simulation, stimuli, analysis, experiments and figures. */
export * from './neurons/types.js';
export * from './neurons/hh.js';
export * from './neurons/lif.js';
export * from './neurons/tvlif2hh.js';
export * from './neurons/slif2hh.js';
export * from './sim/registry.js';
export * from './sim/integrators.js';
export * from './sim/population.js';
export * from './sim/simulate.js';
export * from './sim/network.js';
export * from './sim/stimulus.js';
export * from './analysis/metrics.js';
export * from './analysis/spikes.js';
export * from './experiments/equivalence.js';
export * from './experiments/slif2hh-fit.js';
export * from './experiments/fi-curve.js';
export * from './experiments/rest.js';
export * from './experiments/bench-sim.js';
export { Rng } from './util/rng.js';
export { writeFileAtomic, writeJsonAtomic } from './util/atomic.js';
export * from './report/charts.js';
export { renderReport, escapeHtml, formatNumber } from './report/html.js';
export type { ReportSection, ReportFigure, ReportTable } from './report/html.js';
// Training engine
export * from './tensor/tensor.js';
export { backward, noGrad, isGradEnabled, makeResult, accumulateGrad } from './tensor/autograd.js';
export * from './tensor/ops.js';
export * from './tensor/conv.js';
export * from './tensor/gradcheck.js';
export * from './tensor/accounting.js';
export * from './kernels/spiking-costs.js';
export { getBackend, setBackend, backendNames, registerBackend } from './kernels/index.js';
export type { Backend } from './kernels/index.js';
export * from './nn/module.js';
export * from './nn/init.js';
export * from './nn/layers.js';
export * from './nn/surrogate.js';
export * from './nn/spiking.js';
export * from './nn/spiking-layers.js';
export * from './nn/multibranch.js';
export * from './optim/optimizer.js';
export * from './optim/adam.js';
export * from './optim/sgd.js';
export * from './optim/scheduler.js';
export * from './io/safetensors.js';
export * from './data/idx.js';
export * from './data/mnist.js';
export * from './data/multi.js';
export * from './models/multitask.js';
export * from './train/config.js';
export * from './train/checkpoint.js';
export * from './train/multitask.js';
export * from './experiments/bench-train.js';
export * from './experiments/resources.js';
export { resourcesFigure } from './experiments/resources-figures.js';
export * from './experiments/robustness.js';
export * from './experiments/mi.js';
export * from './models/vib.js';
export * from './rl/env.js';
export * from './rl/mujoco-env.js';
export * from './rl/pendulums.js';
export * from './rl/window.js';
export * from './rl/replay.js';
export * from './rl/networks.js';
export * from './rl/sac.js';
export * from './rl/reward.js';
export * from './rl/evaluate.js';
export * from './rl/config.js';
export * from './rl/train.js';
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
export { quasiLinearOf, stepDefinition, quasiLinearTerms } from './neurons/derive.js';
export { izhikevich } from './neurons/izhikevich.js';
export { adex } from './neurons/adex.js';
export { traubMiles } from './neurons/traub-miles.js';
export { leakyIntegrator } from './neurons/leaky-integrator.js';
export { learningHh } from './neurons/learning-hh.js';
export { StepPopulation } from './sim/step-population.js';
export { parseExpr, derivative, format as formatExpr, evaluate as evaluateExpr } from './symbolic/expr.js';
export type { Expr } from './symbolic/expr.js';
export { compileStep } from './kernels/spiking/program.js';
export type { StepDefinition, StepProgram } from './kernels/spiking/program.js';
export * from './nn/neuron-layer.js';
export * as network from './network/index.js';
export { cubaLif } from './neurons/cuba-lif.js';
export * as cable from './cable/index.js';
export * as morphology from './morphology/index.js';
