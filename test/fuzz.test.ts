// Property tests over everything that reads user input: the CLI's flag parsers, the IDX and
// safetensors readers, the configuration and checkpoint-metadata validators, and the CLI itself.
// Random and mutated inputs must either give a valid value or fail with one of the errors the CLI
// reports as the user's (one line, exit 2) — never a TypeError, a silent wrong value or a hang.
// Seeds are fixed so a failure reproduces; shrunk counterexamples appear in the assertion message.
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import fc from 'fast-check';
import { InvalidArgumentError } from 'commander';
import { isKnownError } from '../src/cli/errors.js';
import {
  finiteNumber,
  fraction,
  integer,
  integratorName,
  nonNegativeInt,
  nonNegativeList,
  nonNegativeNumber,
  numberList,
  oneOf,
  positiveInt,
  positiveNumber,
} from '../src/cli/options.js';
import { checkModelDt, parseModelParams } from '../src/cli/params.js';
import { modelNames } from '../src/sim/registry.js';
import { IdxFormatError, parseIdx, readIdx } from '../src/data/idx.js';
import {
  SafetensorsError,
  decodeSafetensors,
  encodeSafetensors,
  loadSafetensors,
  saveSafetensors,
} from '../src/io/safetensors.js';
import type { NamedArray } from '../src/io/safetensors.js';
import { declaredModel } from '../src/neurons/catalog.js';
import { INTEGRATORS } from '../src/neurons/types.js';
import { parseMiLoopState, resolveMiConfig } from '../src/experiments/mi.js';
import { resolveRlConfig } from '../src/rl/config.js';
import { resolveTrainConfig } from '../src/train/config.js';
import {
  CHECKPOINT_FILE,
  loadCheckpoint,
  saveCheckpoint,
  savedTrainConfig,
} from '../src/train/checkpoint.js';
import { parseTrainLoopState } from '../src/train/multitask.js';
import { parseRlLoopState } from '../src/rl/train.js';
import { loadRlCheckpoint, saveRlCheckpoint, savedActorConfig } from '../src/rl/checkpoint.js';
import { ReplayBuffer } from '../src/rl/replay.js';
import type { SoftActorCritic } from '../src/rl/sac.js';
import { Linear } from '../src/nn/layers.js';
import { Adam } from '../src/optim/adam.js';
import { Tensor } from '../src/tensor/tensor.js';
import { Rng } from '../src/util/rng.js';
import { commandSpecs, describeRun, fuzzLines, inDomain, problems, runLines } from './fuzz-cli.js';

const SEED = 20240611;
/** Runs per property: enough to hit every mutation kind many times, small enough for a loaded machine. */
const RUNS = 300;
const check = <T>(arb: fc.Arbitrary<T>, predicate: (value: T) => void, numRuns = RUNS): void =>
  fc.assert(
    fc.property(arb, (v) => {
      predicate(v);
    }),
    // the failing assertion's message goes into the report, beside the shrunk counterexample
    { seed: SEED, numRuns, includeErrorInReport: true },
  );

const ROOT = mkdtempSync(join(tmpdir(), 'hhnet-fuzz-'));
after(() => rmSync(ROOT, { recursive: true, force: true }));

/** The failure is one the CLI reports as a one-line usage error, with a message. */
function assertUserFacing(err: unknown, input: unknown): void {
  const ok = err instanceof InvalidArgumentError || isKnownError(err);
  assert.ok(ok, `${JSON.stringify(input)}: ${(err as Error)?.name}: ${(err as Error)?.message}`);
  assert.ok((err as Error).message.trim().length > 0, `${JSON.stringify(input)}: empty message`);
}

/** parse(s) either returns a value `valid` accepts, or fails as a usage error. */
function parserProperty<T>(
  parse: (s: string) => T,
  valid: (x: T, s: string) => boolean,
  inputs: fc.Arbitrary<string>,
  opts: { label?: string; numRuns?: number } = {},
): void {
  const label = opts.label ? `${opts.label}: ` : '';
  check(
    inputs,
    (s) => {
      let x: T;
      try {
        x = parse(s);
      } catch (err) {
        assertUserFacing(err, `${label}${s}`);
        return;
      }
      assert.ok(valid(x, s), `${label}${JSON.stringify(s)} was accepted as ${JSON.stringify(x)}`);
    },
    opts.numRuns,
  );
}

// ---------------------------------------------------------------------------------------------
// Flag parsers

/** Strings typed for a number: the forms Number() accepts or nearly accepts, and garbage. */
const numberish = fc.oneof(
  fc.constantFrom(
    '',
    ' ',
    '0',
    '-0',
    '+1',
    '1e3',
    '1e-400',
    '1e400',
    '-1e400',
    '0x10',
    '0b11',
    '.5',
    '5.',
    'NaN',
    'Infinity',
    '-Infinity',
    '1_000',
    '1,5',
    ' 7 ',
    '\t3\n',
    '9007199254740993',
    '99999999999999999999',
    '١٢',
  ),
  fc.double().map(String),
  fc.integer().map(String),
  fc.bigInt({ min: -(2n ** 70n), max: 2n ** 70n }).map(String),
  fc.string({ maxLength: 12 }),
  fc.string({ maxLength: 12, unit: 'binary' }),
);

