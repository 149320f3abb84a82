// The playground's control page in a real browser (Debian's chromium through playwright-core;
// skipped with a message where it is absent): the shipped actor balances the inverted pendulum
// for 1000 steps, and every observation, action and spike count of the page's episode equals
// Node's run of the same checkpoint and seed bit for bit (whose return is that of evaluatePolicy,
// i.e. `hhnet play`); bad files (not safetensors, a multi-task model, truncated) show their
// messages and the page stays usable; Stop and the keyboard; MuJoCo is fetched by this page only.
// HHNET_SCREENSHOT=1 also saves docs/img/control.png for docs/browser.md.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import type { Browser, Page } from 'playwright-core';
import { noGrad } from '../src/tensor/autograd.js';
import { readActorFile } from '../src/rl/actor-record.js';
import { buildAgent } from '../src/rl/agent.js';
import { evaluatePolicy } from '../src/rl/evaluate.js';
import { withEnv } from '../src/rl/pendulums.js';
import { PolicyEpisode } from '../src/rl/policy-episode.js';
import { resolveTrainConfig } from '../src/train/config.js';
import { buildModel, modelFileBytes } from '../src/train/step.js';
import { CHROMIUM, ROOT, SKIP, recordingPage, waitSettled } from './browser-helpers.js';
import { startServe } from './helpers.js';
import type { CliServer } from './helpers.js';

const SHIPPED = `${ROOT}assets/checkpoints/pendulum-hh/model.safetensors`;
const SEED = 12345;

let server: CliServer | undefined;
let browser: Browser | undefined;

before(async () => {
  if (SKIP) return;
  server = await startServe(['--port', '0']);
  const { chromium } = await import('playwright-core');
  browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
});

after(async () => {
  await browser?.close();
  if (server) assert.equal(await server.stop(), 0);
});

/** A page of the playground that records errors and every URL it (or a worker) requests. */
function openPage(query: string): ReturnType<typeof recordingPage> {
  return recordingPage(browser as Browser, new URL(query, (server as CliServer).url).href);
}

interface PageRun {
  return: number;
  length: number;
  terminated: boolean;
  stopped: boolean;
  observations: number[][];
  actions: number[][];
  spikeCounts: number[];
  backend: string;
  seconds: number;
}

async function finishedRun(page: Page): Promise<PageRun> {
  await page.waitForFunction('window.hhnetControl?.done === true', undefined, { timeout: 300_000 });
  assert.equal(await waitSettled(page), 'done', await page.locator('#message').innerText());
  return (await page.evaluate('window.hhnetControl')) as PageRun;
}

/** The shipped actor's episode in Node: the page's worker code path, and evaluatePolicy's return. */
async function nodeEpisode(seed: number): Promise<{ run: PageRun; evaluated: { ret: number; len: number } }> {
  const { config, tensors } = readActorFile(readFileSync(SHIPPED), 'model.safetensors');
  return withEnv(config.env, (env) => {
    const agent = buildAgent(config, env);
    agent.actor.loadStateDict(tensors, 'model.safetensors');
    const opts = { seed, stateNoise: config.stateNoise, padding: config.padding };
    const started = performance.now();
    const episode = new PolicyEpisode(agent, env, opts);
    const run: PageRun = {
      ...{ return: 0, length: 0, terminated: false, stopped: false, backend: 'node', seconds: 0 },
      ...{ observations: [], actions: [], spikeCounts: [] },
    };
    while (!episode.done) {
      const trains = noGrad(() => agent.actor.spikeTrains(episode.frames, 1));
      run.spikeCounts.push(trains ? trains.data.reduce((a, b) => a + b, 0) : 0);
      const s = episode.step();
      run.observations.push(Array.from(s.observation));
      run.actions.push(Array.from(s.action));
    }
    Object.assign(run, {
      return: episode.return,
      length: episode.length,
      terminated: episode.terminated,
      seconds: (performance.now() - started) / 1000,
    });
    const r = evaluatePolicy(agent, env, { ...opts, episodes: 1 });
    return { run, evaluated: { ret: r.meanReturn, len: r.meanLength } };
  });
}

test(
  'control page: the shipped actor balances the pendulum for 1000 steps, bit for bit as Node runs it',
  { skip: SKIP },
  async (t) => {
    const { page, errors, requests } = await openPage(`?page=control&seed=${SEED}&speed=max&autostart=1`);
    try {
      const run = await finishedRun(page);
      const node = await nodeEpisode(SEED);
      assert.equal(node.evaluated.ret, node.run.return, "Node's step-by-step episode is evaluatePolicy's");
      assert.equal(node.evaluated.len, node.run.length);
      assert.equal(run.length, node.run.length);
      assert.deepEqual(run.observations, node.run.observations, 'every observation, bit for bit');
      assert.deepEqual(run.actions, node.run.actions, 'every action, bit for bit');
      assert.deepEqual(run.spikeCounts, node.run.spikeCounts, 'the raster: spikes behind every action');
      assert.equal(run.return, node.run.return);
      assert.equal(run.return, 1000, 'balanced for the whole episode');
      assert.equal(run.terminated, false);
      assert.ok(
        run.spikeCounts.reduce((a, b) => a + b, 0) > 0,
        'the hidden layer spikes (the raster is not empty)',
      );
      assert.match(run.backend, /^wasm/);
      t.diagnostic(
        `1000 steps with the spike raster: browser ${run.seconds.toFixed(2)} s (drawing included), ` +
          `Node ${node.run.seconds.toFixed(2)} s`,
      );
      assert.match(
        await page.locator('#control-status').innerText(),
        /return 1000 after 1000 steps \(time limit reached\)/,
      );
      assert.ok(
        requests.some((u) => u.endsWith('/mujoco/mujoco_wasm.js')),
        'the page fetches MuJoCo (what the other pages must not do)',
      );
      assert.deepEqual(errors, []);
      if (process.env.HHNET_SCREENSHOT === '1') {
        await page.setViewportSize({ width: 1100, height: 1000 });
        await page.evaluate('window.scrollTo(0, 0)');
        await page.screenshot({ path: `${ROOT}docs/img/control.png`, fullPage: true });
      }
    } finally {
      await page.close();
    }
  },
);

