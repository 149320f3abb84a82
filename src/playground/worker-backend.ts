/**
 * A playground worker's kernel backend: the kernel files fetched, then the wasm backend with
 * `?threads=N` of the worker's URL (the page passes its own), or the default choice (wasm where it
 * loads, which needs cross-origin isolation; else the JavaScript reference).
 */
import {
  MAX_THREADS,
  backendDescription,
  createWasmBackend,
  getBackend,
  registerBackend,
  setBackend,
} from '../kernels/index.js';
import { KERNEL_FILES } from '../kernels/wasm/files.js';
import { preloadKernelFiles } from '../kernels/wasm/platform.browser.js';
import type { EngineReply, EngineRequest } from './protocol.js';

/** The worker's global scope, typed for the playground's messages. */
export interface WorkerScope {
  onmessage: ((event: { data: EngineRequest }) => void) | null;
  postMessage(message: EngineReply): void;
}

export function workerScope(): WorkerScope {
  return globalThis as unknown as WorkerScope;
}

export async function startWorkerBackend(workerUrl: string): Promise<{ backend: string; isolated: boolean }> {
  await preloadKernelFiles(KERNEL_FILES);
  const threads = Number(new URL(workerUrl).searchParams.get('threads') ?? NaN);
  if (Number.isInteger(threads) && threads >= 1 && threads <= MAX_THREADS) {
    registerBackend('wasm', () => createWasmBackend({ threads }));
    setBackend('wasm');
  } else getBackend();
  const isolated = (globalThis as { crossOriginIsolated?: boolean }).crossOriginIsolated === true;
  return { backend: backendDescription(), isolated };
}