/** JSON text of a random value. */
const randomJsonText = fc.jsonValue({ maxDepth: 2 }).map((v) => JSON.stringify(v));

describe('flag parsers', () => {
  const sameNumber = (x: number, s: string): boolean => x === Number(s);

  test('positiveNumber: a finite number > 0 equal to what was typed, or a usage error', () => {
    parserProperty(positiveNumber, (x, s) => Number.isFinite(x) && x > 0 && sameNumber(x, s), numberish);
    // and every positive double is accepted as itself
    check(fc.double({ min: Number.MIN_VALUE, noNaN: true, noDefaultInfinity: true }), (x) =>
      assert.equal(positiveNumber(String(x)), x),
    );
  });

  test('nonNegativeNumber and fraction keep to their ranges', () => {
    parserProperty(nonNegativeNumber, (x, s) => Number.isFinite(x) && x >= 0 && sameNumber(x, s), numberish);
    parserProperty(fraction, (x, s) => x >= 0 && x <= 1 && sameNumber(x, s), numberish);
    check(fc.double({ min: 0, max: 1, noNaN: true }), (x) => assert.equal(fraction(String(x)), x));
  });

  test('finiteNumber: never NaN or ±Infinity', () => {
    parserProperty(finiteNumber, (x, s) => Number.isFinite(x) && sameNumber(x, s), numberish);
  });

  test('positiveInt, nonNegativeInt and integer: safe integers only, as typed', () => {
    parserProperty(positiveInt, (x, s) => Number.isSafeInteger(x) && x >= 1 && sameNumber(x, s), numberish);
    parserProperty(
      nonNegativeInt,
      (x, s) => Number.isSafeInteger(x) && Object.is(x, Math.abs(x)) && sameNumber(x, s),
      numberish,
    );
    parserProperty(integer, (x, s) => Number.isSafeInteger(x) && sameNumber(x, s), numberish);
    check(fc.maxSafeNat(), (n) => {
      assert.equal(integer(String(n)), n);
      assert.equal(integer(`-${n}`), -n);
      assert.equal(nonNegativeInt(String(n)), n);
      if (n >= 1) assert.equal(positiveInt(String(n)), n);
    });
  });

  test('numberList: one finite number per comma-separated item', () => {
    const lists = fc.oneof(
      numberish,
      fc.array(numberish, { maxLength: 5 }).map((xs) => xs.join(',')),
    );
    parserProperty(
      numberList,
      (xs, s) => xs.length === s.split(',').length && xs.every((x) => Number.isFinite(x)),
      lists,
    );
    check(fc.array(fc.double({ noNaN: true, noDefaultInfinity: true }), { minLength: 1 }), (xs) =>
      assert.deepEqual(
        numberList(xs.join(',')),
        xs.map((x) => Number(String(x))),
      ),
    );
    parserProperty(
      nonNegativeList,
      (xs, s) => xs.length === s.split(',').length && xs.every((x) => Number.isFinite(x) && x >= 0),
      lists,
    );
  });

  test('integratorName and oneOf: exactly the listed names', () => {
    const names = fc.oneof(fc.constantFrom(...INTEGRATORS, 'RK4', ' euler', 'euler ', ''), fc.string());
    parserProperty(integratorName, (x) => INTEGRATORS.includes(x), names);
    const choices = ['zero', 'repeat'] as const;
    parserProperty(oneOf(choices), (x) => (choices as readonly string[]).includes(x), names);
  });

  test('every value flag of every command: its parser refuses what the flag does not mean', () => {
    const flags = commandSpecs().flatMap((c) =>
      c.flags
        .filter((f) => f.parse && f.domain !== 'param')
        .map((f) => ({ ...f, where: `${c.path.join(' ')} ${f.long}` })),
    );
    assert.ok(flags.length > 50, `only ${flags.length} flags with a parser found`);
    const inputs = fc.oneof(
      numberish,
      numberish.map((s) => `${s},${s}`),
      numberish.map((s) => `-${s}`),
    );
    for (const f of flags)
      parserProperty(f.parse!, (x) => inDomain(f.domain, x), inputs, { label: f.where, numRuns: 60 });
  });

  test('--param: declared names with finite values, or one usage error that lists the parameters', () => {
    const models = modelNames();
    const items = fc.oneof(
      fc.string({ maxLength: 10 }),
      fc.constantFrom('=', '==', 'a=', '=1', ' = ', '__proto__=1', 'constructor=2', 'toString=0', 'C=1=2'),
      fc
        .tuple(
          fc.oneof(
            fc.constantFrom('C', 'gNa', 'a', 'b', 'tau', 'theta', 'vOffset'),
            fc.string({ maxLength: 6 }),
          ),
          fc.constantFrom('=', ' = ', '= '),
          numberish,
        )
        .map(([n, eq, v]) => `${n}${eq}${v}`),
    );
    const raw = fc.array(
      fc.array(items, { maxLength: 3 }).map((xs) => xs.join(',')),
      { maxLength: 3 },
    );
    check(fc.tuple(fc.constantFrom(...models, 'zz'), raw), ([model, values]) => {
      let params: Record<string, number>;
      try {
        params = parseModelParams(model, values);
      } catch (err) {
        assertUserFacing(err, values);
        return;
      }
      const decl = declaredModel(model);
      for (const [k, v] of Object.entries(params)) {
        assert.ok(decl?.params.includes(k), `${model}: unknown parameter ${k} accepted from ${values}`);
        assert.ok(Number.isFinite(v), `${model}: ${k} = ${v} accepted from ${values}`);
      }
    });
  });

  test('checkModelDt: any positive dt is accepted or refused with a usage error', () => {
    check(fc.tuple(fc.constantFrom(...modelNames()), fc.double({ min: 1e-6, max: 10 })), ([model, dt]) => {
      try {
        checkModelDt(model, dt);
      } catch (err) {
        assertUserFacing(err, [model, dt]);
      }
    });
  });
});

