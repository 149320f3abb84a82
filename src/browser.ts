/**
 * hhnet's browser build (dist/playground/hhnet.js): the parts of the public API that run in a
 * page or a Web Worker — neuron models, simulation, stimuli, analysis, the training engine, the
 * multi-task models — on the same kernels as Node. The wasm backend loads after
 * `await preloadKernelFiles(KERNEL_FILES)`, in a cross-origin isolated page; with threads it must
 * run in a Web Worker (it waits on them with Atomics.wait), with one (createWasmBackend({ threads:
 * 1 })) also on a page's main thread.
 */
export * from './portable.js';
export { createWasmBackend } from './kernels/index.js';
export type { WasmBackend, WasmBackendOptions } from './kernels/index.js';
export { KERNEL_FILES } from './kernels/wasm/files.js';
export { preloadKernelFiles } from './kernels/wasm/platform.browser.js';
