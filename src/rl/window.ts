/**
 * The actor's view of time (spec 3.2): the last W observations, oldest first, each presented R
 * times to a spiking network (T = W·R steps). At the start of an episode the missing history is
 * zeros ('zero') or copies of the first observation ('repeat').
 */
export type WindowPadding = 'zero' | 'repeat';

export class ObservationWindow {
  /** Frames, oldest first: length·obsSize values. */
  readonly frames: Float32Array;

  constructor(
    readonly length: number,
    readonly obsSize: number,
    readonly padding: WindowPadding,
  ) {
    if (!Number.isInteger(length) || length < 1)
      throw new RangeError(`ObservationWindow: length must be a positive integer, got ${length}`);
    this.frames = new Float32Array(length * obsSize);
  }

  /** Starts an episode with its first observation. */
  reset(first: ArrayLike<number>): void {
    this.check(first);
    if (this.padding === 'zero') this.frames.fill(0);
    else for (let f = 0; f < this.length - 1; f++) this.frames.set(first, f * this.obsSize);
    this.frames.set(first, (this.length - 1) * this.obsSize);
  }

  /** Appends the newest observation, dropping the oldest. */
  push(obs: ArrayLike<number>): void {
    this.check(obs);
    this.frames.copyWithin(0, this.obsSize);
    this.frames.set(obs, (this.length - 1) * this.obsSize);
  }

  /** The newest observation (what the critics see). */
  latest(): Float32Array {
    return this.frames.subarray((this.length - 1) * this.obsSize);
  }

  private check(obs: ArrayLike<number>): void {
    if (obs.length !== this.obsSize)
      throw new RangeError(
        `ObservationWindow: observation has ${obs.length} values, expected ${this.obsSize}`,
      );
  }
}
