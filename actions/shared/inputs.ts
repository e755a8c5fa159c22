import * as core from '@actions/core';
import { ConfigurationError } from '../../src/core/errors.js';

/** An optional string input: undefined when empty. */
export function optionalInput(name: string): string | undefined {
  const value = core.getInput(name).trim();
  return value === '' ? undefined : value;
}

/** A boolean input with a default, accepting the YAML 1.2 core schema's spellings. */
export function booleanInput(name: string, fallback: boolean): boolean {
  const raw = core.getInput(name).trim();
  if (raw === '') return fallback;
  if (['true', 'True', 'TRUE'].includes(raw)) return true;
  if (['false', 'False', 'FALSE'].includes(raw)) return false;
  throw new ConfigurationError(`Input "${name}" must be true or false, not "${raw}".`);
}

/** One of a fixed set of values. */
export function choiceInput<T extends string>(name: string, choices: readonly T[], fallback: T): T {
  const raw = core.getInput(name).trim();
  if (raw === '') return fallback;
  if ((choices as readonly string[]).includes(raw)) return raw as T;
  throw new ConfigurationError(`Input "${name}" must be one of ${choices.join(', ')}; got "${raw}".`);
}

/** A list input: one item per line or comma-separated, blanks dropped. */
export function listInput(name: string): string[] {
  return core
    .getInput(name)
    .split(/[\n,]/)
    .map((item) => item.trim())
    .filter((item) => item.length > 0);
}
