/**
 * The wasm backend's runtime in a browser (a bundle swaps this file in for platform.ts): kernel
 * files fetched once before use (preloadKernelFiles), since the backend reads them synchronously,
 * and Web Workers (web-worker.ts, bundled as kernel-worker.js next to the page's bundle) for
 * threads. The backend waits on its workers with Atomics.wait, which a page's main thread may not
 * do, so it must itself run in a Web Worker.
 */
import type { KernelPlatform, KernelWorker } from './platform-types.js';
import type { WorkerInit } from './threads.js';

interface WebWorker {
  postMessage(message: unknown): void;
  addEventListener(type: 'message' | 'error', listener: () => void, options?: { once: boolean }): void;
  terminate(): void;
}

interface BrowserGlobals {
  Worker: new (url: URL, options: { type: 'module'; name?: string }) => WebWorker;
  navigator: { hardwareConcurrency?: number; userAgent: string };
}

const browser = globalThis as unknown as BrowserGlobals;

/** The fetched kernel files by name; null until preloadKernelFiles has run. */
let files: Map<string, Uint8Array | null> | null = null;
let baseUrl = new URL('./', import.meta.url).href;

/**
 * Fetches the kernel files (hhnet.wasm, the declared models' modules) from baseUrl (default: next
 * to this bundle). A file the server does not have (404) counts as absent, as in Node.
 */
export async function preloadKernelFiles(names: readonly string[], base: string = baseUrl): Promise<void> {
  baseUrl = base;
  const loaded = new Map<string, Uint8Array | null>();
  await Promise.all(
    names.map(async (name) => {
      const response = await fetch(new URL(name, base));
      if (response.status === 404) loaded.set(name, null);
      else if (!response.ok) throw new Error(`cannot fetch ${name}: HTTP ${response.status}`);
      else loaded.set(name, new Uint8Array(await response.arrayBuffer()));
    }),
  );
  files = loaded;
}

function startWorker(init: WorkerInit): KernelWorker {
  const worker = new browser.Worker(new URL('./kernel-worker.js', import.meta.url), {
    type: 'module',
    name: 'hhnet kernels',
  });
  const exits: (() => void)[] = [];
  let ended = false;
  const end = (): void => {
    if (ended) return;
    ended = true;
    for (const listener of exits) listener();
  };
  const started = new Promise<void>((resolve) => {
    worker.addEventListener('message', () => resolve(), { once: true });
    worker.addEventListener('error', () => {
      end();
      resolve();
    });
  });
  worker.postMessage(init);
  return {
    started,
    onExit: (listener) => void exits.push(listener),
    ref: () => undefined,
    unref: () => undefined,
    terminate() {
      worker.terminate();
      end();
    },
  };
}

export const kernelPlatform: KernelPlatform = {
  runtime: browser.navigator.userAgent,
  location: (name) => new URL(name, baseUrl).href,
  readFile(name) {
    if (!files) throw new Error('wasm backend: kernel files are not loaded (await preloadKernelFiles first)');
    if (!files.has(name)) throw new Error(`wasm backend: ${name} was not among the preloaded kernel files`);
    return files.get(name) ?? null;
  },
  enableRelaxedSimd: () => false,
  cores: () => browser.navigator.hardwareConcurrency ?? 1,
  startWorker,
};
