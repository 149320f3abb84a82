/**
 * The slice of the WebAssembly JS API the wasm backend uses. The project compiles against
 * lib ES2022 + @types/node, neither of which declares the WebAssembly namespace, so it is typed
 * here once instead of pulling in the DOM lib.
 */

/** A compiled module (opaque; can be sent to worker threads). */
export interface WasmModule {
  readonly __wasmModule?: never;
}

/** A linear memory; shared ones are backed by a SharedArrayBuffer. */
export interface WasmMemory {
  readonly buffer: ArrayBuffer | SharedArrayBuffer;
  grow(deltaPages: number): number;
}

export interface WasmInstance {
  readonly exports: Record<string, unknown>;
}

interface WasmApi {
  Module: new (bytes: Uint8Array) => WasmModule;
  Instance: new (module: WasmModule, imports: Record<string, Record<string, unknown>>) => WasmInstance;
  validate(bytes: Uint8Array): boolean;
  Memory: new (descriptor: { initial: number; maximum?: number; shared?: boolean }) => WasmMemory;
}

/** globalThis.WebAssembly, typed. */
export const wasmApi: WasmApi = (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly;
