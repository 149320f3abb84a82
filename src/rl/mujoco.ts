/**
 * The official MuJoCo WebAssembly build (npm mujoco-js), loaded once per process, and the model
 * XML files that ship in assets/mujoco.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { MainModule, MjData, MjModel } from 'mujoco-js';

export type { MainModule, MjData, MjModel };

let modulePromise: Promise<MainModule> | null = null;
let fileCounter = 0;

/** The MuJoCo module (instantiated on first use; ~0.1 s). */
export function mujoco(): Promise<MainModule> {
  // Imported on first use: the 11 MB module should not load with `import 'hhnet'`.
  modulePromise ??= import('mujoco-js')
    .then(({ default: loadMujoco }) => loadMujoco())
    .then((mj) => {
      mj.FS.mkdir('/hhnet');
      return mj;
    });
  return modulePromise;
}

/** Path of a bundled MJCF model (assets/mujoco/NAME). */
export function assetPath(name: string): string {
  // dist/src/rl/mujoco.js and src/rl/mujoco.ts both sit three levels below the package root.
  return fileURLToPath(new URL(`../../../assets/mujoco/${name}`, import.meta.url));
}

/** Compiles an MJCF document into a model (through MuJoCo's in-memory file system). */
export function loadModelXml(mj: MainModule, xml: string, source: string): MjModel {
  const path = `/hhnet/model${fileCounter++}.xml`;
  mj.FS.writeFile(path, xml);
  try {
    return mj.MjModel.loadFromXML(path);
  } catch (err) {
    throw new Error(`${source}: MuJoCo could not compile the model: ${describe(mj, err)}`);
  } finally {
    mj.FS.unlink(path);
  }
}

export function readAsset(name: string): string {
  return readFileSync(assetPath(name), 'utf8');
}

/** Emscripten throws C++ exceptions as numbers; ask the module for the message when it can. */
function describe(mj: MainModule, err: unknown): string {
  if (err instanceof Error) return err.message;
  const m = mj as unknown as { getExceptionMessage?: (e: unknown) => string[] };
  if (typeof err === 'number' && m.getExceptionMessage) return m.getExceptionMessage(err).join(': ');
  return String(err);
}
