/**
 * Build step (`npm run build`, after tsc and the kernels): the browser playground in
 * dist/playground/ — ESM bundles made by esbuild from the TypeScript sources (Node-only modules
 * swapped for their .browser.ts variants), the kernel files the wasm backend fetches, the static
 * pages, the train page's MNIST subset (data/), and for the control page only MuJoCo's module with
 * the pendulum models (mujoco/) and the shipped actor (checkpoints/). The folder works on any
 * static host; `hhnet serve` serves it locally.
 */
import { copyFileSync, cpSync, mkdirSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { build } from 'esbuild';
import { idxBytes } from '../data/idx-format.js';
import { loadMnist } from '../data/mnist.js';
import { MNIST_SUBSET, mnistSubsetFiles, subsetOf } from '../data/mnist-subset.js';
import { KERNEL_FILES } from '../kernels/wasm/files.js';
import { MUJOCO_DIR, MUJOCO_MODULE } from '../rl/mujoco-platform.browser.js';
import { browserVariants } from './browser-variants.js';

const root = fileURLToPath(new URL('../../../', import.meta.url));
const out = join(root, 'dist/playground');
const kernelsDir = join(root, 'dist/src/kernels/wasm');
const staticDir = join(root, 'src/playground/static');

/** Bundle name → its entry module. */
const BUNDLES: Readonly<Record<string, string>> = {
  'hhnet.js': 'src/browser.ts',
  'kernel-worker.js': 'src/kernels/wasm/web-worker.ts',
  'engine-worker.js': 'src/playground/engine-worker.ts',
  'control-worker.js': 'src/playground/control-worker.ts',
  'app.js': 'src/playground/ui/main.ts',
};

/** Bytes of a file, or of the files in a folder. */
function folderBytes(path: string): number {
  const info = statSync(path);
  if (!info.isDirectory()) return info.size;
  return readdirSync(path).reduce((sum, name) => sum + folderBytes(join(path, name)), 0);
}

rmSync(out, { recursive: true, force: true });
mkdirSync(out, { recursive: true });
await build({
  entryPoints: Object.entries(BUNDLES).map(([name, entry]) => ({
    in: join(root, entry),
    out: name.replace(/\.js$/, ''),
  })),
  outdir: out,
  bundle: true,
  format: 'esm',
  platform: 'browser',
  target: 'es2022',
  minify: true,
  plugins: [browserVariants],
  logLevel: 'warning',
});
for (const name of KERNEL_FILES) copyFileSync(join(kernelsDir, name), join(out, name));
for (const name of readdirSync(staticDir)) copyFileSync(join(staticDir, name), join(out, name));
// The train page's data: the MNIST subset as gzipped IDX files (the playground's DATA_DIR).
mkdirSync(join(out, 'data'));
for (const split of ['train', 'test'] as const) {
  const set = subsetOf(loadMnist(split), MNIST_SUBSET[split]);
  const files = mnistSubsetFiles(split);
  const gz = (bytes: Uint8Array): Uint8Array => gzipSync(bytes, { level: 9 });
  writeFileSync(join(out, 'data', files.images), gz(idxBytes([set.count, set.rows, set.cols], set.images)));
  writeFileSync(join(out, 'data', files.labels), gz(idxBytes([set.count], set.labels)));
}

// The control page's files: MuJoCo (imported by control-worker.js at run time, so no bundle holds
// it), the MJCF models it compiles, and the actor it runs by default.
mkdirSync(join(out, MUJOCO_DIR));
copyFileSync(join(root, 'node_modules/mujoco-js/dist', MUJOCO_MODULE), join(out, MUJOCO_DIR, MUJOCO_MODULE));
for (const name of readdirSync(join(root, 'assets/mujoco')))
  copyFileSync(join(root, 'assets/mujoco', name), join(out, MUJOCO_DIR, name));
cpSync(join(root, 'assets/checkpoints'), join(out, 'checkpoints'), { recursive: true });

const folders = ['data', 'mujoco', 'checkpoints'];
const sizes = [...readdirSync(out).filter((n) => !folders.includes(n)), ...folders]
  .map((name) => `${name} ${(folderBytes(join(out, name)) / 1024).toFixed(0)} KiB`)
  .join(', ');
console.log(`playground: ${out} (${sizes})`);
