// The report page's reading of hhnet reproduce's output (src/playground/report-data.ts), on the
// results.json of a real `npm start` run (test/fixtures/reproduce-quick-results.json), and on a
// report.html from the project's own renderer.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { checkReportHtml, summarizeResults } from '../src/playground/report-data.js';
import { renderReport } from '../src/report/html.js';

const FIXTURE = readFileSync(
  new URL('../../test/fixtures/reproduce-quick-results.json', import.meta.url),
  'utf8',
);

test('a quick run’s results.json: a table per part, with the numbers of the file', () => {
  const json = JSON.parse(FIXTURE);
  const s = summarizeResults(FIXTURE, 'results.json');
  assert.equal(s.title, 'hhnet reproduce (quick)');
  assert.match(s.subtitle, new RegExp(`^quick run, ${json.generatedAt}; hhnet `));
  assert.deepEqual(
    s.tables.map((t) => t.id),
    [
      'rest',
      'fi-curve',
      'equivalence',
      'multitask',
      'robustness',
      'resources',
      'mi',
      'rl',
      'rl-robustness',
      'beyond',
      'ablation',
    ],
  );
  assert.deepEqual(s.notShown, []);
  const multitask = s.tables.find((t) => t.id === 'multitask');
  assert.ok(multitask);
  for (const [i, m] of json.multitask.models.entries())
    assert.deepEqual(multitask.rows[i], [m.model, m.final.epoch, m.final.acc1, m.final.acc2, m.final.loss]);
  const rl = s.tables.find((t) => t.id === 'rl');
  assert.deepEqual(
    rl?.rows.map((r) => [r[1], r[3]]),
    json.rl.runs.map((r: { model: string; finalReturn: number }) => [r.model, r.finalReturn]),
  );
  assert.equal(s.rlCurves.length, json.rl.runs.length);
  assert.deepEqual(
    s.rlCurves[0].returns,
    json.rl.runs[0].evals.map((e: { meanReturn: number }) => e.meanReturn),
  );
});

test('a part of another shape is listed as not shown, not guessed at', () => {
  const json = JSON.parse(FIXTURE);
  json.multitask = { models: 'not a list' };
  json.newPart = { x: 1 };
  const s = summarizeResults(JSON.stringify(json), 'r.json');
  assert.ok(!s.tables.some((t) => t.id === 'multitask'));
  assert.deepEqual(s.notShown, ['multitask', 'newPart']);
});

test('bad files: not JSON, JSON of something else, no known part — each message names the file', () => {
  assert.throws(
    () => summarizeResults('{"a":', 'x.json'),
    /^Error: x\.json is not JSON \(.*\); open the results\.json/,
  );
  assert.throws(
    () => summarizeResults('{"model":"hh-fc","epochs":3}', 'config.json'),
    /config\.json is not a results\.json of hhnet reproduce \(expected an object with generatedAt and mode; found fields model, epochs\)/,
  );
  assert.throws(() => summarizeResults('[1,2]', 'a.json'), /found an array/);
  assert.throws(
    () => summarizeResults('{"generatedAt":"t","mode":"quick","rest":"?"}', 'r.json'),
    /r\.json has none of the parts hhnet reproduce writes/,
  );
});

test('report.html: the renderer’s pages pass, other HTML and other text do not', () => {
  const html = renderReport({
    title: 'hhnet: a report',
    generatedAt: '2026-12-04T00:00:00Z',
    environment: { node: 'v20' },
    sections: [{ id: 's', title: 'S', intro: 'text' }],
  });
  checkReportHtml(html, 'report.html');
  assert.throws(
    () => checkReportHtml('<!doctype html><title>Other</title>', 'page.html'),
    /page\.html is an HTML page but not a report of hhnet reproduce/,
  );
  assert.throws(() => checkReportHtml('hello', 'notes.html'), /notes\.html is not an HTML document/);
});
