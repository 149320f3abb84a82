/** A wasm backend worker thread in Node (worker-loop.ts does the work). */
import { parentPort, workerData } from 'node:worker_threads';
import type { WorkerInit } from './threads.js';
import { runWorkerLoop } from './worker-loop.js';

runWorkerLoop(workerData as WorkerInit, () => parentPort?.postMessage('ready'));
