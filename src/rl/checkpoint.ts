/**
 * RL checkpoints: one safetensors file with the actor, critics, targets, log α, the three Adam
 * states and the replay buffer, plus (in the metadata) the loop state — step, episode in progress,
 * physics state, random generators and history — so a resumed run continues exactly. The actor
 * alone goes to model.safetensors (PyTorch state_dict names) for `hhnet play`.
 */
import { join } from 'node:path';
import { z } from 'zod';
import { NamedArray, loadSafetensors, metadataJson, saveSafetensors } from '../io/safetensors.js';
import { Module } from '../nn/module.js';
import { Optimizer } from '../optim/optimizer.js';
import {
  CHECKPOINT_FILE,
  MODEL_FILE,
  OptimizerScalarsSchema,
  StateParser,
  inFile,
  modelTensors,
} from '../train/checkpoint.js';
import { parseConfig } from '../util/config.js';
import { ReplayBuffer } from './replay.js';
import { SoftActorCritic } from './sac.js';

export { savedActorConfig } from './actor-record.js';

function parts(agent: SoftActorCritic): { modules: [string, Module][]; optimizers: [string, Optimizer][] } {
  return {
    modules: [
      ['actor', agent.actor],
      ['critic', agent.critic],
      ['target', agent.target],
    ],
    optimizers: [
      ['actor', agent.actorOpt],
      ['critic', agent.criticOpt],
      ['alpha', agent.alphaOpt],
    ],
  };
}

export async function saveRlCheckpoint<S>(
  dir: string,
  agent: SoftActorCritic,
  replay: ReplayBuffer,
  state: S,
): Promise<void> {
  const tensors = new Map<string, NamedArray>();
  const { modules, optimizers } = parts(agent);
  for (const [prefix, m] of modules)
    for (const [n, t] of m.namedParameters()) tensors.set(`${prefix}.${n}`, { shape: t.shape, data: t.data });
  tensors.set('log_alpha', { shape: [1], data: agent.logAlpha.data });
  const scalars: Record<string, Record<string, number>> = {};
  for (const [prefix, o] of optimizers) {
    for (const [n, data] of o.stateTensors())
      tensors.set(`optim.${prefix}.${n}`, { shape: [data.length], data });
    scalars[prefix] = o.stateScalars();
  }
  const rb = replay.columns();
  for (const [n, col] of Object.entries(rb.data)) tensors.set(`replay.${n}`, col);
  await saveSafetensors(join(dir, CHECKPOINT_FILE), tensors, {
    state: JSON.stringify(state),
    optimizers: JSON.stringify(scalars),
    replay: JSON.stringify({ head: rb.head, size: rb.size }),
  });
}

const ReplayMetaSchema = z.object({
  head: z.number().int().nonnegative(),
  size: z.number().int().nonnegative(),
});

/**
 * Restores agent and replay buffer in place; returns the saved loop state, checked by `parseState`.
 * The metadata is checked before any tensor is loaded.
 */
export function loadRlCheckpoint<S>(
  dir: string,
  agent: SoftActorCritic,
  replay: ReplayBuffer,
  parseState: StateParser<S>,
): S {
  const path = join(dir, CHECKPOINT_FILE);
  const { tensors, metadata } = loadSafetensors(path);
  const hint = 'not an RL checkpoint?';
  const state = parseState(metadataJson(metadata, 'state', path, hint), `${path} metadata state`);
  const scalars = parseConfig(
    z.object({
      actor: OptimizerScalarsSchema,
      critic: OptimizerScalarsSchema,
      alpha: OptimizerScalarsSchema,
    }),
    metadataJson(metadata, 'optimizers', path, hint),
    `${path} metadata optimizers`,
    'optimizer states',
  );
  const { head, size } = parseConfig(
    ReplayMetaSchema,
    metadataJson(metadata, 'replay', path, hint),
    `${path} metadata replay`,
    'replay buffer position',
  );
  const group = (prefix: string): Map<string, NamedArray> => {
    const out = new Map<string, NamedArray>();
    for (const [n, t] of tensors) if (n.startsWith(prefix)) out.set(n.slice(prefix.length), t);
    return out;
  };
  const { modules, optimizers } = parts(agent);
  for (const [prefix, m] of modules) m.loadStateDict(group(`${prefix}.`), path);
  const logAlpha = tensors.get('log_alpha');
  if (!logAlpha || logAlpha.data.length !== 1) throw new RangeError(`${path}: missing log_alpha`);
  agent.logAlpha.data.set(logAlpha.data);
  for (const [prefix, o] of optimizers) {
    const st = new Map<string, Float32Array>();
    for (const [n, t] of group(`optim.${prefix}.`)) st.set(n, t.data);
    inFile(path, () => o.loadState(st, scalars[prefix as keyof typeof scalars]));
  }
  const cols: Record<string, Float32Array> = {};
  for (const [n, t] of group('replay.')) cols[n] = t.data;
  inFile(path, () => replay.restore(head, size, cols));
  return state;
}

/** The trained actor with its configuration (what `hhnet play` loads). */
export async function saveActor(dir: string, agent: SoftActorCritic, meta: unknown): Promise<void> {
  await saveSafetensors(join(dir, MODEL_FILE), modelTensors(agent.actor), {
    format: 'pt',
    hhnet: JSON.stringify(meta),
  });
}
