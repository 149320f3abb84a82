/**
 * The training configuration's defaults, without the zod schema (config.ts) that validates files
 * and flags, so the browser playground fills a configuration it checked itself the same way.
 */
import type { MultiKind } from '../data/multi.js';
import { trainingDefaults } from '../models/multitask.js';
import type { TrainConfig } from './config.js';

export const TRAIN_DEFAULTS = {
  dataset: 'multi-fashion-mnist' as MultiKind,
  batch: 128,
  seed: 0,
  /** Time steps the static image is presented for (spec 3.1: 15). */
  T: 15,
  limitTrain: null as number | null,
  limitTest: null as number | null,
  /** Amplitude A of the fixed noise image A·N(0,1) (spec 3.3); 0 = none. */
  noise: 0,
  dataDir: null as string | null,
  gamma: 0.1,
};

type Optional = 'lr' | 'weightDecay' | 'milestones';

/** A checked configuration completed with the study's defaults for the model family (spec 3.1). */
export function withStudyDefaults(
  c: Omit<TrainConfig, Optional> & Partial<Pick<TrainConfig, Optional>>,
): TrainConfig {
  const d = trainingDefaults(c.model);
  // One key order wherever the configuration comes from, so the JSON saved with a model is the
  // same text for the same settings (model.safetensors from a page equals the command line's).
  return {
    model: c.model,
    dataset: c.dataset,
    epochs: c.epochs,
    batch: c.batch,
    seed: c.seed,
    T: c.T,
    limitTrain: c.limitTrain,
    limitTest: c.limitTest,
    noise: c.noise,
    dataDir: c.dataDir,
    lr: c.lr ?? d.lr,
    weightDecay: c.weightDecay ?? d.weightDecay,
    milestones: c.milestones ?? d.milestones,
    gamma: c.gamma,
  };
}
