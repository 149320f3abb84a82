/**
 * The declared neuron models (model.ts) hhnet ships, by name, plus any a program registers at
 * run time. Adding a model is its declaration file plus one line in BUILT_IN.
 */
import { adex } from './adex.js';
import { cubaLif } from './cuba-lif.js';
import { fitzhughNagumo } from './fitzhugh-nagumo.js';
import { morrisLecar } from './morris-lecar.js';
import { hhDeclared, hhModernDeclared } from './hh.js';
import { izhikevich } from './izhikevich.js';
import { leakyIntegrator } from './leaky-integrator.js';
import { learningHh } from './learning-hh.js';
import { lifDeclared, lifStepDeclared, tvlifDeclared } from './lif.js';
import type { NeuronModel } from './model.js';
import { traubMiles } from './traub-miles.js';
import { tvlif2hhDeclared } from './tvlif2hh.js';
import { slif2hhDeclared } from './slif2hh.js';
import { notTrainable } from './derive.js';

const BUILT_IN: readonly NeuronModel[] = [
  hhDeclared,
  hhModernDeclared,
  lifDeclared,
  lifStepDeclared,
  learningHh,
  izhikevich,
  adex,
  traubMiles,
  leakyIntegrator,
  fitzhughNagumo,
  morrisLecar,
  cubaLif,
  tvlifDeclared,
  tvlif2hhDeclared,
  slif2hhDeclared,
];

const models = new Map<string, NeuronModel>(BUILT_IN.map((m) => [m.name, m]));

/** The declared model of this name, if any. */
export function declaredModel(name: string): NeuronModel | undefined {
  return models.get(name);
}

/** Every declared model, built-ins first. */
export function declaredModels(): NeuronModel[] {
  return [...models.values()];
}

/** The declared models a trainable layer can run (notTrainable: the others are simulation only). */
export function trainableModels(): NeuronModel[] {
  return declaredModels().filter((m) => notTrainable(m) === null);
}

/** Makes a model declared at run time available by name (simulate, layers); names are unique. */
export function registerNeuron(model: NeuronModel): void {
  if (models.has(model.name))
    throw new RangeError(`a neuron model named "${model.name}" is already registered`);
  models.set(model.name, model);
}
