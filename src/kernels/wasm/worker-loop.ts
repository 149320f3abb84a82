/**
 * The body of a wasm backend worker, whatever starts it (worker.ts in Node, web-worker.ts in a
 * browser): instantiates hhnet.wasm over the shared memory, then sleeps on the job block and takes
 * chunks (gemm, HH population, spiking kernels, declared-model kernels, Adam) whenever the main thread publishes a job
 * (see threads.ts). Never returns.
 */
import { DeclaredChunkRunner } from './declared-threads.js';
import { instantiate } from './module.js';
import { JobBlock, WORKER_SPIN_MS, WorkerInit } from './threads.js';

export function runWorkerLoop(init: WorkerInit, announceReady: () => void): never {
  // Chunks of declared-model calls run here through this runner (declared-threads.ts).
  const ex = instantiate(init.module, init.memory, new DeclaredChunkRunner(init.memory).host);
  const board = new JobBlock(ex, init.memory, init.controlPtr);
  let seen = board.wake;
  board.markReady();
  announceReady();
  for (;;) {
    board.sleep(seen, WORKER_SPIN_MS);
    seen = board.wake;
    try {
      ex.runJob(init.controlPtr, init.scratchPtr);
    } catch {
      board.markError();
    }
  }
}
