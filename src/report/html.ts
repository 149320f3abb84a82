// Self-contained HTML report: inline CSS, inline SVG, and (optionally) the vega libraries inlined
// so the charts become interactive while the file still opens offline and can be mailed around.
import type { VegaLiteSpec } from './charts.js';

export interface ReportFigure {
  /** Stable id (the figure's file name); required for interactive charts. */
  id?: string;
  title: string;
  /** The vega-lite spec, embedded for the interactive chart (with `libraries`). */
  spec?: VegaLiteSpec;
  /** Exported files beside the report (relative links), e.g. figures/ID.svg, figures/ID.png. */
  files?: { label: string; href: string }[];
  /** Trusted SVG markup (from renderSvg); inlined verbatim apart from id scoping. */
  svg: string;
  caption?: string;
  /** Shell command that regenerates this figure. */
  command?: string;
}

/** A cell, or a number tied to its place in results.json (data-path) so readers and tests can check it. */
export type Cell = string | number | null | { value: string | number | null; path: string };

export interface ReportTable {
  title: string;
  columns: string[];
  rows: Cell[][];
}

export interface ReportSection {
  id: string;
  title: string;
  intro?: string;
  figures?: ReportFigure[];
  tables?: ReportTable[];
}

/** Marks a page as an hhnet report (the playground's report page checks it). */
export const REPORT_GENERATOR = '<meta name="generator" content="hhnet">';

const ESCAPES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};

/** Escape text for element content and double/single-quoted attributes. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ESCAPES[c]);
}

/** Up to 4 significant digits; integers as is; exponent form for very small/large magnitudes; null → "—". */
export function formatNumber(x: number | null | undefined): string {
  if (x === null || x === undefined) return '—';
  if (!Number.isFinite(x)) return Number.isNaN(x) ? 'NaN' : x > 0 ? '∞' : '−∞';
  if (Number.isInteger(x)) return String(x === 0 ? 0 : x); // also turns -0 into 0
  const a = Math.abs(x);
  if (a >= 1e-3 && a < 1e6) return String(Number(x.toPrecision(4))); // Number() drops trailing zeros
  return x.toExponential(3).replace(/\.?0+e/, 'e'); // 1.200e-5 → 1.2e-5
}

/**
 * Several vega SVGs inlined in one document share an id namespace; vega numbers clip paths
 * per process (clip1, clip2, ...), so figures rendered in different runs would collide.
 */
function scopeSvgIds(svg: string, prefix: string): string {
  return svg
    .replace(/\bid="([^"]+)"/g, (_, id: string) => `id="${prefix}${id}"`)
    .replace(/url\(#([^)]+)\)/g, (_, id: string) => `url(#${prefix}${id})`)
    .replace(/href="#([^"]+)"/g, (_, id: string) => `href="#${prefix}${id}"`);
}

// Blank lines separate paragraphs in intros and captions.
function paragraphs(text: string, cls?: string): string {
  const attr = cls ? ` class="${cls}"` : '';
  return text
    .split(/\n\s*\n/)
    .map((p) => p.trim())
    .filter((p) => p.length > 0)
    .map((p) => `<p${attr}>${escapeHtml(p)}</p>`)
    .join('\n');
}

function renderTable(t: ReportTable): string {
  const head = t.columns.map((c) => `<th>${escapeHtml(c)}</th>`).join('');
  const body = t.rows
    .map((row) => {
      const cells = row.map((c) => {
        const [v, path] = c !== null && typeof c === 'object' ? [c.value, c.path] : [c, null];
        const attr = path ? ` data-path="${escapeHtml(path)}"` : '';
        return typeof v === 'string'
          ? `<td${attr}>${escapeHtml(v)}</td>`
          : `<td class="num"${attr}>${escapeHtml(formatNumber(v))}</td>`;
      });
      return `<tr>${cells.join('')}</tr>`;
    })
    .join('\n');
  return `<div class="table"><h3>${escapeHtml(t.title)}</h3>
<table><thead><tr>${head}</tr></thead>
<tbody>
${body}
</tbody></table></div>`;
}

/** JSON that is safe inside a <script> element (no "</script>", no HTML comment openers). */
function scriptJson(value: unknown): string {
  return JSON.stringify(value).replace(/</g, '\\u003c');
}

function renderFigure(f: ReportFigure, idPrefix: string, interactive: boolean): string {
  const caption = f.caption ? paragraphs(f.caption) : '';
  const command = f.command
    ? `<div class="cmd"><span>re-make with:</span><pre><code>${escapeHtml(f.command)}</code></pre></div>`
    : '';
  const files = f.files?.length
    ? `<div class="files">${f.files.map((x) => `<a href="${escapeHtml(x.href)}">${escapeHtml(x.label)}</a>`).join(' · ')}</div>`
    : '';
  const id = f.id ?? idPrefix;
  const spec =
    interactive && f.spec
      ? `\n<script type="application/json" class="vl-spec" data-for="${escapeHtml(id)}">${scriptJson(f.spec)}</script>`
      : '';
  return `<figure>
<h3>${escapeHtml(f.title)}</h3>
<div class="svg" data-figure="${escapeHtml(id)}" data-rendered="static">${scopeSvgIds(f.svg, idPrefix)}</div>${spec}
<figcaption>${caption}${files}${command}</figcaption>
</figure>`;
}

