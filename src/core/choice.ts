import { ConfigurationError } from './errors.js';

/** One of a fixed set of values, or `fallback` when none is given. `what` names the option (`Input "mode"`, `--mode`). */
export function choice<T extends string>(what: string, value: string | undefined, choices: readonly T[], fallback: T): T {
  if (value === undefined || value === '') return fallback;
  if ((choices as readonly string[]).includes(value)) return value as T;
  throw new ConfigurationError(`${what} must be one of ${choices.join(', ')}; got "${value}".`);
}
