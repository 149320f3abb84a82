/**
 * Training checkpoints: one safetensors file holding the model, the optimiser moments and (in its
 * metadata) the loop position and history, so a resume restores everything from a single atomic
 * write. model.safetensors (parameters only, PyTorch state_dict names) is written beside it.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { NamedArray, loadSafetensors, saveSafetensors } from '../io/safetensors.js';
import { Module } from '../nn/module.js';
import { Optimizer } from '../optim/optimizer.js';

export const CHECKPOINT_FILE = 'checkpoint.safetensors';
export const MODEL_FILE = 'model.safetensors';

export function modelTensors(model: Module): Map<string, NamedArray> {
  return new Map(model.namedParameters().map(([n, t]) => [n, { shape: t.shape, data: t.data }]));
}

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

/** Restores model and optimiser in place and returns the saved loop state. */
export function loadCheckpoint<S>(dir: string, model: Module, opt: Optimizer | null): S {
  const path = join(dir, CHECKPOINT_FILE);
  const { tensors, metadata } = loadSafetensors(path);
  const modelPart = new Map<string, NamedArray>();
  const optPart = new Map<string, Float32Array>();
  for (const [n, t] of tensors) {
    if (n.startsWith('model.')) modelPart.set(n.slice(6), t);
    else if (n.startsWith('optim.')) optPart.set(n.slice(6), t.data);
  }
  model.loadStateDict(modelPart, path);
  if (!metadata.state) throw new Error(`${path}: no training state in the metadata`);
  if (opt) opt.loadState(optPart, JSON.parse(metadata.optimizer ?? '{}'));
  return JSON.parse(metadata.state) as S;
}

/** Loads model.safetensors into a model (used by evaluate). */
export function loadModel(dir: string, model: Module): Record<string, string> {
  const path = join(dir, MODEL_FILE);
  const { tensors, metadata } = loadSafetensors(path);
  model.loadStateDict(tensors, path);
  return metadata;
}
