/**
 * A worker thread of the many-cell cable kernel (cells-wasm.ts): instantiates the kernel over the
 * run's shared memory, steps its range of groups of cells, and posts the spikes it dropped.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { wasmApi } from '../kernels/wasm/wasm-api.js';
import type { WasmMemory, WasmModule } from '../kernels/wasm/wasm-api.js';

const init = workerData as { module: WasmModule; memory: WasmMemory; args: number[] };
const instance = new wasmApi.Instance(init.module, { env: { memory: init.memory } });
const ex = instance.exports as Record<string, (...args: number[]) => number>;
ex.setExpConstants(0);
parentPort?.postMessage(ex.run(...init.args));
