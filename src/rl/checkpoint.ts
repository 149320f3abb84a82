/**
 * RL checkpoints: one safetensors file with the actor, critics, targets, log α, the three Adam
 * states and the replay buffer, plus (in the metadata) the loop state — step, episode in progress,
 * physics state, random generators and history — so a resumed run continues exactly. The actor
 * alone goes to model.safetensors (PyTorch state_dict names) for `hhnet play`.
 */
import { join } from 'node:path';
import { NamedArray, loadSafetensors, saveSafetensors } from '../io/safetensors.js';
import { Module } from '../nn/module.js';
import { Optimizer } from '../optim/optimizer.js';
import { CHECKPOINT_FILE, MODEL_FILE, modelTensors } from '../train/checkpoint.js';
import { ReplayBuffer } from './replay.js';
import { SoftActorCritic } from './sac.js';

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

/** Restores agent and replay buffer in place; returns the saved loop state. */
export function loadRlCheckpoint<S>(dir: string, agent: SoftActorCritic, replay: ReplayBuffer): S {
  const path = join(dir, CHECKPOINT_FILE);
  const { tensors, metadata } = loadSafetensors(path);
  const group = (prefix: string): Map<string, NamedArray> => {
    const out = new Map<string, NamedArray>();
    for (const [n, t] of tensors) if (n.startsWith(prefix)) out.set(n.slice(prefix.length), t);
    return out;
  };
  const { modules, optimizers } = parts(agent);
  for (const [prefix, m] of modules) m.loadStateDict(group(`${prefix}.`), path);
  const logAlpha = tensors.get('log_alpha');
  if (!logAlpha || logAlpha.data.length !== 1) throw new Error(`${path}: missing log_alpha`);
  agent.logAlpha.data.set(logAlpha.data);
  if (!metadata.state || !metadata.optimizers || !metadata.replay)
    throw new Error(`${path}: not an RL checkpoint (metadata state/optimizers/replay missing)`);
  const scalars = JSON.parse(metadata.optimizers) as Record<string, Record<string, number>>;
  for (const [prefix, o] of optimizers) {
    const st = new Map<string, Float32Array>();
    for (const [n, t] of group(`optim.${prefix}.`)) st.set(n, t.data);
    o.loadState(st, scalars[prefix] ?? {});
  }
  const { head, size } = JSON.parse(metadata.replay) as { head: number; size: number };
  const cols: Record<string, Float32Array> = {};
  for (const [n, t] of group('replay.')) cols[n] = t.data;
  replay.restore(head, size, cols);
  return JSON.parse(metadata.state) as S;
}

/** The trained actor with its configuration (what `hhnet play` loads). */
export async function saveActor(dir: string, agent: SoftActorCritic, meta: unknown): Promise<void> {
  await saveSafetensors(join(dir, MODEL_FILE), modelTensors(agent.actor), {
    format: 'pt',
    hhnet: JSON.stringify(meta),
  });
}
