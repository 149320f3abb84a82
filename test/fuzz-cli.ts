/**
 * Fuzzed command lines for the hhnet CLI, drawn from its real command tree (buildProgram): each
 * line is invalid by construction (a bad flag value, an unknown flag or command, a missing value, a
 * stray argument, an unreadable file) or asks for --help, so none starts real work. Shared by
 * test/fuzz.test.ts and scripts/soak-fuzz.mjs, which run the lines and check how the CLI fails.
 */
import fc from 'fast-check';
import { spawn } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import type { Command, Option } from 'commander';
import { buildProgram } from '../src/cli/program.js';
import {
  finiteNumber,
  fraction,
  integer,
  integratorName,
  nonNegativeInt,
  nonNegativeList,
  nonNegativeNumber,
  numberList,
  positiveInt,
  portNumber,
  positiveNumber,
} from '../src/cli/options.js';
import { encodeSafetensors } from '../src/io/safetensors.js';

export const CLI_PATH = fileURLToPath(new URL('../src/cli/main.js', import.meta.url));

/** What a flag accepts, as far as the generator needs to know to produce a value it must refuse. */
export type Domain =
  | 'positiveInt'
  | 'positiveNumber'
  | 'nonNegativeNumber'
  | 'nonNegativeInt'
  | 'fraction'
  | 'finiteNumber'
  | 'integer'
  | 'numberList'
  | 'nonNegativeList'
  | 'choice'
  | 'list'
  | 'param'
  | 'path'
  | 'switch';

export interface FlagSpec {
  long: string;
  domain: Domain;
  /** Present when the option must be given (requiredOption). */
  mandatory: boolean;
  /** The option's own value parser, when it has one. */
  parse?: (value: string) => unknown;
}

export interface CommandSpec {
  path: string[];
  flags: FlagSpec[];
  /** Positional arguments the command takes at most. */
  maxArgs: number;
  /** Subcommands (a group such as `train` or `bench`). */
  group: boolean;
}

const PARSERS = new Map<unknown, Domain>([
  [positiveInt, 'positiveInt'],
  [positiveNumber, 'positiveNumber'],
  [nonNegativeNumber, 'nonNegativeNumber'],
  [nonNegativeInt, 'nonNegativeInt'],
  [fraction, 'fraction'],
  [finiteNumber, 'finiteNumber'],
  [integer, 'integer'],
  [numberList, 'numberList'],
  [nonNegativeList, 'nonNegativeList'],
  [integratorName, 'choice'],
  // 0..65535 (0: any free port) lies within the non-negative integers.
  [portNumber, 'nonNegativeInt'],
]);

/**
 * What these flags mean, stated apart from the parsers they use: noise levels, rates, decays,
 * loss weights and warm-up counts are never negative; a duty cycle lies in [0, 1]. A flag whose
 * parser lets more through fails the tests (the domain below is the narrower one).
 */
const NON_NEGATIVE = new Set([
  '--noise',
  '--weight-decay',
  '--state-noise',
  '--reward-noise',
  '--sigma',
  '--rate',
  '--beta',
  '--warmup',
]);
const FRACTIONS = new Set(['--duty']);
const PATHS = new Set(['--out', '--data-dir', '--checkpoint']);
// Lists and structured values (parsed into arrays or objects, each with its own checks).
const LISTS = new Set(['--models', '--backend', '--record', '--clamp']);

function domainOf(opt: Option): Domain {
  const long = opt.long ?? '';
  if (!opt.required && !opt.optional) return 'switch';
  if (long === '--param') return 'param';
  if (PATHS.has(long)) return 'path';
  if (LISTS.has(long)) return 'list';
  const parsed = PARSERS.get(opt.parseArg);
  if (FRACTIONS.has(long) && (parsed === 'finiteNumber' || parsed === 'nonNegativeNumber')) return 'fraction';
  if (NON_NEGATIVE.has(long)) {
    if (parsed === 'finiteNumber') return 'nonNegativeNumber';
    if (parsed === 'integer') return 'nonNegativeInt';
    if (parsed === 'numberList') return 'nonNegativeList';
  }
  // oneOf(...) closures and unparsed names (mi --model) take a choice from a list
  return parsed ?? 'choice';
}

