/** Messages between the playground's pages and their engine worker (engine-worker.ts). */
import type { SimulationJson, SimulationRequest } from '../sim/simulation-job.js';

export type EngineRequest = { id: number } & {
  kind: 'simulate';
  request: SimulationRequest;
  /** Another model to run with the same input, for the overlay. */
  overlay?: string;
};

/** A run of the overlay model: what its V trace and raster need. */
export interface OverlayRun {
  model: string;
  t: number[];
  v: number[][];
  spikeTimes: number[][];
}

export type EngineReply =
  | { kind: 'ready'; backend: string; isolated: boolean }
  | { kind: 'failed'; message: string }
  | { id: number; kind: 'progress'; fraction: number }
  | { id: number; kind: 'error'; message: string }
  | {
      id: number;
      kind: 'simulated';
      json: SimulationJson;
      /** simulation.json's text, as `hhnet simulate` writes it. */
      text: string;
      /** Input current of neuron 0 at the trace times (absent for stochastic inputs). */
      input?: number[];
      overlay?: OverlayRun;
      /** Wall time of the run(s), ms. */
      ms: number;
    };
