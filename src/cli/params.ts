/**
 * `--param NAME=VALUE[,NAME=VALUE…]`: set any declared parameter of the chosen model. The flag may
 * be repeated; names and values are checked against the model's declaration (describeParams lists
 * them in every error), so a typo never runs silently with the default.
 */
import { declaredModel } from '../neurons/catalog.js';
import { DeclarationError, describeParams, resolveParams } from '../neurons/model.js';
import { modelNames } from '../sim/registry.js';
import { UserError } from './output.js';

/** commander option: the raw NAME=VALUE lists, one entry per use of the flag. */
export const PARAM_FLAG = [
  '--param <name=value,...>',
  'set model parameters, e.g. --param a=0.1,d=2 (repeatable; `hhnet models` lists each model’s)',
  (value: string, previous: string[]): string[] => [...previous, value],
  [] as string[],
] as const;

/**
 * The parameter overrides for `model` from the raw --param values; a UserError (one line, with
 * the model's parameters) for bad syntax, a bad number, a name given twice or an unknown name.
 */
export function parseModelParams(model: string, raw: readonly string[]): Record<string, number> {
  const items = raw.flatMap((s) => s.split(',')).map((s) => s.trim());
  if (items.length === 0) return {};
  const decl = declaredModel(model);
  if (!decl)
    throw new UserError(`--param: unknown model "${model}"; expected one of ${modelNames().join(', ')}`);
  const listing = `; parameters of ${model}: ${describeParams(decl)}`;
  const out = new Map<string, number>();
  for (const item of items) {
    const m = /^([^=\s]+)\s*=\s*(.*)$/.exec(item);
    if (!m)
      throw new UserError(`--param "${item}": expected NAME=VALUE (e.g. --param a=0.1,b=0.2)${listing}`);
    const [, name, text] = m;
    const value = Number(text);
    if (text === '' || !Number.isFinite(value))
      throw new UserError(`--param ${name}=${text}: "${text}" is not a finite number${listing}`);
    if (out.has(name)) throw new UserError(`--param: ${name} is given twice${listing}`);
    out.set(name, value);
  }
  const params = Object.fromEntries(out);
  try {
    resolveParams(decl, params);
  } catch (err) {
    if (err instanceof DeclarationError) throw new UserError(`--param: ${err.message}`);
    throw err;
  }
  return params;
}

/**
 * The step of a model declared in discrete time is its time base (unless its step reads dt, as
 * s-LIF2HH's does); another --dt is refused before any work (the population would refuse it at
 * the first step).
 */
export function checkModelDt(model: string, dt: number): void {
  const decl = declaredModel(model);
  if (decl?.time === 'discrete' && !decl.readsDt && Math.abs(dt - decl.timeBase) > 1e-9 * decl.timeBase)
    throw new UserError(
      `model ${model} is defined in discrete time with a step of ${decl.timeBase} ms; use --dt ${decl.timeBase} (got ${dt})`,
    );
}
