/**
 * hhnet's browser build (dist/playground/hhnet.js): the parts of the public API that run in a
 * page or a Web Worker — neuron models, simulation, stimuli, analysis, the training engine, the
 * multi-task models — on the same kernels as Node. The wasm backend must run in a Web Worker
 * (it waits on its threads with Atomics.wait) after preloadKernelFiles(KERNEL_FILES).
 */
export * from './portable.js';
export { KERNEL_FILES } from './kernels/wasm/files.js';
export { preloadKernelFiles } from './kernels/wasm/platform.browser.js';
