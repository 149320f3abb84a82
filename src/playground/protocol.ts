/** Messages between the playground's pages and their engine worker (engine-worker.ts). */
import type { FiOptions, FiPoint } from '../experiments/fi-curve.js';
import type { SimulationJson, SimulationRequest } from '../sim/simulation-job.js';
import type { TrainConfig } from '../train/config.js';

/** A run of the overlay model: what its V trace and raster need. */
export interface OverlayRun {
  model: string;
  t: number[];
  v: number[][];
  spikeTimes: number[][];
}

export interface SimulateJob {
  kind: 'simulate';
  request: SimulationRequest;
  /** Another model to run with the same input, for the overlay. */
  overlay?: string;
}

export interface SimulateResult {
  kind: 'simulated';
  json: SimulationJson;
  /** simulation.json's text, as `hhnet simulate` writes it. */
  text: string;
  /** Input current of neuron 0 at the trace times (absent for stochastic inputs). */
  input?: number[];
  overlay?: OverlayRun;
  /** Wall time of the main model's run (planned and simulated, not the JSON), ms. */
  ms: number;
}

/** An F–I curve, as `hhnet fi-curve` runs it. */
export interface FiJob {
  kind: 'fi';
  options: Omit<FiOptions, 'onProgress'>;
}

export interface FiResult {
  kind: 'fi-curve';
  points: FiPoint[];
  /** Wall time of the run, ms. */
  ms: number;
}

export interface TrainJob {
  kind: 'train';
  /** As `hhnet train multitask` takes it, checked by the page (the Fashion kinds: after a FashionJob). */
  config: Pick<
    TrainConfig,
    'model' | 'dataset' | 'epochs' | 'batch' | 'seed' | 'T' | 'limitTrain' | 'limitTest'
  > &
    Partial<Pick<TrainConfig, 'lr'>>;
  /** Stop after this many batches (default: all epochs). */
  steps?: number;
}

export interface TrainResult {
  kind: 'trained';
  /** Batches trained, and whether the run was stopped before its end. */
  steps: number;
  stopped: boolean;
}

/** The official Fashion-MNIST files, as the user dropped them (gzipped or not). */
export interface FashionJob {
  kind: 'fashion';
  files: { name: string; bytes: Uint8Array }[];
}

export interface FashionResult {
  kind: 'fashion-loaded';
  /** Images kept per split (the first ones, as many as the MNIST subset has). */
  train: number;
  test: number;
}

/** The training run's model as `hhnet train multitask` saves it. */
export interface ModelJob {
  kind: 'model';
}

export interface ModelResult {
  kind: 'model-file';
  /** model.safetensors, which `hhnet evaluate` accepts. */
  bytes: Uint8Array;
  /** Epochs trained to their end. */
  epochs: number;
}

/** The control page's actor: a model.safetensors from `hhnet train rl` (control-worker.ts checks it). */
export interface ActorJob {
  kind: 'actor';
  /** The file's name, for messages. */
  name: string;
  bytes: Uint8Array;
}

export interface ActorResult {
  kind: 'actor-loaded';
  name: string;
  env: string;
  model: string;
  /** Training steps recorded in the file, and the training seed. */
  trainedSteps: number | null;
  trainingSeed: number;
  stateNoise: number;
  /** Raster rows (the hidden layer's spike trains; 0 for the ann actor) and steps T per action. */
  neurons: number;
  T: number;
}

/** One episode of the loaded actor, as `hhnet play --episodes 1 --seed SEED` runs it. */
export interface ControlJob {
  kind: 'control';
  seed: number;
  /** Simulated seconds per wall-clock second; 0: as fast as it computes. */
  speed: number;
}

export interface ControlResult {
  kind: 'controlled';
  return: number;
  length: number;
  terminated: boolean;
  stopped: boolean;
}

/** What a job reports while it runs. */
export type JobEvent =
  | { kind: 'progress'; fraction: number }
  | { kind: 'data'; train: number; test: number; batchesPerEpoch: number }
  | { kind: 'batch'; epoch: number; batch: number; loss: number; samplesPerSec: number }
  | { kind: 'epoch'; epoch: number; loss: number; acc1: number; acc2: number; seconds: number }
  | ControlFrame;

/** A control step: MuJoCo's qpos after it, the actor's spikes (T × neurons, time-major) before it. */
export interface ControlFrame {
  kind: 'frame';
  step: number;
  qpos: number[];
  observation: number[];
  action: number[];
  reward: number;
  return: number;
  spikes: Uint8Array;
}

export type EngineRequest = { id: number } & (
  SimulateJob | FiJob | TrainJob | FashionJob | ModelJob | ActorJob | ControlJob | { kind: 'stop' }
);

export type EngineReply =
  | { kind: 'ready'; backend: string; isolated: boolean }
  | { kind: 'failed'; message: string }
  | { id: number; kind: 'event'; event: JobEvent }
  | { id: number; kind: 'error'; message: string }
  | ({ id: number } & (
      SimulateResult | FiResult | TrainResult | FashionResult | ModelResult | ActorResult | ControlResult
    ));
