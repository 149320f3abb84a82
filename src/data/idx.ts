/**
 * Reader for the IDX format used by MNIST and Fashion-MNIST (http://yann.lecun.com/exdb/mnist/).
 * Only the unsigned-byte element type is supported because that is all those data sets use;
 * anything else is rejected loudly rather than silently misread.
 */
import { readFileSync, statSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { IdxFormatError, parseIdx } from './idx-format.js';
import type { IdxArray } from './idx-format.js';

export { IdxFormatError, parseIdx } from './idx-format.js';
export type { IdxArray } from './idx-format.js';

/**
 * The most bytes an IDX file may hold, raw or after gunzip (the data sets here are under 50 MB):
 * a lying or corrupt file fails with a message instead of allocating gigabytes.
 */
export const IDX_MAX_BYTES = 256 * 2 ** 20;

/** Read an IDX file, transparently gunzipping it when it starts with the gzip magic 1f 8b. */
export function readIdx(path: string, opts: { maxBytes?: number } = {}): IdxArray {
  const maxBytes = opts.maxBytes ?? IDX_MAX_BYTES;
  const limit = `more than ${maxBytes / 2 ** 20} MiB; expected an IDX data set of at most that size`;
  let raw: Buffer;
  try {
    const info = statSync(path);
    if (!info.isFile()) throw new IdxFormatError(`${path}: not a regular file`);
    if (info.size > maxBytes) throw new IdxFormatError(`${path}: ${limit}`);
    raw = readFileSync(path);
  } catch (err) {
    if (err instanceof IdxFormatError) throw err;
    const why = (err as NodeJS.ErrnoException).code ?? (err as Error).message;
    throw new IdxFormatError(`${path}: cannot read (${why})`);
  }
  let bytes: Uint8Array = raw;
  if (raw.length >= 2 && raw[0] === 0x1f && raw[1] === 0x8b) {
    try {
      bytes = gunzipSync(raw, { maxOutputLength: maxBytes });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE')
        throw new IdxFormatError(`${path}: decompresses to ${limit}`);
      const why = err instanceof Error ? err.message : String(err);
      throw new IdxFormatError(
        `${path}: corrupted gzip data (${why}); expected a valid gzip-compressed IDX file`,
      );
    }
  }
  return parseIdx(bytes, path);
}
