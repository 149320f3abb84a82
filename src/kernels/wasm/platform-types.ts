/**
 * What the wasm backend needs from its runtime, so that it loads in Node (platform.ts: files,
 * worker_threads) and in a browser (platform.browser.ts: fetched files, Web Workers). Bundlers
 * for the browser swap platform.js for platform.browser.js (src/build/playground.ts).
 */
import type { WorkerInit } from './threads.js';

/** A thread running worker-loop.ts over the backend's shared memory. */
export interface KernelWorker {
  /** Resolves once the worker has joined the job block, or has died trying. */
  readonly started: Promise<void>;
  /** Called once when the worker ends (crashed or terminated). */
  onExit(listener: () => void): void;
  /** Whether the worker keeps the process alive (Node); no-ops where that has no meaning. */
  ref(): void;
  unref(): void;
  terminate(): void;
}

export interface KernelPlatform {
  /** The runtime in words, for messages (e.g. `node v20.11.0`). */
  readonly runtime: string;
  /** Where a file the build puts next to the kernels is (a path in Node, a URL in a browser). */
  location(name: string): string;
  /** Bytes of such a file, or null when it is absent. */
  readFile(name: string): Uint8Array | null;
  /** Lets the runtime validate relaxed SIMD where it has a switch for it; whether it could try. */
  enableRelaxedSimd(): boolean;
  /** Logical cores available to this process or page. */
  cores(): number;
  /** Starts a worker thread for the backend's job block. */
  startWorker(init: WorkerInit): KernelWorker;
}
