/**
 * The declared neuron models (model.ts) hhnet ships, by name, plus any a program registers at
 * run time. Adding a model is its declaration file plus one line in BUILT_IN. Units (several
 * inputs or spike rules, e.g. the trainable s-LIF2HH unit) are kept apart: they run in trainable
 * layers only, so everything that simulates by name (declaredModel) never meets one.
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
import { notSimulable } from './model.js';
import type { NeuronModel } from './model.js';
import { traubMiles } from './traub-miles.js';
import { tvlif2hhDeclared } from './tvlif2hh.js';
import { slif2hhDeclared, slif2hhUnitDeclared } from './slif2hh.js';
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

const BUILT_IN_UNITS: readonly NeuronModel[] = [slif2hhUnitDeclared];

const models = new Map<string, NeuronModel>(BUILT_IN.map((m) => [m.name, m]));
const units = new Map<string, NeuronModel>(BUILT_IN_UNITS.map((m) => [m.name, m]));

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

/** The declared unit of this name, if any (units are not in declaredModel's catalog). */
export function declaredUnit(name: string): NeuronModel | undefined {
  return units.get(name);
}

/** Why `name` cannot be simulated when it names a declared unit; null for any other name. */
export function unitRefusal(name: string): string | null {
  const unit = units.get(name);
  return unit ? notSimulable(unit) : null;
}

/** Every declared unit, built-ins first. */
export function declaredUnits(): NeuronModel[] {
  return [...units.values()];
}

/**
 * Makes a model declared at run time available by name (simulate, layers), or a unit (layers,
 * `hhnet models`); names are unique across both.
 */
export function registerNeuron(model: NeuronModel): void {
  if (models.has(model.name) || units.has(model.name))
    throw new RangeError(`a neuron model named "${model.name}" is already registered`);
  (notSimulable(model) === null ? models : units).set(model.name, model);
}
