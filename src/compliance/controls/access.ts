import { isUnknown, type JudgedResource } from '../model.js';
import type { JsonPath } from '../../core/json-path.js';

/** A property read from a resource body: known, unknowable, or absent. */
export type PropertyValue = { kind: 'known'; value: unknown } | { kind: 'unknown'; reason: string } | { kind: 'absent' };

type ReadListener = (resource: JudgedResource, path: JsonPath) => void;
let listener: ReadListener | undefined;

/** Runs `fn`, telling `onRead` about every property it reads: how drift finds the values a finding rests on. */
export function traceReads<T>(onRead: ReadListener, fn: () => T): T {
  const previous = listener;
  listener = onRead;
  try {
    return fn();
  } finally {
    listener = previous;
  }
}

/** Reads `path` from the body; an UnknownValue anywhere on the way makes the result unknown. */
export function read(resource: JudgedResource, path: JsonPath): PropertyValue {
  listener?.(resource, path);
  let current: unknown = resource.body;
  for (const key of path) {
    if (isUnknown(current)) return { kind: 'unknown', reason: current.reason };
    if (current === null || typeof current !== 'object') return { kind: 'absent' };
    current = (current as Record<string | number, unknown>)[key];
    if (current === undefined) return { kind: 'absent' };
  }
  if (isUnknown(current)) return { kind: 'unknown', reason: current.reason };
  return { kind: 'known', value: current };
}

/** `properties.x.y` as text for messages. */
export function pathText(path: JsonPath): string {
  return path.map((key, index) => (typeof key === 'number' ? `[${key}]` : index === 0 ? key : `.${key}`)).join('');
}

/** Compares ARM api-versions (`2019-04-01`, `2021-06-01-preview`) by date; a preview sorts before its GA date. */
export function apiVersionAtLeast(resource: JudgedResource, minimum: string): boolean | undefined {
  if (!resource.apiVersion) return undefined;
  const date = resource.apiVersion.slice(0, 10);
  if (date !== minimum.slice(0, 10)) return date > minimum.slice(0, 10);
  return !resource.apiVersion.includes('-preview') || minimum.includes('-preview');
}

/** Case-insensitive type comparison, as ARM compares types. */
export function isType(resource: JudgedResource, type: string): boolean {
  return resource.type.toLowerCase() === type.toLowerCase();
}

/** Children of a given full type, e.g. `Microsoft.Sql/servers/auditingSettings`. */
export function childrenOfType(resource: JudgedResource, type: string): JudgedResource[] {
  return resource.children.filter((child) => isType(child, type));
}

/** The last segment of a resource's full name (`server/db` -> `db`). */
export function shortName(resource: JudgedResource): string {
  return resource.name.split('/').pop() ?? resource.name;
}
