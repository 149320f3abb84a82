/**
 * A wasm backend worker in a browser (bundled as kernel-worker.js): the first message is its
 * WorkerInit (module and shared memory); worker-loop.ts does the work.
 */
import type { WorkerInit } from './threads.js';
import { runWorkerLoop } from './worker-loop.js';

interface WorkerScope {
  onmessage: ((event: { data: WorkerInit }) => void) | null;
  postMessage(message: unknown): void;
}

const scope = globalThis as unknown as WorkerScope;
scope.onmessage = (event) => {
  scope.onmessage = null;
  runWorkerLoop(event.data, () => scope.postMessage('ready'));
};
