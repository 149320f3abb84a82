/**
 * Side-by-side benchmark (`npm run bench:compare`, docs/benchmarks.md): hhnet against PyTorch
 * (training steps of the multi-task fc models) and Brian2 (a full-HH population; the COBAHH
 * network), each doing the same work on the same machine. Every tool runs in its own process; the runs alternate
 * (hhnet, PyTorch, hhnet, Brian2 …) for N rounds and the medians over rounds are compared.
 *
 * The orchestration takes the process runner as an argument, so the bookkeeping (missing tools,
 * failed runs, medians, ratios, tables) is testable without Python or timing.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, readFileSync } from 'node:fs';
import { availableParallelism, cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { threadsFromEnv } from '../kernels/index.js';

export type ComparePart = 'train' | 'gemm' | 'sim' | 'network' | 'cable' | 'population';
export const COMPARE_PARTS: readonly ComparePart[] = [
  'train',
  'gemm',
  'sim',
  'network',
  'cable',
  'population',
];
/**
 * The parts a run takes unless --only names others. The cell population is opt-in: Brian2 compiles
 * one generated project per cell count (~10 minutes for 100 cells on 2 cores the first time; the
 * project is kept in the work directory and rebuilt only where it changed).
 */
export const DEFAULT_PARTS: readonly ComparePart[] = ['train', 'gemm', 'sim', 'network', 'cable'];
/** The cable part: hhnet's and Brian2's HH axon velocities must agree within this fraction. */
export const CABLE_VELOCITY_TOLERANCE = 0.03;
export const BRIAN_TARGETS = ['numpy', 'cython', 'cpp_standalone'] as const;
export type BrianTarget = (typeof BRIAN_TARGETS)[number];
/** The models both hhnet and bench/compare/torch_train.py implement. */
export const COMPARE_MODELS = ['hh-fc', 'lif-fc', 'slif2hh-fc'] as const;
export const TORCH_FORMULATIONS = ['reference', 'once'] as const;
export type TorchFormulation = (typeof TORCH_FORMULATIONS)[number];

/** Debian's interpreter (where apt installs python3-torch and python3-brian); HHNET_PYTHON overrides. */
export const DEFAULT_PYTHON = '/usr/bin/python3';

export const INSTALL_HINT = {
  torch: 'apt-get install python3-torch',
  brian2: 'apt-get install python3-brian',
} as const;

export interface CompareOptions {
  rounds: number;
  parts: ComparePart[];
  /** Training comparison. */
  models: string[];
  batch: number;
  T: number;
  steps: number;
  warmup: number;
  /** torch.set_num_threads (default: the machine's core count). */
  torchThreads: number;
  /** Population comparison. */
  neurons: number;
  duration: number;
  dt: number;
  current: number;
  brianTargets: BrianTarget[];
  /** OpenMP threads of the Brian2 C++ standalone build (0: Brian2's default single-threaded code). */
  brianOpenmpThreads: number;
  /** COBAHH comparison: neurons and network time (ms); round r uses seed r on both sides. */
  networkNeurons: number;
  networkDuration: number;
  /** Threads of hhnet's network step; Brian2's OpenMP build gets as many (1: its plain build). */
  networkThreads: number;
  /**
   * Cable comparison: the HH axon of `hhnet cable velocity` (476 µm × 30 mm, shifted HH,
   * 18.5 °C) with this many compartments and this step (ms), in hhnet and in Brian2's
   * SpatialNeuron (C++ standalone, bench/compare/brian_cable.py).
   */
  cableCompartments: number;
  cableDt: number;
  /**
   * Cell-population comparison (src/cable/population.ts, brian_cable.py population): ball-and-stick
   * cells of 51 compartments, HH everywhere, 0.5 nA into each soma; cells, duration (ms), dt (ms).
   */
  populationCells: number;
  populationDuration: number;
  populationDt: number;
  /** Python interpreter with torch / brian2. */
  python: string;
  /** Scratch directory (Brian2's C++ standalone project lives here between runs). */
  workDir: string;
  quick: boolean;
}

/**
 * Full run: 3 rounds, 20 timed steps after 10 warm-up, 100 ms; quick: 1 round, 2 + 1 steps, 5 ms.
 * Ten warm-up steps let V8 finish tiering hhnet's wasm and JS up to optimised code (the first
 * ~10 steps run up to 1.3× slower); a training run's thousands of steps run at that steady state.
 * PyTorch gets the same warm-up.
 */
/** The thread count hhnet's wasm backend will use (HHNET_THREADS, else one per core up to 4). */
function hhnetThreads(env: NodeJS.ProcessEnv): number {
  try {
    return threadsFromEnv(env);
  } catch {
    return coreCount();
  }
}

export function defaultCompareOptions(quick = false, env: NodeJS.ProcessEnv = process.env): CompareOptions {
  return {
    rounds: quick ? 1 : 3,
    parts: [...DEFAULT_PARTS],
    models: [...COMPARE_MODELS],
    batch: 128,
    T: 15,
    steps: quick ? 2 : 20,
    warmup: quick ? 1 : 10,
    // Every tool on as many threads as hhnet's wasm backend uses (a single-threaded Brian2 build
    // beside a two-threaded hhnet flatters hhnet: 11× becomes ~7.5× on the 2-core machine).
    torchThreads: hhnetThreads(env),
    neurons: 10000,
    duration: quick ? 5 : 100,
    dt: 0.01,
    current: 10,
    brianTargets: [...BRIAN_TARGETS],
    brianOpenmpThreads: hhnetThreads(env) > 1 ? hhnetThreads(env) : 0,
    networkNeurons: 4000,
    networkDuration: quick ? 50 : 1000,
    networkThreads: 1,
    cableCompartments: quick ? 300 : 1000,
    cableDt: quick ? 0.01 : 0.005,
    populationCells: quick ? 8 : 100,
    populationDuration: quick ? 10 : 100,
    populationDt: 0.025,
    python: env.HHNET_PYTHON || DEFAULT_PYTHON,
    workDir: join(tmpdir(), 'hhnet-bench-compare'),
    quick,
  };
}

// ---------------------------------------------------------------------------------------------
// Statistics and formatting (pure)

/** Median (mean of the two middle values for an even count); NaN for no values. */
export function median(xs: readonly number[]): number {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}

export interface Summary {
  /** Median over rounds, null when no run succeeded. */
  median: number | null;
  min: number | null;
  max: number | null;
  samples: number[];
}

export function summarize(samples: readonly number[]): Summary {
  if (samples.length === 0) return { median: null, min: null, max: null, samples: [] };
  return {
    median: median(samples),
    min: Math.min(...samples),
    max: Math.max(...samples),
    samples: [...samples],
  };
}

