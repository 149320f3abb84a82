/**
 * The safetensors format in memory (readable by PyTorch's `safetensors.torch.load_file`): an
 * 8-byte little-endian header length, a JSON header {name: {dtype, shape, data_offsets},
 * __metadata__}, then the raw little-endian tensor bytes. Only F32 is written; F32 is also all we
 * read. No file access: safetensors.ts reads and writes files, a browser page uses this directly.
 */

export interface NamedArray {
  shape: readonly number[];
  data: Float32Array;
}

export class SafetensorsError extends Error {
  override name = 'SafetensorsError';
}

export function encodeSafetensors(
  tensors: Map<string, NamedArray>,
  metadata: Record<string, string> = {},
): Uint8Array {
  const header: Record<string, unknown> = {};
  if (Object.keys(metadata).length) header.__metadata__ = metadata;
  let offset = 0;
  for (const [name, t] of tensors) {
    const count = t.shape.reduce((a, b) => a * b, 1);
    if (count !== t.data.length)
      throw new SafetensorsError(`tensor '${name}': shape [${t.shape}] ≠ ${t.data.length} values`);
    header[name] = { dtype: 'F32', shape: [...t.shape], data_offsets: [offset, offset + 4 * count] };
    offset += 4 * count;
  }
  let json = JSON.stringify(header);
  const utf8 = new TextEncoder();
  json += ' '.repeat((8 - ((8 + utf8.encode(json).length) % 8)) % 8); // align the data to 8 bytes
  const headerBytes = utf8.encode(json);
  const out = new Uint8Array(8 + headerBytes.length + offset);
  const view = new DataView(out.buffer);
  view.setBigUint64(0, BigInt(headerBytes.length), true);
  out.set(headerBytes, 8);
  let pos = 8 + headerBytes.length;
  for (const t of tensors.values()) {
    if (isLittleEndian) out.set(new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength), pos);
    else for (let i = 0; i < t.data.length; i++) view.setFloat32(pos + 4 * i, t.data[i], true);
    pos += t.data.byteLength;
  }
  return out;
}

const isLittleEndian = new Uint8Array(Uint16Array.of(1).buffer)[0] === 1;

/**
 * Decodes a safetensors file, checking it as strictly as the reference implementation: a JSON
 * object header, F32 tensors whose shapes are non-negative integers and whose offsets tile the data
 * section exactly (no gap, overlap or trailing bytes), string-valued metadata. Anything else is a
 * SafetensorsError naming `source`, the tensor and what was expected, never a misread tensor.
 */
export function decodeSafetensors(
  bytes: Uint8Array,
  source: string,
): { tensors: Map<string, NamedArray>; metadata: Record<string, string> } {
  const fail = (msg: string): never => {
    throw new SafetensorsError(`${source}: ${msg}`);
  };
  if (bytes.length < 8) fail(`not a safetensors file (only ${bytes.length} bytes)`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const declared = view.getBigUint64(0, true);
  // compared as BigInt: a length near 2^64 would round in a double
  if (declared > BigInt(bytes.length - 8))
    fail(`header length ${declared} exceeds the file size ${bytes.length}`);
  const headerLen = Number(declared);
  let header: unknown;
  try {
    header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + headerLen)));
  } catch (e) {
    return fail(`header is not valid JSON (${(e as Error).message})`);
  }
  if (!isRecord(header)) return fail(`header is ${describe(header)}, expected a JSON object`);
  const dataStart = 8 + headerLen;
  const dataLen = bytes.length - dataStart;
  const tensors = new Map<string, NamedArray>();
  const spans: { name: string; begin: number; end: number }[] = [];
  let metadata: Record<string, string> = {};
  for (const [name, entry] of Object.entries(header)) {
    if (name === '__metadata__') {
      if (!isRecord(entry) || Object.values(entry).some((v) => typeof v !== 'string'))
        fail(`__metadata__ is ${describe(entry)}, expected an object of strings`);
      metadata = entry as Record<string, string>;
      continue;
    }
    if (!isRecord(entry)) return fail(`tensor '${name}' is ${describe(entry)}, expected an object`);
    const { dtype, shape, data_offsets: offsets } = entry;
    if (dtype !== 'F32')
      fail(
        `tensor '${name}' has dtype ${typeof dtype === 'string' ? dtype : JSON.stringify(dtype)}; only F32 is supported`,
      );
    if (!Array.isArray(shape) || !shape.every(isCount))
      return fail(`tensor '${name}' has shape ${JSON.stringify(shape)}, expected non-negative integers`);
    if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every(isCount))
      return fail(
        `tensor '${name}' has data_offsets ${JSON.stringify(offsets)}, expected [begin, end] byte offsets`,
      );
    const [begin, end] = offsets as [number, number];
    const count = (shape as number[]).reduce((a, b) => a * b, 1);
    if (end - begin !== 4 * count)
      fail(`tensor '${name}': offsets [${begin}, ${end}] do not hold shape [${shape}]`);
    if (end > dataLen) fail(`tensor '${name}' runs past the end of the file (truncated?)`);
    spans.push({ name, begin, end });
    const data = new Float32Array(count);
    const dv = new DataView(bytes.buffer, bytes.byteOffset + dataStart + begin, 4 * count);
    for (let i = 0; i < count; i++) data[i] = dv.getFloat32(4 * i, true);
    tensors.set(name, { shape: shape as number[], data });
  }
  // The tensors must tile the data: an overlap would alias two tensors, a gap hides bytes.
  spans.sort((a, b) => a.begin - b.begin || a.end - b.end);
  let at = 0;
  for (const { name, begin, end } of spans) {
    if (begin < at) fail(`tensor '${name}' overlaps the bytes of another tensor`);
    if (begin > at) fail(`${begin - at} bytes before tensor '${name}' belong to no tensor`);
    at = end;
  }
  if (at !== dataLen) fail(`${dataLen - at} bytes after the last tensor belong to no tensor`);
  return { tensors, metadata };
}

function isRecord(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

const isCount = (x: unknown): x is number => Number.isSafeInteger(x) && (x as number) >= 0;

function describe(x: unknown): string {
  if (x === null) return 'null';
  if (Array.isArray(x)) return 'an array';
  return typeof x === 'object' ? 'an object' : `${typeof x} ${JSON.stringify(x)}`.slice(0, 60);
}

/**
 * The JSON value stored under `key` in a file's metadata; a SafetensorsError naming the file and
 * the key when it is missing (`hint` says what file was expected) or is not JSON.
 */
export function metadataJson(
  metadata: Record<string, string>,
  key: string,
  source: string,
  hint = '',
): unknown {
  const text = Object.hasOwn(metadata, key) ? metadata[key] : undefined;
  if (text === undefined)
    throw new SafetensorsError(`${source}: no '${key}' entry in the metadata${hint ? ` (${hint})` : ''}`);
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new SafetensorsError(`${source}: metadata '${key}' is not valid JSON (${(e as Error).message})`);
  }
}