// ---------------------------------------------------------------------------------------------
// IDX reader

function idxBytes(dims: number[], data: ArrayLike<number>, type = 0x08): Uint8Array {
  const out = new Uint8Array(4 + 4 * dims.length + data.length);
  const view = new DataView(out.buffer);
  out[2] = type;
  out[3] = dims.length;
  dims.forEach((d, i) => view.setUint32(4 + 4 * i, d, false));
  out.set(data, 4 + 4 * dims.length);
  return out;
}

/** A small valid IDX file. */
const validIdx = fc.array(fc.integer({ min: 0, max: 5 }), { minLength: 1, maxLength: 4 }).chain((dims) =>
  fc
    .uint8Array({
      minLength: dims.reduce((a, b) => a * b, 1),
      maxLength: dims.reduce((a, b) => a * b, 1),
    })
    .map((data) => idxBytes(dims, data)),
);

/** Byte-level mutations: truncation, flipped or overwritten bytes, lying dims, appended bytes. */
function mutateBytes(base: fc.Arbitrary<Uint8Array>, header: number): fc.Arbitrary<Uint8Array> {
  return base.chain((b) =>
    fc.oneof(
      fc.nat({ max: Math.max(0, b.length - 1) }).map((n) => b.slice(0, n)),
      fc
        .tuple(fc.nat({ max: Math.max(0, Math.min(b.length, header) - 1) }), fc.integer({ min: 0, max: 255 }))
        .map(([i, v]) => {
          const c = b.slice();
          c[i] = v;
          return c;
        }),
      fc.tuple(fc.nat({ max: 3 }), fc.constantFrom(0xffffffff, 0x7fffffff, 0x10000, 0, 1)).map(([d, v]) => {
        const c = b.slice();
        if (c.length >= 8 + 4 * d) new DataView(c.buffer).setUint32(4 + 4 * d, v, false);
        return c;
      }),
      fc.uint8Array({ minLength: 1, maxLength: 8 }).map((extra) => new Uint8Array([...b, ...extra])),
      fc.constant(b),
    ),
  );
}

/** Independent reading of the format: the dims a valid file declares, or null. */
function expectedIdx(b: Uint8Array): number[] | null {
  if (b.length < 4 || b[0] !== 0 || b[1] !== 0 || b[2] !== 8 || b[3] < 1 || b[3] > 4) return null;
  const n = b[3];
  if (b.length < 4 + 4 * n) return null;
  const view = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const dims = Array.from({ length: n }, (_, i) => view.getUint32(4 + 4 * i, false));
  return b.length === 4 + 4 * n + dims.reduce((a, c) => a * c, 1) ? dims : null;
}

