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

/** The active backend in words for benchmark output, e.g. `wasm (relaxed SIMD, 2 threads)`. */
export function backendDescription(): string {
  const be = getBackend();
  if (be.name !== 'wasm') return be.name;
  const w = be as WasmBackend;
  return `wasm (${w.variant === 'relaxed' ? 'relaxed SIMD' : 'SIMD'}, ${w.threads} thread${w.threads > 1 ? 's' : ''})`;
}

export { getBackend, setBackend, backendNames, registerBackend, RESIDENT_MIN_FLOATS } from './backend.js';
export type { Backend } from './backend.js';
export { createWasmBackend, threadsFromEnv, MAX_THREADS, WASM_VARIANTS } from './wasm/index.js';
export type { WasmBackend, WasmBackendOptions, WasmVariant } from './wasm/index.js';
