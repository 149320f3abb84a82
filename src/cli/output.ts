/** Writing command results: the shared helpers (util/output.ts) plus figures. */
import { join } from 'node:path';
import { renderSvg } from '../report/charts.js';
import type { VegaLiteSpec } from '../report/charts.js';
import { writeFileAtomic } from '../util/atomic.js';

export { UserError, claimRunDir, prepareOutDir, prepareResultDir, writeJson } from '../util/output.js';

export async function writeSvg(dir: string, name: string, spec: VegaLiteSpec): Promise<string> {
  const path = join(dir, name);
  await writeFileAtomic(path, await renderSvg(spec));
  return path;
}
