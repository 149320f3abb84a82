/** The multi-task training configuration, validated with zod so bad values fail with field names. */
import { z } from 'zod';
import { MULTI_KINDS } from '../data/multi.js';
import { MULTITASK_MODELS, trainingDefaults } from '../models/multitask.js';
import { parseConfig } from '../util/config.js';

export const TrainConfigSchema = z
  .object({
    model: z.enum(MULTITASK_MODELS),
    dataset: z.enum(MULTI_KINDS).default('multi-fashion-mnist'),
    epochs: z.number().int().positive(),
    batch: z.number().int().positive().default(128),
    seed: z.number().int().nonnegative().default(0),
    /** Time steps the static image is presented for (spec 3.1: 15). */
    T: z.number().int().positive().default(15),
    limitTrain: z.number().int().positive().nullable().default(null),
    limitTest: z.number().int().positive().nullable().default(null),
    /** Amplitude A of the fixed noise image A·N(0,1) (spec 3.3); 0 = none. */
    noise: z.number().nonnegative().default(0),
    dataDir: z.string().nullable().default(null),
    lr: z.number().positive().optional(),
    weightDecay: z.number().nonnegative().optional(),
    milestones: z.array(z.number().int().positive()).optional(),
    gamma: z.number().positive().max(1).default(0.1),
  })
  .strict();

export type TrainConfigInput = z.input<typeof TrainConfigSchema>;
export type TrainConfig = Required<z.output<typeof TrainConfigSchema>>;

/** Validates and fills the study's defaults for the model family (fc vs conv, spec 3.1). */
export function resolveTrainConfig(input: unknown, source = 'config'): TrainConfig {
  const c = parseConfig(TrainConfigSchema, input, source, 'training configuration');
  const d = trainingDefaults(c.model);
  return {
    ...c,
    lr: c.lr ?? d.lr,
    weightDecay: c.weightDecay ?? d.weightDecay,
    milestones: c.milestones ?? d.milestones,
  };
}
