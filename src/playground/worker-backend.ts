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
import type { EngineReply, EngineRequest, JobEvent } from './protocol.js';

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

/** A job the page sends (any request but 'stop'). */
export type EngineJob = Exclude<EngineRequest, { kind: 'stop' }>;

export interface WorkerService {
  /** The worker's own URL (its `?threads=N` picks the backend's threads). */
  url: string;
  /** More to load before the worker says it is ready (e.g. MuJoCo's assets). */
  prepare?: () => Promise<void>;
  /** The page asked the running job to stop. */
  onStop: () => void;
  /** Runs a job; `report` posts its progress events. */
  run: (job: EngineJob, report: (event: JobEvent) => void) => EngineReply | Promise<EngineReply>;
}

/**
 * Starts a playground worker: its backend, then `prepare`, then 'ready' (or 'failed' with the
 * reason); from then on every job goes to `run`, and a job that throws gets an 'error' reply.
 */
export function serveWorker(service: WorkerService): void {
  const scope = workerScope();
  const handle = async (message: EngineRequest): Promise<void> => {
    if (message.kind === 'stop') return service.onStop();
    const { id } = message;
    try {
      scope.postMessage(
        await service.run(message, (event) => scope.postMessage({ id, kind: 'event', event })),
      );
    } catch (err) {
      scope.postMessage({ id, kind: 'error', message: (err as Error).message });
    }
  };
  const start = async (): Promise<void> => {
    const info = await startWorkerBackend(service.url);
    await service.prepare?.();
    scope.onmessage = (event) => void handle(event.data);
    scope.postMessage({ kind: 'ready', ...info });
  };
  start().catch((err: unknown) => scope.postMessage({ kind: 'failed', message: String(err) }));
}