/** Every command of the CLI with its flags, read from the program itself. */
export function commandSpecs(): CommandSpec[] {
  const out: CommandSpec[] = [];
  const walk = (cmd: Command, path: string[]): void => {
    for (const sub of cmd.commands) {
      const p = [...path, sub.name()];
      out.push({
        path: p,
        flags: sub.options
          .filter((o) => o.long !== undefined && o.long !== '--help' && o.long !== '--version')
          .map((o) => ({
            long: o.long as string,
            domain: domainOf(o),
            mandatory: o.mandatory,
            parse: o.parseArg ? (v: string): unknown => o.parseArg!(v, o.defaultValue) : undefined,
          })),
        maxArgs: sub.registeredArguments.length,
        group: sub.commands.length > 0,
      });
      walk(sub, p);
    }
  };
  walk(buildProgram(), []);
  return out;
}

/** Numeric-looking noise: forms Number() accepts or nearly accepts, and plain garbage. */
const numberish = fc.oneof(
  fc.constantFrom(
    '',
    ' ',
    '0',
    '-0',
    '-1',
    '-1e-300',
    '1.5',
    '0.5',
    '2',
    '1e400',
    '-1e400',
    '1e-400',
    'NaN',
    'Infinity',
    '-Infinity',
    'inf',
    '0x1F',
    '1_000',
    '1,5',
    '5ms',
    '--',
    '9007199254740993',
    '99999999999999999999',
    '1e15',
  ),
  fc.double().map(String),
  fc.integer().map(String),
  fc.string({ maxLength: 12 }),
);

/** Values a flag of the domain must refuse (filtered with an oracle written independently of the parsers). */
function invalidValue(domain: Domain): fc.Arbitrary<string> | null {
  const num = (s: string): number => (s.trim() === '' ? NaN : Number(s));
  const isInt = (s: string): boolean => /^\s*-?\d+\s*$/.test(s) && Number.isSafeInteger(Number(s));
  const ok: Partial<Record<Domain, (s: string) => boolean>> = {
    positiveInt: (s) => isInt(s) && Number(s) >= 1,
    nonNegativeInt: (s) => isInt(s) && Number(s) >= 0 && !/^\s*-/.test(s),
    integer: isInt,
    positiveNumber: (s) => Number.isFinite(num(s)) && num(s) > 0,
    nonNegativeNumber: (s) => Number.isFinite(num(s)) && num(s) >= 0,
    fraction: (s) => Number.isFinite(num(s)) && num(s) >= 0 && num(s) <= 1,
    finiteNumber: (s) => Number.isFinite(num(s)),
  };
  const check = ok[domain];
  if (check) return numberish.filter((s) => !check(s));
  switch (domain) {
    case 'numberList':
    case 'nonNegativeList': {
      const bad = domain === 'numberList' ? numberish.filter((s) => !Number.isFinite(num(s))) : numberish;
      return fc
        .tuple(fc.array(fc.constantFrom('1', '0.5', '2'), { maxLength: 3 }), bad)
        .map(([good, b]) => [...good, b].join(','))
        .filter((s) =>
          s.split(',').some((x) => !Number.isFinite(num(x)) || (domain === 'nonNegativeList' && num(x) < 0)),
        );
    }
    case 'choice':
    case 'list':
      // no model, backend, integrator or environment name starts with "zz"
      return fc.oneof(
        fc.constantFrom('', ' ', ','),
        fc.string({ maxLength: 10 }).map((s) => `zz${s}`),
        fc.string({ maxLength: 10 }).map((s) => `hh,zz${s}`),
      );
    case 'param':
      return fc.oneof(
        fc.constantFrom(
          '',
          '=',
          'a',
          '=1',
          'C=',
          'C=x',
          'C=NaN',
          'C=1,C=2',
          'zz=1',
          '__proto__=1',
          'constructor=1',
        ),
        // hh (simulate's and fi-curve's default model) has C and gNa: only a non-number is wrong there
        fc
          .tuple(fc.constantFrom('C', 'gNa', 'zz'), numberish)
          .filter(([n, v]) => n === 'zz' || !Number.isFinite(num(v)))
          .map(([n, v]) => `${n}=${v}`),
      );
    default:
      return null;
  }
}

