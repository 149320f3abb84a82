/**
 * Replay buffer of transitions (window, action, reward, next window, terminated), a ring of
 * preallocated float32 columns that grows in chunks up to its capacity so a 10⁶ capacity costs
 * nothing until it is used.
 */
import { Rng } from '../util/rng.js';

export interface Batch {
  /** [B, windowSize] windows (oldest frame first). */
  obs: Float32Array;
  actions: Float32Array;
  rewards: Float32Array;
  nextObs: Float32Array;
  /** 1 where the episode terminated at this transition (no bootstrap), else 0. */
  dones: Float32Array;
  size: number;
}

const CHUNK = 16384;

export class ReplayBuffer {
  private obs: Float32Array;
  private nextObs: Float32Array;
  private actions: Float32Array;
  private rewards: Float32Array;
  private dones: Float32Array;
  private allocated = 0;
  /** Next slot to write. */
  private head = 0;
  size = 0;

  constructor(
    readonly capacity: number,
    readonly windowSize: number,
    readonly actionSize: number,
  ) {
    if (!Number.isInteger(capacity) || capacity < 1)
      throw new RangeError(`ReplayBuffer: capacity must be a positive integer, got ${capacity}`);
    this.obs = new Float32Array(0);
    this.nextObs = new Float32Array(0);
    this.actions = new Float32Array(0);
    this.rewards = new Float32Array(0);
    this.dones = new Float32Array(0);
  }

  add(
    obs: ArrayLike<number>,
    action: ArrayLike<number>,
    reward: number,
    nextObs: ArrayLike<number>,
    done: boolean,
  ): void {
    if (this.head >= this.allocated) this.grow(this.head + 1);
    const i = this.head;
    this.obs.set(obs, i * this.windowSize);
    this.nextObs.set(nextObs, i * this.windowSize);
    this.actions.set(action, i * this.actionSize);
    this.rewards[i] = reward;
    this.dones[i] = done ? 1 : 0;
    this.head = (this.head + 1) % this.capacity;
    this.size = Math.min(this.size + 1, this.capacity);
  }

  /** B transitions drawn uniformly with replacement (like the reference's random indices). */
  sample(batch: number, rng: Rng, into?: Batch): Batch {
    if (this.size === 0) throw new Error('ReplayBuffer: cannot sample from an empty buffer');
    const W = this.windowSize;
    const A = this.actionSize;
    const out = into && into.size === batch ? into : emptyBatch(batch, W, A);
    for (let b = 0; b < batch; b++) {
      const i = rng.int(this.size);
      out.obs.set(this.obs.subarray(i * W, (i + 1) * W), b * W);
      out.nextObs.set(this.nextObs.subarray(i * W, (i + 1) * W), b * W);
      out.actions.set(this.actions.subarray(i * A, (i + 1) * A), b * A);
      out.rewards[b] = this.rewards[i];
      out.dones[b] = this.dones[i];
    }
    return out;
  }

  /** The filled part as named columns (for checkpoints) plus the write position. */
  columns(): { head: number; size: number; data: Record<string, { shape: number[]; data: Float32Array }> } {
    const n = Math.min(this.size, this.allocated);
    return {
      head: this.head,
      size: this.size,
      data: {
        obs: { shape: [n, this.windowSize], data: this.obs.subarray(0, n * this.windowSize) },
        next_obs: { shape: [n, this.windowSize], data: this.nextObs.subarray(0, n * this.windowSize) },
        actions: { shape: [n, this.actionSize], data: this.actions.subarray(0, n * this.actionSize) },
        rewards: { shape: [n], data: this.rewards.subarray(0, n) },
        dones: { shape: [n], data: this.dones.subarray(0, n) },
      },
    };
  }

  restore(head: number, size: number, data: Record<string, Float32Array | undefined>): void {
    const expect: Record<string, number> = {
      obs: size * this.windowSize,
      next_obs: size * this.windowSize,
      actions: size * this.actionSize,
      rewards: size,
      dones: size,
    };
    for (const [k, n] of Object.entries(expect)) {
      if (!data[k] || data[k].length !== n)
        throw new RangeError(`replay buffer: column ${k} has ${data[k]?.length ?? 0} values, expected ${n}`);
    }
    if (size > this.capacity || head < 0 || head >= this.capacity)
      throw new RangeError(`replay buffer: size ${size} / head ${head} do not fit capacity ${this.capacity}`);
    this.grow(size);
    this.obs.set(data.obs!);
    this.nextObs.set(data.next_obs!);
    this.actions.set(data.actions!);
    this.rewards.set(data.rewards!);
    this.dones.set(data.dones!);
    this.head = head;
    this.size = size;
  }

  private grow(min: number): void {
    const n = Math.min(this.capacity, Math.max(min, this.allocated + CHUNK, this.allocated * 2));
    if (n <= this.allocated) return;
    const W = this.windowSize;
    const A = this.actionSize;
    const grown = (old: Float32Array, per: number): Float32Array => {
      const a = new Float32Array(n * per);
      a.set(old);
      return a;
    };
    this.obs = grown(this.obs, W);
    this.nextObs = grown(this.nextObs, W);
    this.actions = grown(this.actions, A);
    this.rewards = grown(this.rewards, 1);
    this.dones = grown(this.dones, 1);
    this.allocated = n;
  }
}

export function emptyBatch(batch: number, windowSize: number, actionSize: number): Batch {
  return {
    obs: new Float32Array(batch * windowSize),
    actions: new Float32Array(batch * actionSize),
    rewards: new Float32Array(batch),
    nextObs: new Float32Array(batch * windowSize),
    dones: new Float32Array(batch),
    size: batch,
  };
}
