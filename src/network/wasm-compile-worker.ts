/**
 * Compiles one generated wasm population step (wasm-step.ts, compileWasmStepSync) while the
 * caller blocks: replies on the port, then raises the signal word.
 */
import type { MessagePort } from 'node:worker_threads';
import { workerData } from 'node:worker_threads';

const { source, port, signal } = workerData as { source: string; port: MessagePort; signal: Int32Array };
try {
  const { compileAssemblyScript } = await import('../kernels/wasm/declared-compile.js');
  const bytes = await compileAssemblyScript(source, 'simd');
  port.postMessage({ bytes });
} catch (err) {
  port.postMessage({ error: (err as Error).message });
} finally {
  Atomics.store(signal, 0, 1);
  Atomics.notify(signal, 0);
}
