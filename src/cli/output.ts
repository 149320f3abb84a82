/** Writing command results: make sure --out is usable before long work starts, then write atomically. */
import { access, mkdir } from 'node:fs/promises';
import { constants } from 'node:fs';
import { join } from 'node:path';
import { renderSvg } from '../report/charts.js';
import type { VegaLiteSpec } from '../report/charts.js';
import { writeFileAtomic, writeJsonAtomic } from '../util/atomic.js';

export class UserError extends Error {
  override name = 'UserError';
}

/** Create the output directory and check it is writable, failing with a message that says so. */
export async function prepareOutDir(dir: string): Promise<string> {
  try {
    await mkdir(dir, { recursive: true });
    await access(dir, constants.W_OK);
  } catch (err) {
    throw new UserError(`cannot write to --out ${dir}: ${(err as Error).message}`);
  }
  return dir;
}

export async function writeJson(dir: string, name: string, value: unknown): Promise<string> {
  const path = join(dir, name);
  await writeJsonAtomic(path, value);
  return path;
}

export async function writeSvg(dir: string, name: string, spec: VegaLiteSpec): Promise<string> {
  const path = join(dir, name);
  await writeFileAtomic(path, await renderSvg(spec));
  return path;
}
