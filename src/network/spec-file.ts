/**
 * A network described as JSON (`hhnet network run FILE`): the same populations, Poisson
 * groups, projections and recordings as the API, as data. The file's shape is checked with zod;
 * the values then by the constructors; every error names the file and the field.
 *
 * Groups are referred to by name, or a slice of one as "NAME[start:end]" (end may be omitted).
 */
import { z } from 'zod';
import type { NetworkIntegrator } from './kernel.js';
import { Network } from './network.js';
import type { NetworkBackend, RateTableOptions } from './wasm-step.js';
import type { GroupView } from './population.js';
import type { RateMonitor, SpikeMonitor, StateMonitor } from './monitors.js';
import type { ConnectionRule } from './connectivity.js';
import type { ValueSpec } from './values.js';

const value = z.union([
  z.number(),
  z.strictObject({
    normal: z.strictObject({ mean: z.number(), std: z.number() }),
    min: z.number().optional(),
    max: z.number().optional(),
  }),
  z.strictObject({ uniform: z.strictObject({ low: z.number(), high: z.number() }) }),
]);

const rule = z.discriminatedUnion('rule', [
  z.strictObject({ rule: z.literal('probability'), p: z.number() }),
  z.strictObject({ rule: z.literal('in-degree'), k: z.number() }),
  z.strictObject({ rule: z.literal('one-to-one') }),
  z.strictObject({ rule: z.literal('all-to-all') }),
  z.strictObject({ rule: z.literal('explicit'), pre: z.array(z.number()), post: z.array(z.number()) }),
]);

export const networkFileSchema = z.strictObject({
  description: z.string().optional(),
  dt: z.number().optional(),
  seed: z.number().int().optional(),
  integrator: z.enum(['expeuler', 'euler']).optional(),
  /** Default duration of `hhnet network run`, ms. */
  duration: z.number().optional(),
  populations: z.record(
    z.string(),
    z.strictObject({
      model: z.string(),
      n: z.number(),
      params: z.record(z.string(), z.number()).optional(),
      receptors: z
        .record(
          z.string(),
          z.strictObject({
            tau: z.number(),
            E: z.number().optional(),
            kind: z.enum(['exponential', 'alpha']).optional(),
          }),
        )
        .optional(),
      init: z.record(z.string(), value).optional(),
      refractory: z.number().optional(),
      current: value.optional(),
    }),
  ),
  poisson: z.record(z.string(), z.strictObject({ n: z.number(), rate: z.number() })).optional(),
  projections: z
    .array(
      z.strictObject({
        from: z.string(),
        to: z.string(),
        receptor: z.string(),
        connectivity: rule,
        weight: value,
        delay: value.optional(),
        autapses: z.boolean().optional(),
        plasticity: z
          .strictObject({
            rule: z.enum(['additive', 'multiplicative']).optional(),
            tauPlus: z.number(),
            tauMinus: z.number(),
            aPlus: z.number(),
            aMinus: z.number(),
            wMin: z.number().optional(),
            wMax: z.number(),
          })
          .optional(),
      }),
    )
    .default([]),
  record: z
    .strictObject({
      spikes: z.array(z.string()).optional(),
      rates: z.array(z.strictObject({ of: z.string(), bin: z.number().optional() })).optional(),
      states: z
        .array(
          z.strictObject({
            of: z.string(),
            variables: z.array(z.string()),
            neurons: z.array(z.number()),
            interval: z.number().optional(),
          }),
        )
        .optional(),
    })
    .optional(),
});

export type NetworkFile = z.infer<typeof networkFileSchema>;

export class NetworkFileError extends Error {
  override name = 'NetworkFileError';
}

export interface LoadedNetwork {
  net: Network;
  file: NetworkFile;
  spikes: { of: string; monitor: SpikeMonitor }[];
  rates: { of: string; monitor: RateMonitor }[];
  states: { of: string; monitor: StateMonitor }[];
}

/** Builds a network from parsed JSON; `where` names the source in errors. */
export function buildNetwork(
  json: unknown,
  where = 'network',
  engine: { backend?: NetworkBackend; threads?: number; rateTable?: RateTableOptions | boolean } = {},
): LoadedNetwork {
  const parsed = networkFileSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const field = issue.path
      .map((p) => (typeof p === 'number' ? `[${p}]` : `.${String(p)}`))
      .join('')
      .replace(/^\./, '');
    throw new NetworkFileError(`${where}: ${field || '(top level)'}: ${issue.message}`);
  }
  const file = parsed.data;
  const at = <T>(field: string, f: () => T): T => {
    try {
      return f();
    } catch (err) {
      throw new NetworkFileError(`${where}: ${field}: ${(err as Error).message}`);
    }
  };
  const net = at(
    'dt/seed/integrator',
    () =>
      new Network({
        dt: file.dt,
        seed: file.seed,
        integrator: file.integrator as NetworkIntegrator | undefined,
        ...engine,
      }),
  );
  for (const [name, spec] of Object.entries(file.populations))
    at(`populations.${name}`, () => net.population(name, spec as Parameters<Network['population']>[1]));
  for (const [name, spec] of Object.entries(file.poisson ?? {}))
    at(`poisson.${name}`, () => net.poisson(name, spec));
  const group = (ref: string): GroupView => {
    const m = /^([A-Za-z][A-Za-z0-9_-]*)(?:\[(-?\d*):(-?\d*)\])?$/.exec(ref);
    if (!m) throw new RangeError(`"${ref}" is not a group name or NAME[start:end]`);
    const g = [...net.populations, ...net.sources].find((x) => x.name === m[1]);
    if (!g) {
      const names = [...net.populations, ...net.sources].map((x) => x.name);
      throw new RangeError(`unknown population "${m[1]}" (known: ${names.join(', ') || 'none'})`);
    }
    if (m[2] === undefined) return g.all;
    return g.slice(m[2] === '' ? 0 : Number(m[2]), m[3] === '' ? g.n : Number(m[3]));
  };
  file.projections.forEach((p, k) =>
    at(`projections[${k}] (${p.from} → ${p.to})`, () =>
      net.connect(group(p.from), group(p.to), {
        receptor: p.receptor,
        connectivity: p.connectivity as ConnectionRule,
        weight: p.weight as ValueSpec,
        delay: p.delay as ValueSpec | undefined,
        autapses: p.autapses,
        plasticity: p.plasticity,
      }),
    ),
  );
  const rec = file.record ?? { spikes: Object.keys(file.populations) };
  const spikes = (rec.spikes ?? []).map((of, k) =>
    at(`record.spikes[${k}]`, () => ({ of, monitor: net.spikeMonitor(group(of)) })),
  );
  const rates = (rec.rates ?? []).map((r, k) =>
    at(`record.rates[${k}]`, () => ({ of: r.of, monitor: net.rateMonitor(group(r.of), r.bin ?? 1) })),
  );
  const states = (rec.states ?? []).map((s, k) =>
    at(`record.states[${k}]`, () => ({
      of: s.of,
      monitor: net.stateMonitor(group(s.of), s.variables, s.neurons, s.interval ?? net.dt),
    })),
  );
  return { net, file, spikes, rates, states };
}
