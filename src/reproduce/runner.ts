/**
 * Runs reproduce's parts in order. A finished part is saved at once (DIR/parts/NAME.json, atomic)
 * and reused on the next run when its configuration is unchanged, so a killed reproduce resumes
 * without redoing finished parts; long parts keep their own checkpoints under DIR/runs/NAME.
 * Progress: which part of how many, and an ETA from the plan's estimates scaled by how fast the
 * finished parts actually ran.
 */
import { readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { Progress } from '../util/progress.js';
import { interruptRequested, interruptedAt } from '../util/interrupt.js';
import { UserError, prepareOutDir, writeJson } from '../util/output.js';

export interface PartContext {
  /** A directory of its own for checkpoints of long runs. */
  dir: string;
  /** Fraction of this part done (drives the progress line). */
  progress(fraction: number): void;
  stage(message: string): void;
}

export class PartRunner {
  private readonly started = Date.now();
  private estimatedDone = 0;
  private actualDone = 0;
  private index = 0;
  /** Names of the parts that ran in this invocation (the rest were reused). */
  readonly ran: string[] = [];

  constructor(
    private readonly out: string,
    private readonly progress: Progress,
    private readonly estimates: Record<string, number>,
    /** Redo parts saved with other settings instead of refusing. */
    private readonly force = false,
  ) {}

  async run<T>(name: string, config: unknown, fn: (ctx: PartContext) => Promise<T> | T): Promise<T> {
    // A stop request between parts: everything finished so far is saved.
    if (interruptRequested())
      throw interruptedAt(
        this.out,
        `the start of part ${name}`,
        `the finished parts are saved in ${join(this.out, 'parts')}: the same command continues`,
      );
    this.index++;
    const total = Object.keys(this.estimates).length;
    const label = `[${this.index}/${total}] ${name}`;
    const path = join(this.out, 'parts', `${name}.json`);
    const estimate = this.estimates[name] ?? 60;
    const saved = await readPart<T>(path).catch((err: unknown) => {
      if (this.force && err instanceof UserError) return null;
      throw err;
    });
    if (saved) {
      if (JSON.stringify(saved.config) === JSON.stringify(config)) {
        this.progress.stage(`${label}: already done (${path}), reusing`);
        this.estimatedDone += estimate; // nothing to wait for; keep it out of the speed ratio
        return saved.result;
      }
      if (!this.force)
        throw new UserError(
          `${path} holds a finished "${name}" made with other settings (${configChanges(saved.config, config)}); ` +
            'pass --force to redo it, or choose another --out',
        );
      // its checkpoints belong to the old settings
      await rm(join(this.out, 'runs', name), { recursive: true, force: true });
    }
    this.progress.stage(
      `${label}: running (estimate ${fmt(estimate * this.speed())}; all left ${fmt(this.remaining())})`,
    );
    const t0 = Date.now();
    const dir = join(this.out, 'runs', name);
    await prepareOutDir(dir);
    const result = await fn({
      dir,
      progress: (f) => this.progress.update(`${label} (ETA all ${fmt(this.remaining(f * estimate))})`, f),
      stage: (m) => this.progress.stage(`${label}: ${m}`),
    });
    const seconds = (Date.now() - t0) / 1000;
    await writeJson(join(this.out, 'parts'), `${name}.json`, { config, seconds, result });
    this.actualDone += seconds;
    this.estimatedDone += estimate;
    this.ran.push(name);
    this.progress.stage(`${label}: done in ${fmt(seconds)}`);
    return result;
  }

  /** Measured seconds per estimated second so far (1 until a part has run). */
  private speed(): number {
    const ranEstimate = this.ran.reduce((s, n) => s + (this.estimates[n] ?? 60), 0);
    return ranEstimate > 0 ? this.actualDone / ranEstimate : 1;
  }

  private remaining(doneOfCurrent = 0): number {
    const all = Object.values(this.estimates).reduce((s, x) => s + x, 0);
    return Math.max(0, all - this.estimatedDone - doneOfCurrent) * this.speed();
  }

  get elapsedSeconds(): number {
    return (Date.now() - this.started) / 1000;
  }
}

function fmt(seconds: number): string {
  if (seconds < 90) return `${Math.round(seconds)} s`;
  if (seconds < 5400) return `${Math.round(seconds / 60)} min`;
  return `${(seconds / 3600).toFixed(1)} h`;
}

/** A saved part, or null when there is none; an unreadable one is an error, not a silent redo. */
async function readPart<T>(path: string): Promise<{ config: unknown; result: T } | null> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw err;
  }
  try {
    const doc = JSON.parse(text) as { config?: unknown; result?: T };
    if (doc && typeof doc === 'object' && 'config' in doc && 'result' in doc)
      return doc as { config: unknown; result: T };
  } catch {
    // reported below
  }
  throw new UserError(
    `${path} is not a saved part (expected JSON with config and result); delete it or pass --force`,
  );
}

/** The top-level settings that differ, for the message (e.g. `epochs 1 → 40`). */
function configChanges(saved: unknown, now: unknown): string {
  if (!saved || !now || typeof saved !== 'object' || typeof now !== 'object') return 'settings differ';
  const a = saved as Record<string, unknown>;
  const b = now as Record<string, unknown>;
  const keys = [...new Set([...Object.keys(a), ...Object.keys(b)])].filter(
    (k) => JSON.stringify(a[k]) !== JSON.stringify(b[k]),
  );
  const show = (v: unknown): string => {
    const t = JSON.stringify(v) ?? 'none';
    return t.length > 40 ? `${t.slice(0, 37)}…` : t;
  };
  return keys.map((k) => `${k} ${show(a[k])} → ${show(b[k])}`).join(', ') || 'settings differ';
}