/** Whether a parsed value lies in the domain (for the parsers' own results). */
export function inDomain(domain: Domain, v: unknown): boolean {
  const finite = (x: unknown): x is number => typeof x === 'number' && Number.isFinite(x);
  switch (domain) {
    case 'positiveInt':
      return Number.isSafeInteger(v) && (v as number) >= 1;
    case 'nonNegativeInt':
      return Number.isSafeInteger(v) && (v as number) >= 0;
    case 'integer':
      return Number.isSafeInteger(v);
    case 'positiveNumber':
      return finite(v) && v > 0;
    case 'nonNegativeNumber':
      return finite(v) && v >= 0;
    case 'fraction':
      return finite(v) && v >= 0 && v <= 1;
    case 'finiteNumber':
      return finite(v);
    case 'numberList':
      return Array.isArray(v) && v.length > 0 && v.every(finite);
    case 'nonNegativeList':
      return Array.isArray(v) && v.length > 0 && v.every((x) => finite(x) && x >= 0);
    case 'choice':
      return typeof v === 'string' && v.trim() !== '';
    default:
      return true;
  }
}

/** A plausible valid value, used to pad lines (never the reason a line is invalid). */
function validValue(domain: Domain): string | null {
  const values: Partial<Record<Domain, string>> = {
    positiveInt: '2',
    nonNegativeInt: '0',
    positiveNumber: '0.5',
    nonNegativeNumber: '0',
    fraction: '0.5',
    finiteNumber: '1',
    integer: '3',
    numberList: '1,2',
    nonNegativeList: '0',
  };
  return values[domain] ?? null;
}

/** One fuzzed command line: arguments (the marker @DIR@ stands for a fresh directory) and files to create there. */
export interface FuzzLine {
  args: string[];
  /** Files (relative to @DIR@) the runner writes first. */
  files: Record<string, Uint8Array | string>;
  /** false: the CLI must refuse it; true: --help, which must succeed. */
  valid: boolean;
  /** The mutation that makes the line what it is, for failure messages. */
  why: string;
}

const DIR = '@DIR@';

/** Unreadable or wrong files for --checkpoint, --data-dir, --out and --resume. */
const garbageBytes = fc.uint8Array({ maxLength: 64 });
/** Metadata text: random JSON, JSON of the wrong shape, or not JSON at all. */
const metadataText = fc.oneof(
  fc.jsonValue({ maxDepth: 2 }).map((v) => JSON.stringify(v)),
  fc.string({ maxLength: 20 }),
  fc.constantFrom('null', '[]', '5', '"x"', '', '{}', '{"config":null}', '{"config":{"model":"zz"}}'),
);

/** A file in safetensors framing whose JSON header is random (null, an array, entries of any shape). */
const randomHeaderFile = fc
  .tuple(fc.jsonValue({ maxDepth: 3 }), fc.uint8Array({ maxLength: 8 }))
  .map(([header, data]) => {
    const json = Buffer.from(JSON.stringify(header));
    const len = Buffer.alloc(8);
    len.writeBigUInt64LE(BigInt(json.length));
    return new Uint8Array(Buffer.concat([len, json, data]));
  });

/** A safetensors file whose tensors are fine but whose hhnet metadata is random or invalid. */
const badModelFile = fc.oneof(
  metadataText.map((hhnet) =>
    encodeSafetensors(new Map([['w', { shape: [2], data: new Float32Array([1, 2]) }]]), {
      format: 'pt',
      hhnet,
    }),
  ),
  randomHeaderFile,
);

/** A checkpoint.safetensors that no model can resume from. */
const badCheckpointFile = fc.oneof(
  garbageBytes,
  randomHeaderFile,
  fc
    .record({ state: metadataText, optimizer: metadataText })
    .map((m) => encodeSafetensors(new Map([['model.w', { shape: [1], data: new Float32Array(1) }]]), m)),
);

