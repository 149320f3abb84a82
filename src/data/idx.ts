/**
 * Reader for the IDX format used by MNIST and Fashion-MNIST (http://yann.lecun.com/exdb/mnist/).
 * Only the unsigned-byte element type is supported because that is all those data sets use;
 * anything else is rejected loudly rather than silently misread.
 */
import { readFileSync, statSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';

export interface IdxArray {
  /** Dimension sizes, outermost first (e.g. [60000, 28, 28]). */
  dims: number[];
  /** Row-major element data, prod(dims) bytes. */
  data: Uint8Array;
}

/** Any malformed or unreadable IDX content; the message names the file and the problem. */
export class IdxFormatError extends Error {
  override name = 'IdxFormatError';
}

const UBYTE = 0x08;

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

/** Parse IDX bytes already in memory; `source` only labels error messages. */
export function parseIdx(bytes: Uint8Array, source: string): IdxArray {
  const fail = (what: string): never => {
    throw new IdxFormatError(`${source}: ${what}`);
  };
  if (bytes.length < 4) fail(`too short: ${bytes.length} bytes, expected at least a 4-byte IDX header`);
  if (bytes[0] !== 0 || bytes[1] !== 0) {
    fail(
      `bad magic: first two bytes are ${hex(bytes[0])} ${hex(bytes[1])}, expected 00 00 (not an IDX file?)`,
    );
  }
  if (bytes[2] !== UBYTE) {
    fail(`unsupported element type ${hex(bytes[2])}, expected 08 (unsigned byte)`);
  }
  const ndim = bytes[3];
  if (ndim < 1 || ndim > 4) fail(`unsupported number of dimensions ${ndim}, expected 1 to 4`);

  const headerLen = 4 + 4 * ndim;
  if (bytes.length < headerLen) {
    fail(`truncated header: ${bytes.length} bytes, expected ${headerLen} for ${ndim} dimensions`);
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const dims: number[] = [];
  let size = 1;
  for (let d = 0; d < ndim; d++) {
    const n = view.getUint32(4 + 4 * d, false); // IDX is big-endian
    dims.push(n);
    size *= n;
  }

  const have = bytes.length - headerLen;
  if (have < size) fail(`truncated: header promises ${size} data bytes, file has ${have}`);
  if (have > size)
    fail(`${have - size} trailing bytes: header promises ${size} data bytes, file has ${have}`);
  // A view, not a copy: the data sets are tens of MB and never mutated.
  return { dims, data: new Uint8Array(bytes.buffer, bytes.byteOffset + headerLen, size) };
}

function hex(b: number): string {
  return b.toString(16).padStart(2, '0');
}
