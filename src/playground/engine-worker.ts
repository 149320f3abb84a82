/**
 * The playground's engine (bundled as engine-worker.js): runs hhnet in a Web Worker, where the
 * wasm backend may block on its threads, and answers the pages' requests (protocol.ts). A
 * training run yields between batches, so a stop request is seen after the batch in progress.
 */
import { runFiCurve } from '../experiments/fi-curve.js';
import { declaredModel } from '../neurons/catalog.js';
import { inputTrace, planSimulation, runPlan, simulationJson } from '../sim/simulation-job.js';
import { TRAIN_DEFAULTS, withStudyDefaults } from '../train/config-defaults.js';
import { MultitaskStepper, modelFileBytes, noiseFor } from '../train/step.js';
import { jsonText } from '../util/json-text.js';
import type { EngineReply, FiJob, JobEvent, OverlayRun, SimulateJob, TrainJob } from './protocol.js';
import { loadFashion, multiSet } from './training-data.js';
import { serveWorker } from './worker-backend.js';

function simulate(id: number, job: SimulateJob, report: (e: JobEvent) => void): EngineReply {
  const started = performance.now();
  const plan = planSimulation(job.request);
  const { pop, result } = runPlan(plan, { onProgress: (fraction) => report({ kind: 'progress', fraction }) });
  const ms = performance.now() - started;
  const json = simulationJson(plan, pop, result);
  const input = inputTrace(plan, result);
  let overlay: OverlayRun | undefined;
  if (job.overlay) {
    // The partner takes the parameters it declares too (HH's conductances, say); others keep defaults.
    const declared = declaredModel(job.overlay)?.params ?? [];
    const params = Object.fromEntries(
      Object.entries(job.request.params).filter(([name]) => declared.includes(name)),
    );
    const other = planSimulation({ ...job.request, model: job.overlay, params });
    const run = runPlan(other).result;
    overlay = { model: job.overlay, t: run.t, v: run.traces.v, spikeTimes: run.spikeTimes };
  }
  return {
    id,
    kind: 'simulated',
    json,
    text: jsonText(json),
    input,
    overlay,
    ms,
  };
}

function fiCurve(id: number, job: FiJob, report: (e: JobEvent) => void): EngineReply {
  const started = performance.now();
  const { points } = runFiCurve({
    ...job.options,
    onProgress: (fraction) => report({ kind: 'progress', fraction }),
  });
  return { id, kind: 'fi-curve', points, ms: performance.now() - started };
}

/** Lets queued messages (a stop request) in between two batches. */
interface Port {
  onmessage: (() => void) | null;
  postMessage(message: unknown): void;
}
const channel = new MessageChannel() as unknown as { port1: Port; port2: Port };
function yieldToMessages(): Promise<void> {
  return new Promise((resolve) => {
    channel.port1.onmessage = () => resolve();
    channel.port2.postMessage(0);
  });
}

/** The run a train job continues when its configuration is the same (stop, then start again). */
let session: { key: string; stepper: MultitaskStepper; done: boolean } | null = null;
let stopRequested = false;

async function train(id: number, job: TrainJob, report: (e: JobEvent) => void): Promise<EngineReply> {
  // The page checked the settings (train-query.ts); zod (config.ts) stays out of the bundle.
  const cfg = withStudyDefaults({ ...TRAIN_DEFAULTS, ...job.config });
  const key = JSON.stringify(cfg);
  if (!session || session.key !== key || session.done) {
    const data = {
      train: await multiSet(cfg.dataset, 'train', cfg.limitTrain),
      test: await multiSet(cfg.dataset, 'test', cfg.limitTest),
      noise: noiseFor(cfg),
    };
    session = { key, stepper: new MultitaskStepper(cfg, data), done: false };
  }
  const { stepper } = session;
  report({
    kind: 'data',
    train: stepper.data.train.count,
    test: stepper.data.test.count,
    batchesPerEpoch: stepper.sampler.numBatches,
  });
  stopRequested = false;
  let steps = 0;
  let lossSum = 0;
  let epochStart = performance.now();
  for (;;) {
    await yieldToMessages();
    if (stopRequested || (job.steps !== undefined && steps >= job.steps))
      return { id, kind: 'trained', steps, stopped: stopRequested };
    const started = performance.now();
    const { loss, samples, epochDone } = stepper.step();
    steps++;
    lossSum += loss;
    const samplesPerSec = (1000 * samples) / Math.max(1e-3, performance.now() - started);
    report({ kind: 'batch', epoch: stepper.epoch, batch: stepper.batch, loss, samplesPerSec });
    if (!epochDone) continue;
    const { acc1, acc2 } = stepper.evaluate();
    const seconds = (performance.now() - epochStart) / 1000;
    report({ kind: 'epoch', epoch: stepper.epoch, loss: lossSum / stepper.batch, acc1, acc2, seconds });
    if (stepper.epoch >= cfg.epochs) {
      session.done = true;
      return { id, kind: 'trained', steps, stopped: false };
    }
    stepper.endEpoch();
    lossSum = 0;
    epochStart = performance.now();
  }
}

function modelFile(id: number): EngineReply {
  if (!session) throw new Error('nothing has been trained yet');
  const { stepper } = session;
  const epochs = stepper.epochsDone;
  return { id, kind: 'model-file', bytes: modelFileBytes(stepper.model, stepper.cfg, epochs), epochs };
}

serveWorker({
  url: import.meta.url,
  onStop: () => {
    stopRequested = true;
  },
  run: async (job, report) => {
    const { id } = job;
    if (job.kind === 'simulate') return simulate(id, job, report);
    if (job.kind === 'fi') return fiCurve(id, job, report);
    if (job.kind === 'train') return train(id, job, report);
    if (job.kind === 'fashion') return { id, kind: 'fashion-loaded', ...(await loadFashion(job.files)) };
    if (job.kind === 'model') return modelFile(id);
    throw new Error(`the engine does not run '${job.kind}' jobs (control-worker.js does)`);
  },
});
