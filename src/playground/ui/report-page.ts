/**
 * The report page: open what `hhnet reproduce` wrote. A report.html is shown as it is, in a
 * sandboxed frame (its scripts run for the interactive charts, but cannot reach this page); a
 * results.json becomes tables of its headline numbers and the RL learning curves, with the whole
 * file below. Anything else gets a message, and the page stays ready for the next file.
 */
import { formatNumber } from '../../report/html.js';
import { checkReportHtml, summarizeResults } from '../report-data.js';
import type { ResultsSummary, SummaryTable } from '../report-data.js';
import { el, fileDropZone, setStatus, showMessage } from './dom.js';
import { drawSeries } from './plot.js';

const CURVE_COLORS = ['#1f5fa8', '#d4572a', '#2c8a4b', '#8a2c84', '#a8891f', '#2c7f8a'];

/** What the page shows, for scripts and tests (window.hhnetReport). */
interface ReportView {
  file: string;
  kind: 'report.html' | 'results.json';
  tables: string[];
  notShown: string[];
}

declare global {
  interface Window {
    hhnetReport?: ReportView;
  }
}

export function mountReportPage(root: HTMLElement): void {
  const view = el('div', { id: 'report-view' });
  const status = el('p', { id: 'report-status', role: 'status', 'aria-live': 'polite' });

  async function open(file: File): Promise<void> {
    setStatus('running');
    showMessage('');
    status.textContent = `reading ${file.name}…`;
    try {
      const text = await file.text();
      const html = /\.html?$/i.test(file.name) || /^\s*<!doctype html/i.test(text.slice(0, 100));
      window.hhnetReport = html ? showHtml(file.name, text) : showResults(file.name, text);
      status.textContent = `${file.name} (${(file.size / 1024).toFixed(0)} KiB)`;
      setStatus('done');
    } catch (err) {
      // The last good view stays; the message says what was wrong with this file.
      status.textContent = '';
      showMessage((err as Error).message);
      setStatus('error');
    }
  }

  function showHtml(name: string, text: string): ReportView {
    checkReportHtml(text, name);
    // No allow-same-origin: the report's own scripts run, isolated from the playground.
    const frame = el('iframe', {
      id: 'report-frame',
      title: `report ${name}`,
      sandbox: 'allow-scripts',
    });
    frame.srcdoc = text;
    view.replaceChildren(frame);
    return { file: name, kind: 'report.html', tables: [], notShown: [] };
  }

  function showResults(name: string, text: string): ReportView {
    const summary = summarizeResults(text, name);
    const parts: HTMLElement[] = [el('h2', {}, summary.title), el('p', { class: 'about' }, summary.subtitle)];
    if (summary.rlCurves.length) parts.push(...rlChart(summary));
    for (const t of summary.tables) parts.push(table(t));
    if (summary.notShown.length)
      parts.push(
        el(
          'p',
          { class: 'about' },
          `Also in the file (below, not summarised): ${summary.notShown.join(', ')}.`,
        ),
      );
    parts.push(
      el(
        'details',
        {},
        el('summary', {}, `All of ${name}`),
        el('pre', { class: 'json' }, JSON.stringify(JSON.parse(text), null, 2)),
      ),
    );
    view.replaceChildren(...parts);
    return {
      file: name,
      kind: 'results.json',
      tables: summary.tables.map((t) => t.id),
      notShown: summary.notShown,
    };
  }

  root.replaceChildren(
    el('h1', {}, 'Report'),
    el(
      'p',
      { class: 'about' },
      'Open the report.html or results.json that `hhnet reproduce` (or `npm start`) writes: ' +
        'the report as it is, or the results as tables of their headline numbers. The file stays on this machine.',
    ),
    fileDropZone(
      'report-file',
      'Choose or drop report.html / results.json',
      '.html,.htm,.json',
      ([f]) => void open(f),
    ),
    status,
    view,
  );
  setStatus('done');
}

function table(t: SummaryTable): HTMLElement {
  const cell = (v: string | number | null) => el('td', {}, typeof v === 'string' ? v : formatNumber(v));
  return el(
    'section',
    { id: `summary-${t.id}` },
    el('h3', {}, t.title),
    el(
      'table',
      { class: 'summary' },
      el('thead', {}, el('tr', {}, ...t.columns.map((c) => el('th', { scope: 'col' }, c)))),
      el('tbody', {}, ...t.rows.map((r) => el('tr', {}, ...r.map(cell)))),
    ),
  );
}

function rlChart(summary: ResultsSummary): HTMLElement[] {
  const canvas = el('canvas', {
    id: 'rl-curves',
    role: 'img',
    'aria-label': 'RL evaluation return over training steps',
  });
  const xMax = Math.max(...summary.rlCurves.flatMap((c) => c.steps));
  // Drawn once attached, so the canvas has its laid-out size.
  requestAnimationFrame(() =>
    drawSeries(
      canvas,
      summary.rlCurves.map((c, i) => ({
        label: c.model,
        color: CURVE_COLORS[i % CURVE_COLORS.length],
        t: c.steps,
        y: c.returns,
      })),
      xMax,
      'evaluation return',
      'environment steps',
    ),
  );
  return [el('h3', {}, 'Reinforcement learning: evaluation return while training'), canvas];
}
