/**
 * A wasm backend worker thread: instantiates hhnet.wasm over the shared memory, then sleeps on the
 * job block and takes chunks (gemm, HH population, spiking kernels, Adam) whenever the main thread
 * publishes a job (see threads.ts).
 */
import { parentPort, workerData } from 'node:worker_threads';
import { instantiate } from './module.js';
import { JobBlock, WORKER_SPIN_MS, WorkerInit } from './threads.js';

const init = workerData as WorkerInit;
const ex = instantiate(init.module, init.memory);
const board = new JobBlock(ex, init.memory, init.controlPtr);

let seen = board.wake;
board.markReady();
parentPort?.postMessage('ready');

for (;;) {
  board.sleep(seen, WORKER_SPIN_MS);
  seen = board.wake;
  try {
    ex.runJob(init.controlPtr, init.scratchPtr);
  } catch {
    board.markError();
  }
}
