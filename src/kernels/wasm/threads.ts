/**
 * Worker threads for the wasm backend. Every worker instantiates the same module over the same
 * shared memory and sleeps on the WAKE word of the job block in the control area (layout and
 * claiming protocol: assembly/jobs.ts, runJob). For a large gemm (or HH population run) the main
 * thread publishes a job of column (neuron) chunks, wakes the workers and takes chunks itself;
 * whoever is free takes the next one. When the main thread runs out of chunks it waits briefly
 * for the chunks still in flight, then computes any that are not done itself (into a side
 * buffer), so a worker the OS has paused (a busy machine) costs about one chunk instead of
 * stalling the call. Spiking-kernel and Adam jobs update memory in place, so for them the main
 * thread waits for every chunk instead. Before the operand memory is written again, it waits for
 * INFLIGHT = 0, with a timeout (never forever). Workers are unref()'d, so they never keep Node
 * alive. The caller waits with Atomics.wait, so in a browser the backend runs in a Web Worker.
 */
import { CONTROL_BYTES } from './arena.js';
import { KernelExports } from './module.js';
import type { KernelWorker } from './platform-types.js';
import { kernelPlatform } from './platform.js';
import { WasmMemory, WasmModule } from './wasm-api.js';

/** What a worker receives at start-up. */
export interface WorkerInit {
  module: WasmModule;
  memory: WasmMemory;
  controlPtr: number;
  scratchPtr: number;
}

/**
 * One shared job: `chunks` chunks of the work `kind` names (the module's JOB_GEMM, JOB_HH,
 * JOB_SPIKING, JOB_ADAM or JOB_PACK), with up to JOB_MAX_ARGS kind-specific integer arguments (layouts:
 * assembly/jobs.ts).
 */
export interface Job {
  kind: number;
  chunks: number;
  args: readonly number[];
}

type JobField =
  | 'JOB_WAKE'
  | 'JOB_COMPLETED'
  | 'JOB_INFLIGHT'
  | 'JOB_ERRORS'
  | 'JOB_CHUNKS'
  | 'JOB_KIND'
  | 'JOB_ARGS'
  | 'JOB_DONE';

/** Typed views over the job block; its byte offsets come from the module's exported globals. */
export class JobBlock {
  /** Most chunks one job may have. */
  readonly maxChunks: number;
  /** Most arguments one job may have. */
  readonly maxArgs: number;
  private readonly i32: Int32Array;
  private readonly u64: BigUint64Array;
  private readonly idx: Record<JobField, number>;
  private readonly readyIdx: number;

  constructor(ex: KernelExports, memory: WasmMemory, controlPtr: number) {
    const fields: JobField[] = [
      'JOB_WAKE',
      'JOB_COMPLETED',
      'JOB_INFLIGHT',
      'JOB_ERRORS',
      'JOB_CHUNKS',
      'JOB_KIND',
      'JOB_ARGS',
      'JOB_DONE',
    ];
    this.idx = Object.fromEntries(fields.map((f) => [f, ex[f].value / 4])) as Record<JobField, number>;
    this.maxChunks = ex.JOB_MAX_CHUNKS.value;
    this.maxArgs = ex.JOB_MAX_ARGS.value;
    // The workers' ready counter sits right after the job block.
    this.readyIdx = ex.JOB_BYTES.value / 4;
    if (ex.JOB_BYTES.value + 4 > CONTROL_BYTES)
      throw new Error('wasm backend: job block does not fit the control area');
    this.i32 = new Int32Array(memory.buffer, controlPtr, CONTROL_BYTES / 4);
    this.u64 = new BigUint64Array(memory.buffer, controlPtr + ex.JOB_TICKET.value, 1);
  }

  private load(field: JobField): number {
    return Atomics.load(this.i32, this.idx[field]);
  }

  get wake(): number {
    return this.load('JOB_WAKE');
  }

  get errors(): number {
    return this.load('JOB_ERRORS');
  }

  get ready(): number {
    return Atomics.load(this.i32, this.readyIdx);
  }

  isDone(chunk: number): boolean {
    return Atomics.load(this.i32, this.idx.JOB_DONE + chunk) !== 0;
  }

  markReady(): void {
    Atomics.add(this.i32, this.readyIdx, 1);
  }

  /** After a runJob call threw mid-chunk (workers): leave the chunk and raise ERRORS. */
  markError(): void {
    Atomics.store(this.i32, this.idx.JOB_ERRORS, 1);
    if (Atomics.sub(this.i32, this.idx.JOB_INFLIGHT, 1) === 1)
      Atomics.notify(this.i32, this.idx.JOB_INFLIGHT);
  }

