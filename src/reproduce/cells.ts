/** Table cells tied to their place in results.json. */
import type { Cell } from '../report/html.js';

/** A value shown in the report and the dotted path where results.json holds the same value. */
export function at(value: string | number | null | undefined, path: string): Cell {
  return { value: value ?? null, path };
}

/** Resolves a dotted path ("a.0.b") in a JSON document; undefined when absent. */
export function lookup(doc: unknown, path: string): unknown {
  let cur: unknown = doc;
  for (const key of path.split('.')) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<string, unknown>)[key];
  }
  return cur;
}
