import { UnknownValue, isUnknown } from '../model.js';

/** Values as ARM's expression language sees them: errors in the template, case-insensitive keys, unknowns inside values. */

/** A problem in the template that ARM itself would reject; `message` is ARM's kind of words for it. */
export class TemplateError extends Error {
  override readonly name = 'TemplateError';
}

/** ARM property names are case-insensitive. */
export function findKey(target: Record<string, unknown>, key: string): unknown {
  if (Object.hasOwn(target, key)) return target[key];
  const lower = key.toLowerCase();
  const match = Object.keys(target).find((k) => k.toLowerCase() === lower);
  return match === undefined ? undefined : target[match];
}

/** Whether a value is, or holds anywhere inside it, an UnknownValue. */
export function containsUnknown(value: unknown): boolean {
  return firstUnknown(value) !== undefined;
}

export function firstUnknown(value: unknown, depth = 0): UnknownValue | undefined {
  if (isUnknown(value)) return value;
  if (value === null || typeof value !== 'object' || depth > 256) return undefined;
  for (const item of Array.isArray(value) ? value : Object.values(value)) {
    const found = firstUnknown(item, depth + 1);
    if (found) return found;
  }
  return undefined;
}

export function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return typeof value === 'object' ? 'an object' : `the ${typeof value === 'number' ? 'integer' : typeof value} ${JSON.stringify(value)}`;
}

/**
 * A string parameter without a value stands in strings as `⟦name⟧`, so names and resource ids
 * built from it still link children, scopes and references; anything that looks inside it
 * (a comparison, a condition, a control reading the property) gets an unknown instead.
 */
export function parameterPlaceholder(name: string): string {
  return `\u27e6${name}\u27e7`;
}

const PLACEHOLDER = /\u27e6([^\u27e7]+)\u27e7/;

/** The first missing parameter a value is built from, anywhere inside it. */
export function placeholderIn(value: unknown, depth = 0): string | undefined {
  if (typeof value === 'string') return PLACEHOLDER.exec(value)?.[1];
  if (value === null || typeof value !== 'object' || depth > 256) return undefined;
  for (const item of Array.isArray(value) ? value : Object.values(value)) {
    const found = placeholderIn(item, depth + 1);
    if (found) return found;
  }
  return undefined;
}

export function unknownFromParameter(name: string, text?: string): UnknownValue {
  return new UnknownValue(`it depends on parameter "${name}", which has no value; give a parameters file to judge it`, text);
}
