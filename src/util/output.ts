/**
 * Writing results: make sure an output directory is usable before long work starts, then write
 * atomically. UserError marks a failure caused by the user's input (the CLI prints its message
 * alone and exits 2).
 */
import { access, mkdir, stat } from 'node:fs/promises';
import { constants } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { writeJsonAtomic } from './atomic.js';

export class UserError extends Error {
  override name = 'UserError';
}

/** Create the output directory and check it is writable, failing with a message that says so. */
export async function prepareOutDir(dir: string): Promise<string> {
  // resolve('') is the working directory: an empty --out would scatter the results there
  if (dir.trim() === '') throw new UserError('--out: expected a directory path, got an empty string');
  try {
    await mkdirStepwise(resolve(dir));
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

/**
 * mkdir -p one level at a time: Node's recursive mkdir spins forever on paths that can never be
 * created (e.g. under /proc), where a plain mkdir fails at once with a clear code.
 */
async function mkdirStepwise(dir: string): Promise<void> {
  const info = await stat(dir).catch(() => null);
  if (info) {
    if (!info.isDirectory()) throw new Error(`${dir} exists and is not a directory`);
    return;
  }
  const parent = dirname(dir);
  if (parent !== dir) await mkdirStepwise(parent);
  await mkdir(dir).catch((err: NodeJS.ErrnoException) => {
    if (err.code !== 'EEXIST') throw err;
  });
}
