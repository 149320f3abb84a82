/**
 * The control page: a spiking actor from `hhnet train rl` balancing its MuJoCo pendulum, drawn
 * live from qpos, with the actor's spike raster, the pole angle and the return. The worker
 * (control-worker.js) runs each episode as `hhnet play --episodes 1 --seed SEED` does. The
 * shipped actor loads by default; a model.safetensors can be dropped on the page or picked.
 */
import type { ActorResult, ControlFrame } from '../protocol.js';
import { el, field, numberInput, select, setStatus, showMessage } from './dom.js';
import type { EngineClient } from './engine-client.js';
import { drawPendulum } from './pendulum-view.js';
import { drawRaster, drawSeries } from './plot.js';

/** The actor the playground ships (assets/checkpoints/pendulum-hh, copied by the build). */
const SHIPPED = 'checkpoints/pendulum-hh/model.safetensors';
/** `hhnet play`'s default seed, so the page and the command line start from the same state. */
const DEFAULT_SEED = 12345;
const SPEEDS = ['1', '2', '4', 'max'] as const;
/** Actor steps shown in the raster. */
const RASTER_STEPS = 40;
/** Pole angle (rad) that ends an inverted-pendulum episode (pendulums.ts). */
const POLE_LIMIT = 0.2;

/** The last run as the page saw it, for scripts and tests (window.hhnetControl). */
interface ControlRecord {
  actor: ActorResult;
  seed: number;
  speed: string;
  backend: string;
  qpos: number[][];
  observations: number[][];
  actions: number[][];
  rewards: number[];
  /** Spikes of the hidden layer behind each action. */
  spikeCounts: number[];
  return: number;
  length: number;
  terminated: boolean;
  stopped: boolean;
  done: boolean;
  /** Wall time of the episode (with drawing and pacing). */
  seconds: number;
}

declare global {
  interface Window {
    hhnetControl?: ControlRecord;
  }
}

interface ControlState {
  seed: number;
  speed: (typeof SPEEDS)[number];
}

function parseControlQuery(q: URLSearchParams): { state: ControlState; problems: string[] } {
  const problems: string[] = [];
  const state: ControlState = { seed: DEFAULT_SEED, speed: '1' };
  const seed = q.get('seed');
  if (seed !== null) {
    const n = Number(seed);
    if (seed.trim() !== '' && Number.isSafeInteger(n) && n >= 0) state.seed = n;
    else problems.push(`seed=${seed} is not a non-negative integer; using ${DEFAULT_SEED} instead`);
  }
  const speed = q.get('speed');
  if (speed !== null) {
    if ((SPEEDS as readonly string[]).includes(speed)) state.speed = speed as ControlState['speed'];
    else problems.push(`speed=${speed} is not one of ${SPEEDS.join(', ')}; using 1 instead`);
  }
  return { state, problems: problems.map((p) => `URL value ${p}`) };
}

