// `hhnet network`: the benchmark commands, network files (checked, with errors that name the file
// and the field), and the file form of COBAHH against the built-in one.
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildNetwork } from '../src/network/spec-file.js';
import { cobahh } from '../src/network/benchmarks.js';
import { runCli } from './helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'hhnet-network-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const example = (name: string) =>
  JSON.parse(
    readFileSync(fileURLToPath(new URL(`../../examples/networks/${name}`, import.meta.url)), 'utf8'),
  );

describe('hhnet network', () => {
  it('cuba --json prints the summary and writes network.json and network.svg', async () => {
    const out = join(dir, 'cuba');
    const r = await runCli([
      'network',
      'cuba',
      '--neurons',
      '400',
      '--duration',
      '100',
      '--json',
      '--quiet',
      '--out',
      out,
    ]);
    assert.equal(r.code, 0, r.stderr);
    const j = JSON.parse(r.stdout);
    for (const k of ['meanRateHz', 'cvIsi', 'spikes', 'synapses', 'bytesPerSynapse', 'wallSeconds'])
      assert.equal(typeof j[k], 'number', k);
    assert.ok(j.spikes > 0 && j.synapses > 2000 && j.bytesPerSynapse < 5, r.stdout);
    assert.ok(existsSync(join(out, 'network.svg')));
    const saved = JSON.parse(readFileSync(join(out, 'network.json'), 'utf8'));
    assert.equal(saved.summary.spikes, j.spikes);
    assert.equal(saved.groups[0].spikeTimes.flat().length, j.spikes);
  });

  it('network files: the file form of COBAHH gives the spikes of the built-in network', () => {
    const file = example('cobahh.json');
    file.populations.P.n = 300;
    file.projections[0].from = 'P[0:240]';
    file.projections[1].from = 'P[240:]';
    const loaded = buildNetwork(file, 'cobahh.json');
    loaded.net.run(50);
    const built = cobahh({ neurons: 300 });
    const m = built.net.spikeMonitor(built.population);
    built.net.run(50);
    assert.ok(m.count > 0);
    assert.deepEqual(Array.from(loaded.spikes[0].monitor.times), Array.from(m.times));
    assert.deepEqual(Array.from(loaded.spikes[0].monitor.indices), Array.from(m.indices));
  });

  it('bad network files exit 2 with the file and the field', async () => {
    const cases: [unknown, RegExp][] = [
      [{ populations: { P: { model: 'traub-miles', n: 'ten' } } }, /bad\.json: populations\.P\.n: .*number/],
      [
        { populations: { P: { model: 'nope', n: 3 } } },
        /bad\.json: populations\.P: population "P": unknown model "nope"/,
      ],
      [
        {
          populations: { P: { model: 'cuba-lif', n: 3 } },
          projections: [
            { from: 'Q', to: 'P', receptor: 'e', connectivity: { rule: 'all-to-all' }, weight: 1 },
          ],
        },
        /projections\[0\] \(Q → P\): unknown population "Q" \(known: P\)/,
      ],
      [
        {
          populations: { P: { model: 'traub-miles', n: 3, receptors: { ge: { tau: 5, E: 0 } } } },
          projections: [
            { from: 'P', to: 'P', receptor: 'ge', connectivity: { rule: 'probability', p: 1.2 }, weight: 1 },
          ],
        },
        /p must be in \[0, 1\], got 1\.2/,
      ],
      [
        {
          populations: { P: { model: 'traub-miles', n: 3, receptors: { ge: { tau: 5, E: 0 } } } },
          projections: [
            { from: 'P', to: 'P', receptor: 'ge', connectivity: { rule: 'all-to-all' }, weight: -6 },
          ],
        },
        /weight: -6 is outside \[0, Infinity\]/,
      ],
      [{ populations: {}, extra: 1 }, /bad\.json: \(top level\): Unrecognized key/],
    ];
    for (const [json, pattern] of cases) {
      const path = join(dir, 'bad.json');
      writeFileSync(path, JSON.stringify(json));
      const r = await runCli([
        'network',
        'run',
        path,
        '--duration',
        '1',
        '--quiet',
        '--out',
        join(dir, 'bad'),
      ]);
      assert.equal(r.code, 2, `${JSON.stringify(json)}: ${r.stderr}`);
      assert.match(r.stderr, pattern);
      assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace');
    }
    writeFileSync(join(dir, 'broken.json'), '{ "populations": ');
    const r = await runCli([
      'network',
      'run',
      join(dir, 'broken.json'),
      '--quiet',
      '--out',
      join(dir, 'bad'),
    ]);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /broken\.json is not valid JSON/);
  });
});
