/**
 * declared-compile.ts in a browser bundle: there is no AssemblyScript compiler and no disk cache
 * there, so only the kernels the build compiled (the built-in declarations) run as wasm; a model
 * declared at run time says so clearly instead of loading the compiler.
 */
import type { ModuleKind } from './declared-source.js';

export function defaultKernelCacheDir(): string {
  return '';
}

export async function cachedCompile(
  _source: string,
  _kind: ModuleKind,
  _cacheDir?: string,
): Promise<{ bytes: Uint8Array; cached: boolean }> {
  throw new Error(
    'compiling a neuron model declared at run time to wasm needs Node (the AssemblyScript compiler); ' +
      'in the browser the built-in models run as wasm and others on the reference kernels',
  );
}
