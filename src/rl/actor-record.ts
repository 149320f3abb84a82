/**
 * An actor's model.safetensors (what `hhnet train rl` writes and `hhnet play` loads), read from
 * bytes: no file access, so a browser page checks and loads a dropped file with the same rules.
 */
// A namespace import: the control page's bundle then leaves out what it does not use (zod's locales).
import * as z from 'zod';
import { NamedArray, decodeSafetensors, metadataJson } from '../io/safetensors-format.js';
import { parseConfig } from '../util/parse-config.js';
import { RlConfig, resolveRlConfig } from './config.js';

const SavedActorSchema = z.looseObject({
  config: z.unknown(),
  step: z.number().int().nonnegative().optional(),
});

const HINT = 'is this the output of `hhnet train rl`?';

/** The RL configuration and step count recorded in an actor's model.safetensors (its hhnet metadata). */
export function savedActorConfig(
  metadata: Record<string, string>,
  path: string,
): { config: RlConfig; step: number | null } {
  const raw = metadataJson(metadata, 'hhnet', path, HINT);
  const saved = parseConfig(SavedActorSchema, raw, `${path} metadata hhnet`, 'actor record');
  // A multi-task model's record has a dataset and no environment: say what the file is.
  const cfg = saved.config as Record<string, unknown> | null;
  if (cfg && typeof cfg === 'object' && 'dataset' in cfg && !('env' in cfg))
    throw new RangeError(
      `${path}: a model from \`hhnet train multitask\` (${String(cfg.model)} on ${String(cfg.dataset)}), ` +
        'not an actor from `hhnet train rl`',
    );
  return { config: resolveRlConfig(saved.config, `${path} (metadata)`), step: saved.step ?? null };
}

export interface ActorRecord {
  config: RlConfig;
  step: number | null;
  tensors: Map<string, NamedArray>;
}

/** Decodes and checks an actor's model.safetensors; errors name `source` and what was expected. */
export function readActorFile(bytes: Uint8Array, source: string): ActorRecord {
  const { tensors, metadata } = decodeSafetensors(bytes, source);
  return { ...savedActorConfig(metadata, source), tensors };
}