describe('IDX reader', () => {
  const idxInputs = fc.oneof(fc.uint8Array({ maxLength: 48 }), mutateBytes(validIdx, 20));

  test('parseIdx: the declared dims and data, or IdxFormatError naming the source', () => {
    check(idxInputs, (bytes) => {
      const want = expectedIdx(bytes);
      try {
        const arr = parseIdx(bytes, 'fuzz.idx');
        assert.deepEqual(arr.dims, want, 'accepted a malformed file');
        assert.equal(
          arr.data.length,
          arr.dims.reduce((a, c) => a * c, 1),
        );
      } catch (err) {
        if (err instanceof assert.AssertionError) throw err;
        assert.ok(err instanceof IdxFormatError, `${(err as Error).name}: ${(err as Error).message}`);
        assert.match(err.message, /^fuzz\.idx: \S/);
        assert.equal(want, null, `refused a valid file: ${err.message}`);
      }
    });
  });

  test('readIdx: corrupt gzip, directories and oversized payloads are IdxFormatErrors', () => {
    let n = 0;
    const gz = idxInputs.chain((b) => mutateBytes(fc.constant(new Uint8Array(gzipSync(b))), 12));
    check(
      gz,
      (z) => {
        const path = join(ROOT, `fuzz-${n++}.idx.gz`);
        writeFileSync(path, z);
        // what a correct reader yields: the IDX inside intact gzip, or the bytes themselves without the magic
        let want: number[] | null;
        if (z[0] === 0x1f && z[1] === 0x8b) {
          try {
            want = expectedIdx(gunzipSync(z));
          } catch {
            want = null;
          }
        } else want = expectedIdx(z);
        try {
          assert.deepEqual(readIdx(path).dims, want, 'accepted a malformed file');
        } catch (err) {
          if (err instanceof assert.AssertionError) throw err;
          assert.ok(err instanceof IdxFormatError, `${(err as Error).name}: ${(err as Error).message}`);
          assert.ok(err.message.startsWith(path), err.message);
          assert.equal(want, null, `refused a valid file: ${err.message}`);
        }
      },
      150,
    );
    assert.throws(
      () => readIdx(ROOT),
      (err: Error) => err instanceof IdxFormatError && err.message.includes(ROOT),
    );
    // A gzip bomb: 8 MiB of zeros in ~8 KiB must not be inflated past the size limit.
    const bomb = join(ROOT, 'bomb.idx.gz');
    writeFileSync(bomb, gzipSync(idxBytes([8 * 2 ** 20], new Uint8Array(8 * 2 ** 20))));
    assert.throws(
      () => readIdx(bomb, { maxBytes: 2 ** 20 }),
      (err: Error) => err instanceof IdxFormatError && /more than 1 MiB/.test(err.message),
    );
    assert.equal(readIdx(bomb, { maxBytes: 16 * 2 ** 20 }).dims[0], 8 * 2 ** 20);
  });
});

// ---------------------------------------------------------------------------------------------
// safetensors reader

const tensorArb = fc.array(fc.integer({ min: 0, max: 4 }), { maxLength: 3 }).chain((shape) => {
  const n = shape.reduce((a, b) => a * b, 1);
  return fc
    .array(fc.float({ noNaN: true }), { minLength: n, maxLength: n })
    .map((xs): NamedArray => ({ shape, data: Float32Array.from(xs) }));
});

const validSafetensors = fc
  .tuple(
    fc.uniqueArray(
      fc.string({ minLength: 1, maxLength: 6 }).filter((s) => s !== '__metadata__'),
      {
        maxLength: 3,
      },
    ),
    fc.dictionary(fc.string({ maxLength: 5 }), fc.string({ maxLength: 8 }), { maxKeys: 2 }),
  )
  .chain(([names, metadata]) =>
    fc
      .tuple(...names.map(() => tensorArb))
      .map((ts) => ({ bytes: encodeSafetensors(new Map(names.map((n, i) => [n, ts[i]])), metadata), names })),
  );

/** Random JSON for a header field, with the values a lying writer would put there. */
const fieldJson = fc.oneof(
  fc.jsonValue({ maxDepth: 2 }),
  fc.array(
    fc.oneof(fc.integer({ min: -8, max: 64 }), fc.double(), fc.constantFrom(1e20, 2 ** 53, -1, 0.5, '4')),
    {
      maxLength: 3,
    },
  ),
);

function withHeader(bytes: Uint8Array, edit: (header: Record<string, unknown>) => unknown): Uint8Array {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const len = Number(view.getBigUint64(0, true));
  const header = JSON.parse(Buffer.from(bytes.subarray(8, 8 + len)).toString('utf8'));
  const json = Buffer.from(JSON.stringify(edit(header)), 'utf8');
  const out = new Uint8Array(8 + json.length + bytes.length - 8 - len);
  new DataView(out.buffer).setBigUint64(0, BigInt(json.length), true);
  out.set(json, 8);
  out.set(bytes.subarray(8 + len), 8 + json.length);
  return out;
}

/** Header-level mutations: a tensor's dtype, shape or offsets replaced, metadata or the whole header swapped. */
const mutatedSafetensors = validSafetensors.chain(({ bytes, names }) =>
  fc.oneof(
    fc.constant(bytes),
    mutateBytes(fc.constant(bytes), 16),
    fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }).map((len) => {
      const c = bytes.slice();
      new DataView(c.buffer).setBigUint64(0, len, true);
      return c;
    }),
    fc.jsonValue({ maxDepth: 3 }).map((h) => withHeader(bytes, () => h)),
    fieldJson.map((m) => withHeader(bytes, (h) => ({ ...h, __metadata__: m }))),
    names.length === 0
      ? fc.constant(bytes)
      : fc
          .tuple(fc.constantFrom(...names), fc.constantFrom('dtype', 'shape', 'data_offsets'), fieldJson)
          .map(([name, field, value]) =>
            withHeader(bytes, (h) => ({ ...h, [name]: { ...(h[name] as object), [field]: value } })),
          ),
    names.length === 0
      ? fc.constant(bytes)
      : fc
          .tuple(fc.constantFrom(...names), fc.jsonValue({ maxDepth: 1 }))
          .map(([name, value]) => withHeader(bytes, (h) => ({ ...h, [name]: value }))),
  ),
);

