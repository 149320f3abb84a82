/**
 * The train page: one of the study's fc networks trained on Multi-MNIST (composed from the MNIST
 * subset shipped with the playground) by the engine worker with the command line's training step,
 * live loss and accuracy curves, samples/s, stop and continue. The URL holds the settings.
 */
import type { JobEvent } from '../protocol.js';
import {
  TRAIN_LIMITS,
  TRAIN_MODELS,
  parseTrainQuery,
  trainCommand,
  trainJob,
  trainQuery,
} from '../train-query.js';
import { MULTI_KINDS } from '../../data/multi.js';
import { officialIdxNames } from '../../data/image-set.js';
import { download, el, field, fileDropZone, numberInput, select, setStatus, showMessage } from './dom.js';
import type { EngineClient } from './engine-client.js';
import { drawSeries } from './plot.js';

/** What the page has seen of the run, for scripts and tests (window.hhnetTrain). */
interface TrainRecord {
  losses: number[];
  epochs: Extract<JobEvent, { kind: 'epoch' }>[];
  samplesPerSec: number[];
  backend: string;
}

declare global {
  interface Window {
    hhnetTrain?: TrainRecord;
  }
}

export function mountTrainPage(root: HTMLElement, engine: EngineClient): void {
  const parsed = parseTrainQuery(new URLSearchParams(location.search));
  let state = parsed.state;
  const form = el('form', { id: 'train-form', 'aria-label': 'training settings', novalidate: '' });
  const model = select('model', TRAIN_MODELS, state.model);
  const dataset = select('dataset', MULTI_KINDS, state.dataset);
  const fashionStatus = el('span', { id: 'fashion-status' }, 'not loaded');
  let fashionLoaded = false;
  const fashionZone = fileDropZone(
    'fashion-files',
    'Fashion-MNIST files (the four official IDX files, .gz or not)',
    '.gz,application/gzip,application/octet-stream',
    (files) => void loadFashion(files),
    true,
  );
  fashionZone.append(fashionStatus);
  const ints = {
    train: numberInput('train', state.train, { min: '1', max: String(TRAIN_LIMITS.train), step: '1' }),
    test: numberInput('test', state.test, { min: '1', max: String(TRAIN_LIMITS.test), step: '1' }),
    batch: numberInput('batch', state.batch, { min: '1', max: String(TRAIN_LIMITS.batch), step: '1' }),
    T: numberInput('T', state.T, { min: '1', max: String(TRAIN_LIMITS.T), step: '1' }),
    epochs: numberInput('epochs', state.epochs, { min: '1', max: String(TRAIN_LIMITS.epochs), step: '1' }),
    seed: numberInput('seed', state.seed, { min: '0', step: '1' }),
  };
  const lr = numberInput('lr', state.lr);
  const start = el('button', { type: 'submit', id: 'start' }, 'Start');
  const stop = el('button', { type: 'button', id: 'stop', disabled: '' }, 'Stop');
  const save = el(
    'button',
    { type: 'button', id: 'download-model', disabled: '' },
    'Download model.safetensors',
  );
  const status = el('p', { id: 'train-status', role: 'status', 'aria-live': 'polite' });
  const command = el('code', { id: 'command' });
  const lossCanvas = el('canvas', { id: 'loss', role: 'img', 'aria-label': 'training loss per batch' });
  const accCanvas = el('canvas', { id: 'accuracy', role: 'img', 'aria-label': 'test accuracy per epoch' });
  const table = el('table', { id: 'epochs' });
  let running = false;

  function formQuery(): URLSearchParams {
    const q = new URLSearchParams({ model: model.value, dataset: dataset.value });
    for (const [key, input] of Object.entries(ints)) q.set(key, input.value);
    if (lr.value.trim() !== '') q.set('lr', lr.value);
    if (state.steps !== undefined) q.set('steps', String(state.steps));
    return q;
  }

  function drawCurves(rec: TrainRecord): void {
    const x = rec.losses.map((_, i) => i + 1);
    drawSeries(
      lossCanvas,
      [{ label: 'loss (CE task 1 + task 2)', color: '#1f5fa8', t: x, y: rec.losses }],
      x.length || 1,
      'loss',
      'batch',
    );
    const e = rec.epochs.map((r) => r.epoch);
    drawSeries(
      accCanvas,
      [
        {
          label: 'task 1 (top-left digit)',
          color: '#1f5fa8',
          t: [0, ...e],
          y: [10, ...rec.epochs.map((r) => r.acc1)],
        },
        {
          label: 'task 2 (bottom-right digit)',
          color: '#d4572a',
          t: [0, ...e],
          y: [10, ...rec.epochs.map((r) => r.acc2)],
        },
      ],
      Math.max(1, state.epochs),
      'test accuracy (%)',
      'epoch',
    );
  }

  // At most one redraw a frame: batches can arrive faster than the screen refreshes, and on a
  // machine with few cores the page's drawing competes with the engine's threads.
  let drawPending = false;
  function scheduleDraw(rec: TrainRecord): void {
    if (drawPending) return;
    drawPending = true;
    requestAnimationFrame(() => {
      drawPending = false;
      drawCurves(rec);
    });
  }

  function addEpochRow(r: Extract<JobEvent, { kind: 'epoch' }>): void {
    table.append(
      el(
        'tr',
        {},
        el('td', {}, String(r.epoch)),
        el('td', {}, r.loss.toFixed(4)),
        el('td', {}, `${r.acc1.toFixed(1)}%`),
        el('td', {}, `${r.acc2.toFixed(1)}%`),
        el('td', {}, `${r.seconds.toFixed(1)} s`),
      ),
    );
  }

  function syncDataset(): void {
    fashionZone.hidden = dataset.value === 'multi-mnist';
  }

  /** The dropped files go to the engine, which checks and keeps them (until the page reloads). */
  async function loadFashion(files: File[]): Promise<void> {
    setStatus('running');
    fashionStatus.textContent = `reading ${files.length} file${files.length > 1 ? 's' : ''}…`;
    try {
      const loaded = await engine.loadFashion(
        await Promise.all(
          files.map(async (f) => ({ name: f.name, bytes: new Uint8Array(await f.arrayBuffer()) })),
        ),
      );
      fashionLoaded = true;
      fashionStatus.textContent = `loaded: the first ${loaded.train} training and ${loaded.test} test images`;
      showMessage('');
      setStatus('done');
    } catch (err) {
      fashionStatus.textContent = fashionLoaded ? 'the files loaded before are kept' : 'not loaded';
      showMessage((err as Error).message);
      setStatus('error');
    }
  }

  async function train(): Promise<void> {
    running = true;
    setStatus('running');
    start.disabled = true;
    stop.disabled = false;
    try {
      const info = await engine.ready;
      const rec: TrainRecord = window.hhnetTrain ?? {
        losses: [],
        epochs: [],
        samplesPerSec: [],
        backend: info.backend,
      };
      window.hhnetTrain = rec;
      status.textContent = `composing ${state.dataset}…`;
      const result = await engine.train(trainJob(state), (event) => {
        if (event.kind === 'data')
          status.textContent = `${event.train} training and ${event.test} test samples, ${event.batchesPerEpoch} batches an epoch`;
        else if (event.kind === 'batch') {
          rec.losses.push(event.loss);
          rec.samplesPerSec.push(event.samplesPerSec);
          status.textContent =
            `epoch ${event.epoch}, batch ${event.batch}: loss ${event.loss.toFixed(4)}, ` +
            `${event.samplesPerSec.toFixed(0)} samples/s on ${info.backend}`;
          scheduleDraw(rec);
        } else if (event.kind === 'epoch') {
          rec.epochs.push(event);
          addEpochRow(event);
          scheduleDraw(rec);
        }
      });
      status.textContent += result.stopped ? ' — stopped (Start continues)' : ' — done';
      save.disabled = false;
      setStatus('done');
    } catch (err) {
      showMessage(`Training failed: ${(err as Error).message}`);
      setStatus('error');
    } finally {
      running = false;
      start.disabled = false;
      stop.disabled = true;
    }
  }

  form.addEventListener('submit', (event) => {
    event.preventDefault();
    if (running) return;
    const checked = parseTrainQuery(formQuery());
    if (checked.state.dataset !== 'multi-mnist' && !fashionLoaded)
      checked.problems.push(
        `${checked.state.dataset} needs the Fashion-MNIST files: choose or drop ${[...Object.values(officialIdxNames('train')), ...Object.values(officialIdxNames('test'))].join(', ')} (.gz or not) first`,
      );
    showMessage(checked.problems.join('\n'));
    if (checked.problems.length) {
      setStatus('error');
      return;
    }
    const changed = JSON.stringify(trainJob(checked.state).config) !== JSON.stringify(trainJob(state).config);
    state = checked.state;
    if (changed) {
      // Other settings: a new run (the engine starts one for a new configuration).
      window.hhnetTrain = undefined;
      save.disabled = true;
      table.replaceChildren(tableHead());
    }
    command.textContent = trainCommand(state);
    history.replaceState(null, '', `?${trainQuery(state).toString()}`);
    void train();
  });
  stop.addEventListener('click', () => engine.stop());
  save.addEventListener('click', () => {
    engine.modelFile().then(
      (file) => download('model.safetensors', file.bytes, 'application/octet-stream'),
      (err: Error) => showMessage(`Cannot save the model: ${err.message}`),
    );
  });

  const tableHead = (): HTMLElement =>
    el(
      'tr',
      {},
      ...['epoch', 'mean loss', 'task 1', 'task 2', 'time'].map((h) => el('th', { scope: 'col' }, h)),
    );
  table.append(tableHead());
  form.append(
    el(
      'fieldset',
      {},
      el('legend', {}, 'Network'),
      field('model', model),
      field('time steps T', ints.T),
      field('learning rate', lr, "blank: the study's"),
    ),
    el(
      'fieldset',
      {},
      el('legend', {}, 'Data and schedule'),
      field('data set', dataset),
      fashionZone,
      field('training samples', ints.train),
      field('test samples', ints.test),
      field('batch', ints.batch),
      field('epochs', ints.epochs),
      field('seed', ints.seed),
    ),
    el('div', { class: 'actions' }, start, stop, save),
  );
  dataset.addEventListener('change', syncDataset);
  syncDataset();
  command.textContent = trainCommand(state);
  root.replaceChildren(
    el('h1', {}, 'Train'),
    el(
      'p',
      { class: 'about' },
      'Multi-MNIST (two digits on a 36×36 canvas, one task each) composed from the first 6,000 MNIST training and 1,000 test images, with the command line’s data composer, model and training step. ' +
        'For Multi-Fashion+MNIST or Multi-Fashion, give the page the official Fashion-MNIST files (they stay on this machine); it uses their first 6,000 and 1,000 images.',
    ),
    form,
    status,
    el('p', { class: 'command' }, 'On the full data set: ', command),
    lossCanvas,
    accCanvas,
    table,
  );
  if (parsed.problems.length) {
    showMessage(parsed.problems.join('\n'));
    setStatus('error');
    return;
  }
  setStatus('done');
  if (new URLSearchParams(location.search).get('autostart') === '1') form.requestSubmit();
}
