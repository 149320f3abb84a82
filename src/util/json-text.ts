/** The text of every JSON file hhnet writes (2-space indent, final newline), also in the browser. */
export function jsonText(value: unknown): string {
  return JSON.stringify(value, null, 2) + '\n';
}
