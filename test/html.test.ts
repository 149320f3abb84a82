import { test } from 'node:test';
import assert from 'node:assert/strict';
import { escapeHtml, formatNumber, renderReport } from '../src/report/html.js';

test('formatNumber', () => {
  assert.equal(formatNumber(null), '—');
  assert.equal(formatNumber(42), '42');
  assert.equal(formatNumber(-7), '-7');
  assert.equal(formatNumber(123456789), '123456789');
  assert.equal(formatNumber(-0), '0');
  assert.equal(formatNumber(3.14159265), '3.142');
  assert.equal(formatNumber(0.5), '0.5');
  assert.equal(formatNumber(1.2), '1.2');
  assert.equal(formatNumber(12345.678), '12350');
  assert.equal(formatNumber(0.0012346), '0.001235');
  assert.equal(formatNumber(0.000012346), '1.235e-5');
  assert.equal(formatNumber(1.2e-7), '1.2e-7');
  assert.equal(formatNumber(2.5e9 + 0.5), '2.5e+9');
  assert.equal(formatNumber(NaN), 'NaN');
  assert.equal(formatNumber(Infinity), '∞');
});

test('escapeHtml', () => {
  assert.equal(escapeHtml(`<a href="x">'&'</a>`), '&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;');
});

const svg = (id: string) =>
  `<svg xmlns="http://www.w3.org/2000/svg"><defs><clipPath id="${id}"><rect/></clipPath></defs><g clip-path="url(#${id})"/></svg>`;

const html = renderReport({
  title: 'Report <script>alert(1)</script>',
  subtitle: 'HH & friends',
  generatedAt: '2024-01-01T00:00:00Z',
  environment: { node: 'v20.0.0', cpu: 'Some <CPU>' },
  sections: [
    {
      id: 'traces',
      title: 'Voltage traces',
      intro: 'First paragraph.\n\nSecond <b>paragraph</b>.',
      figures: [
        { title: 'Fig A', svg: svg('clip1'), caption: 'Caption A', command: 'hhnet fig traces --out "r"' },
        { title: 'Fig B', svg: svg('clip1') },
      ],
    },
    {
      id: 'speed',
      title: 'Speed',
      tables: [
        {
          title: 'Timings',
          columns: ['model', 'ms', 'n'],
          rows: [
            ['HH', 3.14159, 10],
            ['LIF', null, 2],
          ],
        },
      ],
    },
  ],
});

test('renderReport escapes text', () => {
  assert.ok(!html.includes('<script>'));
  assert.ok(html.includes('Report &lt;script&gt;alert(1)&lt;/script&gt;'));
  assert.ok(html.includes('HH &amp; friends'));
  assert.ok(html.includes('Second &lt;b&gt;paragraph&lt;/b&gt;.'));
  assert.ok(html.includes('hhnet fig traces --out &quot;r&quot;'));
  assert.ok(html.includes('Some &lt;CPU&gt;'));
});

test('renderReport has every section, figure, toc entry and formatted numbers', () => {
  for (const id of ['traces', 'speed', 'environment']) {
    assert.ok(html.includes(`<section id="${id}">`), id);
    assert.ok(html.includes(`href="#${id}"`), `toc ${id}`);
  }
  for (const t of ['Fig A', 'Fig B', 'Caption A', 're-make with:', 'Timings', 'Machine and versions']) {
    assert.ok(html.includes(t), t);
  }
  assert.equal((html.match(/<svg /g) ?? []).length, 2);
  assert.ok(html.includes('<td class="num">3.142</td>'));
  assert.ok(html.includes('<td class="num">10</td>'));
  assert.ok(html.includes('<td class="num">—</td>'));
  assert.ok(!/<(link|script)\b/i.test(html), 'no external resources');
});

test('renderReport scopes SVG ids so inlined figures do not collide', () => {
  const ids = [...html.matchAll(/\bid="([^"]+)"/g)].map((m) => m[1]);
  assert.equal(new Set(ids).size, ids.length, `duplicate ids: ${ids.join(',')}`);
  for (const m of html.matchAll(/url\(#([^)]+)\)/g)) assert.ok(ids.includes(m[1]), m[1]);
});
