/**
 * The train page's data in the engine worker: the MNIST subset files shipped with the playground
 * (data/, gzipped IDX), fetched once, and the Fashion-MNIST files the user dropped onto the page,
 * composed into the multi-task sets by the same composer as Node.
 */
import { parseIdx } from '../data/idx-format.js';
import { imageSetFromIdx, officialIdxNames } from '../data/image-set.js';
import type { ImageSet, Split } from '../data/image-set.js';
import { MNIST_SUBSET, mnistSubsetFiles, subsetOf } from '../data/mnist-subset.js';
import { composeMulti } from '../data/multi.js';
import type { MultiDataset, MultiKind } from '../data/multi.js';

/** Where the build puts the subset files, next to the playground's bundles. */
export const DATA_DIR = 'data/';

interface Decompressor {
  DecompressionStream: new (format: 'gzip') => { readable: unknown; writable: unknown };
}

async function gunzip(response: Response): Promise<Uint8Array> {
  const { DecompressionStream } = globalThis as unknown as Decompressor;
  const stream = (response.body as unknown as { pipeThrough(t: unknown): unknown }).pipeThrough(
    new DecompressionStream('gzip'),
  );
  return new Uint8Array(
    await new Response(stream as ConstructorParameters<typeof Response>[0]).arrayBuffer(),
  );
}

async function fetchIdx(name: string): Promise<ReturnType<typeof parseIdx>> {
  const url = new URL(DATA_DIR + name, import.meta.url);
  const response = await fetch(url);
  if (!response.ok)
    throw new Error(`cannot fetch the training data ${url.pathname}: HTTP ${response.status}`);
  return parseIdx(await gunzip(response), name);
}

const sets = new Map<Split, Promise<ImageSet>>();

/** The MNIST subset of a split (fetched on first use). */
export function mnistSubset(split: Split): Promise<ImageSet> {
  let set = sets.get(split);
  if (!set) {
    const files = mnistSubsetFiles(split);
    set = Promise.all([fetchIdx(files.images), fetchIdx(files.labels)]).then(([img, lab]) =>
      imageSetFromIdx(img, lab, files.images, files.labels),
    );
    sets.set(split, set);
  }
  return set;
}

/** The first images of Fashion-MNIST's splits, as many as the MNIST subset has (set by loadFashion). */
let fashion: Record<Split, ImageSet> | null = null;

async function gunzipBytes(bytes: Uint8Array): Promise<Uint8Array> {
  return gunzip(new Response(bytes as unknown as ConstructorParameters<typeof Response>[0]));
}

/**
 * Reads the four official Fashion-MNIST files (from a drop or a file picker; .gz or not) and keeps
 * the first images of each split, as many as the MNIST subset has. Errors name the file.
 */
export async function loadFashion(
  files: { name: string; bytes: Uint8Array }[],
): Promise<Record<Split, number>> {
  const names = (['train', 'test'] as const).flatMap((split) => Object.values(officialIdxNames(split)));
  const found = new Map<string, { name: string; idx: ReturnType<typeof parseIdx> }>();
  for (const file of files) {
    const stem = file.name.replace(/\.gz$/, '');
    if (!names.includes(stem))
      throw new Error(
        `${file.name} is not one of the Fashion-MNIST files (${names.join(', ')}, each .gz or not)`,
      );
    const gzipped = file.bytes[0] === 0x1f && file.bytes[1] === 0x8b;
    let bytes: Uint8Array;
    try {
      bytes = gzipped ? await gunzipBytes(file.bytes) : file.bytes;
    } catch (err) {
      throw new Error(`${file.name}: not a readable gzip file (${(err as Error).message})`);
    }
    found.set(stem, { name: file.name, idx: parseIdx(bytes, file.name) });
  }
  const missing = names.filter((name) => !found.has(name));
  if (missing.length)
    throw new Error(
      `Fashion-MNIST needs all four files; missing: ${missing.join(', ')} (drop them together)`,
    );
  const set = (split: Split): ImageSet => {
    const stems = officialIdxNames(split);
    const images = found.get(stems.images) as { name: string; idx: ReturnType<typeof parseIdx> };
    const labels = found.get(stems.labels) as { name: string; idx: ReturnType<typeof parseIdx> };
    const full = imageSetFromIdx(images.idx, labels.idx, images.name, labels.name);
    if (full.count < MNIST_SUBSET[split])
      throw new Error(
        `${images.name}: ${full.count} images, expected the official ${split} split (at least ${MNIST_SUBSET[split]})`,
      );
    return subsetOf(full, MNIST_SUBSET[split]);
  };
  fashion = { train: set('train'), test: set('test') };
  return { train: fashion.train.count, test: fashion.test.count };
}

/**
 * A multi-task set from the subsets: composition seed 0, the first `limit` samples (as Node's
 * loader). The Fashion kinds need loadFashion first.
 */
export async function multiSet(kind: MultiKind, split: Split, limit: number | null): Promise<MultiDataset> {
  const needsFashion = kind !== 'multi-mnist';
  if (needsFashion && !fashion)
    throw new Error(
      `${kind} needs the Fashion-MNIST files: choose or drop the four official IDX files onto the page`,
    );
  const mnist = kind !== 'multi-fashion' ? await mnistSubset(split) : null;
  const f = fashion?.[split];
  const sources =
    kind === 'multi-mnist'
      ? { a: mnist!, b: mnist! }
      : kind === 'multi-fashion'
        ? { a: f!, b: f! }
        : { a: mnist!, b: f! };
  return composeMulti(kind, split, { seed: 0, limit: limit ?? undefined, sources });
}
