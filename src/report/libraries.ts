/**
 * The browser builds of vega, vega-lite and vega-embed, read from the installed packages so the
 * report can inline them and render interactive charts offline.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, sep } from 'node:path';

const BUILDS: [pkg: string, file: string][] = [
  ['vega', 'build/vega.min.js'],
  ['vega-lite', 'build/vega-lite.min.js'],
  ['vega-embed', 'build/vega-embed.min.js'],
];

/** The package's root directory (its exports map may hide package.json, so walk up from main). */
function packageRoot(pkg: string): string {
  const main = createRequire(import.meta.url).resolve(pkg);
  const marker = `${sep}node_modules${sep}${pkg}${sep}`;
  const at = main.lastIndexOf(marker);
  return at >= 0 ? main.slice(0, at + marker.length - 1) : dirname(dirname(main));
}

export function chartLibraries(): string[] {
  return BUILDS.map(([pkg, file]) => {
    const path = join(packageRoot(pkg), file);
    try {
      return readFileSync(path, 'utf8');
    } catch (err) {
      throw new Error(
        `cannot read ${path} for the interactive report (${(err as Error).message}); run npm ci`,
      );
    }
  });
}
