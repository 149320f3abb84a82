/**
 * The neuron lab page: a model and a stimulus from the form (or the URL, which always holds the
 * page's state), run by the engine worker as `hhnet simulate` would, V traces and a spike raster
 * on canvases, HH and tv-LIF2HH overlaid on request, and simulation.json to download.
 */
import { INTEGRATORS } from '../../neurons/types.js';
import { declaredModel } from '../../neurons/catalog.js';
import { defaultDt, inputUnitOf, modelDescription, modelNames } from '../../sim/registry.js';
import { STIMULUS_OPTIONS_OF } from '../../sim/simulation-job.js';
import { STIMULUS_KINDS } from '../../sim/stimulus.js';
import {
  LAB_LIMITS,
  OVERLAY_PARTNER,
  PARAM_PREFIX,
  fiCurrents,
  labCommand,
  labRequest,
  neuronQuery,
  optionParam,
  paramRange,
  parseNeuronQuery,
} from '../neuron-query.js';
import type { NeuronLabState } from '../neuron-query.js';
import { download, el, field, numberInput, select, setStatus, showMessage } from './dom.js';
import type { FiResult, SimulateResult } from '../protocol.js';
import type { EngineClient } from './engine-client.js';
import { drawRaster, drawSeries } from './plot.js';
import type { RasterRow, Series } from './plot.js';

const COLORS = { main: '#1f5fa8', overlay: '#d4572a', input: '#2c8a4b' };

/** What the last run left for the download button and for scripts (window.hhnetLab). */
interface LabResult {
  json: unknown;
  text: string;
  ms: number;
  backend: string;
  /** The F–I curve of the run, when one was asked for (`fi=` in the URL). */
  fi?: FiResult;
}

declare global {
  interface Window {
    hhnetLab?: LabResult;
  }
}

