/** The machine and versions a result was produced with, for reports. */
import { cpus, platform, release, totalmem } from 'node:os';
import { createRequire } from 'node:module';

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
  };
}