/** Replaces each static chart by vega-embed's interactive one; failures go to the console. */
const EMBED_SCRIPT = `(function () {
  document.querySelectorAll('script.vl-spec').forEach(function (s) {
    var id = s.getAttribute('data-for');
    var el = document.querySelector('[data-figure="' + id + '"]');
    var spec = JSON.parse(s.textContent);
    vegaEmbed(el, spec, { renderer: 'svg', actions: { export: true, source: false, compiled: false, editor: false } })
      .then(function () { el.setAttribute('data-rendered', 'interactive'); })
      .catch(function (e) { el.setAttribute('data-rendered', 'failed'); console.error('figure ' + id + ': ' + e); });
  });
})();`;

/** Inline a library's source in a script element (a literal "</script" would end it early). */
function inlineScript(source: string): string {
  return `<script>${source.replace(/<\/script/gi, '<\\/script')}</script>`;
}

const CSS = `
body{font-family:system-ui,-apple-system,"Segoe UI",Helvetica,Arial,sans-serif;color:#222;max-width:1100px;margin:2rem auto;padding:0 1rem;line-height:1.5}
h1{margin-bottom:.2rem}.subtitle{color:#555;margin-top:0}.meta{color:#777;font-size:.9rem}
h2{border-bottom:1px solid #ddd;padding-bottom:.2rem;margin-top:2.5rem}h3{font-size:1rem;margin:1rem 0 .4rem}
nav ol{padding-left:1.4rem}nav a{text-decoration:none;color:#2a5db0}
figure{margin:1.5rem 0}.svg{overflow-x:auto}.svg svg{max-width:100%;height:auto}
figcaption{font-size:.92rem;color:#333}figcaption p{margin:.3rem 0}
.cmd span{font-size:.8rem;color:#777}pre{background:#f6f8fa;border:1px solid #e3e6ea;border-radius:4px;padding:.4rem .6rem;overflow-x:auto;margin:.2rem 0}
code{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:.85rem}
table{border-collapse:collapse;font-size:.9rem;margin:.3rem 0 1rem}th,td{padding:.25rem .6rem;border-bottom:1px solid #e5e5e5;text-align:left}
th{border-bottom:2px solid #ccc;font-weight:600}td.num{text-align:right;font-variant-numeric:tabular-nums}
.env td:first-child{color:#555}.files{font-size:.85rem;margin:.2rem 0}.files a{color:#2a5db0}
`;

/** The whole report as one HTML string. */
export function renderReport(opts: {
  title: string;
  subtitle?: string;
  generatedAt: string;
  environment: Record<string, string>;
  sections: ReportSection[];
  /** JS sources (vega, vega-lite, vega-embed) to inline; with them the charts become interactive. */
  libraries?: string[];
}): string {
  const interactive = (opts.libraries?.length ?? 0) > 0;
  const toc = opts.sections
    .map((s) => `<li><a href="#${escapeHtml(s.id)}">${escapeHtml(s.title)}</a></li>`)
    .concat('<li><a href="#environment">Machine and versions</a></li>')
    .join('\n');
  const sections = opts.sections
    .map((s, si) => {
      const figs = (s.figures ?? []).map((f, fi) => renderFigure(f, `s${si}f${fi}-`, interactive)).join('\n');
      const tables = (s.tables ?? []).map(renderTable).join('\n');
      return `<section id="${escapeHtml(s.id)}">
<h2>${escapeHtml(s.title)}</h2>
${s.intro ? paragraphs(s.intro) : ''}
${figs}
${tables}
</section>`;
    })
    .join('\n');
  const env = Object.entries(opts.environment)
    .map(([k, v]) => `<tr><td>${escapeHtml(k)}</td><td>${escapeHtml(v)}</td></tr>`)
    .join('\n');
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
${REPORT_GENERATOR}
<title>${escapeHtml(opts.title)}</title>
<style>${CSS}</style>
</head>
<body>
<header>
<h1>${escapeHtml(opts.title)}</h1>
${opts.subtitle ? `<p class="subtitle">${escapeHtml(opts.subtitle)}</p>` : ''}
<p class="meta">Generated ${escapeHtml(opts.generatedAt)}</p>
</header>
<nav><h2>Contents</h2><ol>
${toc}
</ol></nav>
${sections}
<section id="environment">
<h2>Machine and versions</h2>
<table class="env"><tbody>
${env}
</tbody></table>
</section>
${interactive ? [...opts.libraries!.map(inlineScript), `<script>${EMBED_SCRIPT}</script>`].join('\n') : ''}
</body>
</html>
`;
}
