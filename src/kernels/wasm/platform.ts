/**
 * The wasm backend's runtime in Node: kernel files read from next to this module, worker_threads,
 * V8's relaxed-SIMD flag. The browser counterpart is platform.browser.ts.
 */
import fs from 'node:fs';
import os from 'node:os';
import v8 from 'node:v8';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { KernelPlatform, KernelWorker } from './platform-types.js';
import type { WorkerInit } from './threads.js';

function startWorker(init: WorkerInit): KernelWorker {
  const worker = new Worker(new URL('./worker.js', import.meta.url), { workerData: init });
  const started = new Promise<void>((resolve) => {
    worker.once('message', () => resolve());
    worker.once('exit', () => resolve());
  });
  worker.on('error', () => undefined); // surfaces as 'exit'; the main thread covers its chunks
  return {
    started,
    onExit: (listener) => void worker.once('exit', listener),
    ref: () => void worker.ref(),
    unref: () => void worker.unref(),
    terminate: () => void worker.terminate(),
  };
}

export const kernelPlatform: KernelPlatform = {
  runtime: `node ${process.version}`,
  location: (name) => fileURLToPath(new URL(`./${name}`, import.meta.url)),
  readFile(name) {
    try {
      return new Uint8Array(fs.readFileSync(kernelPlatform.location(name)));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw err;
    }
  },
  // Node 20's V8 ships relaxed SIMD behind this flag (on by default from V8 11.4); it applies to
  // worker threads too.
  enableRelaxedSimd() {
    try {
      v8.setFlagsFromString('--experimental-wasm-relaxed-simd');
      return true;
    } catch {
      return false;
    }
  },
  cores: () => os.availableParallelism(),
  startWorker,
};
