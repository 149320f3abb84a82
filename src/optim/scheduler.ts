/** Learning-rate schedules stepped once per epoch, as torch.optim.lr_scheduler does. */
import { Optimizer } from './optimizer.js';

export interface LrScheduler {
  /** Call after each epoch. */
  step(): void;
  readonly lastEpoch: number;
  /** Re-positions the schedule after a resume (sets the optimiser's lr accordingly). */
  setEpoch(epoch: number): void;
}

/** lr = base · γ^(number of milestones ≤ epoch). */
export class MultiStepLR implements LrScheduler {
  lastEpoch = 0;
  private readonly baseLr: number;
  constructor(
    private readonly opt: Optimizer,
    readonly milestones: number[],
    readonly gamma = 0.1,
  ) {
    if (milestones.some((m, i) => !Number.isInteger(m) || m <= 0 || (i > 0 && m <= milestones[i - 1]))) {
      throw new RangeError(
        `MultiStepLR: milestones must be increasing positive integers, got [${milestones}]`,
      );
    }
    this.baseLr = opt.lr;
  }
  step(): void {
    this.setEpoch(this.lastEpoch + 1);
  }
  setEpoch(epoch: number): void {
    this.lastEpoch = epoch;
    const passed = this.milestones.filter((m) => m <= epoch).length;
    this.opt.lr = this.baseLr * Math.pow(this.gamma, passed);
  }
}

/** lr = base · γ^epoch. */
export class ExponentialLR implements LrScheduler {
  lastEpoch = 0;
  private readonly baseLr: number;
  constructor(
    private readonly opt: Optimizer,
    readonly gamma: number,
  ) {
    if (!(gamma > 0 && gamma <= 1))
      throw new RangeError(`ExponentialLR: gamma must be in (0, 1], got ${gamma}`);
    this.baseLr = opt.lr;
  }
  step(): void {
    this.setEpoch(this.lastEpoch + 1);
  }
  setEpoch(epoch: number): void {
    this.lastEpoch = epoch;
    this.opt.lr = this.baseLr * Math.pow(this.gamma, epoch);
  }
}
