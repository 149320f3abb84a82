/** The page side of the engine worker (engine-worker.js): one request at a time, as promises. */
import type { EngineReply, EngineRequest } from '../protocol.js';

type Result = Extract<EngineReply, { kind: 'simulated' }>;
type Body = Omit<EngineRequest, 'id'>;

export interface EngineInfo {
  backend: string;
  isolated: boolean;
}

export class EngineClient {
  readonly ready: Promise<EngineInfo>;
  private readonly worker: Worker;
  private next = 1;
  private readonly pending = new Map<
    number,
    { resolve(r: Result): void; reject(e: Error): void; progress?: (f: number) => void }
  >();

  constructor() {
    this.worker = new Worker(new URL('./engine-worker.js', import.meta.url), {
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
    if (reply.kind === 'progress') {
      waiting.progress?.(reply.fraction);
      return;
    }
    this.pending.delete(reply.id);
    if (reply.kind === 'error') waiting.reject(new Error(reply.message));
    else waiting.resolve(reply);
  }

  async run(body: Body, progress?: (fraction: number) => void): Promise<Result> {
    await this.ready;
    const id = this.next++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject, progress });
      this.worker.postMessage({ ...body, id });
    });
  }
}
