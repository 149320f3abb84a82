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
  return {
    ...c,
    lr: c.lr ?? d.lr,
    weightDecay: c.weightDecay ?? d.weightDecay,
    milestones: c.milestones ?? d.milestones,
  };
}
