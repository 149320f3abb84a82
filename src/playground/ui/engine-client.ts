/** The page side of the engine worker (engine-worker.js): jobs as promises, their events as callbacks. */
import type {
  ActorJob,
  ActorResult,
  ControlJob,
  ControlResult,
  EngineReply,
  FashionJob,
  FashionResult,
  FiJob,
  FiResult,
  JobEvent,
  ModelJob,
  ModelResult,
  SimulateJob,
  SimulateResult,
  TrainJob,
  TrainResult,
} from '../protocol.js';

export interface EngineInfo {
  backend: string;
  isolated: boolean;
}

type Result =
  SimulateResult | FiResult | TrainResult | FashionResult | ModelResult | ActorResult | ControlResult;

export class EngineClient {
  readonly ready: Promise<EngineInfo>;
  private readonly worker: Worker;
  private next = 1;
  private readonly pending = new Map<
    number,
    { resolve(r: Result): void; reject(e: Error): void; onEvent?: (e: JobEvent) => void }
  >();

  /**
   * threads: the wasm backend's thread count (default: the engine's, min(cores, 4)); script: the
   * worker (the control page has its own, control-worker.js).
   */
  constructor(threads?: number, script = 'engine-worker.js') {
    const url = new URL(`./${script}`, import.meta.url);
    if (threads !== undefined) url.searchParams.set('threads', String(threads));
    this.worker = new Worker(url, {
      type: 'module',
      name: 'hhnet engine',
    });
    this.ready = new Promise((resolve, reject) => {
      this.worker.addEventListener('error', (e) =>
        reject(new Error(`the engine did not start: ${e.message}`)),
      );
      this.worker.addEventListener('message', (event: MessageEvent<EngineReply>) => {
        const reply = event.data;
        if (reply.kind === 'ready') resolve({ backend: reply.backend, isolated: reply.isolated });
        else if (reply.kind === 'failed') reject(new Error(`the engine did not start: ${reply.message}`));
        else this.answer(reply);
      });
    });
  }

  private answer(reply: Exclude<EngineReply, { kind: 'ready' | 'failed' }>): void {
    const waiting = this.pending.get(reply.id);
    if (!waiting) return;
    if (reply.kind === 'event') {
      waiting.onEvent?.(reply.event);
      return;
    }
    this.pending.delete(reply.id);
    if (reply.kind === 'error') waiting.reject(new Error(reply.message));
    else waiting.resolve(reply);
  }

  private async post(
    job: SimulateJob | FiJob | TrainJob | FashionJob | ModelJob | ActorJob | ControlJob,
    onEvent?: (e: JobEvent) => void,
  ): Promise<Result> {
    await this.ready;
    const id = this.next++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject, onEvent });
      this.worker.postMessage({ ...job, id });
    });
  }

  simulate(job: Omit<SimulateJob, 'kind'>, onEvent?: (e: JobEvent) => void): Promise<SimulateResult> {
    return this.post({ kind: 'simulate', ...job }, onEvent) as Promise<SimulateResult>;
  }

  fiCurve(job: Omit<FiJob, 'kind'>, onEvent?: (e: JobEvent) => void): Promise<FiResult> {
    return this.post({ kind: 'fi', ...job }, onEvent) as Promise<FiResult>;
  }

  train(job: Omit<TrainJob, 'kind'>, onEvent?: (e: JobEvent) => void): Promise<TrainResult> {
    return this.post({ kind: 'train', ...job }, onEvent) as Promise<TrainResult>;
  }

  /** Hands the Fashion-MNIST files to the engine. */
  loadFashion(files: FashionJob['files']): Promise<FashionResult> {
    return this.post({ kind: 'fashion', files }) as Promise<FashionResult>;
  }

  /** The training run's model.safetensors. */
  modelFile(): Promise<ModelResult> {
    return this.post({ kind: 'model' }) as Promise<ModelResult>;
  }

  /** Checks and loads an actor's model.safetensors (control-worker.js). */
  loadActor(name: string, bytes: Uint8Array): Promise<ActorResult> {
    return this.post({ kind: 'actor', name, bytes }) as Promise<ActorResult>;
  }

  /** One episode of the loaded actor (control-worker.js). */
  control(job: Omit<ControlJob, 'kind'>, onEvent?: (e: JobEvent) => void): Promise<ControlResult> {
    return this.post({ kind: 'control', ...job }, onEvent) as Promise<ControlResult>;
  }

  /** Asks a training run (or an episode) to stop after the batch in progress (its promise then resolves). */
  stop(): void {
    this.worker.postMessage({ id: 0, kind: 'stop' });
  }
}
