import { expect } from 'vitest';

/**
 * Asserts that every expected secret has exactly its expected value, naming only the secrets
 * that differ: a failure message must never contain a value.
 */
export function expectValuesMatch(actual: ReadonlyMap<string, string>, expected: ReadonlyMap<string, string>): void {
  const wrong = [...expected].filter(([name, value]) => actual.get(name) !== value).map(([name]) => name);
  expect(wrong, 'secrets whose value is missing or differs (names only)').toEqual([]);
}

/** True when `text` contains none of the values; for logs and outputs. */
export function containsNoValue(text: string, values: Iterable<string>): boolean {
  for (const value of values) if (text.includes(value)) return false;
  return true;
}
