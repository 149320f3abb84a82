/**
 * A network's state (Network.saveState) as bytes, exactly (float64 and int32 as they are):
 *
 *   "HHNETNET1\n", a uint32 (little-endian) header length, the JSON header
 *   { fingerprint, meta, arrays: [{ name, dtype: "f64" | "i32", length, offset }] }, padding to 8
 *   bytes, then the arrays' bytes at their offsets (8-aligned).
 *
 * Decoding checks every field and that the arrays tile the data exactly; anything else is a
 * NetworkCheckpointError naming the source, never a misread state.
 */
export class NetworkCheckpointError extends Error {
  override name = 'NetworkCheckpointError';
}

const MAGIC = 'HHNETNET1\n';

export interface NetworkCheckpoint {
  /** Network.fingerprint() of the network that wrote it. */
  fingerprint: string;
  /** What the writer wants back (e.g. the command's settings). */
  meta: Record<string, unknown>;
  arrays: Map<string, Float64Array | Int32Array>;
}

export function encodeCheckpoint(c: NetworkCheckpoint): Uint8Array {
  const entries: { name: string; dtype: 'f64' | 'i32'; length: number; offset: number }[] = [];
  let offset = 0;
  for (const [name, a] of c.arrays) {
    const dtype = a instanceof Float64Array ? 'f64' : 'i32';
    entries.push({ name, dtype, length: a.length, offset });
    offset += Math.ceil(a.byteLength / 8) * 8;
  }
  const header = new TextEncoder().encode(
    JSON.stringify({ fingerprint: c.fingerprint, meta: c.meta, arrays: entries }),
  );
  const start = Math.ceil((MAGIC.length + 4 + header.length) / 8) * 8;
  const out = new Uint8Array(start + offset);
  out.set(new TextEncoder().encode(MAGIC), 0);
  new DataView(out.buffer).setUint32(MAGIC.length, header.length, true);
  out.set(header, MAGIC.length + 4);
  for (const e of entries) {
    const a = c.arrays.get(e.name)!;
    out.set(new Uint8Array(a.buffer, a.byteOffset, a.byteLength), start + e.offset);
  }
  return out;
}

export function decodeCheckpoint(bytes: Uint8Array, source: string): NetworkCheckpoint {
  const fail = (msg: string): never => {
    throw new NetworkCheckpointError(`${source}: ${msg}`);
  };
  if (bytes.length < MAGIC.length + 4 || new TextDecoder().decode(bytes.subarray(0, MAGIC.length)) !== MAGIC)
    fail('not an hhnet network checkpoint (wrong magic bytes)');
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headerLength = view.getUint32(MAGIC.length, true);
  const headerEnd = MAGIC.length + 4 + headerLength;
  if (headerEnd > bytes.length) fail(`the header claims ${headerLength} bytes; the file is shorter`);
  let header: unknown;
  try {
    header = JSON.parse(new TextDecoder().decode(bytes.subarray(MAGIC.length + 4, headerEnd)));
  } catch (err) {
    fail(`the header is not JSON (${(err as Error).message})`);
  }
  const h = header as { fingerprint?: unknown; meta?: unknown; arrays?: unknown };
  if (typeof h?.fingerprint !== 'string') fail('the header has no fingerprint');
  if (typeof h.meta !== 'object' || h.meta === null || Array.isArray(h.meta))
    fail('the header has no meta object');
  if (!Array.isArray(h.arrays)) fail('the header has no array list');
  const start = Math.ceil(headerEnd / 8) * 8;
  const arrays = new Map<string, Float64Array | Int32Array>();
  let expected = 0;
  for (const e of h.arrays as Record<string, unknown>[]) {
    const { name, dtype, length, offset } = e ?? {};
    if (typeof name !== 'string' || arrays.has(name))
      fail(`array entry ${JSON.stringify(e)}: missing or repeated name`);
    if (dtype !== 'f64' && dtype !== 'i32')
      fail(`array "${String(name)}": dtype must be f64 or i32, got ${JSON.stringify(dtype)}`);
    if (!Number.isInteger(length) || (length as number) < 0)
      fail(`array "${String(name)}": bad length ${JSON.stringify(length)}`);
    if (offset !== expected)
      fail(`array "${String(name)}": offset ${JSON.stringify(offset)}, expected ${expected}`);
    const size = (length as number) * (dtype === 'f64' ? 8 : 4);
    if (start + expected + size > bytes.length) fail(`array "${String(name)}" runs past the end of the file`);
    // A copy with its own aligned buffer (a Buffer's slice() would be a view into a shared pool).
    const copy = new Uint8Array(size);
    copy.set(bytes.subarray(start + expected, start + expected + size));
    arrays.set(
      name as string,
      dtype === 'f64'
        ? new Float64Array(copy.buffer, 0, length as number)
        : new Int32Array(copy.buffer, 0, length as number),
    );
    expected += Math.ceil(size / 8) * 8;
  }
  if (start + expected !== bytes.length)
    fail(`${bytes.length - start - expected} bytes after the last array (truncated or corrupt file)`);
  return { fingerprint: h.fingerprint as string, meta: h.meta as Record<string, unknown>, arrays };
}
