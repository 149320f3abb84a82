/** The multi-task training configuration, validated with zod so bad values fail with field names. */
import { z } from 'zod';
import { MULTI_KINDS } from '../data/multi.js';
import { MULTITASK_MODELS } from '../models/multitask.js';
import { parseConfig } from '../util/parse-config.js';
import { TRAIN_DEFAULTS, withStudyDefaults } from './config-defaults.js';

export const TrainConfigSchema = z
  .object({
    model: z.enum(MULTITASK_MODELS),
    dataset: z.enum(MULTI_KINDS).default(TRAIN_DEFAULTS.dataset),
    epochs: z.number().int().positive(),
    batch: z.number().int().positive().default(TRAIN_DEFAULTS.batch),
    seed: z.number().int().nonnegative().default(TRAIN_DEFAULTS.seed),
    /** Time steps the static image is presented for (spec 3.1: 15). */
    T: z.number().int().positive().default(TRAIN_DEFAULTS.T),
    limitTrain: z.number().int().positive().nullable().default(TRAIN_DEFAULTS.limitTrain),
    limitTest: z.number().int().positive().nullable().default(TRAIN_DEFAULTS.limitTest),
    /** Amplitude A of the fixed noise image A·N(0,1) (spec 3.3); 0 = none. */
    noise: z.number().nonnegative().default(TRAIN_DEFAULTS.noise),
    dataDir: z.string().nullable().default(TRAIN_DEFAULTS.dataDir),
    lr: z.number().positive().optional(),
    weightDecay: z.number().nonnegative().optional(),
    milestones: z.array(z.number().int().positive()).optional(),
    gamma: z.number().positive().max(1).default(TRAIN_DEFAULTS.gamma),
  })
  .strict();

export type TrainConfigInput = z.input<typeof TrainConfigSchema>;
export type TrainConfig = Required<z.output<typeof TrainConfigSchema>>;

/** Validates and fills the study's defaults for the model family (fc vs conv, spec 3.1). */
export function resolveTrainConfig(input: unknown, source = 'config'): TrainConfig {
  return withStudyDefaults(parseConfig(TrainConfigSchema, input, source, 'training configuration'));
}
