/** Every file the wasm backend reads next to its modules: what a browser build copies and fetches. */
import { BUILTIN_FILES, BUILTIN_MANIFEST } from './declared.js';
import { WASM_FILES } from './module.js';

export const KERNEL_FILES: readonly string[] = [
  ...Object.values(WASM_FILES),
  ...Object.values(BUILTIN_FILES),
  BUILTIN_MANIFEST,
];
