/** A typed array that doubles its capacity as values are pushed (spike records, synapse lists). */
type Typed = Float64Array | Int32Array | Uint32Array;

export class Growable<T extends Typed> {
  length = 0;
  constructor(
    public data: T,
    /** The most values it may hold, and what to say beyond that. */
    private readonly limit = 2 ** 31 - 1,
    private readonly what = 'values',
  ) {}

  push(x: number): void {
    if (this.length === this.data.length) {
      if (this.length >= this.limit) throw new RangeError(`at most ${this.limit} ${this.what}`);
      const next = new (this.data.constructor as new (n: number) => T)(
        Math.min(this.limit, this.data.length * 2),
      );
      next.set(this.data);
      this.data = next;
    }
    this.data[this.length++] = x;
  }

  /** The values so far (a view: valid until the next push). */
  view(): T {
    return this.data.subarray(0, this.length) as T;
  }

  /** Replaces the contents. */
  load(values: ArrayLike<number>): void {
    this.data = new (this.data.constructor as new (n: number) => T)(
      Math.max(this.data.length, values.length),
    );
    this.data.set(values);
    this.length = values.length;
  }
}
