/**
 * Where MuJoCo and its model files come from in Node: npm mujoco-js and assets/mujoco on disk.
 * A browser bundle swaps in mujoco-platform.browser.ts (the files fetched from the playground).
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { MainModule } from 'mujoco-js';

/** Instantiates the MuJoCo WebAssembly module. */
export async function importMujoco(): Promise<MainModule> {
  // Imported on first use: the 11 MB module should not load with `import 'hhnet'`.
  const { default: loadMujoco } = await import('mujoco-js');
  return loadMujoco();
}

/** Path of a bundled MJCF model (assets/mujoco/NAME). */
export function assetPath(name: string): string {
  // dist/src/rl/ and src/rl/ both sit three levels below the package root.
  return fileURLToPath(new URL(`../../../assets/mujoco/${name}`, import.meta.url));
}

/** The text of a bundled MJCF model. */
export function readAsset(name: string): string {
  return readFileSync(assetPath(name), 'utf8');
}
