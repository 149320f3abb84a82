/**
 * The report page's reading of what `hhnet reproduce` writes: a results.json becomes a few tables
 * of headline numbers (each part that is present; a part of another shape is listed as not shown
 * rather than guessed at), and a report.html is recognised as hhnet's before the page shows it.
 * No DOM: the tests run it in Node.
 */
import { REPORT_GENERATOR } from '../report/html.js';

export interface SummaryTable {
  id: string;
  title: string;
  columns: string[];
  rows: (string | number | null)[][];
}

export interface ResultsSummary {
  title: string;
  /** "quick run, 2026-12-04T12:44:01.338Z; hhnet 0.1.0, Node v20.20.2, …" */
  subtitle: string;
  tables: SummaryTable[];
  /** Parts in the file that no table shows (another version's shape, or not summarised). */
  notShown: string[];
  /** Learning curves of the RL runs: return against environment steps, one series per actor. */
  rlCurves: { model: string; steps: number[]; returns: number[] }[];
}

type Json = Record<string, unknown>;

const isObject = (x: unknown): x is Json => typeof x === 'object' && x !== null && !Array.isArray(x);
const num = (x: unknown): number | null => (typeof x === 'number' && Number.isFinite(x) ? x : null);
const str = (x: unknown): string => (typeof x === 'string' ? x : String(x));
const arrayOf = (x: unknown): Json[] | null => (Array.isArray(x) && x.every(isObject) ? (x as Json[]) : null);

/** One summariser per part of results.json: a table, or null when the part has another shape. */
const PARTS: Record<string, (part: unknown) => SummaryTable | null> = {
  rest: (part) => {
    const rows = arrayOf(part);
    return rows
      ? {
          id: 'rest',
          title: 'Resting state',
          columns: ['model', 'integrator', 'V rest (mV)', 'largest drift (mV)'],
          rows: rows.map((r) => [str(r.model), str(r.integrator), num(r.restV), num(r.maxDriftMv)]),
        }
      : null;
  },
  fiCurve: (part) => {
    if (!isObject(part) || !isObject(part.sustainedOnset)) return null;
    return {
      id: 'fi-curve',
      title: 'F–I curve: onset of sustained firing',
      columns: ['integrator', 'onset current (µA/cm²)'],
      rows: Object.entries(part.sustainedOnset).map(([k, v]) => [k, num(v)]),
    };
  },
  equivalence: (part) => {
    const rows = isObject(part) ? arrayOf(part.entries) : null;
    return rows
      ? {
          id: 'equivalence',
          title: 'HH ≡ tv-LIF2HH (and s-LIF2HH): spike trains against HH',
          columns: ['stimulus', 'model', 'spikes', 'HH spikes', 'spike-time error / ISI', 'coincidence'],
          rows: rows.map((r) => [
            str(r.stimulus),
            str(r.model),
            num(r.spikeCount),
            num(r.referenceSpikeCount),
            num(r.spikeTimeErrorOverISI),
            num(r.coincidence),
          ]),
        }
      : null;
  },
  multitask: (part) => {
    const rows = isObject(part) ? arrayOf(part.models) : null;
    return rows && rows.every((r) => isObject(r.final))
      ? {
          id: 'multitask',
          title: 'Multi-task learning: test accuracy after the last epoch',
          columns: ['model', 'epochs', 'task 1 (%)', 'task 2 (%)', 'loss'],
          rows: rows.map((r) => {
            const f = r.final as Json;
            return [str(r.model), num(f.epoch), num(f.acc1), num(f.acc2), num(f.loss)];
          }),
        }
      : null;
  },
  robustness: (part) => {
    const rows = isObject(part) ? arrayOf(part.results) : null;
    return rows
      ? {
          id: 'robustness',
          title: `Robustness${isObject(part) && part.kind ? ` (${str(part.kind)})` : ''}: accuracy under input noise`,
          columns: ['model', 'noise', 'task 1 (%)', 'task 2 (%)'],
          rows: rows.map((r) => [str(r.model), num(r.noise), num(r.acc1), num(r.acc2)]),
        }
      : null;
  },
  resources: (part) => {
    const rows = isObject(part) ? arrayOf(part.models) : null;
    return rows
      ? {
          id: 'resources',
          title: 'Computing resources',
          columns: ['model', 'parameters', 'FLOPs / sample', 'peak activation bytes', 'train ms / batch'],
          rows: rows.map((r) => [
            str(r.model),
            num(r.params),
            num(r.flopsPerSample),
            num(r.peakActivationBytes),
            num(r.trainMsPerBatch),
          ]),
        }
      : null;
  },
  mi: (part) => {
    const runs = isObject(part) ? arrayOf(part.runs) : null;
    if (!runs || !runs.every((r) => Array.isArray(r.epochs) && r.epochs.length > 0)) return null;
    return {
      id: 'mi',
      title: 'Mutual information (last epoch)',
      columns: ['model', 'I(Z;X)', 'I(Z;Y) task 1', 'I(Z;Y) task 2', 'task 1 (%)', 'task 2 (%)'],
      rows: runs.map((r) => {
        const epochs = r.epochs as Json[];
        const last = epochs[epochs.length - 1];
        const izy = isObject(last.izy) ? last.izy : {};
        return [str(r.model), num(last.izx), num(izy.task1), num(izy.task2), num(last.acc1), num(last.acc2)];
      }),
    };
  },
  rl: (part) => {
    const runs = isObject(part) ? arrayOf(part.runs) : null;
    return runs
      ? {
          id: 'rl',
          title: 'Reinforcement learning: evaluation return',
          columns: ['environment', 'actor', 'steps', 'final return', 'best return', 'seconds'],
          rows: runs.map((r) => [
            str(r.env),
            str(r.model),
            num(r.steps),
            num(r.finalReturn),
            num(r.bestReturn),
            num(r.seconds),
          ]),
        }
      : null;
  },
  rlRobustness: (part) => {
    const rows = isObject(part) ? arrayOf(part.results) : null;
    return rows
      ? {
          id: 'rl-robustness',
          title: 'RL robustness: final return under observation and reward noise',
          columns: ['condition', 'actor', 'final return'],
          rows: rows.map((r) => [str(r.label), str(r.model), num(r.finalReturn)]),
        }
      : null;
  },
  beyond: (part) => {
    const rows = isObject(part) ? arrayOf(part.models) : null;
    return rows
      ? {
          id: 'beyond',
          title: 'Beyond the study: multi-branch neurons (mean over seeds)',
          columns: ['model', 'learning rate', 'parameters', 'task 1 (%)', 'task 2 (%)'],
          rows: rows.map((r) => [
            str(r.model),
            num(r.lr),
            num(r.params),
            isObject(r.acc1) ? num(r.acc1.mean) : null,
            isObject(r.acc2) ? num(r.acc2.mean) : null,
          ]),
        }
      : null;
  },
  ablation: (part) => {
    const rows = isObject(part) && isObject(part.multitask) ? arrayOf(part.multitask.contrasts) : null;
    if (!rows) return null;
    const reference =
      isObject(part) && isObject(part.multitask) ? str(part.multitask.reference) : 'the reference';
    return {
      id: 'ablation',
      title: `Ablation of internal complexity: difference to ${reference} (Welch 95% interval)`,
      columns: ['model', 'metric', 'difference', 'interval', 'verdict'],
      rows: rows.map((r) => [
        str(r.model),
        str(r.metric),
        num(r.difference),
        Array.isArray(r.ci95)
          ? r.ci95.map((x) => (typeof x === 'number' ? x.toPrecision(3) : '?')).join(' … ')
          : null,
        str(r.verdict),
      ]),
    };
  },
};