/**
 * Hand-laid headers over a data section of k floats: tensors at random offsets (tiling it, leaving
 * gaps, overlapping) with shapes whose product fits the span but which may lie (negative,
 * fractional or string dimensions), and offsets that may too (three of them, fractions, strings).
 */
const laidOutSafetensors = fc.integer({ min: 1, max: 4 }).chain((k) =>
  fc
    .array(
      fc.tuple(
        fc.nat({ max: k }),
        fc.nat({ max: k }),
        fc.constantFrom<(n: number) => unknown[]>(
          (n) => [n],
          (n) => [1, n],
          (n) => [-1, -n],
          (n) => [0.5, 2 * n],
          (n) => [String(n)],
        ),
        fc.constantFrom<(b: number, e: number) => unknown[]>(
          (b, e) => [b, e],
          (b, e) => [b, e, e],
          (b, e) => [b + 0.5, e + 0.5],
          (b, e) => [String(b), e],
        ),
      ),
      { minLength: 1, maxLength: 3 },
    )
    .map((spans) => {
      const header: Record<string, unknown> = {};
      spans.forEach(([a, b, shape, offsets], i) => {
        const [begin, end] = [Math.min(a, b), Math.max(a, b)];
        header[`t${i}`] = {
          dtype: 'F32',
          shape: shape(end - begin),
          data_offsets: offsets(4 * begin, 4 * end),
        };
      });
      const base = encodeSafetensors(new Map([['x', { shape: [k], data: new Float32Array(k).fill(1.5) }]]));
      return withHeader(base, () => header);
    }),
);

/**
 * Independent check of what a decoder may accept: a JSON object header, F32 tensors with shapes of
 * non-negative integers, offsets that tile the data section exactly (no gap, no overlap, nothing
 * past the end), and string-valued metadata.
 */
function acceptable(bytes: Uint8Array): Map<string, Float32Array> | null {
  if (bytes.length < 8) return null;
  const len = new DataView(bytes.buffer, bytes.byteOffset).getBigUint64(0, true);
  if (len > BigInt(bytes.length - 8)) return null;
  let header: unknown;
  try {
    header = JSON.parse(Buffer.from(bytes.subarray(8, 8 + Number(len))).toString('utf8'));
  } catch {
    return null;
  }
  if (typeof header !== 'object' || header === null || Array.isArray(header)) return null;
  const start = 8 + Number(len);
  const spans: [number, number][] = [];
  const values = new Map<string, Float32Array>();
  for (const [name, e] of Object.entries(header)) {
    if (name === '__metadata__') {
      if (typeof e !== 'object' || e === null || Array.isArray(e)) return null;
      if (Object.values(e).some((v) => typeof v !== 'string')) return null;
      continue;
    }
    if (typeof e !== 'object' || e === null) return null;
    const { dtype, shape, data_offsets: off } = e as Record<string, unknown>;
    if (dtype !== 'F32' || !Array.isArray(shape) || !Array.isArray(off) || off.length !== 2) return null;
    if (!shape.every((d) => Number.isSafeInteger(d) && d >= 0)) return null;
    if (!off.every((d) => Number.isSafeInteger(d) && d >= 0)) return null;
    const count = (shape as number[]).reduce((a, b) => a * b, 1);
    if (off[1] - off[0] !== 4 * count) return null;
    spans.push([off[0], off[1]]);
    // little-endian float32s, as this machine stores them
    values.set(
      name,
      new Float32Array(Uint8Array.prototype.slice.call(bytes, start + off[0], start + off[1]).buffer),
    );
  }
  spans.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  let at = 0;
  for (const [b, e] of spans) {
    if (b !== at) return null;
    at = e;
  }
  return at === bytes.length - start ? values : null;
}

describe('safetensors reader', () => {
  test('decodeSafetensors: a faithful decode, or SafetensorsError naming the source', () => {
    // a header promising 4 TiB of floats: refused before anything is allocated
    const huge = withHeader(encodeSafetensors(new Map()), () => ({
      t: { dtype: 'F32', shape: [2 ** 40], data_offsets: [0, 2 ** 42] },
    }));
    const inputs = fc.oneof(
      fc.uint8Array({ maxLength: 40 }),
      mutatedSafetensors,
      laidOutSafetensors,
      fc.constant(huge),
    );
    check(inputs, (bytes) => {
      const want = acceptable(bytes);
      try {
        const { tensors, metadata } = decodeSafetensors(bytes, 'fuzz.st');
        assert.ok(want, 'accepted a malformed file');
        assert.deepEqual(
          new Map([...tensors].map(([name, t]) => [name, t.data])),
          want,
          'decoded values differ from the bytes at their offsets',
        );
        for (const [name, t] of tensors) {
          assert.ok(
            t.shape.every((d) => Number.isSafeInteger(d) && d >= 0),
            `${name}: shape [${t.shape}]`,
          );
          assert.equal(
            t.data.length,
            t.shape.reduce((a, b) => a * b, 1),
            name,
          );
        }
        for (const v of Object.values(metadata)) assert.equal(typeof v, 'string');
      } catch (err) {
        if (err instanceof assert.AssertionError) throw err;
        assert.ok(err instanceof SafetensorsError, `${(err as Error).name}: ${(err as Error).message}`);
        assert.match(err.message, /^fuzz\.st: \S/);
        assert.equal(want, null, `refused a valid file: ${err.message}`);
      }
    });
  });
});

