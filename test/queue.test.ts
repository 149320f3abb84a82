// Sweeps over BullMQ on a real Redis (src/reproduce/queue.ts, hhnet sweep --queue, hhnet worker):
// workers train every run and the coordinator aggregates; a second sweep enqueues nothing; a run
// that fails once is retried, one that always fails is reported; a worker that dies mid-run loses
// its job to another worker, which resumes from the checkpoint; and the two commands end to end.
// Redis is started here on 127.0.0.1 (a free port) and stopped after; without redis-server
// (Debian package redis-server) the tests are skipped with a message.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Queue } from 'bullmq';
import { QUEUE_NAME, parseQueueUrl, runQueuedSweep, startWorker } from '../src/reproduce/queue.js';
import type { WorkerDeps } from '../src/reproduce/queue.js';
import { parseSweep } from '../src/reproduce/sweep.js';
import { runCli } from './helpers.js';

const haveRedis = spawnSync('redis-server', ['--version']).status === 0;
const skip = haveRedis ? false : 'redis-server is not installed (apt-get install redis-server)';
const dir = mkdtempSync(join(tmpdir(), 'hhnet-queue-'));
let redis: ChildProcess | null = null;
let url = '';

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
    s.on('error', reject);
  });
}

/** A fake trainer that writes a finished metrics.json (accuracy from the seed). */
function fakeTrainer(
  opts: { fail?: (args: string[], calls: number) => boolean; hang?: (args: string[]) => boolean } = {},
) {
  const calls: string[][] = [];
  const run: WorkerDeps['runTraining'] = async (args, runDir) => {
    calls.push(args);
    mkdirSync(runDir, { recursive: true });
    if (opts.hang?.(args)) {
      writeFileSync(join(runDir, 'checkpoint.safetensors'), 'x');
      return new Promise(() => {}); // a worker that never comes back
    }
    if (opts.fail?.(args, calls.filter((c) => c.join() === args.join()).length))
      return { code: 1, stderr: 'Error: out of memory\n' };
    const at = (f: string) => args[args.indexOf(f) + 1];
    const seed = Number(at('--seed'));
    const config = {
      model: at('--model'),
      seed,
      noise: Number(at('--noise')),
      epochs: Number(at('--epochs')),
    };
    const epochs = [{ epoch: 1, loss: 1, acc1: 50 + seed, acc2: 40, seconds: 1 }];
    writeFileSync(join(runDir, 'metrics.json'), JSON.stringify({ config, epochs }));
    return { code: 0, stderr: '' };
  };
  return { run, calls };
}

const quiet = { log: () => {} };

async function drain(): Promise<void> {
  const q = new Queue(QUEUE_NAME, { connection: parseQueueUrl(url) });
  await q.obliterate({ force: true });
  await q.close();
}

