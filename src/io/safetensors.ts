/**
 * The safetensors format (readable by PyTorch's `safetensors.torch.load_file`): an 8-byte
 * little-endian header length, a JSON header {name: {dtype, shape, data_offsets}, __metadata__},
 * then the raw little-endian tensor bytes. Only F32 is written; F32 is also all we read. Files
 * here; the format itself (no file access, also in a browser) in safetensors-format.ts.
 */
import { readFileSync } from 'node:fs';
import { writeFileAtomic } from '../util/atomic.js';
import { SafetensorsError, decodeSafetensors, encodeSafetensors } from './safetensors-format.js';
import type { NamedArray } from './safetensors-format.js';

export {
  SafetensorsError,
  decodeSafetensors,
  encodeSafetensors,
  metadataJson,
} from './safetensors-format.js';
export type { NamedArray } from './safetensors-format.js';

export async function saveSafetensors(
  path: string,
  tensors: Map<string, NamedArray>,
  metadata?: Record<string, string>,
): Promise<void> {
  await writeFileAtomic(path, encodeSafetensors(tensors, metadata));
}

export function loadSafetensors(path: string): {
  tensors: Map<string, NamedArray>;
  metadata: Record<string, string>;
} {
  let bytes: Buffer;
  try {
    bytes = readFileSync(path);
  } catch (e) {
    throw new SafetensorsError(
      `${path}: cannot read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`,
    );
  }
  return decodeSafetensors(bytes, path);
}
