// `hhnet reproduce --smoke` end to end: a run killed mid-way resumes without redoing finished
// parts; results.json, figures and report.html agree (every number shown with a data-path equals
// results.json); and, where Debian's chromium is installed, a real browser renders every chart
// interactively with no console errors.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { formatNumber } from '../src/report/html.js';
import { lookup } from '../src/reproduce/cells.js';
import { countParams } from '../src/reproduce/beyond.js';
import type { BeyondPart } from '../src/reproduce/beyond.js';
import type { AblationPart } from '../src/reproduce/ablation.js';

const CLI = fileURLToPath(new URL('../src/cli/main.js', import.meta.url));
const ROOT = mkdtempSync(join(tmpdir(), 'hhnet-reproduce-test-'));
const OUT = join(ROOT, 'results');
after(() => rmSync(ROOT, { recursive: true, force: true }));

const CHROMIUM = ['/usr/bin/chromium', '/usr/bin/chromium-browser'].find((p) => existsSync(p));

interface Run {
  code: number | null;
  signal: NodeJS.Signals | null;
  stderr: string;
}

/** Runs reproduce --smoke; with killWhen, SIGKILLs it as soon as that file exists. */
function reproduce(killWhen?: string): Promise<Run> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [CLI, 'reproduce', '--smoke', '--out', OUT], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = killWhen
      ? setInterval(() => {
          if (existsSync(killWhen)) child.kill('SIGKILL');
        }, 50)
      : null;
    child.on('exit', (code, signal) => {
      if (timer) clearInterval(timer);
      resolve({ code, signal, stderr });
    });
  });
}

let results: Record<string, unknown>;
let html: string;

before(async () => {
  const killed = await reproduce(join(OUT, 'parts', 'multitask.json'));
  assert.equal(killed.signal, 'SIGKILL', `the first run should be killed mid-way: ${killed.stderr}`);
  const resumed = await reproduce();
  assert.equal(resumed.code, 0, resumed.stderr);
  for (const part of ['rest', 'fi-curve', 'equivalence', 'multitask'])
    assert.match(resumed.stderr, new RegExp(`${part}: already done`), `${part} is not redone`);
  assert.doesNotMatch(
    resumed.stderr,
    /\] robustness: already done/,
    'robustness had not finished before the kill',
  );
  results = JSON.parse(readFileSync(join(OUT, 'results.json'), 'utf8')) as Record<string, unknown>;
  html = readFileSync(join(OUT, 'report.html'), 'utf8');
});

test('a killed reproduce resumes and writes every part, figure and file', () => {
  assert.equal(results.mode, 'smoke');
  for (const key of [
    'rest',
    'fiCurve',
    'equivalence',
    'multitask',
    'robustness',
    'resources',
    'rl',
    'rlRobustness',
    'beyond',
    'ablation',
  ])
    assert.ok(results[key], `results.json has ${key}`);
  assert.deepEqual(readdirSync(join(OUT, 'parts')).sort(), [
    'ablation.json',
    'beyond.json',
    'equivalence.json',
    'fi-curve.json',
    'mi.json',
    'multitask.json',
    'resources.json',
    'rest.json',
    'rl-robustness.json',
    'rl.json',
    'robustness.json',
  ]);
  const figs = readdirSync(join(OUT, 'figures'));
  const ids = figs.filter((f) => f.endsWith('.svg')).map((f) => f.slice(0, -4));
  for (const id of ids) {
    assert.ok(
      figs.includes(`${id}.png`) && figs.includes(`${id}.vl.json`),
      `${id}: PNG and spec beside the SVG`,
    );
    assert.ok(html.includes(`data-figure="${id}"`), `${id} is in the report`);
    assert.ok(html.includes(`class="vl-spec" data-for="${id}"`), `${id} has its interactive spec`);
  }
  for (const id of [
    'multitask-accuracy',
    'robustness-multitask',
    'resources',
    'rl-rewards',
    'robustness-rl',
    'fi-curve',
    'beyond-accuracy',
  ])
    assert.ok(ids.includes(id), `figure ${id}`);
  assert.match(html, /re-make with:/);
  assert.match(html, /<h2>Methods<\/h2>/);
});

