// Self-contained HTML report: inline CSS and inline SVG only, so the file opens offline and can be mailed around.

export interface ReportFigure {
  title: string;
  /** Trusted SVG markup (from renderSvg); inlined verbatim apart from id scoping. */
  svg: string;
  caption?: string;
  /** Shell command that regenerates this figure. */
  command?: string;
}

export interface ReportTable {
  title: string;
  columns: string[];
  rows: (string | number | null)[][];
}

export interface ReportSection {
  id: string;
  title: string;
  intro?: string;
  figures?: ReportFigure[];
  tables?: ReportTable[];
}

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
      const cells = row.map((v) =>
        typeof v === 'string'
          ? `<td>${escapeHtml(v)}</td>`
          : `<td class="num">${escapeHtml(formatNumber(v))}</td>`,
      );
      return `<tr>${cells.join('')}</tr>`;
    })
    .join('\n');
  return `<div class="table"><h3>${escapeHtml(t.title)}</h3>
<table><thead><tr>${head}</tr></thead>
<tbody>
${body}
</tbody></table></div>`;
}

function renderFigure(f: ReportFigure, idPrefix: string): string {
  const caption = f.caption ? paragraphs(f.caption) : '';
  const command = f.command
    ? `<div class="cmd"><span>re-make with:</span><pre><code>${escapeHtml(f.command)}</code></pre></div>`
    : '';
  return `<figure>
<h3>${escapeHtml(f.title)}</h3>
<div class="svg">${scopeSvgIds(f.svg, idPrefix)}</div>
<figcaption>${caption}${command}</figcaption>
</figure>`;
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
.env td:first-child{color:#555}
`;

/** The whole report as one HTML string. */
export function renderReport(opts: {
  title: string;
  subtitle?: string;
  generatedAt: string;
  environment: Record<string, string>;
  sections: ReportSection[];
}): string {
  const toc = opts.sections
    .map((s) => `<li><a href="#${escapeHtml(s.id)}">${escapeHtml(s.title)}</a></li>`)
    .concat('<li><a href="#environment">Machine and versions</a></li>')
    .join('\n');
  const sections = opts.sections
    .map((s, si) => {
      const figs = (s.figures ?? []).map((f, fi) => renderFigure(f, `s${si}f${fi}-`)).join('\n');
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
</body>
</html>
`;
}
