/**
 * Compiling a module with V8's optimising compiler up front. V8 compiles wasm lazily with its
 * baseline compiler (Liftoff) and switches a function to optimised code only for its later calls;
 * a kernel that runs a whole simulation in one call (the cable kernels) would stay on baseline code
 * for it — measured 3–5× slower for the single-cell kernel, ~1.4× for the many-cell one. The flags
 * are set around the compile and put back to V8's defaults unless the process was started with
 * them.
 */
import v8 from 'node:v8';
import { wasmApi } from './wasm-api.js';
import type { WasmModule } from './wasm-api.js';

export function compileEager(bytes: Uint8Array): WasmModule {
  const given = process.execArgv.join(' ');
  const flags = ['liftoff', 'wasm-lazy-compilation'].filter((f) => !given.includes(f));
  for (const f of flags) v8.setFlagsFromString(`--no-${f}`);
  try {
    return new wasmApi.Module(bytes);
  } finally {
    for (const f of flags) v8.setFlagsFromString(`--${f}`);
  }
}