/** A file chosen with the page's file input, then the page's state once it settles. */
async function pick(
  page: Page,
  name: string,
  bytes: Uint8Array,
): Promise<{ status: string; message: string }> {
  await page.setInputFiles('#checkpoint', {
    name,
    mimeType: 'application/octet-stream',
    buffer: Buffer.from(bytes),
  });
  await page.waitForFunction(`document.body.dataset.status !== 'loading'`);
  const status = await waitSettled(page);
  return { status, message: await page.locator('#message').innerText() };
}

test('control page: bad files show what is wrong and the page stays usable', { skip: SKIP }, async () => {
  const { page, errors } = await openPage(`?page=control&seed=${SEED}&speed=max`);
  try {
    assert.equal(await waitSettled(page), 'done', await page.locator('#message').innerText());
    const shipped = new Uint8Array(readFileSync(SHIPPED));

    const text = await pick(
      page,
      'notes.txt',
      new TextEncoder().encode('these are not the weights you want'),
    );
    assert.equal(text.status, 'error');
    assert.match(text.message, /^Cannot use notes\.txt: notes\.txt: header length \d+ exceeds the file size/);

    const cfg = resolveTrainConfig({ model: 'hh-fc', dataset: 'multi-mnist', epochs: 1 });
    const multitask = await pick(page, 'model.safetensors', modelFileBytes(buildModel(cfg), cfg, 0));
    assert.equal(multitask.status, 'error');
    assert.match(multitask.message, /a model from `hhnet train multitask` \(hh-fc on multi-mnist\)/);

    const truncated = await pick(page, 'cut.safetensors', shipped.subarray(0, shipped.length - 1000));
    assert.equal(truncated.status, 'error');
    assert.match(truncated.message, /^Cannot use cut\.safetensors: cut\.safetensors: /);
    assert.doesNotMatch(truncated.message, /undefined|\[object/);

    // The shipped actor is still loaded: an episode runs and clears the message.
    assert.match(await page.locator('#actor-info').innerText(), /pendulum-hh\/model\.safetensors: hh actor/);
    await page.click('#start');
    const run = await finishedRun(page);
    assert.equal(run.return, 1000);
    assert.equal(await page.locator('#message').isHidden(), true);

    // A good file by drag and drop: the shipped actor's bytes under another name.
    const b64 = Buffer.from(shipped).toString('base64');
    await page.evaluate(`(() => {
      const bytes = Uint8Array.from(atob('${b64}'), (c) => c.charCodeAt(0));
      const data = new DataTransfer();
      data.items.add(new File([bytes], 'dropped.safetensors'));
      document.body.dispatchEvent(new DragEvent('drop', { dataTransfer: data, bubbles: true, cancelable: true }));
    })()`);
    await page.waitForFunction(
      `document.getElementById('actor-info').textContent.startsWith('dropped.safetensors')`,
    );
    assert.equal(await waitSettled(page), 'done');
    assert.deepEqual(errors, []);
  } finally {
    await page.close();
  }
});

test(
  'control page: the keyboard starts an episode in real time and Esc stops it',
  { skip: SKIP },
  async () => {
    const { page, errors } = await openPage('?page=control&speed=1&seed=abc');
    try {
      assert.equal(await waitSettled(page), 'error');
      assert.match(await page.locator('#message').innerText(), /seed=abc is not a non-negative integer/);
      await page.focus('#seed');
      await page.keyboard.press('Control+A');
      await page.keyboard.type('7');
      await page.keyboard.press('Enter');
      await page.waitForFunction('(window.hhnetControl?.length ?? 0) >= 10');
      await page.keyboard.press('Escape');
      const run = await finishedRun(page);
      assert.equal(run.stopped, true);
      assert.ok(run.length >= 10 && run.length < 1000, `stopped after ${run.length} steps`);
      assert.match(page.url(), /seed=7/);
      assert.match(await page.locator('#control-status').innerText(), /stopped/);
      assert.deepEqual(errors, []);
    } finally {
      await page.close();
    }
  },
);

test('MuJoCo is fetched by the control page only', { skip: SKIP }, async () => {
  for (const query of ['?page=neuron&duration=20', '?page=train']) {
    const { page, errors, requests } = await openPage(query);
    try {
      await waitSettled(page);
      // The engine has started (it fetches the kernels): any fetch it would make has been made.
      await page.waitForFunction(`document.getElementById('engine').textContent !== ''`);
      const mujoco = requests.filter((u) => /mujoco|control-worker|checkpoints/.test(u));
      assert.deepEqual(mujoco, [], `${query} fetches nothing of the control page`);
      assert.ok(
        requests.some((u) => u.endsWith('/engine-worker.js')),
        'requests are being watched',
      );
      assert.deepEqual(errors, []);
    } finally {
      await page.close();
    }
  }
});
