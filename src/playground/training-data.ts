/**
 * The train page's data in the engine worker: the MNIST subset files shipped with the playground
 * (data/, gzipped IDX), fetched once, composed into Multi-MNIST by the same composer as Node.
 */
import { parseIdx } from '../data/idx-format.js';
import { imageSetFromIdx } from '../data/image-set.js';
import type { ImageSet, Split } from '../data/image-set.js';
import { mnistSubsetFiles } from '../data/mnist-subset.js';
import { composeMulti } from '../data/multi.js';
import type { MultiDataset } from '../data/multi.js';

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

/** Multi-MNIST from the subset: composition seed 0, the first `limit` samples (as Node's loader). */
export async function multiMnist(split: Split, limit: number | null): Promise<MultiDataset> {
  const source = await mnistSubset(split);
  return composeMulti('multi-mnist', split, {
    seed: 0,
    limit: limit ?? undefined,
    sources: { a: source, b: source },
  });
}