/** Fields of results.json that are about the run, not results. */
const META = new Set(['generatedAt', 'mode', 'notes', 'environment']);

/**
 * Reads a results.json: an Error naming the file and what is wrong when it is not JSON, or not
 * what `hhnet reproduce` writes; otherwise its tables.
 */
export function summarizeResults(text: string, fileName: string): ResultsSummary {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new Error(
      `${fileName} is not JSON (${(err as Error).message}); open the results.json that hhnet reproduce writes`,
    );
  }
  if (!isObject(json) || typeof json.generatedAt !== 'string' || typeof json.mode !== 'string')
    throw new Error(
      `${fileName} is not a results.json of hhnet reproduce (expected an object with generatedAt and mode; ` +
        `found ${isObject(json) ? `fields ${Object.keys(json).slice(0, 6).join(', ') || '(none)'}` : Array.isArray(json) ? 'an array' : typeof json})`,
    );
  const tables: SummaryTable[] = [];
  const notShown: string[] = [];
  for (const [key, value] of Object.entries(json)) {
    if (META.has(key)) continue;
    const table = Object.hasOwn(PARTS, key) ? PARTS[key](value) : null;
    if (table && table.rows.length > 0) tables.push(table);
    else notShown.push(key);
  }
  if (tables.length === 0)
    throw new Error(
      `${fileName} has none of the parts hhnet reproduce writes (${Object.keys(PARTS).join(', ')})`,
    );
  const env = isObject(json.environment) ? json.environment : {};
  const machine = ['hhnet', 'node', 'platform', 'cpu', 'memory']
    .filter((k) => env[k] !== undefined)
    .map((k) => (k === 'hhnet' ? `hhnet ${str(env[k])}` : str(env[k])))
    .join(', ');
  return {
    title: `hhnet reproduce (${json.mode})`,
    subtitle: `${json.mode} run, ${json.generatedAt}${machine ? `; ${machine}` : ''}`,
    tables,
    notShown,
    rlCurves: rlCurves(json.rl),
  };
}

function rlCurves(part: unknown): ResultsSummary['rlCurves'] {
  const runs = isObject(part) ? arrayOf(part.runs) : null;
  if (!runs) return [];
  return runs.flatMap((r) => {
    const evals = arrayOf(r.evals);
    if (!evals || evals.length === 0) return [];
    return [
      {
        model: str(r.model),
        steps: evals.map((e) => num(e.step) ?? 0),
        returns: evals.map((e) => num(e.meanReturn) ?? 0),
      },
    ];
  });
}

/**
 * Checks that text is an hhnet report.html (its generator tag; reports from before the tag: a
 * title starting "hhnet"); an Error naming the file otherwise.
 */
export function checkReportHtml(text: string, fileName: string): void {
  const head = text.slice(0, 4096);
  if (!/^\s*<!doctype html>/i.test(head))
    throw new Error(`${fileName} is not an HTML document; open the report.html that hhnet reproduce writes`);
  if (!head.includes(REPORT_GENERATOR) && !/<title>hhnet[^<]*<\/title>/.test(head))
    throw new Error(`${fileName} is an HTML page but not a report of hhnet reproduce`);
}
