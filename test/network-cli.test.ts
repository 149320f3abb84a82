// `hhnet network`: the benchmark commands, network files (checked, with errors that name the file
// and the field), and the file form of COBAHH against the built-in one.
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildNetwork } from '../src/network/spec-file.js';
import { cobahh, cuba } from '../src/network/benchmarks.js';
import { loadNetworkFile, runNetworkFile } from '../src/experiments/network.js';
import { decodeCheckpoint, encodeCheckpoint } from '../src/network/checkpoint.js';
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
    // The engine it ran on: the wasm step with its default rate table (CUBA has no gates to tabulate).
    assert.deepEqual([j.backend, j.threads, j.rateTableMv], ['wasm', 1, 1 / 32]);
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

  it('YAML network files: examples/networks/cuba.yaml gives the spikes of hhnet network cuba; bad YAML is named', () => {
    const text = readFileSync(
      fileURLToPath(new URL('../../examples/networks/cuba.yaml', import.meta.url)),
      'utf8',
    )
      .replace('n: 4000', 'n: 300')
      .replace("'P[0:3200]'", "'P[0:240]'")
      .replace("'P[3200:]'", "'P[240:]'");
    const path = join(dir, 'cuba.yaml');
    writeFileSync(path, text);
    const loaded = loadNetworkFile(path);
    loaded.net.run(100);
    const built = cuba({ neurons: 300 });
    const m = built.net.spikeMonitor(built.population);
    built.net.run(100);
    assert.ok(m.count > 0);
    assert.deepEqual(Array.from(loaded.spikes[0].monitor.times), Array.from(m.times));
    writeFileSync(path, 'populations: [unclosed');
    assert.throws(() => loadNetworkFile(path), /cuba\.yaml is not valid YAML/);
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

describe('stopping and resuming a network run', () => {
  const stopAfter = (pieces: number) => {
    let n = 0;
    return async () => ++n >= pieces;
  };
  const stopped = (ms: number) => Object.assign(new Error(`stopped at ${ms}`), { name: 'Stopped' });

  it('a run stopped and resumed from its checkpoint ends with the spikes, weights and rates of a straight run', async () => {
    const file = join(dir, 'stdp.json');
    const spec = example('stdp-poisson.json');
    spec.duration = 4000;
    writeFileSync(file, JSON.stringify(spec));
    const straight = await runNetworkFile(file, undefined);
    const path = join(dir, 'stdp.ckpt');
    const settings = { file };
    await assert.rejects(
      runNetworkFile(file, undefined, {
        shouldStop: stopAfter(1), // after the first piece (100 ms of 4000): never the last, whatever the machine's speed
        stopped,
        checkpoint: { path, everyMs: 0, resume: false, settings },
      }),
      /stopped at [\d.]+/,
    );
    // stopped again after one more checkpointed piece, then to the end
    await assert.rejects(
      runNetworkFile(file, undefined, {
        shouldStop: stopAfter(1),
        stopped,
        checkpoint: { path, everyMs: 50, resume: true, settings },
      }),
      /stopped at [\d.]+/,
    );
    const resumed = await runNetworkFile(file, undefined, {
      checkpoint: { path, everyMs: 50, resume: true, settings },
    });
    assert.ok(resumed.summary.resumedAtMs > 0 && resumed.summary.resumedAtMs < 4000);
    assert.equal(existsSync(path), false, 'the checkpoint is removed when the run completes');
    assert.deepEqual(
      resumed.groups.map((g) => g.trains),
      straight.groups.map((g) => g.trains),
    );
    assert.deepEqual(
      resumed.groups.map((g) => g.rate),
      straight.groups.map((g) => g.rate),
    );
    assert.ok(straight.summary.spikes > 100);
    await assert.rejects(
      runNetworkFile(file, undefined, { checkpoint: { path, everyMs: 50, resume: true, settings } }),
      /no checkpoint at .* to resume/,
    );
    // damaged checkpoints are refused, never misread
    const good = encodeCheckpoint({
      fingerprint: 'f',
      meta: {},
      arrays: new Map([['a', Float64Array.of(1, 2)]]),
    });
    assert.deepEqual(Array.from(decodeCheckpoint(good, 'x').arrays.get('a')!), [1, 2]);
    assert.throws(
      () => decodeCheckpoint(good.subarray(0, good.length - 8), 'x'),
      /x: array "a" runs past the end/,
    );
    assert.throws(
      () => decodeCheckpoint(new TextEncoder().encode('{"json": 1}'), 'x'),
      /not an hhnet network checkpoint/,
    );
    writeFileSync(path, good);
    await assert.rejects(
      runNetworkFile(file, undefined, { checkpoint: { path, everyMs: 50, resume: true, settings } }),
      /is a run with other settings/,
    );
  });

  it("hhnet network: Ctrl-C writes a checkpoint and exits 130; --resume finishes with the straight run's spikes; a finished --out is not overwritten by accident", async () => {
    const base = [
      'network',
      'cobahh',
      '--neurons',
      '400',
      '--duration',
      '3000',
      '--backend',
      'js',
      '--quiet',
    ];
    const straightOut = join(dir, 'cobahh-straight');
    assert.equal((await runCli([...base, '--out', straightOut])).code, 0);
    const out = join(dir, 'cobahh-stop');
    const loud = base.filter((a) => a !== '--quiet');
    const child = (await import('node:child_process')).spawn(
      process.execPath,
      [
        fileURLToPath(new URL('../src/cli/main.js', import.meta.url)),
        ...loud,
        '--checkpoint-every',
        '0',
        '--out',
        out,
      ],
      { stdio: ['ignore', 'ignore', 'pipe'] },
    );
    const exited = new Promise<number | null>((r) => child.on('exit', (c) => r(c)));
    let stderr = '';
    const building = new Promise<void>((r) =>
      child.stderr.on('data', (d) => {
        stderr += d;
        if (stderr.includes('building')) r();
      }),
    );
    await building;
    await new Promise((r) => setTimeout(r, 500));
    child.kill('SIGINT');
    const code = await exited;
    assert.equal(code, 130, stderr);
    assert.match(
      stderr,
      /stopped by SIGINT at t = [\d.]+ ms of network time; the checkpoint in .* continues it \(--resume\)/,
    );
    const again = await runCli([...base, '--out', out]);
    assert.equal(again.code, 2);
    assert.match(
      again.stderr,
      /holds an unfinished network run \(network-checkpoint\.bin\); --resume continues it, --force starts over/,
    );
    const other = await runCli([...base, '--seed', '2', '--resume', '--out', out]);
    assert.equal(other.code, 2);
    assert.match(other.stderr, /is a run with other settings/);
    const resumed = await runCli([...base, '--resume', '--out', out]);
    assert.equal(resumed.code, 0, resumed.stderr);
    const spikes = (d: string) =>
      JSON.parse(readFileSync(join(d, 'network.json'), 'utf8')).groups[0].spikeTimes;
    assert.deepEqual(spikes(out), spikes(straightOut));
  });
});
