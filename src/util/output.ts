/**
 * Writing results: make sure an output directory is usable before long work starts, then write
 * atomically. UserError marks a failure caused by the user's input (the CLI prints its message
 * alone and exits 2).
 */
import { access, mkdir, rm, stat } from 'node:fs/promises';
import { constants, existsSync } from 'node:fs';
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

/** What hhnet's commands write into --out: a directory holding any of these holds results. */
export const RESULT_ENTRIES = [
  'metrics.json',
  'model.safetensors',
  'checkpoint.safetensors',
  'rl.json',
  'mi.json',
  'results.json',
  'report.html',
  'parts',
  'runs',
  'simulation.json',
  'fi.json',
  'equivalence.json',
  'resources.json',
  'network.json',
  'network-checkpoint.bin',
  'cable.json',
  'sweep.json',
] as const;

/** The hhnet results already in `dir` (names from RESULT_ENTRIES), none when it does not exist. */
export function resultsIn(dir: string): string[] {
  return RESULT_ENTRIES.filter((name) => existsSync(join(dir, name)));
}

export interface RunDirOptions {
  /** --resume: continue the run whose checkpoint is in the directory. */
  resume?: boolean;
  /** --force: replace whatever results the directory holds. */
  force?: boolean;
  /** The run's checkpoint file name. */
  checkpoint: string;
}

/**
 * Prepares --out for a long run that keeps a checkpoint, and says whether to start afresh or
 * resume. Finished results are never replaced silently: a directory holding any is refused
 * unless --resume (which needs the checkpoint) or --force (which removes them first).
 */
export async function claimRunDir(dir: string, opts: RunDirOptions): Promise<'fresh' | 'resume'> {
  if (opts.resume && opts.force) throw new UserError('choose one of --resume and --force');
  await prepareOutDir(dir);
  const found = resultsIn(dir);
  if (opts.force) {
    for (const name of found) await rm(join(dir, name), { recursive: true, force: true });
    return 'fresh';
  }
  if (opts.resume) {
    if (existsSync(join(dir, opts.checkpoint))) return 'resume';
    throw new UserError(
      found.length
        ? `cannot resume ${dir}: it holds ${found.join(', ')} but no ${opts.checkpoint}; pass --force to start over, or choose another --out`
        : `cannot resume ${dir}: there is no run there (no ${opts.checkpoint}); drop --resume to start one`,
    );
  }
  if (found.length)
    throw new UserError(
      `${dir} already holds results (${found.join(', ')}); pass --resume to continue that run, --force to replace it, or choose another --out`,
    );
  return 'fresh';
}

/**
 * For quick commands whose own output may be replaced (`own`): refuses a directory that holds
 * other results unless `force`, and says on stderr which of its own files it replaces.
 */
export async function prepareResultDir(
  dir: string,
  own: readonly string[],
  opts: { force?: boolean; quiet?: boolean } = {},
): Promise<string> {
  await prepareOutDir(dir);
  const found = resultsIn(dir);
  const others = found.filter((name) => !own.includes(name));
  if (others.length && !opts.force)
    throw new UserError(
      `${dir} holds results of another command (${others.join(', ')}); pass --force to write there anyway, or choose another --out`,
    );
  const replaced = found.filter((name) => own.includes(name));
  if (replaced.length && !opts.quiet) process.stderr.write(`replacing ${replaced.join(', ')} in ${dir}\n`);
  return dir;
}
