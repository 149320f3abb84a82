/** --backend flag handling shared by the commands that run kernels (training, simulate, bench). */
import { backendNames, setBackend } from '../kernels/index.js';
import { UserError } from './output.js';

export function selectBackend(name: string | undefined): void {
  if (name === undefined) return;
  if (!backendNames().includes(name)) {
    throw new UserError(`unknown --backend '${name}' (available: ${backendNames().join(', ')})`);
  }
  setBackend(name);
}

/** The --backend flag as every kernel-running command declares it: `.option(...BACKEND_FLAG)`. */
export const BACKEND_FLAG = [
  '--backend <name>',
  'kernel backend: wasm or js (default: wasm when it loads; env HHNET_BACKEND)',
] as const;