/** IDX files that are not valid (gzipped or not). */
const badIdx = fc
  .tuple(garbageBytes, fc.boolean(), fc.constantFrom('train-images-idx3-ubyte', 't10k-images-idx3-ubyte'))
  .map(([bytes, gz, name]) => ({
    name: gz ? `${name}.gz` : name,
    bytes: gz ? gzipSync(bytes).subarray(0, Math.max(2, bytes.length % 20)) : bytes,
  }));

const fileCases = {
  /** evaluate/play: model.safetensors that is garbage or carries bad metadata. */
  checkpoint: fc
    .oneof(
      { weight: 1, arbitrary: garbageBytes },
      { weight: 3, arbitrary: badModelFile },
      { weight: 1, arbitrary: fc.constant(null) },
    )
    .map((f): Pick<FuzzLine, 'files'> & { value: string } =>
      f === null
        ? { value: `${DIR}/none`, files: {} }
        : { value: `${DIR}/ckpt`, files: { 'ckpt/model.safetensors': f } },
    ),
  /** --data-dir holding corrupt IDX files for both splits. */
  dataDir: badIdx.map((f) => {
    const other = f.name.startsWith('train')
      ? f.name.replace('train', 't10k')
      : f.name.replace('t10k', 'train');
    return {
      value: `${DIR}/data`,
      files: {
        [`data/${f.name}`]: f.bytes,
        [`data/${other}`]: f.bytes,
        'data/train-labels-idx1-ubyte': new Uint8Array(3),
        'data/t10k-labels-idx1-ubyte': new Uint8Array(3),
      },
    };
  }),
  /** --out that cannot be a directory: below a regular file, or empty. */
  out: fc.constantFrom<{ value: string; files: FuzzLine['files'] }>(
    { value: `${DIR}/file/sub`, files: { file: 'x' } },
    { value: `${DIR}/file`, files: { file: 'x' } },
    { value: '', files: {} },
  ),
};

/** The one thing that makes a line invalid. */
type Reason =
  | { kind: 'value'; flag: string; value: string }
  | { kind: 'file'; flag: string; value: string; files: FuzzLine['files'] }
  | { kind: 'resume'; checkpoint: Uint8Array }
  | { kind: 'unknownFlag'; name: string }
  | { kind: 'missingValue'; flag: string }
  | { kind: 'strayArgs'; args: string[] }
  | { kind: 'unknownCommand'; name: string }
  /** Only for evaluate and play, whose required --checkpoint is always unreadable. */
  | { kind: 'none' };

/**
 * Lines for one command: valid padding plus exactly one reason to refuse it, so that most lines get
 * past commander to the command's own checks and file readers (several reasons would mostly stop
 * at the first, commander's).
 */
