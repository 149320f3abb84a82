#!/usr/bin/env node
// Scaling of the COBAHH network (docs/networks.md): construction time, simulation time per second
// of network time, memory and synapse storage from 4,000 to 100,000 neurons, (a) with p scaled to
// keep 80 synapses per neuron in (p = 80/N) and (b) at the published p = 0.02 up to about 10 M
// synapses. Each size runs in its own process (fresh heap, RSS measured there).
//   npm run build && node scripts/network-scaling.mjs [--duration MS] [--sizes 4000,10000,…] [--backend wasm|js]
//     [--exact-rates] (the wasm step computes every rate instead of its rate table, as the CLI's flag)
import { execFileSync } from 'node:child_process';
import process from 'node:process';
import { fileURLToPath } from 'node:url';

const args = process.argv.slice(2);
const flag = (name, fallback) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : fallback;
};
const duration = Number(flag('--duration', '100'));
const backend = flag('--backend', 'wasm');
const exactRates = args.includes('--exact-rates');

if (process.env.HHNET_SCALING_CHILD) {
  const { cobahh } = await import('../dist/src/network/index.js');
  const [n, p] = [Number(process.env.N), Number(process.env.P)];
  const t0 = performance.now();
  const b = cobahh({ neurons: n, p, backend, rateTable: backend === 'wasm' && !exactRates });
  const spikes = b.net.spikeMonitor(b.population);
  await b.net.prepare();
  const built = performance.now();
  const rssBuilt = process.memoryUsage().rss;
  b.net.run(duration);
  const ran = performance.now();
  b.net.close();
  process.stdout.write(
    JSON.stringify({
      n,
      p,
      synapses: b.net.synapses,
      bytesPerSynapse: b.net.bytesPerSynapse,
      buildSeconds: (built - t0) / 1000,
      secondsPerNetworkSecond: (ran - built) / duration,
      rateHz: spikes.count / n / (duration / 1000),
      rssMiB: Math.max(rssBuilt, process.memoryUsage().rss) / 2 ** 20,
    }) + '\n',
  );
  process.exit(0);
}

const scaled = (flag('--sizes', '4000,10000,20000,50000,100000') ?? '').split(',').map(Number);
const fixed = [4000, 8000, 16000, 22000];
const rows = [];
const run = (n, p, series) => {
  const out = execFileSync(
    process.execPath,
    [
      '--max-old-space-size=8192',
      fileURLToPath(import.meta.url),
      '--duration',
      `${duration}`,
      '--backend',
      backend,
      ...(exactRates ? ['--exact-rates'] : []),
    ],
    {
      env: { ...process.env, HHNET_SCALING_CHILD: '1', N: `${n}`, P: `${p}` },
      encoding: 'utf8',
    },
  );
  const r = { series, ...JSON.parse(out.trim().split('\n').pop()) };
  rows.push(r);
  process.stderr.write(`${series} N ${n}: ${JSON.stringify(r)}\n`);
};
for (const n of scaled) run(n, 80 / n, '80 in');
for (const n of fixed) run(n, 0.02, 'p 0.02');
console.log(
  `COBAHH, ${duration} ms of network time per size, dt 0.1 ms; load average ${(await import('node:os')).loadavg()[0].toFixed(2)} at the end\n`,
);
console.log(
  '| series | neurons | synapses | bytes/synapse | build s | s per network s | rate Hz | peak RSS MiB |',
);
console.log('| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |');
for (const r of rows)
  console.log(
    `| ${r.series} | ${r.n} | ${r.synapses} | ${r.bytesPerSynapse.toFixed(2)} | ${r.buildSeconds.toFixed(2)} | ${r.secondsPerNetworkSecond.toFixed(1)} | ${r.rateHz.toFixed(1)} | ${r.rssMiB.toFixed(0)} |`,
  );