test('beyond the study: every model over every seed, parameter counts of the built models, a stated reading', () => {
  const b = results.beyond as BeyondPart;
  assert.deepEqual(
    b.models.map((m) => m.model),
    ['mc-fc', 'hh-fc', '4lif-fc'],
  );
  assert.equal(b.runs.length, b.models.length * b.plan.seeds.length);
  for (const m of b.models) {
    assert.deepEqual({ params: m.params, trainableParams: m.trainableParams }, countParams(m.model), m.model);
    const mine = b.runs.filter((r) => r.model === m.model);
    assert.equal(m.acc1.n, mine.length);
    assert.equal(m.acc1.mean, mine.reduce((s, r) => s + r.final.acc1, 0) / mine.length);
    assert.ok(m.secondsPerEpoch.mean > 0);
  }
  assert.match(html, /<h2>Beyond the study: dendritic branches/);
  assert.match(html, /What this does not show/);
  const a = results.ablation as AblationPart;
  assert.deepEqual(a.multitask.report.config.models, ['hh-fc', 'li-fc', 'lif-fc']);
  assert.equal(a.multitask.report.runs.filter((r) => r.status === 'done').length, 6);
  assert.equal(a.multitask.contrasts.length, 4, 'two models × two tasks against hh-fc');
  assert.match(html, /<h2>Beyond the study: an ablation of internal complexity/);
  assert.match(html, /li-fc gives exactly the same results as hh-fc on every seed|li-fc against hh-fc/);
});

test('every number the report shows with a data-path equals results.json', () => {
  const cells = [...html.matchAll(/<td class="num" data-path="([^"]+)">([^<]*)<\/td>/g)];
  assert.ok(cells.length > 50, `only ${cells.length} checkable numbers`);
  for (const [, path, text] of cells) {
    const value = lookup(results, path);
    assert.ok(value !== undefined, `${path} is not in results.json`);
    assert.equal(text, formatNumber(value as number | null), path);
  }
  assert.equal((html.match(/<td class="num">/g) ?? []).length, 0, 'no number without its source path');
});

test(
  'in a browser every chart renders interactively, with no console errors',
  { skip: CHROMIUM ? false : 'chromium is not installed (apt-get install chromium)' },
  async () => {
    const { chromium } = await import('playwright-core');
    const browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
    try {
      const page = await browser.newPage();
      const errors: string[] = [];
      page.on('console', (m) => {
        if (m.type() === 'error') errors.push(m.text());
      });
      page.on('pageerror', (e) => errors.push(String(e)));
      await page.goto(pathToFileURL(join(OUT, 'report.html')).href);
      const total = await page.locator('[data-figure]').count();
      assert.ok(total >= 10, `${total} figures`);
      // A string predicate: it runs in the page (this file is compiled without the DOM library).
      await page.waitForFunction(
        `[...document.querySelectorAll('[data-figure]')].every((el) => el.getAttribute('data-rendered') !== 'static')`,
        undefined,
        { timeout: 60_000 },
      );
      const states = await page.$$eval('[data-figure]', (els) =>
        els.map(
          (el) =>
            [
              el.getAttribute('data-figure'),
              el.getAttribute('data-rendered'),
              el.querySelectorAll(
                'svg .mark-rect, svg .mark-line, svg .mark-symbol, svg .mark-rule, svg .mark-tick, svg .mark-area',
              ).length,
            ] as const,
        ),
      );
      for (const [id, state, marks] of states) {
        assert.equal(state, 'interactive', `figure ${id}`);
        assert.ok(marks > 0, `figure ${id} drew no marks`);
      }
      const cells = await page.$$eval('td[data-path]', (els) =>
        els.map((el) => [el.getAttribute('data-path')!, el.textContent ?? ''] as const),
      );
      for (const [path, text] of cells) {
        const value = lookup(results, path);
        assert.equal(text, typeof value === 'string' ? value : formatNumber(value as number | null), path);
      }
      assert.deepEqual(errors, []);
    } finally {
      await browser.close();
    }
  },
);
