/** Option parsers for commander: each rejects bad values with a message naming what was expected. */
import { InvalidArgumentError } from 'commander';
import { unitRefusal } from '../neurons/catalog.js';
import { INTEGRATORS } from '../neurons/types.js';
import type { IntegratorName } from '../neurons/types.js';

export function positiveNumber(value: string): number {
  const x = Number(value);
  if (value.trim() === '' || !Number.isFinite(x) || x <= 0)
    throw new InvalidArgumentError('expected a positive number.');
  return x;
}

export function nonNegativeNumber(value: string): number {
  const x = Number(value);
  if (value.trim() === '' || !Number.isFinite(x) || x < 0)
    throw new InvalidArgumentError('expected a number ≥ 0.');
  return x;
}

/** A number in [0, 1] (a duty cycle). */
export function fraction(value: string): number {
  const x = Number(value);
  if (value.trim() === '' || !Number.isFinite(x) || x < 0 || x > 1)
    throw new InvalidArgumentError('expected a number from 0 to 1.');
  return x;
}

export function finiteNumber(value: string): number {
  const x = Number(value);
  if (value.trim() === '' || !Number.isFinite(x)) throw new InvalidArgumentError('expected a finite number.');
  return x;
}

export function positiveInt(value: string): number {
  const x = Number(value);
  if (!/^\s*\d+\s*$/.test(value) || !Number.isSafeInteger(x) || x < 1)
    throw new InvalidArgumentError('expected a positive integer.');
  return x;
}

export function nonNegativeInt(value: string): number {
  const x = Number(value);
  if (!/^\s*\d+\s*$/.test(value) || !Number.isSafeInteger(x))
    throw new InvalidArgumentError('expected an integer ≥ 0.');
  return x;
}

export function integer(value: string): number {
  const x = Number(value);
  if (!/^\s*-?\d+\s*$/.test(value) || !Number.isSafeInteger(x))
    throw new InvalidArgumentError('expected an integer.');
  return x;
}

export function numberList(value: string): number[] {
  const parts = value.split(',').map((s) => s.trim());
  const xs = parts.map(Number);
  const bad = parts.findIndex((s, i) => s === '' || !Number.isFinite(xs[i]));
  if (bad >= 0)
    throw new InvalidArgumentError(`expected comma-separated numbers; "${parts[bad]}" is not a number.`);
  return xs;
}

export function nonNegativeList(value: string): number[] {
  const xs = numberList(value);
  const bad = xs.findIndex((x) => x < 0);
  if (bad >= 0) throw new InvalidArgumentError(`expected numbers ≥ 0; got ${xs[bad]}.`);
  return xs;
}

export function integratorName(value: string): IntegratorName {
  if (!(INTEGRATORS as readonly string[]).includes(value))
    throw new InvalidArgumentError(`expected one of ${INTEGRATORS.join(', ')}.`);
  return value as IntegratorName;
}

export function oneOf<T extends string>(choices: readonly T[]): (value: string) => T {
  return (value) => {
    if (!(choices as readonly string[]).includes(value))
      throw new InvalidArgumentError(`expected one of ${choices.join(', ')}.`);
    return value as T;
  };
}

/** A model to simulate, one of `names`; a unit's name gets why it cannot be simulated. */
export function simulableModel(names: readonly string[]): (value: string) => string {
  const check = oneOf(names);
  return (value) => {
    const refusal = names.includes(value) ? null : unitRefusal(value);
    if (refusal)
      throw new InvalidArgumentError(
        `${refusal}; expected one of ${names.join(', ')} (\`hhnet models ${value}\` describes the unit).`,
      );
    return check(value);
  };
}

/** A TCP port: an integer from 0 to 65535 (0: any free port). */
export function portNumber(value: string): number {
  const x = Number(value);
  if (!/^\s*\d+\s*$/.test(value) || !Number.isSafeInteger(x) || x > 65535)
    throw new InvalidArgumentError('expected a port number from 0 to 65535 (0: any free port).');
  return x;
}

/** A host name or IP address to listen on (letters, digits and . : - % [ ]; not blank). */
export function hostAddress(value: string): string {
  const host = value.trim();
  if (!/^[A-Za-z0-9.:%[\]-]+$/.test(host))
    throw new InvalidArgumentError(
      'expected a host name or IP address (e.g. 127.0.0.1, localhost, ::1, 0.0.0.0).',
    );
  return host.replace(/^\[(.*)\]$/, '$1');
}