describe('sweeps over a BullMQ queue in Redis', { skip }, () => {
  before(async () => {
    const port = await freePort();
    redis = spawn(
      'redis-server',
      ['--port', `${port}`, '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
      {
        stdio: 'ignore',
      },
    );
    url = `redis://127.0.0.1:${port}`;
    for (let k = 0; k < 100; k++) {
      if (
        spawnSync('redis-cli', ['-p', `${port}`, 'ping'])
          .stdout?.toString()
          .includes('PONG')
      )
        return;
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error('redis-server did not start');
  });
  after(() => {
    redis?.kill('SIGTERM');
  });

  it('two workers train every run; the coordinator aggregates; a second sweep enqueues nothing', async () => {
    await drain();
    const config = parseSweep({ experiment: 'multitask', models: ['hh-fc', 'lif-fc'], seeds: [0, 1, 2] });
    const a = fakeTrainer();
    const b = fakeTrainer();
    const workers = [
      await startWorker(url, { ...quiet, runTraining: a.run }),
      await startWorker(url, { ...quiet, runTraining: b.run }),
    ];
    const out = join(dir, 'two');
    const report = await runQueuedSweep(config, out, url, quiet);
    assert.equal(a.calls.length + b.calls.length, 6);
    assert.ok(report.runs.every((r) => r.status === 'done'));
    assert.deepEqual(
      report.aggregates.map((x) => [x.model, x.metrics.acc1.n, x.metrics.acc1.mean]),
      [
        ['hh-fc', 3, 51],
        ['lif-fc', 3, 51],
      ],
    );
    const again = await runQueuedSweep(config, out, url, quiet);
    assert.equal(a.calls.length + b.calls.length, 6, 'nothing trained twice');
    assert.ok(again.runs.every((r) => r.readBack));
    await Promise.all(workers.map((w) => w.close()));
  });

  it('a run failing once is retried; one failing every attempt is reported and left out', async () => {
    await drain();
    const config = parseSweep({ experiment: 'multitask', models: ['hh-fc', 'lif-fc'], seeds: [0] });
    const t = fakeTrainer({ fail: (args, n) => args.includes('lif-fc') || n === 1 });
    const worker = await startWorker(url, { ...quiet, runTraining: t.run });
    const lines: string[] = [];
    const report = await runQueuedSweep(
      config,
      join(dir, 'retry'),
      url,
      { log: (l) => lines.push(l) },
      {
        attempts: 2,
        backoffMs: 50,
      },
    );
    assert.ok(
      lines.some((l) =>
        /^hh-fc-noise0-seed0: attempt 1 of 2 failed \(exit 1: Error: out of memory\); retrying$/.test(l),
      ),
      lines.join('\n'),
    );
    const byId = Object.fromEntries(report.runs.map((r) => [r.model, r]));
    assert.equal(byId['hh-fc'].status, 'done');
    assert.equal(byId['lif-fc'].status, 'failed');
    assert.match(byId['lif-fc'].error!, /out of memory/);
    assert.equal(t.calls.filter((c) => c.includes('lif-fc')).length, 2, 'two attempts');
    assert.equal(report.aggregates.find((x) => x.model === 'lif-fc')!.failed, 1);
    await worker.close();
  });

  it('a worker of another hhnet build refuses the job, stops taking jobs, and the job goes to another', async () => {
    await drain();
    const config = parseSweep({ experiment: 'multitask', models: ['hh-fc'], seeds: [0, 1] });
    const refused: string[] = [];
    const stranger = fakeTrainer();
    const other = await startWorker(
      url,
      { ...quiet, runTraining: stranger.run, onWrongBuild: (m) => refused.push(m) },
      { build: '0.0.1+other' },
    );
    const sweep = runQueuedSweep(
      config,
      join(dir, 'builds'),
      url,
      { ...quiet, build: '0.1.0+mine' },
      { attempts: 3, backoffMs: 50 },
    );
    for (let k = 0; k < 200 && refused.length === 0; k++) await new Promise((r) => setTimeout(r, 25));
    assert.equal(refused.length, 1, 'the stranger refused once, then stopped taking jobs');
    assert.match(refused[0], /enqueued by hhnet 0\.1\.0\+mine, but this worker runs hhnet 0\.0\.1\+other/);
    const good = fakeTrainer();
    const mine = await startWorker(url, { ...quiet, runTraining: good.run }, { build: '0.1.0+mine' });
    const report = await sweep;
    assert.ok(report.runs.every((r) => r.status === 'done'));
    assert.equal(stranger.calls.length, 0, 'the stranger trained nothing');
    assert.equal(good.calls.length, 2);
    await Promise.all([other.close(), mine.close()]);
  });

  it('a worker that dies mid-run loses the job to another, which resumes from its checkpoint', async () => {
    await drain();
    const config = parseSweep({ experiment: 'multitask', models: ['hh-fc'], seeds: [0] });
    const tuning = { lockDurationMs: 1000, stalledIntervalMs: 300 };
    const dying = fakeTrainer({ hang: () => true });
    const first = await startWorker(url, { ...quiet, runTraining: dying.run }, tuning);
    const sweep = runQueuedSweep(config, join(dir, 'stalled'), url, quiet, tuning);
    while (dying.calls.length === 0) await new Promise((r) => setTimeout(r, 20));
    await first.close(true); // gone without finishing its job (its lock is no longer renewed)
    const rescuer = fakeTrainer();
    const second = await startWorker(url, { ...quiet, runTraining: rescuer.run }, tuning);
    const report = await sweep;
    assert.equal(report.runs[0].status, 'done');
    assert.equal(rescuer.calls.length, 1);
    assert.ok(
      rescuer.calls[0].includes('--resume'),
      `resumed from the checkpoint: ${rescuer.calls[0].join(' ')}`,
    );
    await second.close();
  });

  it('kill -9 of a worker and its run mid-sweep: another worker resumes it from the checkpoint; results equal a local sweep', async () => {
    await drain();
    const file = join(dir, 'kill.json');
    writeFileSync(
      file,
      JSON.stringify({
        experiment: 'multitask',
        models: ['lif-fc'],
        seeds: [3],
        dataset: 'multi-mnist',
        epochs: 12,
        batch: 32,
        T: 4,
        limitTrain: 256,
        limitTest: 64,
      }),
    );
    const cli = fileURLToPath(new URL('../src/cli/main.js', import.meta.url));
    // Its own process group, so that kill -9 takes the worker and its training child together.
    const worker = (log: { text: string }) => {
      const p = spawn(process.execPath, [cli, 'worker', '--queue', url, '--lock-duration', '1'], {
        stdio: ['ignore', 'ignore', 'pipe'],
        detached: true,
      });
      p.stderr!.on('data', (d: Buffer) => (log.text += d.toString()));
      return p;
    };
    const logA = { text: '' };
    const a = worker(logA);
    const out = join(dir, 'killed');
    const sweep = runCli(['sweep', file, '--out', out, '--queue', url], { timeoutMs: 180_000 });
    const runDir = join(out, 'runs', 'lif-fc-noise0-seed3');
    const epochsDone = (): number => {
      try {
        return JSON.parse(readFileSync(join(runDir, 'metrics.json'), 'utf8')).epochs.length;
      } catch {
        return 0;
      }
    };
    for (
      let k = 0;
      k < 2400 && !(epochsDone() >= 2 && existsSync(join(runDir, 'checkpoint.safetensors')));
      k++
    )
      await new Promise((r) => setTimeout(r, 25));
    const killedAt = epochsDone();
    assert.ok(killedAt >= 2 && killedAt < 12, `killed mid-run (after epoch ${killedAt})\n${logA.text}`);
    process.kill(-a.pid!, 'SIGKILL');
    const logB = { text: '' };
    const b = worker(logB);
    const r = await sweep;
    const exited = new Promise((res) => b.once('exit', res));
    process.kill(-b.pid!, 'SIGTERM');
    await exited;
    assert.equal(r.code, 0, r.stderr + logB.text);
    assert.match(logB.text, /lif-fc-noise0-seed3: resuming in /, 'resumed, not restarted');
    const queued = JSON.parse(readFileSync(join(out, 'sweep.json'), 'utf8'));
    const local = await runCli(['sweep', file, '--out', join(dir, 'killed-local')], { timeoutMs: 180_000 });
    assert.equal(local.code, 0, local.stderr);
    const reference = JSON.parse(readFileSync(join(dir, 'killed-local', 'sweep.json'), 'utf8'));
    assert.equal(queued.runs[0].status, 'done');
    assert.deepEqual(
      queued.runs[0].metrics,
      reference.runs[0].metrics,
      'the same numbers as without a queue',
    );
    assert.deepEqual(queued.runs[0].curve, reference.runs[0].curve);
  });

  it('hhnet sweep --queue and hhnet worker end to end; bad queue URLs are refused', async () => {
    await drain();
    const file = join(dir, 'tiny.json');
    writeFileSync(
      file,
      JSON.stringify({
        experiment: 'multitask',
        models: ['lif-fc'],
        seeds: [0, 1],
        dataset: 'multi-mnist',
        batch: 32,
        limitTrain: 64,
        limitTest: 32,
      }),
    );
    const cli = fileURLToPath(new URL('../src/cli/main.js', import.meta.url));
    const worker = spawn(process.execPath, [cli, 'worker', '--queue', url], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let workerLog = '';
    worker.stderr!.on('data', (d: Buffer) => (workerLog += d.toString()));
    const out = join(dir, 'cli');
    const r = await runCli(['sweep', file, '--out', out, '--queue', url], { timeoutMs: 120_000 });
    const exited = new Promise((res) => worker.once('exit', res));
    worker.kill('SIGTERM');
    await exited;
    assert.equal(r.code, 0, r.stderr + workerLog);
    const saved = JSON.parse(readFileSync(join(out, 'sweep.json'), 'utf8'));
    assert.deepEqual(
      saved.runs.map((x: { id: string; status: string }) => [x.id, x.status]),
      [
        ['lif-fc-noise0-seed0', 'done'],
        ['lif-fc-noise0-seed1', 'done'],
      ],
    );
    assert.ok(existsSync(join(out, 'runs', 'lif-fc-noise0-seed1', 'model.safetensors')));
    assert.match(workerLog, /lif-fc-noise0-seed0: done/);
    const bad = await runCli(['worker', '--queue', 'http://127.0.0.1:1']);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /is not a redis:\/\/ URL/);
  });

  it('hhnet reproduce --queue: workers train the parts’ runs, the parts read them back', async () => {
    await drain();
    const cli = fileURLToPath(new URL('../src/cli/main.js', import.meta.url));
    const worker = spawn(process.execPath, [cli, 'worker', '--queue', url, '--concurrency', '2'], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let workerLog = '';
    worker.stderr!.on('data', (d: Buffer) => (workerLog += d.toString()));
    const out = join(dir, 'reproduce');
    try {
      for (const [part, runs, file] of [
        ['multitask', 5, 'metrics.json'],
        ['rl', 2, 'rl.json'],
      ] as const) {
        const r = await runCli(['reproduce', '--smoke', '--only', part, '--out', out, '--queue', url], {
          timeoutMs: 180_000,
        });
        assert.equal(r.code, 0, r.stderr + workerLog);
        assert.match(r.stderr, new RegExp(`queue: ${runs} of ${runs} training runs trained by workers`));
        const partDir = join(out, 'runs', part);
        const dirs = readdirSync(partDir);
        assert.equal(dirs.length, runs);
        for (const d of dirs)
          assert.match(workerLog, new RegExp(`${part}/${d}: done`), `${d} trained by the worker`);
        // The part read the workers' runs back rather than training them again.
        for (const d of dirs) {
          assert.ok(existsSync(join(partDir, d, file)));
          assert.match(
            r.stderr,
            new RegExp(`${d.replace(/^inverted-pendulum-/, 'inverted-pendulum, ')}: finished run read back`),
          );
        }
        const saved = JSON.parse(readFileSync(join(out, 'parts', `${part}.json`), 'utf8'));
        assert.ok(saved, `${part} saved`);
      }
      // Again: nothing left to train.
      const again = await runCli(['reproduce', '--smoke', '--only', 'rl', '--out', out, '--queue', url]);
      assert.equal(again.code, 0, again.stderr);
      assert.match(again.stderr, /queue: 0 of 0 training runs/);
    } finally {
      const exited = new Promise((res) => worker.once('exit', res));
      worker.kill('SIGTERM');
      await exited;
    }
  });
});
