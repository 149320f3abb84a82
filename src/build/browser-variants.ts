/**
 * An esbuild plugin for browser bundles: a relative import of `x.js` resolves to `x.browser.ts`
 * where that file exists next to `x.ts`. This is how Node-only modules (platform adapters: files,
 * worker_threads, the AssemblyScript compiler) get their browser counterparts.
 */
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Plugin } from 'esbuild';

export const browserVariants: Plugin = {
  name: 'hhnet-browser-variants',
  setup(build) {
    build.onResolve({ filter: /^\.\.?\/.*\.js$/ }, (args) => {
      const variant = resolve(args.resolveDir, args.path.replace(/\.js$/, '.browser.ts'));
      return existsSync(variant) ? { path: variant } : undefined;
    });
  },
};