export function mountControlPage(root: HTMLElement, engine: EngineClient): void {
  const parsed = parseControlQuery(new URLSearchParams(location.search));
  let state = parsed.state;
  const form = el('form', { id: 'control-form', 'aria-label': 'episode settings', novalidate: '' });
  const file = el('input', { id: 'checkpoint', type: 'file', accept: '.safetensors' });
  const shipped = el('button', { type: 'button', id: 'shipped' }, 'Use the shipped actor');
  const actorInfo = el('p', { id: 'actor-info' }, 'loading the shipped actor and MuJoCo…');
  const seed = numberInput('seed', state.seed, { min: '0', step: '1' });
  const speed = select('speed', SPEEDS, state.speed);
  const start = el('button', { type: 'submit', id: 'start', disabled: '' }, 'Start');
  const stop = el('button', { type: 'button', id: 'stop', disabled: '' }, 'Stop');
  const status = el('p', { id: 'control-status', role: 'status', 'aria-live': 'polite' });
  const command = el('code', { id: 'command' });
  const scene = el('canvas', { id: 'pendulum', role: 'img', 'aria-label': 'the cart and pole' });
  const raster = el('canvas', { id: 'spikes', role: 'img', 'aria-label': "the actor's hidden-layer spikes" });
  const trace = el('canvas', { id: 'angle', role: 'img', 'aria-label': 'pole angle per step' });
  let actor: ActorResult | null = null;
  let running = false;
  let loading = false;
  let latest: ControlFrame | null = null;
  let drawPending = false;

  function describe(a: ActorResult): string {
    const trained = a.trainedSteps === null ? '' : `, trained ${a.trainedSteps} steps`;
    return `${a.name}: ${a.model} actor on ${a.env}${trained} (training seed ${a.trainingSeed}, ${a.neurons} spiking units, T = ${a.T})`;
  }

  function playCommand(): string {
    const dir = actor?.name === SHIPPED ? 'assets/checkpoints/pendulum-hh' : 'DIR';
    return `hhnet play --checkpoint ${dir} --episodes 1 --seed ${state.seed}`;
  }

  async function load(name: string, bytes: Promise<Uint8Array>): Promise<void> {
    loading = true;
    start.disabled = true;
    setStatus('loading');
    try {
      actor = await engine.loadActor(name, await bytes);
      actorInfo.textContent = describe(actor);
      command.textContent = playCommand();
      showMessage('');
      setStatus('done');
    } catch (err) {
      // The previous actor (if any) stays loaded and usable.
      showMessage(`Cannot use ${name}: ${(err as Error).message}`);
      setStatus('error');
    } finally {
      loading = false;
      start.disabled = actor === null;
    }
  }

  async function fetchShipped(): Promise<Uint8Array> {
    const response = await fetch(new URL(SHIPPED, location.href));
    if (!response.ok) throw new Error(`HTTP ${response.status}`);
    return new Uint8Array(await response.arrayBuffer());
  }

  function loadFile(f: File): void {
    if (running || loading) return;
    void load(
      f.name,
      f.arrayBuffer().then((b) => new Uint8Array(b)),
    );
  }

  function draw(rec: ControlRecord): void {
    drawPending = false;
    const frame = latest;
    if (!frame) return;
    drawPendulum(scene, {
      qpos: frame.qpos,
      limit: rec.actor.env === 'inverted-pendulum' ? POLE_LIMIT : undefined,
      caption: `step ${frame.step}, return ${frame.return.toFixed(1)}, action ${frame.action.map((a) => a.toFixed(3)).join(', ')}`,
    });
    const n = rec.actor.neurons;
    const T = rec.actor.T;
    const first = Math.max(0, rec.length - RASTER_STEPS);
    const rows = Array.from({ length: n }, () => ({
      label: 'hidden',
      color: '#1f5fa8',
      spikes: [] as number[],
    }));
    for (let s = first; s < rec.length; s++) {
      const spikes = trains[s];
      for (let t = 0; t < T; t++)
        for (let i = 0; i < n; i++) if (spikes[t * n + i]) rows[i].spikes.push(s + (t + 0.5) / T);
    }
    drawRaster(raster, rows, Math.max(first + RASTER_STEPS, rec.length), { lo: first, label: 'actor step' });
    const steps = rec.qpos.map((_, i) => i + 1);
    // The angle alone, in mrad: next to the action (order 0.1–1) it would be a flat line, and a
    // balanced pole stays within a few mrad.
    drawSeries(
      trace,
      [{ label: 'pole angle θ', color: '#00a3a3', t: steps, y: rec.qpos.map((q) => 1000 * q[1]) }],
      Math.max(rec.length, 1),
      'θ (mrad)',
      'step',
    );
  }

  /** Spike trains of the last run, per step (kept out of window.hhnetControl: the counts are there). */
  let trains: Uint8Array[] = [];

  async function run(): Promise<void> {
    if (!actor) return;
    running = true;
    setStatus('running');
    start.disabled = true;
    stop.disabled = false;
    file.disabled = true;
    shipped.disabled = true;
    try {
      const info = await engine.ready;
      const rec: ControlRecord = {
        actor,
        seed: state.seed,
        speed: state.speed,
        backend: info.backend,
        qpos: [],
        observations: [],
        actions: [],
        rewards: [],
        spikeCounts: [],
        return: 0,
        length: 0,
        terminated: false,
        stopped: false,
        done: false,
        seconds: 0,
      };
      const started = performance.now();
      window.hhnetControl = rec;
      trains = [];
      status.textContent = `episode with seed ${state.seed}…`;
      const result = await engine.control(
        { seed: state.seed, speed: state.speed === 'max' ? 0 : Number(state.speed) },
        (event) => {
          if (event.kind !== 'frame') return;
          rec.qpos.push(event.qpos);
          rec.observations.push(event.observation);
          rec.actions.push(event.action);
          rec.rewards.push(event.reward);
          rec.spikeCounts.push(event.spikes.reduce((a, b) => a + b, 0));
          trains.push(event.spikes);
          rec.return = event.return;
          rec.length = event.step;
          latest = event;
          if (!drawPending) {
            drawPending = true;
            requestAnimationFrame(() => draw(rec));
          }
        },
      );
      Object.assign(rec, {
        return: result.return,
        length: result.length,
        terminated: result.terminated,
        stopped: result.stopped,
        done: true,
        seconds: (performance.now() - started) / 1000,
      });
      draw(rec);
      const end = result.stopped ? 'stopped' : result.terminated ? 'the pole fell' : 'time limit reached';
      status.textContent =
        `return ${result.return} after ${result.length} steps (${end}) in ${rec.seconds.toFixed(1)} s ` +
        `on ${info.backend}`;
      setStatus('done');
    } catch (err) {
      showMessage(`The episode failed: ${(err as Error).message}`);
      setStatus('error');
    } finally {
      running = false;
      start.disabled = actor === null;
      stop.disabled = true;
      file.disabled = false;
      shipped.disabled = false;
    }
  }

  form.addEventListener('submit', (event) => {
    event.preventDefault();
    if (running || loading) return;
    const checked = parseControlQuery(new URLSearchParams({ seed: seed.value, speed: speed.value }));
    showMessage(checked.problems.join('\n').replace(/URL value /g, ''));
    if (checked.problems.length) {
      setStatus('error');
      return;
    }
    state = checked.state;
    command.textContent = playCommand();
    const q = new URLSearchParams({ page: 'control', seed: String(state.seed), speed: state.speed });
    history.replaceState(null, '', `?${q.toString()}`);
    void run();
  });
  stop.addEventListener('click', () => engine.stop());
  document.addEventListener('keydown', (event) => {
    if (event.key === 'Escape' && running) engine.stop();
  });
  file.addEventListener('change', () => {
    const f = file.files?.[0];
    if (f) loadFile(f);
    file.value = '';
  });
  shipped.addEventListener('click', () => {
    if (!running && !loading) void load(SHIPPED, fetchShipped());
  });
  // Drop a model.safetensors anywhere on the page.
  document.addEventListener('dragover', (event) => event.preventDefault());
  document.addEventListener('drop', (event) => {
    event.preventDefault();
    const f = event.dataTransfer?.files[0];
    if (f) loadFile(f);
  });

  form.append(
    el(
      'fieldset',
      {},
      el('legend', {}, 'Actor'),
      actorInfo,
      field('actor file', file, 'a model.safetensors from `hhnet train rl`; or drop it on the page'),
      shipped,
    ),
    el(
      'fieldset',
      {},
      el('legend', {}, 'Episode'),
      field('seed', seed, 'of the start state, as `hhnet play --seed`'),
      field('speed', speed, '× real time'),
    ),
    el('div', { class: 'actions' }, start, stop),
  );
  command.textContent = playCommand();
  root.replaceChildren(
    el('h1', {}, 'Control'),
    el(
      'p',
      { class: 'about' },
      'A spiking actor trained by `hhnet train rl` balances the inverted pendulum on MuJoCo’s WebAssembly build, one deterministic episode as `hhnet play` runs it: its Hodgkin–Huxley neurons see the last observations and their firing rate sets the force on the cart. Esc stops an episode.',
    ),
    form,
    status,
    el('p', { class: 'command' }, 'The same episode on the command line: ', command),
    scene,
    raster,
    trace,
  );
  void load(SHIPPED, fetchShipped()).then(() => {
    if (!actor) return;
    if (parsed.problems.length) {
      showMessage(parsed.problems.join('\n'));
      setStatus('error');
    } else if (new URLSearchParams(location.search).get('autostart') === '1') form.requestSubmit();
  });
}