function commandLines(spec: CommandSpec): fc.Arbitrary<FuzzLine> {
  const has = (long: string): boolean => spec.flags.some((f) => f.long === long);
  const valued = spec.flags.filter((f) => invalidValue(f.domain) !== null);
  const withValue = spec.flags.filter((f) => f.domain !== 'switch');
  const reasons: fc.WeightedArbitrary<Reason>[] = [
    {
      weight: 1,
      arbitrary: fc
        .string({ minLength: 1, maxLength: 8 })
        .map((s) => ({ kind: 'unknownFlag', name: `--zz${s.replace(/[\s=]/g, '')}` })),
    },
    {
      weight: 1,
      arbitrary: fc
        .array(fc.string({ minLength: 1, maxLength: 6 }), {
          minLength: spec.maxArgs + 1,
          maxLength: spec.maxArgs + 2,
        })
        .map((a) => ({ kind: 'strayArgs', args: a.map((x) => `zz${x}`) })),
    },
    {
      weight: 1,
      arbitrary: fc
        .string({ minLength: 1, maxLength: 6 })
        .map((x) => ({ kind: 'unknownCommand', name: `zz${x}` })),
    },
  ];
  if (valued.length > 0)
    reasons.push({
      weight: 6,
      arbitrary: fc
        .constantFrom(...valued)
        .chain((f) => invalidValue(f.domain)!.map((value) => ({ kind: 'value', flag: f.long, value }))),
    });
  if (withValue.length > 0)
    reasons.push({
      weight: 1,
      arbitrary: fc.constantFrom(...withValue).map((f) => ({ kind: 'missingValue', flag: f.long })),
    });
  for (const [flag, cases] of [
    ['--data-dir', fileCases.dataDir],
    ['--out', fileCases.out],
  ] as const)
    if (has(flag)) reasons.push({ weight: 3, arbitrary: cases.map((c) => ({ kind: 'file', flag, ...c })) });
  if (has('--resume'))
    reasons.push({
      weight: 3,
      arbitrary: badCheckpointFile.map((checkpoint) => ({ kind: 'resume', checkpoint })),
    });
  // the checkpoint is reason enough; another reason would mostly stop the line in commander first
  if (has('--checkpoint')) reasons.push({ weight: 10, arbitrary: fc.constant({ kind: 'none' }) });

  const paddable = spec.flags.filter((f) => f.domain === 'switch' || validValue(f.domain) !== null);
  const padding = fc.subarray(paddable, { maxLength: Math.min(4, paddable.length) });
  // --checkpoint is required by evaluate and play: always one of the unreadable cases
  const checkpoint = has('--checkpoint') ? fileCases.checkpoint : fc.constant(null);

  return fc.tuple(fc.oneof(...reasons), padding, checkpoint).map(([reason, pad, ckpt]): FuzzLine => {
    let command = [...spec.path];
    const files: FuzzLine['files'] = {};
    const flags: string[][] = [];
    const why: string[] = [];
    if (ckpt) {
      Object.assign(files, ckpt.files);
      flags.push(['--checkpoint', ckpt.value]);
      why.push(`--checkpoint ${ckpt.value}`);
    }
    if (has('--out') && !(reason.kind === 'file' && reason.flag === '--out'))
      flags.push(['--out', `${DIR}/out`]);
    for (const f of pad) flags.push(f.domain === 'switch' ? [f.long] : [f.long, validValue(f.domain)!]);
    if (has('--quiet')) flags.push(['--quiet']);
    let trailing: string[] = [];
    switch (reason.kind) {
      case 'value':
        flags.push([reason.flag, reason.value]);
        why.push(`${reason.flag} ${JSON.stringify(reason.value)}`);
        break;
      case 'file':
        Object.assign(files, reason.files);
        flags.push([reason.flag, reason.value]);
        why.push(`${reason.flag} ${JSON.stringify(reason.value)} (${Object.keys(reason.files).join(', ')})`);
        break;
      case 'resume':
        files['out/checkpoint.safetensors'] = reason.checkpoint;
        flags.push(['--resume']);
        why.push('--resume of a corrupt checkpoint');
        break;
      case 'unknownFlag':
        flags.push([reason.name]);
        why.push(`unknown flag ${reason.name}`);
        break;
      case 'missingValue':
        trailing = [reason.flag];
        why.push(`${reason.flag} without its value`);
        break;
      case 'strayArgs':
        flags.unshift(reason.args);
        why.push(`${reason.args.length} positional argument(s)`);
        break;
      case 'unknownCommand':
        command = [...command.slice(0, -1), reason.name];
        why.push(`unknown command ${reason.name}`);
        break;
      case 'none':
    }
    return { args: [...command, ...flags.flat(), ...trailing], files, valid: false, why: why.join('; ') };
  });
}

/** Fuzzed lines over every command, with a few --help requests (which must succeed). */
export function fuzzLines(): fc.Arbitrary<FuzzLine> {
  const specs = commandSpecs();
  const leaves = specs.filter((s) => !s.group);
  const help = fc
    .constantFrom(...specs)
    .map((s): FuzzLine => ({ args: [...s.path, '--help'], files: {}, valid: true, why: 'help' }));
  const bareGroup = fc.constantFrom(...specs.filter((s) => s.group)).map((s): FuzzLine => ({
    args: s.path,
    files: {},
    valid: false,
    why: 'a command group without a subcommand',
  }));
  return fc.oneof(
    { arbitrary: fc.constantFrom(...leaves).chain(commandLines), weight: 16 },
    { arbitrary: help, weight: 2 },
    { arbitrary: bareGroup, weight: 1 },
  );
}

