/**
 * Environment variables where the runtime has them (Node), none elsewhere (a browser page), so
 * that modules reading HHNET_* settings load in both.
 */

export type EnvVars = Readonly<Record<string, string | undefined>>;

interface MaybeProcess {
  process?: { env?: EnvVars; emitWarning?: (message: string, options: { code: string }) => void };
}

/** The process environment, or an empty one outside Node. */
export function envVars(): EnvVars {
  return (globalThis as MaybeProcess).process?.env ?? {};
}

/** One variable, or undefined where it is unset (or there is no environment). */
export function envVar(name: string): string | undefined {
  return envVars()[name];
}

/** A warning through process.emitWarning in Node, console.warn elsewhere. */
export function emitWarning(message: string, code: string): void {
  const emit = (globalThis as MaybeProcess).process?.emitWarning;
  if (emit) emit(message, { code });
  else (console as unknown as { warn(message: string): void }).warn(`${code}: ${message}`);
}