// ---------------------------------------------------------------------------------------------
// Configurations

const CONFIGS = [
  { what: 'training', resolve: resolveTrainConfig, valid: { model: 'hh-fc', epochs: 2, batch: 8, lr: 1e-3 } },
  {
    what: 'RL',
    resolve: resolveRlConfig,
    valid: { env: 'inverted-pendulum', model: 'lif', steps: 100, warmup: 10, gamma: 0.9, padding: 'repeat' },
  },
  { what: 'mutual-information', resolve: resolveMiConfig, valid: { model: 'hh', epochs: 1, K: 4, beta: 0 } },
] as const;

describe('configuration validation', () => {
  for (const { what, resolve, valid } of CONFIGS) {
    test(`${what}: random JSON is refused with a RangeError naming the source`, () => {
      check(fc.jsonValue({ maxDepth: 3 }), (input) => {
        try {
          resolve(input, 'fuzz.json');
        } catch (err) {
          assert.ok(err instanceof RangeError, `${(err as Error).name}: ${(err as Error).message}`);
          assert.match(err.message, /^fuzz\.json: invalid .*configuration — \S/);
        }
      });
    });

    test(`${what}: a mutated field is accepted with its declared type or named in the error`, () => {
      const keys = Object.keys(valid);
      const mutation = fc.oneof(
        fc.tuple(fc.constantFrom(...keys), fc.jsonValue({ maxDepth: 1 })),
        fc.tuple(fc.constantFrom(...keys), fc.constantFrom(-1, 0, 0.5, 1e300, '', '1', null, [], {})),
        fc.tuple(fc.string({ minLength: 1, maxLength: 6 }), fc.jsonValue({ maxDepth: 1 })),
      );
      check(fc.tuple(mutation, fc.boolean()), ([[key, value], drop]) => {
        const input: Record<string, unknown> = { ...valid, [key]: value };
        if (drop) delete input[key];
        let cfg: Record<string, unknown>;
        try {
          cfg = resolve(input, 'fuzz.json') as Record<string, unknown>;
        } catch (err) {
          assert.ok(err instanceof RangeError, `${(err as Error).name}: ${(err as Error).message}`);
          assert.ok(err.message.includes(key), `${key}=${JSON.stringify(value)}: ${err.message}`);
          return;
        }
        if (!drop) assert.deepEqual(cfg[key], value, `${key} was accepted but changed`);
        for (const [k, v] of Object.entries(cfg))
          if (typeof v === 'number') assert.ok(Number.isFinite(v), `${k} = ${v}`);
      });
    });
  }
});

// ---------------------------------------------------------------------------------------------
// Checkpoint metadata

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

/** Paths to every leaf and inner value of a JSON value (object keys and array indices). */
function jsonPaths(v: Json, at: (string | number)[] = []): (string | number)[][] {
  if (v === null || typeof v !== 'object') return [at];
  const entries: [string | number, Json][] = Array.isArray(v) ? v.map((x, i) => [i, x]) : Object.entries(v);
  return [at, ...entries.flatMap(([k, x]) => jsonPaths(x, [...at, k]))];
}

/** A copy of `v` with the value at `path` replaced (or removed when `value` is undefined). */
function withPath(v: Json, path: (string | number)[], value: Json | undefined): Json {
  if (path.length === 0) return value ?? null;
  const copy = structuredClone(v) as Record<string | number, Json>;
  let node = copy;
  for (const k of path.slice(0, -1)) node = node[k] as Record<string | number, Json>;
  const last = path[path.length - 1];
  if (value === undefined) {
    if (Array.isArray(node)) node.splice(Number(last), 1);
    else delete node[last];
  } else node[last] = value;
  return copy;
}

/** A valid document and one of its values replaced by random JSON or dropped. */
function mutatedJson(valid: Json): fc.Arbitrary<{ doc: Json; path: (string | number)[]; dropped: boolean }> {
  return fc
    .tuple(
      fc.constantFrom(...jsonPaths(valid).filter((p) => p.length > 0)),
      fc.option(
        fc.oneof(fc.jsonValue({ maxDepth: 1 }), fc.constantFrom(-1, 0.5, 1e300, '', '1', null, [], {})),
        { freq: 5 },
      ),
    )
    .map(([path, value]) => ({
      doc: withPath(valid, path, value === null ? undefined : (value as Json)),
      path,
      dropped: value === null,
    }));
}

/** The name a validation error must mention for a change at `path`: its last key. */
const fieldName = (path: (string | number)[]): string =>
  String([...path].reverse().find((k) => typeof k === 'string') ?? path[0]);