export interface LineRun {
  line: FuzzLine;
  args: string[];
  code: number | null;
  stdout: string;
  stderr: string;
  timedOut: boolean;
  seconds: number;
}

/** Runs one line in its own directory under `root`; kills it after `timeoutMs`. Never rejects. */
export function runLine(
  line: FuzzLine,
  root: string,
  index: number,
  timeoutMs: number,
  cli = CLI_PATH,
): Promise<LineRun> {
  const dir = join(root, `line-${index}`);
  mkdirSync(dir, { recursive: true });
  for (const [rel, content] of Object.entries(line.files)) {
    const path = join(dir, rel);
    mkdirSync(join(path, '..'), { recursive: true });
    writeFileSync(path, content);
  }
  const args = line.args.map((a) => a.split(DIR).join(dir));
  const started = process.hrtime.bigint();
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [cli, ...args], {
      cwd: dir,
      env: { ...process.env, HHNET_DEBUG: '' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    let timedOut = false;
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, timeoutMs);
    child.on('close', (code) => {
      clearTimeout(timer);
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      resolve({ line, args, code, stdout, stderr, timedOut, seconds });
    });
  });
}

/** Runs the lines, `concurrency` at a time, through `opts.cli` (default: this build's main.js). */
export async function runLines(
  lines: FuzzLine[],
  root: string,
  opts: { concurrency: number; timeoutMs: number; cli?: string },
): Promise<LineRun[]> {
  const results: LineRun[] = new Array(lines.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < lines.length) {
      const i = next++;
      results[i] = await runLine(lines[i], root, i, opts.timeoutMs, opts.cli);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, opts.concurrency) }, worker));
  return results;
}

export type Problem = 'hang' | 'stackTrace' | 'exit0OnInvalid' | 'format';

/** What is wrong with how the CLI handled the line (empty: nothing). */
export function problems(r: LineRun): Problem[] {
  const out: Problem[] = [];
  if (r.timedOut) return ['hang'];
  const lines = r.stderr.split('\n');
  if (lines.some((l) => /^\s+at /.test(l))) out.push('stackTrace');
  if (!r.line.valid && r.code === 0) out.push('exit0OnInvalid');
  if (r.line.valid) {
    if (r.code !== 0 || !r.stdout.startsWith('Usage: ')) out.push('format');
    return out;
  }
  if (r.code !== 0 && !failureFormatOk(r)) out.push('format');
  return out;
}

/**
 * A refused line prints nothing on stdout and either commander's message (exit 1: "error: …" with
 * its hints, or the usage of a command group) or one "hhnet: error: …" line with exit 2 — an
 * input problem reported as an internal error (exit 1) is a defect too.
 */
function failureFormatOk(r: LineRun): boolean {
  if (r.stdout !== '') return false;
  const lines = r.stderr.replace(/\n$/, '').split('\n');
  if (r.code === 1 && lines[0].startsWith('Usage: ')) return true;
  if (r.code === 1 && /^error: \S/.test(lines[0]))
    return lines.slice(1).every((l) => /^\((Did you mean .+\?|run with --help for usage)\)$/.test(l));
  return r.code === 2 && lines.length === 1 && /^hhnet: error: \S/.test(lines[0]);
}

/** A one-line account of a run for failure messages. */
export function describeRun(r: LineRun): string {
  return (
    `hhnet ${r.args.map((a) => JSON.stringify(a)).join(' ')} (${r.line.why}): ` +
    `${r.timedOut ? 'timed out' : `exit ${r.code}`}, stdout ${JSON.stringify(r.stdout.slice(0, 200))}, ` +
    `stderr ${JSON.stringify(r.stderr.slice(0, 600))}`
  );
}
