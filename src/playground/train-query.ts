/**
 * The train page's state as a URL query (`?page=train&model=hh-fc&train=1024&test=256&batch=64&
 * T=15&epochs=1&seed=0`): parsing with a message per value out of range (that value takes its
 * default), writing, and the training configuration it stands for. No DOM: tested in Node.
 */
import { MNIST_SUBSET } from '../data/mnist-subset.js';
import { MULTI_KINDS } from '../data/multi.js';
import type { MultiKind } from '../data/multi.js';
import type { TrainJob } from './protocol.js';

/** The models the page trains (the study's fc networks that run well in a page). */
export const TRAIN_MODELS = ['hh-fc', 'lif-fc', 'slif2hh-fc'] as const;

export interface TrainPageState {
  model: (typeof TRAIN_MODELS)[number];
  /** Multi-MNIST (shipped), or a Fashion kind (after the user gives the Fashion-MNIST files). */
  dataset: MultiKind;
  /** Training and test samples (composed from the subsets). */
  train: number;
  test: number;
  batch: number;
  T: number;
  epochs: number;
  seed: number;
  /** Learning rate; undefined: the study's default for the model. */
  lr?: number;
  /** Stop after this many batches; undefined: train every epoch. */
  steps?: number;
}

/** Multi-MNIST composes two samples per source image. */
export const TRAIN_LIMITS = {
  train: 2 * MNIST_SUBSET.train,
  test: 2 * MNIST_SUBSET.test,
  batch: 512,
  T: 30,
  epochs: 50,
} as const;

export function defaultTrainState(): TrainPageState {
  return {
    model: 'hh-fc',
    dataset: 'multi-mnist',
    train: 1024,
    test: 256,
    batch: 64,
    T: 15,
    epochs: 1,
    seed: 0,
  };
}

type IntKey = 'train' | 'test' | 'batch' | 'T' | 'epochs' | 'seed' | 'steps';
const INT_RANGES: Readonly<Record<IntKey, readonly [number, number]>> = {
  train: [1, TRAIN_LIMITS.train],
  test: [1, TRAIN_LIMITS.test],
  batch: [1, TRAIN_LIMITS.batch],
  T: [1, TRAIN_LIMITS.T],
  epochs: [1, TRAIN_LIMITS.epochs],
  seed: [0, 2 ** 31 - 1],
  steps: [1, 1_000_000],
};

export function parseTrainQuery(query: URLSearchParams): { state: TrainPageState; problems: string[] } {
  const problems: string[] = [];
  const bad = (name: string, value: string, expected: string): void => {
    problems.push(`URL value ${name}=${value} is not ${expected}; using the default instead`);
  };
  const state = defaultTrainState();
  const model = query.get('model');
  if (model !== null) {
    if ((TRAIN_MODELS as readonly string[]).includes(model)) state.model = model as TrainPageState['model'];
    else bad('model', model, `a model the page trains (${TRAIN_MODELS.join(', ')})`);
  }
  const dataset = query.get('dataset');
  if (dataset !== null) {
    if ((MULTI_KINDS as readonly string[]).includes(dataset)) state.dataset = dataset as MultiKind;
    else bad('dataset', dataset, `a data set (${MULTI_KINDS.join(', ')})`);
  }
  for (const [key, [lo, hi]] of Object.entries(INT_RANGES) as [IntKey, readonly [number, number]][]) {
    const raw = query.get(key);
    if (raw === null) continue;
    const x = raw.trim() === '' ? NaN : Number(raw);
    if (Number.isInteger(x) && x >= lo && x <= hi) state[key] = x;
    else bad(key, raw, `an integer from ${lo} to ${hi}`);
  }
  const lr = query.get('lr');
  if (lr !== null) {
    const x = lr.trim() === '' ? NaN : Number(lr);
    if (Number.isFinite(x) && x > 0 && x <= 1) state.lr = x;
    else bad('lr', lr, 'a learning rate above 0 and at most 1');
  }
  return { state, problems };
}

export function trainQuery(state: TrainPageState): URLSearchParams {
  const q = new URLSearchParams({ page: 'train', model: state.model });
  if (state.dataset !== 'multi-mnist') q.set('dataset', state.dataset);
  for (const key of ['train', 'test', 'batch', 'T', 'epochs', 'seed'] as const)
    q.set(key, String(state[key]));
  if (state.lr !== undefined) q.set('lr', String(state.lr));
  if (state.steps !== undefined) q.set('steps', String(state.steps));
  return q;
}

/** The engine job of a state: `hhnet train multitask` settings. */
export function trainJob(state: TrainPageState): Omit<TrainJob, 'kind'> {
  return {
    config: {
      model: state.model,
      dataset: state.dataset,
      epochs: state.epochs,
      batch: state.batch,
      seed: state.seed,
      T: state.T,
      limitTrain: state.train,
      limitTest: state.test,
      ...(state.lr !== undefined ? { lr: state.lr } : {}),
    },
    steps: state.steps,
  };
}

/** The command line that trains the same network on the full data set (for the page). */
export function trainCommand(state: TrainPageState): string {
  return (
    `hhnet train multitask --model ${state.model} --dataset ${state.dataset} --epochs ${state.epochs} ` +
    `--batch ${state.batch} --T ${state.T} --seed ${state.seed}` +
    (state.lr !== undefined ? ` --lr ${state.lr}` : '')
  );
}
