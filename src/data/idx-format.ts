/**
 * The IDX format of MNIST and Fashion-MNIST (http://yann.lecun.com/exdb/mnist/) parsed from bytes
 * in memory, in Node (idx.ts reads the files) and in a browser. Only the unsigned-byte element
 * type is supported because that is all those data sets use; anything else is rejected loudly.
 */

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

/** IDX bytes of unsigned-byte data with these dimensions (the inverse of parseIdx). */
export function idxBytes(dims: readonly number[], data: Uint8Array): Uint8Array {
  const size = dims.reduce((a, b) => a * b, 1);
  if (dims.length < 1 || dims.length > 4)
    throw new RangeError(`IDX holds 1 to 4 dimensions, got ${dims.length}`);
  if (data.length !== size) throw new RangeError(`IDX dims [${dims}] need ${size} bytes, got ${data.length}`);
  const out = new Uint8Array(4 + 4 * dims.length + size);
  out[2] = UBYTE;
  out[3] = dims.length;
  const view = new DataView(out.buffer);
  dims.forEach((n, d) => view.setUint32(4 + 4 * d, n, false));
  out.set(data, 4 + 4 * dims.length);
  return out;
}
