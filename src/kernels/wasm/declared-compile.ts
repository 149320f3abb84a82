/**
 * Compiling generated AssemblyScript kernels at run time (the compiler's own API, no files
 * touched) and their disk cache (HHNET_KERNEL_CACHE, default <tmpdir>/hhnet-kernels), keyed by a
 * hash of the source. Node only: a browser bundle gets declared-compile.browser.ts instead, and
 * runs the kernels the build compiled.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { writeFileAtomic } from '../../util/atomic.js';
import { envVar } from '../../util/env.js';
import type { ModuleKind } from './declared-source.js';
import { MAX_PAGES } from './module.js';
import { wasmApi } from './wasm-api.js';

const COMMON_FLAGS = [
  '-O3',
  '--noAssert',
  '--runtime',
  'stub',
  '--importMemory',
  '--maximumMemory',
  String(MAX_PAGES),
];
/** Compiler flags per module kind. */
export const ASC_FLAGS: Readonly<Record<ModuleKind, readonly string[]>> = {
  scalar: [...COMMON_FLAGS, '--initialMemory', '2'],
  simd: [...COMMON_FLAGS, '--initialMemory', '1', '--sharedMemory', '--enable', 'simd,threads'],
};

/** The AssemblyScript sources generated modules import, by the name they import them under. */
const LIBRARY = { 'vexp.ts': new URL('../../../../assembly/vexp.ts', import.meta.url) };

/** Compiles AssemblyScript source to wasm bytes with the compiler's API (no files touched). */
export async function compileAssemblyScript(source: string, kind: ModuleKind): Promise<Uint8Array> {
  let asc: typeof import('assemblyscript/asc');
  try {
    asc = await import('assemblyscript/asc');
  } catch (err) {
    throw new Error(
      `compiling a declared neuron model to wasm needs the assemblyscript package (npm install assemblyscript): ${(err as Error).message}`,
    );
  }
  const library: Record<string, string> = {};
  for (const [name, url] of Object.entries(LIBRARY)) library[name] = readFileSync(fileURLToPath(url), 'utf8');
  const files: Record<string, Uint8Array | string> = {};
  const { error, stderr } = await asc.main(['kernel.ts', '--outFile', 'kernel.wasm', ...ASC_FLAGS[kind]], {
    readFile: (name: string) => (name === 'kernel.ts' ? source : (library[name] ?? null)),
    writeFile: (name: string, contents: Uint8Array | string) => {
      files[name] = contents;
    },
    listFiles: () => [],
  });
  const bytes = files['kernel.wasm'];
  if (error || !(bytes instanceof Uint8Array))
    throw new Error(`the generated kernel did not compile: ${error?.message ?? ''}\n${stderr.toString()}`);
  if (kind === 'simd' && hasDataSection(bytes))
    throw new Error('a generated SIMD module has static data, which would overwrite the shared memory');
  return bytes;
}

/** The default disk cache of compiled kernels: HHNET_KERNEL_CACHE, else <tmpdir>/hhnet-kernels. */
export function defaultKernelCacheDir(): string {
  return envVar('HHNET_KERNEL_CACHE')?.trim() || join(tmpdir(), 'hhnet-kernels');
}

/** The cache file of a module's source (a hash of its kind and source). */
export function kernelCacheFile(source: string, kind: ModuleKind, cacheDir: string): string {
  const hash = createHash('sha256').update(kind).update(source).digest('hex').slice(0, 32);
  return join(cacheDir, `${hash}.wasm`);
}

/** A cached module's bytes, or null when absent or unusable (invalid; a SIMD module with data). */
export function readCachedKernel(source: string, kind: ModuleKind, cacheDir: string): Uint8Array | null {
  try {
    const bytes = new Uint8Array(readFileSync(kernelCacheFile(source, kind, cacheDir)));
    if (wasmApi.validate(bytes) && !(kind === 'simd' && hasDataSection(bytes))) return bytes;
  } catch {
    // not cached yet
  }
  return null;
}

/** Stores compiled bytes in the cache (an unwritable cache only costs the next process a compile). */
export async function writeCachedKernel(
  source: string,
  kind: ModuleKind,
  cacheDir: string,
  bytes: Uint8Array,
): Promise<void> {
  try {
    await mkdir(cacheDir, { recursive: true });
    await writeFileAtomic(kernelCacheFile(source, kind, cacheDir), bytes);
  } catch {
    // not cached
  }
}

/** A module's bytes from the disk cache, or compiled (compileAssemblyScript) and stored there. */
export async function cachedCompile(
  source: string,
  kind: ModuleKind,
  cacheDir: string = defaultKernelCacheDir(),
): Promise<{ bytes: Uint8Array; cached: boolean }> {
  const hit = readCachedKernel(source, kind, cacheDir);
  if (hit) return { bytes: hit, cached: true };
  const bytes = await compileAssemblyScript(source, kind);
  await writeCachedKernel(source, kind, cacheDir, bytes);
  return { bytes, cached: false };
}

/** Whether a wasm binary has a data section (id 11). */
export function hasDataSection(bytes: Uint8Array): boolean {
  let i = 8;
  while (i < bytes.length) {
    const id = bytes[i++];
    let len = 0;
    for (let shift = 0; ; shift += 7) {
      const b = bytes[i++];
      len |= (b & 0x7f) << shift;
      if (!(b & 0x80)) break;
    }
    if (id === 11 && len > 0) return true;
    i += len;
  }
  return false;
}