const trainConfig = resolveTrainConfig({ model: 'hh-fc', epochs: 2 }) as unknown as Json;
const rlConfig = resolveRlConfig({
  env: 'inverted-pendulum',
  model: 'lif',
  steps: 100,
  warmup: 10,
}) as unknown as Json;
const rng = [1, 2, 3, 4, null];
const LOOP_STATES = [
  {
    what: 'training',
    parse: parseTrainLoopState,
    valid: {
      config: trainConfig,
      epochsDone: 1,
      batchesDone: 2,
      lossSum: 3.5,
      seconds: 10,
      history: [{ epoch: 1, loss: 1.25, acc1: 50, acc2: 40, seconds: 5 }],
    },
  },
  {
    what: 'mutual-information',
    parse: parseMiLoopState,
    valid: {
      config: resolveMiConfig({ model: 'hh' }) as unknown as Json,
      epochsDone: 1,
      batchesDone: 0,
      lossSum: 0,
      rngState: rng,
      history: [{ epoch: 1, izx: 3, izy: { task1: 1, task2: 0.5 }, acc1: 60, acc2: 50, loss: 2 }],
    },
  },
  {
    what: 'RL',
    parse: parseRlLoopState,
    valid: {
      config: rlConfig,
      step: 10,
      seconds: 2,
      episodes: [{ step: 8, return: 7.5, length: 8 }],
      evals: [{ step: 10, meanReturn: 5, meanLength: 10 }],
      episodeReturn: 1.5,
      episodeLength: 2,
      window: [0, 0.5],
      env: { qpos: [0, 0], qvel: [0, 0], warmstart: [0, 0], ctrl: [0], time: 0.1, elapsed: 2, rng },
      rng,
      noiseRng: rng,
    },
  },
] as const;

/** Reads `path` out of a parsed value (undefined when absent). */
function atPath(v: unknown, path: (string | number)[]): unknown {
  return path.reduce<unknown>((node, k) => (node as Record<string | number, unknown>)?.[k], v);
}