/**
 * hhnet's speed-up over another tool: time ratio other/hhnet for durations (ms per step), rate
 * ratio hhnet/other for throughputs (neuron-steps per second). > 1 means hhnet is faster.
 * Null when either side has no value.
 */
export function speedup(hhnet: number | null, other: number | null, kind: 'time' | 'rate'): number | null {
  if (hhnet === null || other === null || !(hhnet > 0) || !(other > 0)) return null;
  return kind === 'time' ? other / hhnet : hhnet / other;
}

/** 8.4× (two significant decimals below 10, one below 100). */
export function formatRatio(r: number | null): string {
  if (r === null) return '—';
  return `${r < 10 ? r.toFixed(2) : r < 100 ? r.toFixed(1) : r.toFixed(0)}×`;
}

/** A median with its range over rounds, e.g. "23.1 ms (21.0–25.3)"; or the reason there is none. */
export function formatSummary(s: Summary | null, unit: string, scale = 1, digits = 1, missing = '—'): string {
  if (!s || s.median === null || s.min === null || s.max === null) return missing;
  const f = (x: number): string => (x * scale).toFixed(digits);
  const range = s.samples.length > 1 && s.max !== s.min ? ` (${f(s.min)}–${f(s.max)})` : '';
  return `${f(s.median)}${unit ? ' ' + unit : ''}${range}`;
}

/** A Markdown table with padded columns (readable in a terminal, pasteable into a README). */
export function markdownTable(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const width = header.map((h, c) => Math.max(h.length, 3, ...rows.map((r) => (r[c] ?? '').length)));
  const line = (cells: readonly string[]): string =>
    `| ${width.map((w, c) => (cells[c] ?? '').padEnd(w)).join(' | ')} |`;
  return [line(header), `| ${width.map((w) => '-'.repeat(w)).join(' | ')} |`, ...rows.map(line)].join('\n');
}

/** The last stdout line that is a JSON object (tools print their result as one such line). */
export function lastJsonLine(stdout: string): Record<string, unknown> | null {
  const lines = stdout.split('\n').map((l) => l.trim());
  for (let i = lines.length - 1; i >= 0; i--) {
    if (!lines[i].startsWith('{')) continue;
    try {
      const v: unknown = JSON.parse(lines[i]);
      if (v && typeof v === 'object' && !Array.isArray(v)) return v as Record<string, unknown>;
    } catch {
      // not JSON: keep looking
    }
  }
  return null;
}

/** CPU model name from /proc/cpuinfo text (x86 "model name", ARM "Model"/"Hardware"), or null. */
export function cpuModelFromCpuinfo(text: string): string | null {
  for (const key of ['model name', 'Model', 'Hardware', 'cpu model']) {
    const m = new RegExp(`^${key}\\s*:\\s*(.+)$`, 'm').exec(text);
    if (m) return m[1].trim();
  }
  return null;
}

export function coreCount(): number {
  return typeof availableParallelism === 'function' ? availableParallelism() : cpus().length;
}

// ---------------------------------------------------------------------------------------------
// Tools

export interface ToolStatus {
  available: boolean;
  version: string | null;
  /** Why not available: "not installed — apt-get install …". */
  reason: string | null;
  /** What the interpreter said (import error), for the JSON. */
  detail: string | null;
}

/** What `python -c PROBE` reports: versions, null for a module that does not import. */
export interface PythonProbe {
  python: string | null;
  executable: string | null;
  modules: Record<string, string | null>;
  errors: Record<string, string>;
}

export const PROBE_MODULES = ['torch', 'brian2', 'numpy', 'Cython'] as const;

/** Prints one JSON line with the interpreter's and the modules' versions. */
export const PYTHON_PROBE = [
  'import json, platform, sys',
  'out = {"python": platform.python_version(), "executable": sys.executable, "modules": {}, "errors": {}}',
  `for name in ${JSON.stringify(PROBE_MODULES)}:`,
  '    try:',
  '        out["modules"][name] = str(getattr(__import__(name), "__version__", "unknown"))',
  '    except Exception as e:',
  '        out["modules"][name] = None',
  '        out["errors"][name] = type(e).__name__ + ": " + str(e)',
  'print(json.dumps(out))',
].join('\n');

export function parsePythonProbe(stdout: string): PythonProbe | null {
  const j = lastJsonLine(stdout);
  if (!j || typeof j.modules !== 'object' || j.modules === null) return null;
  return {
    python: typeof j.python === 'string' ? j.python : null,
    executable: typeof j.executable === 'string' ? j.executable : null,
    modules: j.modules as Record<string, string | null>,
    errors: (j.errors ?? {}) as Record<string, string>,
  };
}

/**
 * Whether torch and brian2 can be used. probe null: the interpreter did not run at all
 * (probeError says why, e.g. not found).
 */
export function toolStatuses(
  probe: PythonProbe | null,
  python: string,
  probeError: string | null,
): { torch: ToolStatus; brian2: ToolStatus } {
  const status = (mod: 'torch' | 'brian2'): ToolStatus => {
    const hint = INSTALL_HINT[mod];
    if (!probe) {
      return {
        available: false,
        version: null,
        reason: `not installed — ${hint} (no usable Python at ${python}; set HHNET_PYTHON)`,
        detail: probeError,
      };
    }
    const version = probe.modules[mod] ?? null;
    if (version === null) {
      return {
        available: false,
        version: null,
        reason: `not installed — ${hint}`,
        detail: probe.errors[mod] ?? null,
      };
    }
    return { available: true, version, reason: null, detail: null };
  };
  return { torch: status('torch'), brian2: status('brian2') };
}

// ---------------------------------------------------------------------------------------------
// Processes

export interface ProcResult {
  /** Exit code; null when killed or not started. */
  code: number | null;
  stdout: string;
  stderr: string;
  /** Why the process could not start or was stopped (e.g. ENOENT, timeout). */
  error: string | null;
  seconds: number;
}

export type ProcRunner = (
  command: string,
  args: readonly string[],
  opts: { cwd?: string; timeoutMs?: number },
) => Promise<ProcResult>;

