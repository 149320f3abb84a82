/**
 * A worker thread of a wasm population step (wasm-step.ts): instantiates the kernel over the
 * population's shared memory, then, whenever the caller publishes a step (a new generation in the
 * control block), steps chunks of neurons (ChunkBoard: its share first) until none is left.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { wasmApi } from '../kernels/wasm/wasm-api.js';
import type { StepWorkerInit } from './wasm-step.js';
import { CTL_GEN, CTL_SLEEPING, CTL_STOP, ChunkBoard, WORKER_SPIN_MS } from './wasm-step.js';

const init = workerData as StepWorkerInit;
const instance = new wasmApi.Instance(init.module, { env: { memory: init.memory } });
const ex = instance.exports as Record<string, (...args: number[]) => number>;
ex.setExpConstants(0);
const board = new ChunkBoard(init.memory.buffer, init.ctl, init.chunks, init.threads);
const ctl = board.ctl;

/** Waits for a generation other than seen: polling first (steps follow each other closely). */
function next(seen: number): number {
  const until = performance.now() + WORKER_SPIN_MS;
  for (let k = 0; ; k++) {
    const g = Atomics.load(ctl, CTL_GEN);
    if (g !== seen) return g;
    if ((k & 63) === 63 && performance.now() >= until) {
      // Counted as sleeping before the wait checks the generation: no wake-up is lost.
      Atomics.add(ctl, CTL_SLEEPING, 1);
      Atomics.wait(ctl, CTL_GEN, seen);
      Atomics.sub(ctl, CTL_SLEEPING, 1);
    }
  }
}

parentPort?.postMessage('ready');

// A step published before this worker started may still have chunks to take.
let seen = Atomics.load(ctl, CTL_GEN);
board.work(init.thread, init.layout, ex.step);
for (;;) {
  seen = next(seen);
  if (Atomics.load(ctl, CTL_STOP)) break;
  board.work(init.thread, init.layout, ex.step);
}
