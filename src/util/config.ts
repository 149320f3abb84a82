/** Configuration files: JSON read from disk, checked by parseConfig (parse-config.ts). */
import { readFileSync } from 'node:fs';
import type { z } from 'zod';
import { parseConfig } from './parse-config.js';

export { parseConfig } from './parse-config.js';

/** A JSON file checked against `schema`; unreadable, non-JSON or invalid content is a RangeError naming the file. */
export function readJsonFile<S extends z.ZodType>(path: string, schema: S, what: string): z.output<S> {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new RangeError(
      `${path}: cannot read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`,
    );
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    throw new RangeError(`${path}: not valid JSON (${(e as Error).message})`);
  }
  return parseConfig(schema, value, path, what);
}
