/**
 * Where MuJoCo and its model files come from in a browser (a bundle swaps this file in for
 * mujoco-platform.ts): the playground's mujoco/ folder, next to the bundle. Nothing is fetched
 * until a page asks for MuJoCo, so only the pages that use it pay for its 11 MB module.
 */
import type { MainModule } from 'mujoco-js';

/** The playground folder holding mujoco_wasm.js and the MJCF models (src/build/playground.ts). */
export const MUJOCO_DIR = 'mujoco/';
export const MUJOCO_MODULE = 'mujoco_wasm.js';

let baseUrl = new URL(MUJOCO_DIR, import.meta.url).href;
const assets = new Map<string, string>();

/**
 * Fetches MJCF models (readAsset reads them synchronously, as in Node) from `base` (default: the
 * mujoco/ folder next to this bundle), which is also where importMujoco finds the module.
 */
export async function preloadMujocoAssets(names: readonly string[], base: string = baseUrl): Promise<void> {
  baseUrl = base;
  await Promise.all(
    names.map(async (name) => {
      const response = await fetch(new URL(name, base));
      if (!response.ok) throw new Error(`cannot fetch ${MUJOCO_DIR}${name}: HTTP ${response.status}`);
      assets.set(name, await response.text());
    }),
  );
}

/** Instantiates the MuJoCo WebAssembly module (fetched now, on first use). */
export async function importMujoco(): Promise<MainModule> {
  // A computed URL: the bundler leaves the 11 MB module out and the browser fetches it here.
  const url = new URL(MUJOCO_MODULE, baseUrl).href;
  const mod = (await import(/* webpackIgnore: true */ url)) as { default: () => Promise<MainModule> };
  return mod.default();
}

export function assetPath(name: string): string {
  return new URL(name, baseUrl).href;
}

export function readAsset(name: string): string {
  const text = assets.get(name);
  if (text === undefined) throw new Error(`${name}: not fetched; call preloadMujocoAssets first`);
  return text;
}
