/**
 * The playground's engine (bundled as engine-worker.js): runs hhnet in a Web Worker, where the
 * wasm backend may block on its threads, and answers the pages' requests (protocol.ts).
 */
import { backendDescription, getBackend } from '../kernels/index.js';
import { KERNEL_FILES } from '../kernels/wasm/files.js';
import { preloadKernelFiles } from '../kernels/wasm/platform.browser.js';
import { inputTrace, planSimulation, runPlan, simulationJson } from '../sim/simulation-job.js';
import { jsonText } from '../util/json-text.js';
import type { EngineReply, EngineRequest, OverlayRun } from './protocol.js';

interface WorkerScope {
  onmessage: ((event: { data: EngineRequest }) => void) | null;
  postMessage(message: EngineReply): void;
  crossOriginIsolated?: boolean;
}

const scope = globalThis as unknown as WorkerScope;

function simulate(message: EngineRequest): EngineReply {
  const started = performance.now();
  const plan = planSimulation(message.request);
  const onProgress = (fraction: number): void =>
    scope.postMessage({ id: message.id, kind: 'progress', fraction });
  const { pop, result } = runPlan(plan, { onProgress });
  const json = simulationJson(plan, pop, result);
  const input = inputTrace(plan, result);
  let overlay: OverlayRun | undefined;
  if (message.overlay) {
    const other = planSimulation({ ...message.request, model: message.overlay });
    const run = runPlan(other).result;
    overlay = { model: message.overlay, t: run.t, v: run.traces.v, spikeTimes: run.spikeTimes };
  }
  return {
    id: message.id,
    kind: 'simulated',
    json,
    text: jsonText(json),
    input,
    overlay,
    ms: performance.now() - started,
  };
}

async function start(): Promise<void> {
  await preloadKernelFiles(KERNEL_FILES);
  getBackend(); // the wasm backend where it loads (needs cross-origin isolation), else js
  scope.onmessage = (event) => {
    try {
      scope.postMessage(simulate(event.data));
    } catch (err) {
      scope.postMessage({ id: event.data.id, kind: 'error', message: (err as Error).message });
    }
  };
  scope.postMessage({
    kind: 'ready',
    backend: backendDescription(),
    isolated: scope.crossOriginIsolated === true,
  });
}

start().catch((err: unknown) => scope.postMessage({ kind: 'failed', message: String(err) }));
