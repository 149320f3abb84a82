/**
 * Training checkpoints: one safetensors file holding the model, the optimiser moments and (in its
 * metadata) the loop position and history, so a resume restores everything from a single atomic
 * write. model.safetensors (parameters only, PyTorch state_dict names) is written beside it.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { NamedArray, loadSafetensors, metadataJson, saveSafetensors } from '../io/safetensors.js';
import { Module } from '../nn/module.js';
import { Optimizer } from '../optim/optimizer.js';
import { parseConfig } from '../util/config.js';
import { TrainConfig, resolveTrainConfig } from './config.js';
import { modelTensors } from './step.js';

export const CHECKPOINT_FILE = 'checkpoint.safetensors';
export const MODEL_FILE = 'model.safetensors';

export { modelTensors } from './step.js';

export async function saveModel(dir: string, model: Module, metadata: Record<string, string>): Promise<void> {
  await saveSafetensors(join(dir, MODEL_FILE), modelTensors(model), metadata);
}

export async function saveCheckpoint<S>(dir: string, model: Module, opt: Optimizer, state: S): Promise<void> {
  const tensors = new Map<string, NamedArray>();
  for (const [n, t] of model.namedParameters()) tensors.set(`model.${n}`, { shape: t.shape, data: t.data });
  for (const [n, data] of opt.stateTensors()) tensors.set(`optim.${n}`, { shape: [data.length], data });
  await saveSafetensors(join(dir, CHECKPOINT_FILE), tensors, {
    state: JSON.stringify(state),
    optimizer: JSON.stringify(opt.stateScalars()),
  });
}

export function hasCheckpoint(dir: string): boolean {
  return existsSync(join(dir, CHECKPOINT_FILE));
}

/** Checks a loop state read from a checkpoint; throws a RangeError naming the bad field. */
export type StateParser<S> = (raw: unknown, source: string) => S;

/** An optimiser's scalars (step count, lr): finite numbers by name. */
export const OptimizerScalarsSchema = z.record(z.string(), z.number());

/**
 * Restores model and optimiser in place and returns the saved loop state, checked by `parseState`.
 * The metadata is checked before any tensor is loaded, so a bad file leaves the model untouched.
 */
export function loadCheckpoint<S>(
  dir: string,
  model: Module,
  opt: Optimizer | null,
  parseState: StateParser<S>,
): S {
  const path = join(dir, CHECKPOINT_FILE);
  const { tensors, metadata } = loadSafetensors(path);
  const state = parseState(metadataJson(metadata, 'state', path), `${path} metadata state`);
  const scalars = parseConfig(
    OptimizerScalarsSchema,
    metadataJson(metadata, 'optimizer', path),
    `${path} metadata optimizer`,
    'optimizer state',
  );
  const modelPart = new Map<string, NamedArray>();
  const optPart = new Map<string, Float32Array>();
  for (const [n, t] of tensors) {
    if (n.startsWith('model.')) modelPart.set(n.slice(6), t);
    else if (n.startsWith('optim.')) optPart.set(n.slice(6), t.data);
  }
  model.loadStateDict(modelPart, path);
  if (opt) inFile(path, () => opt.loadState(optPart, scalars));
  return state;
}

/** Runs `load`, prefixing the file to the message of a RangeError it throws (which tensor of which file). */
export function inFile<T>(path: string, load: () => T): T {
  try {
    return load();
  } catch (err) {
    if (err instanceof RangeError && !err.message.startsWith(path))
      throw new RangeError(`${path}: ${err.message}`);
    throw err;
  }
}

const SavedModelSchema = z.looseObject({
  config: z.unknown(),
  epochs: z.number().int().nonnegative().optional(),
});

/** The training configuration and epoch count recorded in a model.safetensors (its hhnet metadata). */
export function savedTrainConfig(
  metadata: Record<string, string>,
  path: string,
): { config: TrainConfig; epochs: number | null } {
  const raw = metadataJson(metadata, 'hhnet', path, 'not written by hhnet train?');
  const saved = parseConfig(SavedModelSchema, raw, `${path} metadata hhnet`, 'model record');
  return { config: resolveTrainConfig(saved.config, `${path} metadata`), epochs: saved.epochs ?? null };
}

/** Loads model.safetensors into a model (used by evaluate). */
export function loadModel(dir: string, model: Module): Record<string, string> {
  const path = join(dir, MODEL_FILE);
  const { tensors, metadata } = loadSafetensors(path);
  model.loadStateDict(tensors, path);
  return metadata;
}
