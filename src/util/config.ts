/** zod validation with one error that names the source, what it configures and every bad field. */
import { readFileSync } from 'node:fs';
import type { z } from 'zod';

export function parseConfig<S extends z.ZodType>(
  schema: S,
  input: unknown,
  source: string,
  what: string,
): z.output<S> {
  const parsed = schema.safeParse(input);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ');
    throw new RangeError(`${source}: invalid ${what} — ${issues}`);
  }
  return parsed.data;
}

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
