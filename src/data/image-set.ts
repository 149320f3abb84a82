/**
 * A set of labelled images (MNIST, Fashion-MNIST) made from its two IDX arrays, checked; no file
 * access, so a browser page builds it from fetched bytes as Node does from files (mnist.ts).
 */
import { IdxFormatError } from './idx-format.js';
import type { IdxArray } from './idx-format.js';

export type Split = 'train' | 'test';

export interface ImageSet {
  /** count × rows × cols grey levels 0–255, row-major. */
  images: Uint8Array;
  labels: Uint8Array;
  count: number;
  rows: number;
  cols: number;
  /** Path of the image file, for messages and provenance. */
  source: string;
}

const NUM_CLASSES = 10;

/** File names (without .gz) of a split in the official MNIST / Fashion-MNIST layout. */
export function officialIdxNames(split: Split): { images: string; labels: string } {
  const prefix = split === 'train' ? 'train' : 't10k';
  return { images: `${prefix}-images-idx3-ubyte`, labels: `${prefix}-labels-idx1-ubyte` };
}

/** The image set of an IDX image array [N, rows, cols] and its label array [N] (labels 0–9). */
export function imageSetFromIdx(
  img: IdxArray,
  lab: IdxArray,
  imagePath: string,
  labelPath: string,
): ImageSet {
  if (img.dims.length !== 3) {
    throw new IdxFormatError(`${imagePath}: images have dims [${img.dims}], expected [N, rows, cols]`);
  }
  if (lab.dims.length !== 1) {
    throw new IdxFormatError(`${labelPath}: labels have dims [${lab.dims}], expected [N]`);
  }
  const [count, rows, cols] = img.dims;
  if (lab.dims[0] !== count) {
    throw new IdxFormatError(`${labelPath}: ${lab.dims[0]} labels, expected ${count} to match ${imagePath}`);
  }
  const bad = lab.data.findIndex((y) => y >= NUM_CLASSES);
  if (bad >= 0) {
    throw new IdxFormatError(
      `${labelPath}: label ${lab.data[bad]} at index ${bad}, expected 0..${NUM_CLASSES - 1}`,
    );
  }
  return { images: img.data, labels: lab.data, count, rows, cols, source: imagePath };
}