describe('checkpoint metadata', () => {
  for (const { what, parse, valid } of LOOP_STATES) {
    test(`${what} loop state: random JSON and mutated fields are refused naming the field`, () => {
      check(fc.jsonValue({ maxDepth: 2 }), (raw) => {
        assert.throws(
          () => parse(raw, 'ckpt state'),
          (err: Error) => err instanceof RangeError && err.message.startsWith('ckpt state'),
        );
      });
      check(mutatedJson(valid as unknown as Json), ({ doc, path, dropped }) => {
        let state: unknown;
        try {
          state = parse(doc, 'ckpt state');
        } catch (err) {
          assert.ok(err instanceof RangeError, `${(err as Error).name}: ${(err as Error).message}`);
          assert.ok(err.message.includes(fieldName(path)), `${path.join('.')}: ${err.message}`);
          return;
        }
        // accepted: the value is kept as given (a dropped one was optional and defaulted)
        if (!dropped) assert.deepEqual(atPath(state, path), atPath(doc, path), path.join('.'));
      });
    });
  }

  test('model.safetensors hhnet metadata (evaluate, play): config and counts checked, errors name the file', () => {
    const readers = [
      { read: savedTrainConfig, valid: { config: trainConfig, epochs: 3 } },
      { read: savedActorConfig, valid: { config: rlConfig, step: 400 } },
    ];
    const cases = fc.oneof(
      fc
        .tuple(
          fc.constantFrom(0, 1),
          fc.dictionary(fc.constantFrom('hhnet', 'format', 'x'), fc.oneof(fc.string(), randomJsonText)),
        )
        .map(([i, meta]) => ({ i, meta, path: null })),
      fc.constantFrom(0, 1).chain((i) =>
        mutatedJson(readers[i].valid as unknown as Json).map((m) => ({
          i,
          meta: { format: 'pt', hhnet: JSON.stringify(m.doc) },
          path: m.path,
        })),
      ),
    );
    check(cases, ({ i, meta, path }) => {
      try {
        const r = readers[i].read(meta, 'm.st');
        const count = 'epochs' in r ? r.epochs : r.step;
        assert.ok(count === null || (Number.isSafeInteger(count) && count >= 0), `count ${count}`);
      } catch (err) {
        if (err instanceof assert.AssertionError) throw err;
        assert.ok(
          err instanceof SafetensorsError || err instanceof RangeError,
          `${(err as Error).name}: ${(err as Error).message}`,
        );
        assert.ok(err.message.startsWith('m.st'), err.message);
        if (path) assert.ok(err.message.includes(fieldName(path)), `${path.join('.')}: ${err.message}`);
      }
    });
  });

  test('loadCheckpoint / loadRlCheckpoint: mutated metadata and tensors fail cleanly, or restore exactly', async () => {
    const model = new Linear(3, 2, new Rng(1));
    const opt = new Adam(model.parameters(), { lr: 0.01 });
    const agent = fakeAgent();
    const replay = new ReplayBuffer(8, 2, 1);
    for (let i = 0; i < 3; i++) replay.add([i, i], [0.5], i, [i + 1, i + 1], false);
    const dirs = { train: join(ROOT, 'ckpt-train'), rl: join(ROOT, 'ckpt-rl') };
    await saveCheckpoint(dirs.train, model, opt, LOOP_STATES[0].valid);
    await saveRlCheckpoint(dirs.rl, agent, replay, LOOP_STATES[2].valid);
    const files = {
      train: loadSafetensors(join(dirs.train, CHECKPOINT_FILE)),
      rl: loadSafetensors(join(dirs.rl, CHECKPOINT_FILE)),
    };
    const saved = model.parameters().map((p) => p.data.slice());
    const load = (kind: 'train' | 'rl', dir: string): unknown =>
      kind === 'train'
        ? loadCheckpoint(dir, model, opt, parseTrainLoopState)
        : loadRlCheckpoint(dir, agent, replay, parseRlLoopState);
    for (const kind of ['train', 'rl'] as const) {
      const { tensors, metadata } = files[kind];
      const names = [...tensors.keys()];
      const keys = Object.keys(metadata);
      const mutation = fc.oneof(
        fc.tuple(fc.constantFrom(...keys), fc.option(fc.oneof(fc.string({ maxLength: 8 }), randomJsonText))),
        fc.tuple(
          fc.constantFrom(...keys),
          fc.constantFrom(
            '{"step":-1}',
            '{"step":1.5}',
            '{"lr":0}',
            '{"actor":{"step":"3"}}',
            '{"head":1,"size":99}',
          ),
        ),
        fc.tuple(fc.constantFrom(...names), fc.constantFrom('drop', 'rename', 'reshape', 'shrink')),
      );
      let n = 0;
      await fc.assert(
        fc.asyncProperty(mutation, async ([target, change]) => {
          const t = new Map(tensors);
          const m = { ...metadata };
          if (t.has(target)) {
            const x = t.get(target)!;
            t.delete(target);
            if (change === 'rename') t.set(`${target}.zz`, x);
            if (change === 'reshape') t.set(target, { shape: [1, x.data.length], data: x.data });
            if (change === 'shrink') t.set(target, { shape: [0], data: new Float32Array(0) });
          } else if (change === null) delete m[target];
          else m[target] = change;
          const dir = join(ROOT, `ckpt-${kind}-${n++}`);
          await saveSafetensors(join(dir, CHECKPOINT_FILE), t, m);
          try {
            load(kind, dir);
          } catch (err) {
            assert.ok(
              isKnownError(err),
              `${target} ${change}: ${(err as Error).name}: ${(err as Error).message}`,
            );
            assert.ok((err as Error).message.includes(dir), (err as Error).message);
            return;
          }
          // accepted: what was restored must still be a state training can continue from
          const opts = kind === 'train' ? [opt] : [agent.actorOpt, agent.criticOpt, agent.alphaOpt];
          for (const o of opts) {
            const { step, lr } = o.stateScalars();
            assert.ok(Number.isSafeInteger(step) && step >= 0, `${target} ${change}: step ${step}`);
            assert.ok(Number.isFinite(lr) && lr > 0, `${target} ${change}: lr ${lr}`);
          }
          assert.ok(replay.size >= 0 && replay.size <= replay.capacity, `replay size ${replay.size}`);
        }),
        { seed: SEED, numRuns: 60, includeErrorInReport: true },
      );
      load(kind, dirs[kind]); // the untouched file still restores
    }
    model.parameters().forEach((p, i) => assert.deepEqual(p.data, saved[i]));
  });
});

/** Just enough of a SoftActorCritic for the checkpoint code: three small modules, their optimisers, log α. */
function fakeAgent(): SoftActorCritic {
  const rngs = new Rng(2);
  const [actor, critic, target] = [new Linear(2, 1, rngs), new Linear(3, 1, rngs), new Linear(3, 1, rngs)];
  const logAlpha = Tensor.from([0], [1], true);
  return {
    actor,
    critic,
    target,
    logAlpha,
    actorOpt: new Adam(actor.parameters()),
    criticOpt: new Adam(critic.parameters()),
    alphaOpt: new Adam([logAlpha]),
  } as unknown as SoftActorCritic;
}

// ---------------------------------------------------------------------------------------------
// The CLI end to end

test('CLI: fuzzed command lines exit non-zero with one clear line, no stack trace and no hang', async () => {
  const lines = fc.sample(fuzzLines(), { seed: SEED, numRuns: 40 });
  const runs = await runLines(lines, join(ROOT, 'cli'), { concurrency: 4, timeoutMs: 20_000 });
  const bad = runs.filter((r) => problems(r).length > 0);
  assert.deepEqual(
    bad.map((r) => `${problems(r).join(', ')}: ${describeRun(r)}`),
    [],
  );
  // The lines reach past commander: the actions' own checks and the file readers answer some.
  assert.ok(
    runs.some((r) => r.code === 2),
    'no line reached a command action',
  );
  assert.ok(
    runs.some((r) => r.line.valid),
    'no --help line drawn',
  );
});
