/** zod validation with one error that names the source, what it configures and every bad field. */
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
