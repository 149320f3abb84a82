/** The playground's pages (bundled as app.js): ?page=neuron (default), train, control or report. */
import { MAX_THREADS } from '../../kernels/wasm/index.js';
import { el, setStatus, showMessage, showNote } from './dom.js';
import { mountControlPage } from './control-page.js';
import { EngineClient } from './engine-client.js';
import { mountNeuronLab } from './neuron-lab.js';
import { mountReportPage } from './report-page.js';
import { mountTrainPage } from './train-page.js';

interface Page {
  title: string;
  mount(root: HTMLElement, engine: EngineClient): void;
  /** Its engine worker (default engine-worker.js). */
  worker?: string;
}

const PAGES: Record<string, Page> = {
  neuron: { title: 'Neuron lab', mount: mountNeuronLab },
  train: { title: 'Train', mount: mountTrainPage },
  report: { title: 'Report', mount: mountReportPage },
  control: { title: 'Control', mount: mountControlPage, worker: 'control-worker.js' },
};

/** ?threads=N: the engine's thread count (1 to MAX_THREADS); anything else keeps its default. */
function threadsOf(raw: string | null): number | undefined {
  if (raw === null) return undefined;
  const n = Number(raw);
  if (Number.isInteger(n) && n >= 1 && n <= MAX_THREADS) return n;
  showMessage(
    `URL value threads=${raw} is not an integer from 1 to ${MAX_THREADS}; using the default instead`,
  );
  return undefined;
}

function main(): void {
  const root = document.getElementById('app') as HTMLElement;
  const page = new URLSearchParams(location.search).get('page') ?? 'neuron';
  const nav = document.getElementById('nav') as HTMLElement;
  nav.replaceChildren(
    ...Object.entries(PAGES).map(([name, p]) =>
      el('a', { href: `?page=${name}`, ...(name === page ? { 'aria-current': 'page' } : {}) }, p.title),
    ),
  );
  const chosen = PAGES[page];
  if (!chosen) {
    showMessage(`URL value page=${page} is not a page (${Object.keys(PAGES).join(', ')})`);
    setStatus('error');
    return;
  }
  document.title = `${chosen.title} · hhnet`;
  const engine = new EngineClient(
    threadsOf(new URLSearchParams(location.search).get('threads')),
    chosen.worker,
  );
  engine.ready.then(
    (info) => {
      (document.getElementById('engine') as HTMLElement).textContent =
        `engine: ${info.backend}${info.isolated ? ', cross-origin isolated' : ''}`;
      if (!info.isolated)
        showNote(
          'This page is not cross-origin isolated, so the wasm kernels (which share memory with their ' +
            'threads) cannot run: hhnet runs on its plain-JavaScript reference (float64; as `--backend js` ' +
            'on the command line). Serve the playground with `hhnet serve`, or with the headers ' +
            'Cross-Origin-Opener-Policy: same-origin and Cross-Origin-Embedder-Policy: require-corp.',
        );
    },
    (err: Error) => {
      showMessage(err.message);
      setStatus('error');
    },
  );
  chosen.mount(root, engine);
}

setStatus('loading');
main();
