/**
 * Build step (`npm run build`, after tsc and the kernels): the browser playground in
 * dist/playground/ — ESM bundles made by esbuild from the TypeScript sources (Node-only modules
 * swapped for their .browser.ts variants), the kernel files the wasm backend fetches, and the
 * static pages. The folder works on any static host; `hhnet serve` serves it locally.
 */
import { copyFileSync, mkdirSync, readdirSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { KERNEL_FILES } from '../kernels/wasm/files.js';
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
  'app.js': 'src/playground/ui/main.ts',
};

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

const sizes = readdirSync(out)
  .map((name) => `${name} ${(statSync(join(out, name)).size / 1024).toFixed(0)} KiB`)
  .join(', ');
console.log(`playground: ${out} (${sizes})`);
