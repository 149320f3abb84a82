/** The machine and versions a result was produced with, for reports. */
import { cpus, platform, release, totalmem } from 'node:os';
import { createRequire } from 'node:module';

export function environment(): Record<string, string> {
  const require = createRequire(import.meta.url);
  const pkg = require('../../../package.json') as { version: string };
  const cpu = cpus();
  return {
    hhnet: pkg.version,
    node: process.version,
    platform: `${platform()} ${release()}`,
    cpu: `${cpu.length} × ${cpu[0]?.model ?? 'unknown'}`,
    memory: `${(totalmem() / 2 ** 30).toFixed(1)} GiB`,
  };
}

export function packageVersion(): string {
  return environment().hhnet;
}
