import { choice } from '../../src/core/choice.js';
import { ConfigurationError } from '../../src/core/errors.js';
import type { ActionIO } from './runtime.js';

/** How messages name an input: `Input "config"`. */
export const inputName = (name: string): string => `Input "${name}"`;

/** Typed reads of an action's inputs; each action's `inputs.ts` is the one place that uses them. */
export class ActionInputs {
  constructor(private readonly io: Pick<ActionIO, 'getInput'>) {}

  /** An optional string input: undefined when empty. */
  optional(name: string): string | undefined {
    const value = this.io.getInput(name).trim();
    return value === '' ? undefined : value;
  }

  /** A boolean input with a default, accepting the YAML 1.2 core schema's spellings. */
  boolean(name: string, fallback: boolean): boolean {
    const raw = this.io.getInput(name).trim();
    if (raw === '') return fallback;
    if (['true', 'True', 'TRUE'].includes(raw)) return true;
    if (['false', 'False', 'FALSE'].includes(raw)) return false;
    throw new ConfigurationError(`${inputName(name)} must be true or false, not "${raw}".`);
  }

  /** One of a fixed set of values. */
  choice<T extends string>(name: string, choices: readonly T[], fallback: T): T {
    return choice(inputName(name), this.optional(name), choices, fallback);
  }

  /** A list input: one item per line or comma-separated, blanks dropped. */
  list(name: string): string[] {
    return this.io
      .getInput(name)
      .split(/[\n,]/)
      .map((item) => item.trim())
      .filter((item) => item.length > 0);
  }

  /** `KEY=value` pairs, one per line (the value may hold `=`); blank lines dropped. */
  keyValues(name: string): Record<string, string> {
    const pairs: Record<string, string> = {};
    for (const line of this.io.getInput(name).split(/\r?\n/)) {
      if (line.trim() === '') continue;
      const separator = line.indexOf('=');
      const key = separator > 0 ? line.slice(0, separator).trim() : '';
      // Only the key is quoted back: the value may be a secret.
      if (!/^[A-Za-z_][A-Za-z0-9_.-]*$/.test(key))
        throw new ConfigurationError(
          `${inputName(name)} takes one KEY=value per line; a line has ${key ? `the key "${key}", which is not a valid name` : 'no KEY= before its value'}.`,
        );
      pairs[key] = line.slice(separator + 1);
    }
    return pairs;
  }

  /** The input's text as given, for a message that quotes it back. */
  raw(name: string): string {
    return this.io.getInput(name);
  }

  /** A whole number from `min` to `max`, `fallback` when empty. */
  whole(name: string, fallback: number, min: number, max: number): number {
    const value = this.number(name) ?? fallback;
    if (!Number.isInteger(value) || value < min || value > max)
      throw new ConfigurationError(`${inputName(name)} must be a whole number from ${min} to ${max}; got ${value}.`);
    return value;
  }

  /** A number from `min` to `max`, `fallback` when empty. */
  within(name: string, fallback: number, min: number, max: number): number {
    const value = this.number(name) ?? fallback;
    if (value < min || value > max) throw new ConfigurationError(`${inputName(name)} must be from ${min} to ${max}; got ${value}.`);
    return value;
  }

  /** A number input, or undefined when empty. */
  number(name: string): number | undefined {
    const raw = this.optional(name);
    if (raw === undefined) return undefined;
    const value = Number(raw);
    if (!Number.isFinite(value)) throw new ConfigurationError(`${inputName(name)} must be a number, not "${raw}".`);
    return value;
  }
}

/** How one input is read, given its action.yml name: one of ActionInputs' typed reads. */
export type InputReader<T> = (inputs: ActionInputs, name: string) => T;

/** The readers an action's input table is made of. */
export const read = {
  optional: ((inputs, name) => inputs.optional(name)) as InputReader<string | undefined>,
  list: ((inputs, name) => inputs.list(name)) as InputReader<string[]>,
  keyValues: ((inputs, name) => inputs.keyValues(name)) as InputReader<Record<string, string>>,
  number: ((inputs, name) => inputs.number(name)) as InputReader<number | undefined>,
  boolean:
    (fallback: boolean): InputReader<boolean> =>
    (inputs, name) =>
      inputs.boolean(name, fallback),
  choice:
    <T extends string>(choices: readonly T[], fallback: T): InputReader<T> =>
    (inputs, name) =>
      inputs.choice(name, choices, fallback),
  whole:
    (fallback: number, min: number, max: number): InputReader<number> =>
    (inputs, name) =>
      inputs.whole(name, fallback, min, max),
  within:
    (fallback: number, min: number, max: number): InputReader<number> =>
    (inputs, name) =>
      inputs.within(name, fallback, min, max),
};

/** An action's inputs, by their action.yml names, each with its reader: the one place the names are written. */
export type InputTable = Record<string, InputReader<unknown>>;

/** Every input the table names, read once, keyed by its action.yml name. */
export function readInputTable<T extends InputTable>(io: Pick<ActionIO, 'getInput'>, table: T): { [K in keyof T]: ReturnType<T[K]> } {
  const inputs = new ActionInputs(io);
  return Object.fromEntries(Object.entries(table).map(([name, reader]) => [name, reader(inputs, name)])) as {
    [K in keyof T]: ReturnType<T[K]>;
  };
}

/** `Input "name"` for the table's inputs only: a name the table does not hold does not compile. */
export function inputNamer<T extends InputTable>(_table: T): (name: keyof T & string) => string {
  return inputName;
}