  /**
   * Waits until WAKE differs from `seen` (workers): polling for up to spinMs first, since a
   * training step posts its next job within about a millisecond and waking a thread from a futex
   * takes some 0.05–0.1 ms on a virtual machine, then sleeping.
   */
  sleep(seen: number, spinMs = 0): void {
    if (spinMs > 0 && spinUntil(() => Atomics.load(this.i32, this.idx.JOB_WAKE) !== seen, spinMs)) return;
    Atomics.wait(this.i32, this.idx.JOB_WAKE, seen);
  }

  /** Writes and opens a job, then wakes the sleepers. The block must be quiet (see quiesce). */
  publish(job: Job): void {
    if (job.chunks > this.maxChunks)
      throw new RangeError(`wasm backend: ${job.chunks} chunks > ${this.maxChunks}`);
    if (job.args.length > this.maxArgs)
      throw new RangeError(`wasm backend: ${job.args.length} job arguments > ${this.maxArgs}`);
    const ticket = Atomics.load(this.u64, 0);
    const gen = ((ticket >> 32n) + 1n) & 0xffffffffn;
    // Close the old job first: a thread still holding its arguments can no longer claim a chunk.
    Atomics.store(this.u64, 0, (ticket & 0xffffffff00000000n) | 0xffffffffn);
    const i32 = this.i32;
    Atomics.store(i32, this.idx.JOB_COMPLETED, 0);
    Atomics.store(i32, this.idx.JOB_CHUNKS, job.chunks);
    Atomics.store(i32, this.idx.JOB_KIND, job.kind);
    job.args.forEach((value, i) => Atomics.store(i32, this.idx.JOB_ARGS + i, value));
    for (let i = 0; i < job.chunks; i++) Atomics.store(i32, this.idx.JOB_DONE + i, 0);
    Atomics.store(this.u64, 0, gen << 32n);
    Atomics.add(i32, this.idx.JOB_WAKE, 1);
    Atomics.notify(i32, this.idx.JOB_WAKE);
  }

  /** Waits up to timeoutMs for `chunks` chunks to be complete; whether they are. */
  waitCompleted(chunks: number, timeoutMs: number): boolean {
    return this.waitFor('JOB_COMPLETED', (v) => v >= chunks, timeoutMs);
  }

  /** Waits up to timeoutMs until no thread is inside a chunk; whether none is. */
  quiesce(timeoutMs: number): boolean {
    return this.waitFor('JOB_INFLIGHT', (v) => v === 0, timeoutMs);
  }

  private waitFor(field: JobField, ok: (v: number) => boolean, timeoutMs: number): boolean {
    const at = this.idx[field];
    const deadline = performance.now() + timeoutMs;
    // The chunks still running usually end within a chunk's time: poll briefly before sleeping.
    if (spinUntil(() => ok(Atomics.load(this.i32, at)), Math.min(timeoutMs, WAIT_SPIN_MS))) return true;
    for (;;) {
      const v = Atomics.load(this.i32, at);
      if (ok(v)) return true;
      const left = deadline - performance.now();
      if (left <= 0) return false;
      Atomics.wait(this.i32, at, v, left);
    }
  }
}

/** How long a caller polls for a job's last chunks before it sleeps on them. */
const WAIT_SPIN_MS = 0.5;
/** How long an idle worker polls for the next job before it sleeps (worker.ts). */
export const WORKER_SPIN_MS = 1;

/** Polls `done` until it holds (true) or ms have passed (false). */
function spinUntil(done: () => boolean, ms: number): boolean {
  const until = performance.now() + ms;
  for (let k = 0; ; k++) {
    if (done()) return true;
    // Reading the clock costs more than a load: check it every 64 polls.
    if ((k & 63) === 63 && performance.now() >= until) return done();
  }
}

export class WorkerPool {
  private readonly workers: KernelWorker[] = [];
  private readonly started: Promise<void>;
  private alive: number;

  constructor(module: WasmModule, memory: WasmMemory, controlPtr: number, scratchPtrs: readonly number[]) {
    const ready: Promise<void>[] = [];
    this.alive = scratchPtrs.length;
    for (const scratchPtr of scratchPtrs) {
      const init: WorkerInit = { module, memory, controlPtr, scratchPtr };
      const worker = kernelPlatform.startWorker(init);
      ready.push(worker.started);
      worker.onExit(() => {
        this.alive--;
      });
      worker.unref();
      this.workers.push(worker);
    }
    this.started = Promise.all(ready).then(() => undefined);
  }

  /** Workers alive (those still starting count: they take chunks once up). */
  get size(): number {
    return this.alive;
  }

  /**
   * Resolves once every worker is ready (or has died trying). The workers are ref()'d meanwhile,
   * so awaiting this alone keeps Node running until they answer.
   */
  whenReady(): Promise<void> {
    for (const w of this.workers) w.ref();
    return this.started.then(() => {
      for (const w of this.workers) w.unref();
    });
  }

  /** Terminates the workers; the pool is unusable afterwards. */
  close(): void {
    this.alive = 0;
    for (const w of this.workers) w.terminate();
  }
}
