/**
 * multi-sources.ts in a browser bundle: there are no data files to read, so composeMulti needs
 * the source sets the page fetched (its `sources` option).
 */
import type { ImageSet, Split } from './image-set.js';
import type { ComposeOptions, MultiKind } from './multi.js';

export function loadSources(
  kind: MultiKind,
  split: Split,
  _opts: ComposeOptions,
): { a: ImageSet; b: ImageSet } {
  throw new Error(
    `composing ${kind} (${split}) in a browser needs its source images: pass them as \`sources\``,
  );
}
