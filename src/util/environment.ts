/** The machine and versions a result was produced with, for reports. */
import { cpus, platform, release, totalmem } from 'node:os';
import { createRequire } from 'node:module';
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

export function packageVersion(): string {
  const require = createRequire(import.meta.url);
  return (require('../../../package.json') as { version: string }).version;
}

export function environment(): Record<string, string> {
  const cpu = cpus();
  return {
    hhnet: packageVersion(),
    node: process.version,
    platform: `${platform()} ${release()}`,
    cpu: `${cpu.length} × ${cpu[0]?.model ?? 'unknown'}`,
    memory: `${(totalmem() / 2 ** 30).toFixed(1)} GiB`,
    // Whether glibc keeps freed memory (src/cli/relaunch.ts): large-tensor timings depend on it.
    allocator:
      process.env.MALLOC_MMAP_THRESHOLD_ !== undefined ? 'glibc, freed memory kept' : 'system default',
  };
}

let build: string | null = null;

/**
 * The package version and a fingerprint of the code that runs (the compiled modules and kernels
 * beside this one): two checkouts of one version with different code differ here, so queued runs
 * are only taken by workers that would compute the same results.
 */
export function buildId(): string {
  if (build) return build;
  const root = join(dirname(fileURLToPath(import.meta.url)), '..');
  const hash = createHash('sha256');
  const walk = (dir: string): string[] =>
    readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
      e.isDirectory() ? walk(join(dir, e.name)) : /\.(js|wasm)$/.test(e.name) ? [join(dir, e.name)] : [],
    );
  for (const file of walk(root).sort())
    hash.update(relative(root, file)).update('\0').update(readFileSync(file));
  build = `${packageVersion()}+${hash.digest('hex').slice(0, 12)}`;
  return build;
}