/** Runs a process to completion, collecting its output (never throws). */
export const spawnRunner: ProcRunner = (command, args, opts) =>
  new Promise((resolveRun) => {
    const t0 = process.hrtime.bigint();
    let stdout = '';
    let stderr = '';
    let error: string | null = null;
    let settled = false;
    const finish = (code: number | null): void => {
      if (settled) return;
      settled = true;
      if (timer) clearTimeout(timer);
      resolveRun({ code, stdout, stderr, error, seconds: Number(process.hrtime.bigint() - t0) / 1e9 });
    };
    const child = spawn(command, [...args], { cwd: opts.cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    const timer =
      opts.timeoutMs !== undefined
        ? setTimeout(() => {
            error = `timed out after ${((opts.timeoutMs ?? 0) / 1000).toFixed(0)} s`;
            child.kill('SIGKILL');
          }, opts.timeoutMs)
        : null;
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.on('error', (err) => {
      error ??= err.message;
      if (child.pid === undefined) finish(null); // never started (e.g. ENOENT): no 'close' to wait for
    });
    child.on('close', (code) => finish(code));
  });

/** One line saying why a run failed: the start error, or the exit code and stderr's last lines. */
export function failureMessage(r: ProcResult, what: string): string {
  if (r.error) return `${what}: ${r.error}`;
  const tail = r.stderr
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '' && !/Warning|^\s*(if not hasattr|obj = getattr)/.test(l))
    .slice(-3)
    .join(' / ');
  if (r.code !== 0) return `${what}: exit code ${r.code}${tail ? ': ' + tail : ''}`;
  return `${what}: no JSON result on stdout${tail ? ' (stderr: ' + tail + ')' : ''}`;
}

// ---------------------------------------------------------------------------------------------
// The comparison

export interface TrainRow {
  model: string;
  hhnet: Summary;
  hhnetBackend: string | null;
  torchReference: Summary;
  torchOnce: Summary;
  /** torch ms / hhnet ms (> 1: hhnet faster). */
  speedupVsReference: number | null;
  speedupVsOnce: number | null;
}

/**
 * The GEMM part: the fc models' first-layer products at the comparison's batch (forward x·Wᵀ into
 * 512 hidden units, and its weight gradient), which bound the fc training step from below.
 */
export function fcGemmShapes(batch: number): string {
  return `${batch}x512x1296:NT,512x1296x${batch}:TN`;
}

export interface GemmRow {
  /** "MxNxK:AB" (hhnet bench gemm --shapes). */
  shape: string;
  /** ms per product over rounds. */
  hhnet: Summary;
  torch: Summary;
  /** Median GFLOP/s. */
  hhnetGflops: number | null;
  torchGflops: number | null;
  /** torch ms / hhnet ms (> 1: hhnet faster). */
  speedup: number | null;
}

export interface SimRow {
  /** 'hhnet' or 'brian2 <target>'. */
  tool: string;
  /** Neuron-steps per second over rounds. */
  rate: Summary;
  /** Spike count of each round. */
  spikes: number[];
  /** hhnet's rate (exact rates) / this rate (null for hhnet's own rows). */
  speedup: number | null;
  /** hhnet's rate with rate tables / this rate (null for hhnet's own rows). */
  speedupTables: number | null;
  /** Set when the tool is not installed. */
  missing: string | null;
  /** Brian2 C++ standalone: wall time of the whole binary run, per round (s). */
  binarySeconds?: number[];
}

export interface NetworkRow {
  /** 'hhnet' (the default wasm step with rate tables), 'hhnet exact rates' or 'brian2 cpp_standalone'. */
  tool: string;
  /** Network construction plus simulation (s), per round. */
  wallSeconds: Summary;
  /** Simulation loop alone (s). */
  simulateSeconds: Summary;
  meanRateHz: Summary;
  cvIsi: Summary;
  synapses: number[];
  /** Brian2's wall time / this hhnet row's (> 1: hhnet faster); null for Brian2's row. */
  speedupWall: number | null;
  speedupSimulate: number | null;
  missing: string | null;
}

export interface CableRow {
  /** 'hhnet' or 'brian2 cpp_standalone'. */
  tool: string;
  velocityMps: Summary;
  /** The simulation loop alone (s): hhnet's simulateCable call, Brian2's binary main loop. */
  simulateSeconds: Summary;
  /** Brian2's simulate time / hhnet's (> 1: hhnet faster); null for hhnet's rows. */
  speedupSimulate: number | null;
  /** The same against hhnet's wasm engine (rate tables). */
  speedupWasm: number | null;
  missing: string | null;
}

export interface PopulationRow {
  /** 'hhnet' (rate tables), 'hhnet exact rates' or 'brian2 cpp_standalone'. */
  tool: string;
  /** The simulation loop alone (s): the many-cell kernel's stepping, Brian2's binary main loop. */
  simulateSeconds: Summary;
  /** Spikes per cell, per round (the same work on both sides). */
  spikesPerCell: number[];
  /** Brian2's simulate time / this hhnet row's (> 1: hhnet faster); null for Brian2's row. */
  speedupSimulate: number | null;
  missing: string | null;
}

export interface CompareError {
  round: number;
  job: string;
  message: string;
}

export interface MachineNote {
  cpu: string;
  cores: number;
  node: string;
  python: string | null;
  pythonPath: string;
  torch: string | null;
  torchThreads: number | null;
  brian2: string | null;
  numpy: string | null;
  cython: string | null;
  /** 1-minute load average at the start and the end of the run (other work on the machine). */
  loadAverage: { start: number; end: number };
  hhnetThreads: string | null;
}

export interface CompareReport {
  version: 1;
  createdAt: string;
  options: CompareOptions;
  machine: MachineNote;
  tools: { torch: ToolStatus | null; brian2: ToolStatus | null };
  train: {
    rows: TrainRow[];
    /** Round 1's check that both PyTorch formulations give the same loss and gradient. */
    torchChecks: unknown[];
  } | null;
  gemm: { rows: GemmRow[] } | null;
  sim: {
    rows: SimRow[];
    neuronSteps: number;
    timing: { hhnet: string; brian2: Record<string, string> };
  } | null;
  network: { rows: NetworkRow[]; timing: Record<string, string> } | null;
  cable: {
    rows: CableRow[];
    /** |v_brian2 − v_hhnet| / v_brian2 of the medians; null when either is missing. */
    velocityDifference: number | null;
    tolerance: number;
    /** velocityDifference ≤ tolerance; null when it cannot be measured. */
    agrees: boolean | null;
    timing: Record<string, string>;
  } | null;
  population: { rows: PopulationRow[]; timing: Record<string, string> } | null;
  errors: CompareError[];
  /** Wall time of the whole comparison (s). */
  seconds: number;
}

export interface CompareDeps {
  run: ProcRunner;
  /** Progress lines (stderr in the CLI). */
  log: (line: string) => void;
  /** Paths of hhnet's CLI and the Python scripts (defaults: this checkout's). */
  hhnetCli?: string;
  scriptsDir?: string;
  /** Machine facts (overridable for tests). */
  cpuinfo?: () => string;
  loadavg?: () => number;
  now?: () => Date;
}

const HERE = new URL('.', import.meta.url);

/** dist/src/cli/main.js next to this module (dist/src/experiments/). */
export function defaultHhnetCli(): string {
  return fileURLToPath(new URL('../cli/main.js', HERE));
}

/** bench/compare/ of the checkout (three levels above dist/src/experiments/). */
export function defaultScriptsDir(): string {
  return fileURLToPath(new URL('../../../bench/compare/', HERE));
}

const JOB_TIMEOUT_MS = 30 * 60 * 1000;

function num(v: unknown): number | null {
  return typeof v === 'number' && Number.isFinite(v) ? v : null;
}

export async function runCompare(opts: CompareOptions, deps: CompareDeps): Promise<CompareReport> {
  const t0 = Date.now();
  const now = deps.now ?? ((): Date => new Date());
  const load = deps.loadavg ?? ((): number => loadavg()[0]);
  const loadStart = load();
  const cli = deps.hhnetCli ?? defaultHhnetCli();
  const scripts = deps.scriptsDir ?? defaultScriptsDir();
  const wantTrain = opts.parts.includes('train');
  const wantGemm = opts.parts.includes('gemm');
  const wantSim = opts.parts.includes('sim');
  const wantNetwork = opts.parts.includes('network');
  const wantCable = opts.parts.includes('cable');
  const wantPopulation = opts.parts.includes('population');
  const wantBrian = wantSim || wantNetwork || wantCable || wantPopulation;
  const errors: CompareError[] = [];
  if (wantBrian) mkdirSync(opts.workDir, { recursive: true }); // Brian2 runs there

  // Which Python tools are there.
  const probeRun = await deps.run(opts.python, ['-c', PYTHON_PROBE], { timeoutMs: 120_000 });
  const probe = probeRun.error === null && probeRun.code === 0 ? parsePythonProbe(probeRun.stdout) : null;
  const tools = toolStatuses(probe, opts.python, probe ? null : failureMessage(probeRun, opts.python));
  if ((wantTrain || wantGemm) && !tools.torch.available) deps.log(`PyTorch: ${tools.torch.reason} — skipped`);
  if (wantBrian && !tools.brian2.available) deps.log(`Brian2: ${tools.brian2.reason} — skipped`);

  // Samples per round.
  const hhTrain = new Map<string, number[]>(opts.models.map((m) => [m, []]));
  const torchTrain = new Map<string, number[]>(
    opts.models.flatMap((m) => TORCH_FORMULATIONS.map((f) => [`${m}/${f}`, []] as [string, number[]])),
  );
  let hhnetBackend: string | null = null;
  let torchThreads: number | null = null;
  let torchChecks: unknown[] = [];
  const gemmShapes = fcGemmShapes(opts.batch).split(',');
  const gemmSamples = new Map<string, number[]>(
    gemmShapes.flatMap((g) => ['hhnet', 'torch'].map((t) => [`${t}/${g}`, []] as [string, number[]])),
  );
  const simRates = new Map<string, number[]>();
  const simSpikes = new Map<string, number[]>();
  const binarySeconds: number[] = [];
  /** hhnet's population runs: exact rates, and the gates from a rate table (1/32 mV). */
  const HHNET_SIM: [string, string[]][] = [
    ['hhnet', []],
    ['hhnet rate tables', ['--rate-table', `${1 / 32}`]],
  ];
  const simTools = [...HHNET_SIM.map(([t]) => t), ...opts.brianTargets.map((t) => `brian2 ${t}`)];
  for (const t of simTools) {
    simRates.set(t, []);
    simSpikes.set(t, []);
  }
  const BRIAN_NET = 'brian2 cpp_standalone';
  /** hhnet's runs: the default (rate tables) and with every rate computed (--exact-rates). */
  const HHNET_NET: [string, string[]][] = [
    ['hhnet', []],
    ['hhnet exact rates', ['--exact-rates']],
  ];
  const NET_TOOLS = [...HHNET_NET.map(([t]) => t), BRIAN_NET];
  const NET_FIELDS = ['wallSeconds', 'simulateSeconds', 'meanRateHz', 'cvIsi', 'synapses'] as const;
  const netSamples = new Map<string, number[]>(
    NET_TOOLS.flatMap((t) => NET_FIELDS.map((f) => [`${t}/${f}`, []] as [string, number[]])),
  );

  const job = async (
    round: number,
    name: string,
    command: string,
    args: string[],
    cwd?: string,
  ): Promise<Record<string, unknown> | null> => {
    deps.log(`[round ${round}/${opts.rounds}] ${name} …`);
    const r = await deps.run(command, args, { cwd, timeoutMs: JOB_TIMEOUT_MS });
    const j = r.error === null && r.code === 0 ? lastJsonLine(r.stdout) : null;
    if (!j) {
      const message = failureMessage(r, name);
      errors.push({ round, job: name, message });
      deps.log(`[round ${round}/${opts.rounds}] ${message}`);
      return null;
    }
    deps.log(`[round ${round}/${opts.rounds}] ${name} done in ${r.seconds.toFixed(1)} s`);
    return j;
  };
  /** hhnet's axon runs: the TypeScript solver (float64), and the wasm kernel with rate tables. */
  const HHNET_CABLE: [string, string[]][] = [
    ['hhnet', []],
    ['hhnet wasm', ['--engine', 'wasm']],
  ];
  const CABLE_TOOLS = [...HHNET_CABLE.map(([t]) => t), 'brian2 cpp_standalone'];
  const cableSamples = new Map<string, number[]>(
    CABLE_TOOLS.flatMap((t) =>
      ['velocityMps', 'simulateSeconds'].map((f) => [`${t}/${f}`, []] as [string, number[]]),
    ),
  );
  /** hhnet's population runs: the many-cell kernel with rate tables, and with exact rates. */
  const HHNET_POP: [string, string[]][] = [
    ['hhnet', []],
    ['hhnet exact rates', ['--exact-rates']],
  ];
  const POP_TOOLS = [...HHNET_POP.map(([t]) => t), BRIAN_NET];
  const popSamples = new Map<string, number[]>(
    POP_TOOLS.flatMap((t) =>
      ['simulateSeconds', 'spikesPerCell'].map((f) => [`${t}/${f}`, []] as [string, number[]]),
    ),
  );
  const push = (m: Map<string, number[]>, key: string, v: number | null): void => {
    if (v !== null) m.get(key)?.push(v);
  };

  for (let round = 1; round <= opts.rounds; round++) {
    if (wantTrain) {
      const common = [
        '--batch',
        `${opts.batch}`,
        '--T',
        `${opts.T}`,
        '--steps',
        `${opts.steps}`,
        '--warmup',
        `${opts.warmup}`,
      ];
      const h = await job(round, 'hhnet bench train', process.execPath, [
        cli,
        'bench',
        'train',
        '--models',
        opts.models.join(','),
        ...common,
        '--json',
      ]);
      for (const r of (h?.results as Record<string, unknown>[] | undefined) ?? []) {
        push(hhTrain, String(r.model), num(r.msPerStep));
        if (typeof r.kernels === 'string') hhnetBackend = r.kernels;
      }
      if (tools.torch.available) {
        const args = [join(scripts, 'torch_train.py'), '--models', opts.models.join(','), ...common];
        args.push('--threads', `${opts.torchThreads}`);
        if (round > 1) args.push('--no-check'); // the formulations are checked once
        const t = await job(round, 'PyTorch training steps', opts.python, args);
        if (t) {
          torchThreads = num(t.threads) ?? torchThreads;
          if (round === 1 && Array.isArray(t.checks)) torchChecks = t.checks;
          for (const r of (t.results as Record<string, unknown>[] | undefined) ?? []) {
            push(torchTrain, `${String(r.model)}/${String(r.formulation)}`, num(r.msPerStep));
          }
        }
      }
    }
    if (wantGemm) {
      const shapes = ['--shapes', gemmShapes.join(',')];
      const h = await job(round, 'hhnet bench gemm', process.execPath, [
        cli,
        'bench',
        'gemm',
        ...shapes,
        '--json',
      ]);
      for (const r of (h?.rows as Record<string, unknown>[] | undefined) ?? [])
        push(gemmSamples, `hhnet/${String(r.label)}`, num(r.ms));
      if (tools.torch.available) {
        const args = [join(scripts, 'torch_gemm.py'), ...shapes, '--threads', `${opts.torchThreads}`];
        const t = await job(round, 'PyTorch GEMM', opts.python, args);
        if (t) torchThreads = num(t.threads) ?? torchThreads;
        for (const r of (t?.rows as Record<string, unknown>[] | undefined) ?? [])
          push(gemmSamples, `torch/${String(r.label)}`, num(r.ms));
      }
    }
    if (wantSim) {
      const common = [
        '--neurons',
        `${opts.neurons}`,
        '--duration',
        `${opts.duration}`,
        '--dt',
        `${opts.dt}`,
        '--current',
        `${opts.current}`,
      ];
      for (const [tool, extra] of HHNET_SIM) {
        const h = await job(round, `${tool} bench sim`, process.execPath, [
          cli,
          'bench',
          'sim',
          '--model',
          'hh',
          '--integrator',
          'expeuler',
          ...common,
          ...extra,
          '--json',
        ]);
        if (h) {
          push(simRates, tool, num(h.neuronStepsPerSec));
          push(simSpikes, tool, num(h.spikes));
        }
      }
      if (tools.brian2.available) {
        for (const target of opts.brianTargets) {
          const key = `brian2 ${target}`;
          const b = await job(
            round,
            `Brian2 ${target}`,
            opts.python,
            [
              join(scripts, 'brian_hh.py'),
              '--target',
              target,
              ...common,
              '--build-dir',
              join(opts.workDir, 'brian_cpp_standalone'),
              ...(target === 'cpp_standalone' ? ['--openmp-threads', `${opts.brianOpenmpThreads}`] : []),
            ],
            opts.workDir,
          );
          if (b) {
            push(simRates, key, num(b.neuronStepsPerSec));
            push(simSpikes, key, num(b.spikes));
            const bs = num(b.binarySeconds);
            if (target === 'cpp_standalone' && bs !== null) binarySeconds.push(bs);
          }
        }
      }
    }
    if (wantNetwork) {
      const common = [
        '--neurons',
        `${opts.networkNeurons}`,
        '--duration',
        `${opts.networkDuration}`,
        '--seed',
        `${round}`,
      ];
      for (const [tool, extra] of HHNET_NET) {
        const h = await job(round, `${tool} network cobahh`, process.execPath, [
          cli,
          'network',
          'cobahh',
          ...common,
          ...extra,
          '--threads',
          `${opts.networkThreads}`,
          '--json',
          '--quiet',
          '--force',
          '--out',
          join(opts.workDir, 'hhnet-cobahh'),
        ]);
        if (h) for (const f of NET_FIELDS) push(netSamples, `${tool}/${f}`, num(h[f]));
      }
      if (tools.brian2.available) {
        const b = await job(
          round,
          'Brian2 COBAHH (cpp_standalone)',
          opts.python,
          [
            join(scripts, 'brian_cobahh.py'),
            '--target',
            'cpp_standalone',
            ...common,
            '--build-dir',
            join(opts.workDir, 'brian_cobahh'),
            '--openmp-threads',
            `${opts.networkThreads > 1 ? opts.networkThreads : 0}`,
          ],
          opts.workDir,
        );
        if (b) {
          const key = 'brian2 cpp_standalone';
          push(netSamples, `${key}/wallSeconds`, num(b.wallSeconds));
          push(netSamples, `${key}/simulateSeconds`, num(b.seconds));
          for (const f of ['meanRateHz', 'cvIsi', 'synapses'] as const)
            push(netSamples, `${key}/${f}`, num(b[f]));
        }
      }
    }
    if (wantCable) {
      const common = ['--compartments', `${opts.cableCompartments}`, '--dt', `${opts.cableDt}`];
      for (const [tool, extra] of HHNET_CABLE) {
        const h = await job(round, `${tool} cable velocity`, process.execPath, [
          cli,
          'cable',
          'velocity',
          ...common,
          ...extra,
          '--json',
        ]);
        if (h) {
          push(cableSamples, `${tool}/velocityMps`, num(h.velocityMps));
          push(cableSamples, `${tool}/simulateSeconds`, num(h.seconds));
        }
      }
      if (tools.brian2.available) {
        const b = await job(
          round,
          'Brian2 cable velocity (cpp_standalone)',
          opts.python,
          [
            join(scripts, 'brian_cable.py'),
            'velocity',
            '--target',
            'cpp_standalone',
            ...common,
            '--build-dir',
            join(opts.workDir, 'brian_cable'),
          ],
          opts.workDir,
        );
        if (b) {
          push(cableSamples, 'brian2 cpp_standalone/velocityMps', num(b.velocityMps));
          push(cableSamples, 'brian2 cpp_standalone/simulateSeconds', num(b.seconds));
        }
      }
    }
    if (wantPopulation) {
      const common = [
        '--cells',
        `${opts.populationCells}`,
        '--duration',
        `${opts.populationDuration}`,
        '--dt',
        `${opts.populationDt}`,
      ];
      for (const [tool, extra] of HHNET_POP) {
        const h = await job(round, `${tool} cable population`, process.execPath, [
          cli,
          'cable',
          'population',
          ...common,
          ...extra,
          '--json',
        ]);
        if (h) {
          push(popSamples, `${tool}/simulateSeconds`, num(h.seconds));
          push(popSamples, `${tool}/spikesPerCell`, num(h.spikesPerCell));
        }
      }
      if (tools.brian2.available) {
        const b = await job(
          round,
          'Brian2 cable population (cpp_standalone)',
          opts.python,
          [
            join(scripts, 'brian_cable.py'),
            'population',
            '--target',
            'cpp_standalone',
            ...common,
            '--build-dir',
            join(opts.workDir, `brian_population_${opts.populationCells}`),
          ],
          opts.workDir,
        );
        if (b) {
          push(popSamples, `${BRIAN_NET}/simulateSeconds`, num(b.seconds));
          push(popSamples, `${BRIAN_NET}/spikesPerCell`, num(b.spikesPerCell));
        }
      }
    }
  }

  const network: CompareReport['network'] = wantNetwork
    ? {
        rows: NET_TOOLS.map((tool): NetworkRow => {
          const get = (f: string): Summary => summarize(netSamples.get(`${tool}/${f}`) ?? []);
          const brian = (f: string): number | null =>
            summarize(netSamples.get(`${BRIAN_NET}/${f}`) ?? []).median;
          const isBrian = tool === BRIAN_NET;
          return {
            tool,
            wallSeconds: get('wallSeconds'),
            simulateSeconds: get('simulateSeconds'),
            meanRateHz: get('meanRateHz'),
            cvIsi: get('cvIsi'),
            synapses: netSamples.get(`${tool}/synapses`) ?? [],
            speedupWall: isBrian ? null : speedup(get('wallSeconds').median, brian('wallSeconds'), 'time'),
            speedupSimulate: isBrian
              ? null
              : speedup(get('simulateSeconds').median, brian('simulateSeconds'), 'time'),
            missing: !isBrian || tools.brian2.available ? null : tools.brian2.reason,
          };
        }),
        timing: {
          hhnet:
            'wallSeconds: building the network (connectivity, initial states, generated kernels) plus simulating it, measured inside `hhnet network cobahh` (process start and file output excluded); the wasm step with its rate tables (1/32 mV)',
          'hhnet exact rates': 'the same with --exact-rates: every rate function computed each step',
          'brian2 cpp_standalone':
            "wallSeconds: network construction plus device.build and the binary's run, C++ compilation excluded (brian_cobahh.py); simulateSeconds: the binary's own main loop",
        },
      }
    : null;

  let cable: CompareReport['cable'] = null;
  if (wantCable) {
    const get = (tool: string, f: string): Summary => summarize(cableSamples.get(`${tool}/${f}`) ?? []);
    const vh = get('hhnet', 'velocityMps').median;
    const vb = get('brian2 cpp_standalone', 'velocityMps').median;
    const difference = vh !== null && vb !== null && vb > 0 ? Math.abs(vb - vh) / vb : null;
    cable = {
      rows: CABLE_TOOLS.map((tool): CableRow => ({
        tool,
        velocityMps: get(tool, 'velocityMps'),
        simulateSeconds: get(tool, 'simulateSeconds'),
        speedupSimulate: tool.startsWith('hhnet')
          ? null
          : speedup(get('hhnet', 'simulateSeconds').median, get(tool, 'simulateSeconds').median, 'time'),
        speedupWasm: tool.startsWith('hhnet')
          ? null
          : speedup(get('hhnet wasm', 'simulateSeconds').median, get(tool, 'simulateSeconds').median, 'time'),
        missing: tool.startsWith('hhnet') || tools.brian2.available ? null : tools.brian2.reason,
      })),
      velocityDifference: difference,
      tolerance: CABLE_VELOCITY_TOLERANCE,
      agrees: difference === null ? null : difference <= CABLE_VELOCITY_TOLERANCE,
      timing: {
        hhnet:
          'simulateSeconds: the simulateCable call inside `hhnet cable velocity` (axon set-up and spike fitting excluded)',
        'hhnet wasm':
          'simulateSeconds: the kernel stepping inside `hhnet cable velocity --engine wasm` (kernel compile or load, set-up and fitting excluded)',
        'brian2 cpp_standalone':
          "simulateSeconds: the binary's own main loop (brian_cable.py; code generation and compilation excluded)",
      },
    };
  }

  const population: CompareReport['population'] = wantPopulation
    ? {
        rows: POP_TOOLS.map((tool): PopulationRow => {
          const seconds = summarize(popSamples.get(`${tool}/simulateSeconds`) ?? []);
          const isBrian = tool === BRIAN_NET;
          return {
            tool,
            simulateSeconds: seconds,
            spikesPerCell: popSamples.get(`${tool}/spikesPerCell`) ?? [],
            speedupSimulate: isBrian
              ? null
              : speedup(
                  seconds.median,
                  summarize(popSamples.get(`${BRIAN_NET}/simulateSeconds`) ?? []).median,
                  'time',
                ),
            missing: !isBrian || tools.brian2.available ? null : tools.brian2.reason,
          };
        }),
        timing: {
          hhnet:
            'simulateSeconds: the many-cell kernel stepping inside `hhnet cable population` (one thread, rate tables at 1/32 mV; the kernel compile, done by a one-step run first, excluded)',
          'hhnet exact rates': 'the same with --exact-rates',
          'brian2 cpp_standalone': `simulateSeconds: the binary's own main loop (brian_cable.py population; the project is kept in the work directory as brian_population_<cells>, code generation and compilation excluded)`,
        },
      }
    : null;

  const train = wantTrain
    ? {
        rows: opts.models.map((model): TrainRow => {
          const hh = summarize(hhTrain.get(model) ?? []);
          const ref = summarize(torchTrain.get(`${model}/reference`) ?? []);
          const once = summarize(torchTrain.get(`${model}/once`) ?? []);
          return {
            model,
            hhnet: hh,
            hhnetBackend,
            torchReference: ref,
            torchOnce: once,
            speedupVsReference: speedup(hh.median, ref.median, 'time'),
            speedupVsOnce: speedup(hh.median, once.median, 'time'),
          };
        }),
        torchChecks,
      }
    : null;

  const gflops = (shape: string, ms: number | null): number | null => {
    const [m, n, k] = shape.split(':')[0].split('x').map(Number);
    return ms === null || !(ms > 0) ? null : (2 * m * n * k) / (ms * 1e6);
  };
  const gemm = wantGemm
    ? {
        rows: gemmShapes.map((shape): GemmRow => {
          const hh = summarize(gemmSamples.get(`hhnet/${shape}`) ?? []);
          const torch = summarize(gemmSamples.get(`torch/${shape}`) ?? []);
          return {
            shape,
            hhnet: hh,
            torch,
            hhnetGflops: gflops(shape, hh.median),
            torchGflops: gflops(shape, torch.median),
            speedup: speedup(hh.median, torch.median, 'time'),
          };
        }),
      }
    : null;

  let sim: CompareReport['sim'] = null;
  if (wantSim) {
    const hh = summarize(simRates.get('hhnet') ?? []);
    const hhTables = summarize(simRates.get('hhnet rate tables') ?? []);
    sim = {
      rows: simTools.map((tool): SimRow => {
        const rate = summarize(simRates.get(tool) ?? []);
        const ours = tool.startsWith('hhnet');
        const row: SimRow = {
          tool,
          rate,
          spikes: simSpikes.get(tool) ?? [],
          speedup: ours ? null : speedup(hh.median, rate.median, 'rate'),
          speedupTables: ours ? null : speedup(hhTables.median, rate.median, 'rate'),
          missing: ours || tools.brian2.available ? null : tools.brian2.reason,
        };
        if (tool === 'brian2 cpp_standalone') row.binarySeconds = binarySeconds;
        return row;
      }),
      neuronSteps: opts.neurons * Math.round(opts.duration / opts.dt),
      timing: {
        hhnet: 'simulate() loop after a 200-step warm-up run (bench-sim.ts)',
        brian2: {
          numpy: 'Brian2 main-loop time of net.run after a warm-up run (code generation excluded)',
          cython:
            'Brian2 main-loop time of net.run after a warm-up run (code generation and compilation excluded)',
          cpp_standalone: "the binary's own main-loop time (results/last_run_info.txt); compilation excluded",
        },
      },
    };
  }

  let cpu: string | null = null;
  try {
    cpu = cpuModelFromCpuinfo((deps.cpuinfo ?? ((): string => readFileSync('/proc/cpuinfo', 'utf8')))());
  } catch {
    cpu = null;
  }
  const machine: MachineNote = {
    cpu: cpu ?? cpus()[0]?.model ?? 'unknown',
    cores: coreCount(),
    node: process.version,
    python: probe?.python ?? null,
    pythonPath: opts.python,
    torch: probe?.modules.torch ?? null,
    torchThreads,
    brian2: probe?.modules.brian2 ?? null,
    numpy: probe?.modules.numpy ?? null,
    cython: probe?.modules.Cython ?? null,
    loadAverage: { start: loadStart, end: load() },
    hhnetThreads: process.env.HHNET_THREADS ?? null,
  };
  return {
    version: 1,
    createdAt: now().toISOString(),
    options: opts,
    machine,
    tools: {
      torch: wantTrain || wantGemm ? tools.torch : null,
      brian2: wantBrian ? tools.brian2 : null,
    },
    train,
    gemm,
    sim,
    network,
    cable,
    population,
    errors,
    seconds: (Date.now() - t0) / 1000,
  };
}

// ---------------------------------------------------------------------------------------------
// Report text

const SIM_LABELS: Record<string, string> = {
  hhnet: 'hhnet',
  'hhnet rate tables': 'hhnet (rate tables, 1/32 mV)',
  'brian2 numpy': 'Brian2 (numpy)',
  'brian2 cython': 'Brian2 (cython)',
  'brian2 cpp_standalone': 'Brian2 (C++ standalone)',
};

/** The training table: medians (range over rounds) and hhnet's speed-up over each formulation. */
export function trainTable(report: CompareReport): string {
  if (!report.train) return '';
  const torchMissing =
    report.tools.torch && !report.tools.torch.available ? report.tools.torch.reason! : 'failed';
  const rows = report.train.rows.map((r) => [
    r.model,
    formatSummary(r.hhnet, '', 1, 1, 'failed'),
    formatSummary(r.torchReference, '', 1, 1, torchMissing),
    formatSummary(r.torchOnce, '', 1, 1, torchMissing),
    formatRatio(r.speedupVsReference),
    formatRatio(r.speedupVsOnce),
  ]);
  return markdownTable(
    [
      'model',
      'hhnet ms/step',
      'PyTorch reference ms/step',
      'PyTorch projection-once ms/step',
      'hhnet speed-up vs reference',
      'hhnet speed-up vs once',
    ],
    rows,
  );
}

/** The GEMM table: ms per product (range over rounds), GFLOP/s, hhnet's speed-up (< 1: slower). */
export function gemmTable(report: CompareReport): string {
  if (!report.gemm) return '';
  const torchMissing =
    report.tools.torch && !report.tools.torch.available ? report.tools.torch.reason! : 'failed';
  const rate = (g: number | null): string => (g === null ? '—' : g.toFixed(1));
  const rows = report.gemm.rows.map((r) => [
    r.shape,
    formatSummary(r.hhnet, '', 1, 3, 'failed'),
    rate(r.hhnetGflops),
    formatSummary(r.torch, '', 1, 3, torchMissing),
    rate(r.torchGflops),
    formatRatio(r.speedup),
  ]);
  return markdownTable(
    ['product', 'hhnet ms', 'hhnet GFLOP/s', 'PyTorch ms', 'PyTorch GFLOP/s', 'hhnet speed-up'],
    rows,
  );
}

/** The population table: neuron-steps/s (M), spike counts, hhnet's speed-up over each. */
export function simTable(report: CompareReport): string {
  if (!report.sim) return '';
  const rows = report.sim.rows.map((r) => {
    const spikes = r.spikes.length ? [...new Set(r.spikes)].join(', ') : '—';
    return [
      (r.tool === 'hhnet' ? 'hhnet (exact rates)' : (SIM_LABELS[r.tool] ?? r.tool)) +
        (r.tool === 'brian2 cpp_standalone' && report.options.brianOpenmpThreads > 0
          ? ` [${report.options.brianOpenmpThreads} OpenMP threads]`
          : ''),
      r.missing ?? formatSummary(r.rate, '', 1e-6, 2, 'failed'),
      r.missing ? '—' : spikes,
      r.tool.startsWith('hhnet') ? '—' : `${formatRatio(r.speedupTables)} (${formatRatio(r.speedup)})`,
    ];
  });
  return markdownTable(
    ['tool', 'M neuron-steps/s', 'spikes', 'hhnet speed-up: rate tables (exact rates)'],
    rows,
  );
}

export function machineLine(report: CompareReport): string {
  const m = report.machine;
  const parts = [`${m.cpu}, ${m.cores} cores`, `Node ${m.node}`];
  if (m.python) parts.push(`Python ${m.python} (${m.pythonPath})`);
  if (m.torch) parts.push(`torch ${m.torch}${m.torchThreads !== null ? ` (${m.torchThreads} threads)` : ''}`);
  if (m.brian2) parts.push(`brian2 ${m.brian2}`);
  parts.push(
    `load average ${m.loadAverage.start.toFixed(2)} at start, ${m.loadAverage.end.toFixed(2)} at end`,
  );
  return parts.join('; ');
}

/** The COBAHH table: times (s), statistics, and each hhnet run's speed-up over Brian2. */
export function networkTable(report: CompareReport): string {
  if (!report.network) return '';
  const brianThreads =
    report.options.networkThreads > 1 ? ` [${report.options.networkThreads} OpenMP threads]` : '';
  const rows = report.network.rows.map((r) => [
    r.tool === 'brian2 cpp_standalone'
      ? `Brian2 (C++ standalone)${brianThreads}`
      : r.tool === 'hhnet'
        ? 'hhnet (rate tables)'
        : 'hhnet (exact rates)',
    r.missing ?? formatSummary(r.wallSeconds, '', 1, 2, 'failed'),
    r.missing ? '—' : formatSummary(r.simulateSeconds, '', 1, 2, 'failed'),
    r.missing ? '—' : formatSummary(r.meanRateHz, '', 1, 2, 'failed'),
    r.missing ? '—' : formatSummary(r.cvIsi, '', 1, 3, 'failed'),
    r.missing || r.synapses.length === 0 ? '—' : `${Math.round(median(r.synapses))}`,
    r.tool === 'brian2 cpp_standalone'
      ? '1×'
      : `${formatRatio(r.speedupWall)} (${formatRatio(r.speedupSimulate)})`,
  ]);
  return markdownTable(
    ['tool', 'wall s', 'simulate s', 'rate Hz', 'CV ISI', 'synapses', 'speed-up over Brian2 wall (simulate)'],
    rows,
  );
}

/** The cable table: axon velocities, simulation times and hhnet's speed-up over Brian2. */
export function cableTable(report: CompareReport): string {
  if (!report.cable) return '';
  const label: Record<string, string> = {
    hhnet: 'hhnet (TypeScript, float64)',
    'hhnet wasm': 'hhnet (wasm, rate tables)',
  };
  const rows = report.cable.rows.map((r) => [
    label[r.tool] ?? SIM_LABELS[r.tool] ?? r.tool,
    r.missing ?? formatSummary(r.velocityMps, '', 1, 3, 'failed'),
    r.missing ? '—' : formatSummary(r.simulateSeconds, '', 1, 3, 'failed'),
    r.tool.startsWith('hhnet') ? '—' : `${formatRatio(r.speedupWasm)} (${formatRatio(r.speedupSimulate)})`,
  ]);
  return markdownTable(
    ['tool', 'velocity m/s', 'simulate s', 'hhnet speed-up (simulate): wasm (TypeScript)'],
    rows,
  );
}

/** One line on whether the two velocities agree within the tolerance. */
export function cableVerdict(report: CompareReport): string {
  const c = report.cable;
  if (!c) return '';
  const tol = `${(100 * c.tolerance).toFixed(0)}%`;
  if (c.velocityDifference === null)
    return `Velocity agreement (within ${tol}): not measured (a side is missing)`;
  return `Velocity agreement: hhnet and Brian2 differ by ${(100 * c.velocityDifference).toFixed(2)}% (required: within ${tol}) — ${c.agrees ? 'agree' : 'DISAGREE'}`;
}

/** The population table: simulation times, spikes per cell and hhnet's speed-up over Brian2. */
export function populationTable(report: CompareReport): string {
  if (!report.population) return '';
  const label: Record<string, string> = {
    hhnet: 'hhnet (wasm, rate tables)',
    'hhnet exact rates': 'hhnet (wasm, exact rates)',
  };
  const rows = report.population.rows.map((r) => [
    label[r.tool] ?? SIM_LABELS[r.tool] ?? r.tool,
    r.missing ?? formatSummary(r.simulateSeconds, '', 1, 3, 'failed'),
    r.missing || r.spikesPerCell.length === 0 ? '—' : [...new Set(r.spikesPerCell)].join(', '),
    r.tool.startsWith('hhnet') ? formatRatio(r.speedupSimulate) : '1×',
  ]);
  return markdownTable(['tool', 'simulate s', 'spikes per cell', 'speed-up over Brian2 (simulate)'], rows);
}

/** The whole text report printed at the end of a run. */
export function formatReport(report: CompareReport): string {
  const o = report.options;
  const out: string[] = [];
  out.push(`Machine: ${machineLine(report)}`);
  out.push(
    `Rounds: ${o.rounds} (tools alternate within each round; medians over rounds)${o.quick ? ', quick mode' : ''}`,
  );
  if (report.train) {
    out.push('');
    out.push(
      `Training step (batch ${o.batch}, T ${o.T}, forward + backward + Adam; each run the median of ${o.steps} steps after ${o.warmup} warm-up; hhnet backend ${report.train.rows[0]?.hhnetBackend ?? '?'}):`,
    );
    out.push('');
    out.push(trainTable(report));
  }
  if (report.gemm) {
    out.push('');
    out.push(
      `Matrix products of the fc models' first layer (batch ${o.batch}: forward x·Wᵀ and the weight gradient dYᵀ·x, which every fc training step does once each; one product per call, median of 30 after 20 warm-up):`,
    );
    out.push('');
    out.push(gemmTable(report));
  }
  if (report.sim) {
    out.push('');
    out.push(
      `Full-HH population (${o.neurons} neurons, ${o.duration} ms at dt ${o.dt} ms = ${report.sim.neuronSteps.toExponential(2)} neuron-steps, exponential Euler, ${o.current} µA/cm²):`,
    );
    out.push('');
    out.push(simTable(report));
  }
  if (report.network) {
    out.push('');
    out.push(
      `COBAHH network (${o.networkNeurons} neurons, ${o.networkDuration} ms at dt 0.1 ms, ${o.networkThreads} thread(s) each; round r uses seed r on both sides; medians and ranges over rounds):`,
    );
    out.push('');
    out.push(networkTable(report));
  }
  if (report.cable) {
    out.push('');
    out.push(
      `HH axon conduction velocity (476 µm × 30 mm, ${o.cableCompartments} compartments, dt ${o.cableDt} ms, shifted HH at 18.5 °C; hhnet Crank–Nicolson, Brian2 SpatialNeuron C++ standalone; medians and ranges over rounds):`,
    );
    out.push('');
    out.push(cableTable(report));
    out.push('');
    out.push(cableVerdict(report));
  }
  if (report.population) {
    out.push('');
    out.push(
      `Cell population (${o.populationCells} ball-and-stick cells of 51 compartments, HH everywhere, 0.5 nA into each soma, ${o.populationDuration} ms at dt ${o.populationDt} ms; hhnet's many-cell kernel, Crank–Nicolson, one thread; Brian2 SpatialNeuron C++ standalone; medians and ranges over rounds):`,
    );
    out.push('');
    out.push(populationTable(report));
  }
  if (report.errors.length) {
    out.push('');
    out.push('Failed runs:');
    for (const e of report.errors) out.push(`- round ${e.round}: ${e.message}`);
  }
  return out.join('\n') + '\n';
}
