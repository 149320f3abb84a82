/** Registers the built-in backends; import this module before using getBackend(). */
import { getBackend, registerBackend } from './backend.js';
import { createJsBackend } from './js/index.js';
import { createWasmBackend, WasmBackend } from './wasm/index.js';

registerBackend('js', createJsBackend);

// One wasm backend per process (it owns a memory and worker threads), created on first use.
let wasm: WasmBackend | null = null;
registerBackend('wasm', () => (wasm ??= createWasmBackend()));

/** Resolves once the active backend's worker threads (if it has any) are up; for benchmarks. */
export async function backendReady(): Promise<void> {
  const be = getBackend();
  if (be.name === 'wasm') await (be as WasmBackend).whenThreadsReady();
}

export { getBackend, setBackend, backendNames, registerBackend, RESIDENT_MIN_FLOATS } from './backend.js';
export type { Backend } from './backend.js';
export { createWasmBackend, threadsFromEnv } from './wasm/index.js';
export type { WasmBackend, WasmBackendOptions } from './wasm/index.js';
