// Records test/fixtures/golden-hand-built.json: the cases of test/golden-cases.ts run on the
// hand-written simulation models (hhModel, lifModel, tvlifModel, tvlif2hhModel,
// SLIF2HHPopulation), which the declarations replace. It constructs those models directly, never
// through createPopulation, so it cannot record the code under test; it is deleted together with
// the last of them, and the fixture stays as the record.
//   npm run build && node scripts/record-golden-hand-built.mjs
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';

const dist = new URL('../dist/', import.meta.url);
const load = (path) => import(new URL(path, dist).href);
const { goldenCases, caseKey, runCase } = await load('test/golden-cases.js');
const { OdePopulation } = await load('src/sim/population.js');
const { hhModel } = await load('src/neurons/hh.js');
const { lifModel, tvlifModel } = await load('src/neurons/lif.js');
const { tvlif2hhModel } = await load('src/neurons/tvlif2hh.js');
const { SLIF2HHPopulation } = await load('src/neurons/slif2hh.js');

const handWritten = {
  hh: (p) => hhModel(p, 'shifted'),
  'hh-modern': (p) => hhModel(p, 'modern'),
  lif: (p) => lifModel(p),
  tvlif: (p) => tvlifModel(p),
  tvlif2hh: (p) => tvlif2hhModel(p),
};

const runs = {};
for (const c of goldenCases()) {
  const pop =
    c.model === 'slif2hh'
      ? new SLIF2HHPopulation(1, c.params)
      : new OdePopulation(handWritten[c.model](c.params), 1, c.integrator);
  runs[caseKey(c)] = runCase(pop, c);
}
const commit = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { encoding: 'utf8' }).trim();
const out = new URL('../test/fixtures/golden-hand-built.json', import.meta.url);
writeFileSync(out, `${JSON.stringify({ recordedAt: commit, runs }, null, 1)}\n`);
console.log(`${Object.keys(runs).length} runs written to ${out.pathname}`);