export function mountNeuronLab(root: HTMLElement, engine: EngineClient): void {
  const parsed = parseNeuronQuery(new URLSearchParams(location.search));
  let state = parsed.state;
  // novalidate: the page's own checks (the URL's) give the message, also for values the browser would block.
  const form = el('form', { id: 'lab-form', 'aria-label': 'simulation settings', novalidate: '' });
  const model = select('model', modelNames(), state.model);
  const stimulus = select('stimulus', STIMULUS_KINDS, state.stimulus);
  const integrator = select('integrator', INTEGRATORS, state.integrator);
  const duration = numberInput('duration', state.duration, { min: '0', max: String(LAB_LIMITS.maxDuration) });
  const dt = numberInput('dt', state.dt, { min: '0', max: String(LAB_LIMITS.maxDt) });
  const neurons = numberInput('neurons', state.neurons, {
    min: '1',
    max: String(LAB_LIMITS.maxNeurons),
    step: '1',
  });
  const overlay = el('input', { id: 'overlay', name: 'overlay', type: 'checkbox' });
  const options = el('div', { class: 'options' });
  const params = el('div', { class: 'params' });
  const fiFrom = numberInput('fi-from', state.fi?.from ?? 0);
  const fiTo = numberInput('fi-to', state.fi?.to ?? 20);
  const fiPoints = numberInput('fi-points', state.fi?.points ?? 21, {
    min: '2',
    max: String(LAB_LIMITS.maxFiPoints),
    step: '1',
  });
  const fiRun = el('button', { type: 'button', id: 'fi-run' }, 'Run with F–I curve');
  const fiPlot = el('canvas', {
    id: 'fi-plot',
    role: 'img',
    'aria-label': 'firing rate against input current',
    hidden: '',
  });
  const fiSummary = el('p', { id: 'fi-summary' });
  const about = el('p', { class: 'about', id: 'model-about' });
  const run = el('button', { type: 'submit', id: 'run' }, 'Run');
  const save = el('button', { type: 'button', id: 'download', disabled: '' }, 'Download JSON');
  const progress = el('progress', {
    id: 'progress',
    max: '1',
    value: '0',
    'aria-label': 'simulation progress',
  });
  const status = el('p', { id: 'run-status', role: 'status', 'aria-live': 'polite' });
  const command = el('code', { id: 'command' });
  const traces = el('canvas', { id: 'traces', role: 'img', 'aria-label': 'membrane potential over time' });
  const raster = el('canvas', { id: 'raster', role: 'img', 'aria-label': 'spike raster' });
  const summary = el('p', { id: 'summary' });

  /** One number field per option the chosen stimulus reads (blank: its default). */
  function renderOptions(values: NeuronLabState['options']): void {
    options.replaceChildren(
      ...STIMULUS_OPTIONS_OF[stimulus.value].map((key) =>
        field(optionParam(key), numberInput(`opt-${optionParam(key)}`, values[key]), 'blank: default'),
      ),
    );
  }

  /**
   * A slider and a number field per declared parameter, kept in step; the number field is what the
   * form reads, so any value can be typed (the URL's checks then apply).
   */
  function renderParams(values: Record<string, number>): void {
    const decl = declaredModel(model.value);
    if (!decl) {
      params.replaceChildren();
      return;
    }
    params.replaceChildren(
      ...decl.params.map((name) => {
        const unit = decl.declaration.params[name].unit;
        const range = paramRange(model.value, name);
        const value = values[name] ?? decl.defaults[name];
        const number = numberInput(`param-${name}`, value);
        number.dataset.default = String(decl.defaults[name]);
        const slider = el('input', {
          id: `range-${name}`,
          type: 'range',
          min: String(range.lo),
          max: String(range.hi),
          step: String(range.step),
          'aria-label': `${name} slider`,
        });
        slider.value = String(value);
        slider.addEventListener('input', () => (number.value = slider.value));
        number.addEventListener('input', () => (slider.value = number.value));
        const row = field(`${name}${unit ? ` (${unit})` : ''}`, number, `default ${decl.defaults[name]}`);
        row.insertBefore(slider, number);
        return row;
      }),
    );
  }

  function syncModel(): void {
    overlay.disabled = !(model.value in OVERLAY_PARTNER);
    const partner = OVERLAY_PARTNER[model.value];
    overlay.title = partner ? `also run ${partner} with the same input` : 'only for hh and tvlif2hh';
    about.textContent = modelDescription(model.value);
  }

  /** The form as a query, so the form and the URL go through the same checks. */
  function formQuery(): URLSearchParams {
    const q = new URLSearchParams({
      model: model.value,
      stimulus: stimulus.value,
      duration: duration.value,
      dt: dt.value,
      integrator: integrator.value,
      neurons: neurons.value,
      overlay: overlay.checked && !overlay.disabled ? '1' : '0',
    });
    for (const input of options.querySelectorAll('input'))
      if (input.value.trim() !== '') q.set(input.id.replace(/^opt-/, ''), input.value);
    // Only the parameters that differ from their defaults, so the URL and the command stay short.
    for (const input of params.querySelectorAll<HTMLInputElement>('input[type=number]'))
      if (input.value.trim() !== input.dataset.default)
        q.set(PARAM_PREFIX + input.id.replace(/^param-/, ''), input.value);
    return q;
  }

  async function simulate(): Promise<void> {
    setStatus('running');
    run.disabled = true;
    progress.value = 0;
    status.textContent = `running ${state.model}…`;
    try {
      const info = await engine.ready;
      const partner = state.overlay ? OVERLAY_PARTNER[state.model] : undefined;
      const reply = await engine.simulate({ request: labRequest(state), overlay: partner }, (e) => {
        if (e.kind === 'progress') progress.value = e.fraction;
      });
      progress.value = 1;
      window.hhnetLab = { json: reply.json, text: reply.text, ms: reply.ms, backend: info.backend };
      save.disabled = false;
      draw(reply);
      status.textContent = `${state.model}: ${reply.json.steps} steps in ${(reply.ms / 1000).toFixed(2)} s on ${info.backend}`;
      fiPlot.hidden = state.fi === null;
      fiSummary.textContent = '';
      if (state.fi) {
        status.textContent += '; F–I curve…';
        progress.value = 0;
        const fi = await engine.fiCurve(
          {
            options: {
              model: state.model,
              currents: fiCurrents(state.fi),
              duration: state.duration,
              dt: state.dt,
              integrator: state.integrator,
              params: { ...state.params },
            },
          },
          (e) => {
            if (e.kind === 'progress') progress.value = e.fraction;
          },
        );
        progress.value = 1;
        window.hhnetLab.fi = fi;
        drawFi(fi);
        status.textContent = status.textContent.replace(
          '; F–I curve…',
          `; F–I curve of ${fi.points.length} currents in ${(fi.ms / 1000).toFixed(2)} s`,
        );
      }
      setStatus('done');
    } catch (err) {
      status.textContent = '';
      showMessage(`The simulation failed: ${(err as Error).message}`);
      setStatus('error');
    } finally {
      run.disabled = false;
    }
  }

  function draw(reply: SimulateResult): void {
    const { json } = reply;
    const series: Series[] = json.traces.v.map((v, j) => ({
      label: `${json.model}${json.traces.v.length > 1 ? ` #${json.traces.recordedNeurons[j]}` : ''}`,
      color: COLORS.main,
      t: json.traces.t,
      y: v,
    }));
    const rows: RasterRow[] = json.spikeTimes.map((spikes, i) => ({
      label: `${json.model} #${i}`,
      color: COLORS.main,
      spikes,
    }));
    if (reply.overlay) {
      const o = reply.overlay;
      o.v.forEach((v) => series.push({ label: o.model, color: COLORS.overlay, t: o.t, y: v, dash: [6, 4] }));
      o.spikeTimes.forEach((spikes, i) =>
        rows.push({ label: `${o.model} #${i}`, color: COLORS.overlay, spikes }),
      );
    }
    drawSeries(traces, series, json.duration, 'V (mV)');
    drawRaster(raster, rows, json.duration);
    const counts = rows.map((r) => r.spikes.length);
    const total = counts.reduce((a, b) => a + b, 0);
    summary.textContent =
      `${total} spikes: ` +
      rows
        .slice(0, 8)
        .map(
          (r, i) =>
            `${r.label} ${counts[i]}${r.spikes.length ? ` (first at ${r.spikes[0].toFixed(2)} ms)` : ''}`,
        )
        .join('; ') +
      (rows.length > 8 ? '; …' : '') +
      (reply.input ? `. Input ${reply.input[0]} ${inputUnitOf(json.model)} at t = 0.` : '.');
  }

  function drawFi(fi: FiResult): void {
    const unit = inputUnitOf(state.model);
    const points = fi.points;
    drawSeries(
      fiPlot,
      [
        {
          label: `${state.model} F–I`,
          color: COLORS.main,
          t: points.map((p) => p.current),
          y: points.map((p) => p.rateHz),
        },
      ],
      points[points.length - 1].current,
      'rate (Hz)',
      `input current${unit ? ` (${unit})` : ''}`,
      points[0].current,
    );
    const onset = points.find((p) => p.rateHz > 0);
    fiSummary.textContent = onset
      ? `Sustained firing from ${onset.current} ${unit} (rate over the run's second half); ${points[points.length - 1].rateHz.toFixed(1)} Hz at ${points[points.length - 1].current} ${unit}.`
      : `No sustained firing from ${points[0].current} to ${points[points.length - 1].current} ${unit}.`;
  }

  function showState(): void {
    command.textContent = labCommand(state);
    history.replaceState(null, '', `?${neuronQuery(state).toString()}`);
  }

  model.addEventListener('change', () => {
    dt.value = String(defaultDt(model.value));
    renderParams({});
    syncModel();
  });
  stimulus.addEventListener('change', () => renderOptions({}));
  /** Checks the form (through the URL's checks) and runs it; with an F–I curve when withFi. */
  function submit(withFi: boolean): void {
    const query = formQuery();
    if (withFi) query.set('fi', `${fiFrom.value}:${fiTo.value}:${fiPoints.value}`);
    const checked = parseNeuronQuery(query);
    showMessage(checked.problems.join('\n'));
    if (checked.problems.length) {
      setStatus('error');
      return;
    }
    state = checked.state;
    showState();
    void simulate();
  }
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    submit(false);
  });
  fiRun.addEventListener('click', () => submit(true));
  save.addEventListener('click', () => {
    if (window.hhnetLab) download('simulation.json', window.hhnetLab.text);
  });

  overlay.checked = state.overlay;
  renderOptions(state.options);
  renderParams(state.params);
  syncModel();
  form.append(
    el(
      'fieldset',
      {},
      el('legend', {}, 'Neuron'),
      field('model', model),
      about,
      field('integrator', integrator),
      field('dt (ms)', dt),
      field('duration (ms)', duration),
      field('neurons', neurons),
      el(
        'div',
        { class: 'field check' },
        overlay,
        el('label', { for: 'overlay' }, 'overlay HH and tv-LIF2HH'),
      ),
    ),
    el('fieldset', {}, el('legend', {}, 'Stimulus'), field('kind', stimulus), options),
    el('fieldset', { class: 'param-set' }, el('legend', {}, 'Parameters'), params),
    el(
      'fieldset',
      {},
      el('legend', {}, 'F–I curve (constant currents, rate over the second half of the run)'),
      field('from', fiFrom),
      field('to', fiTo),
      field('points', fiPoints),
    ),
    el('div', { class: 'actions' }, run, fiRun, save, progress),
  );
  root.replaceChildren(
    el('h1', {}, 'Neuron lab'),
    form,
    status,
    el('p', { class: 'command' }, 'Same as: ', command),
    traces,
    raster,
    summary,
    fiPlot,
    fiSummary,
  );
  if (parsed.problems.length) {
    // Out-of-range URL values fell back to their defaults: say so, and wait for the user.
    showMessage(parsed.problems.join('\n'));
    command.textContent = labCommand(state);
    setStatus('error');
    return;
  }
  showState();
  void simulate();
}
