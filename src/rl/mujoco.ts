/**
 * The official MuJoCo WebAssembly build (npm mujoco-js), loaded once per process (or page worker),
 * and the model XML files that ship in assets/mujoco. Where both come from is mujoco-platform.ts.
 */
import type { MainModule, MjData, MjModel } from 'mujoco-js';
import { assetPath, importMujoco, readAsset } from './mujoco-platform.js';

export type { MainModule, MjData, MjModel };
export { assetPath, readAsset };

let modulePromise: Promise<MainModule> | null = null;
let fileCounter = 0;

/** The MuJoCo module (instantiated on first use; ~0.1 s). */
export function mujoco(): Promise<MainModule> {
  modulePromise ??= importMujoco().then((mj) => {
    mj.FS.mkdir('/hhnet');
    mujocoHeapBytes(mj); // allocates its probe now, not when memory may have run out
    return mj;
  });
  // A failed load (a page that could not fetch the module) may be retried.
  modulePromise.catch(() => (modulePromise = null));
  return modulePromise;
}

/** Compiles an MJCF document into a model (through MuJoCo's in-memory file system). */
export function loadModelXml(mj: MainModule, xml: string, source: string): MjModel {
  const path = `/hhnet/model${fileCounter++}.xml`;
  mj.FS.writeFile(path, xml);
  try {
    return mj.MjModel.loadFromXML(path);
  } catch (err) {
    throw new Error(`${source}: MuJoCo could not compile the model: ${describeMujocoError(mj, err)}`);
  } finally {
    mj.FS.unlink(path);
  }
}

/** MuJoCo's WebAssembly memory limit (the build's maximum; malloc fails beyond it). */
export const MUJOCO_HEAP_LIMIT = 2 ** 31;

let heapProbe: { GetView(): Float64Array } | null = null;

/**
 * Bytes of MuJoCo's WebAssembly memory. It grows on demand up to MUJOCO_HEAP_LIMIT and never
 * shrinks, so this is the high-water mark of everything MuJoCo has held at once.
 */
export function mujocoHeapBytes(mj: MainModule): number {
  // The module does not export its memory, but any typed view into it shows its current buffer;
  // one 8-byte buffer is kept for the process to read it from.
  heapProbe ??= new mj.DoubleBuffer(1) as { GetView(): Float64Array };
  return heapProbe.GetView().buffer.byteLength;
}

/** Emscripten throws C++ exceptions as numbers; ask the module for the message when it can. */
export function describeMujocoError(mj: MainModule, err: unknown): string {
  let message = String(err);
  // Compile errors arrive as CppException with no message (MuJoCo prints it to stderr); its name
  // is MuJoCo's error class.
  if (err instanceof Error) message = err.message || err.name;
  else {
    const m = mj as unknown as { getExceptionMessage?: (e: unknown) => string[] };
    if (typeof err === 'number' && m.getExceptionMessage) message = m.getExceptionMessage(err).join(': ');
  }
  // A failed allocation surfaces as an empty or unrelated error; say what actually ran out.
  const used = mujocoHeapBytes(mj);
  if (used > MUJOCO_HEAP_LIMIT - 64 * 2 ** 20)
    message += ` (MuJoCo's WebAssembly memory is full: ${(used / 2 ** 20).toFixed(0)} of ${MUJOCO_HEAP_LIMIT / 2 ** 20} MB; an environment holds its share until close())`;
  return message;
}
