import type { JudgedEnvironment, JudgedResource } from '../../arm/deployed.js';
import { findKey, isUnknown, placeholderIn, unknownFromParameter, withoutTargetSegments } from '../../arm/values.js';
import type { JsonPath } from '../../core/json-path.js';

/** A property read from a resource body: known, unknowable, or absent. */
export type PropertyValue =
  { kind: 'known'; value: unknown } | { kind: 'unknown'; reason: string; expression?: string } | { kind: 'absent' };

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

/** Reads `path` from the body, property names without case as ARM reads them; an UnknownValue anywhere on the way makes the result unknown. */
export function read(resource: JudgedResource, path: JsonPath): PropertyValue {
  listener?.(resource, path);
  return valueAt(resource.body, path);
}

/** A value at `path` inside any value (an array entry of a body, say), property names without case. */
export function valueAt(root: unknown, path: JsonPath): PropertyValue {
  let current: unknown = root;
  for (const key of path) {
    if (isUnknown(current))
      return { kind: 'unknown', reason: current.reason, ...(current.expression ? { expression: current.expression } : {}) };
    if (current === null || typeof current !== 'object') return { kind: 'absent' };
    current = Array.isArray(current)
      ? typeof key === 'number'
        ? current[key]
        : undefined
      : findKey(current as Record<string, unknown>, String(key));
    if (current === undefined) return { kind: 'absent' };
  }
  if (isUnknown(current))
    return { kind: 'unknown', reason: current.reason, ...(current.expression ? { expression: current.expression } : {}) };
  // A property set to null is not set: ARM sends no value for it (Bicep writes null() to leave a property out).
  if (current === null) return { kind: 'absent' };
  // An id in the target subscription and group names a resource of this deployment even when the target was not given.
  const parameter = typeof current === 'string' ? placeholderIn(withoutTargetSegments(current)) : undefined;
  if (parameter) return { kind: 'unknown', reason: unknownFromParameter(parameter).reason };
  return { kind: 'known', value: current };
}

/** A known value at `path`, or undefined when it is absent or unknown: for shallow checks inside array entries. */
export function field(root: unknown, ...path: (string | number)[]): unknown {
  const value = valueAt(root, path);
  return value.kind === 'known' ? value.value : undefined;
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

const orderIndex = new WeakMap<JudgedEnvironment, Map<string, JudgedResource>>();

/** Whether ARM applies `later` after `earlier`: `later` depends on it, directly or through others (dependsOn, parents, modules). */
export function appliedAfter(later: JudgedResource, earlier: JudgedResource, environment: JudgedEnvironment): boolean {
  let byId = orderIndex.get(environment);
  if (!byId) orderIndex.set(environment, (byId = new Map(environment.resources.map((resource) => [resource.id.toLowerCase(), resource]))));
  const target = earlier.id.toLowerCase();
  const seen = new Set<string>();
  const stack = [...(later.dependsOn ?? [])];
  while (stack.length > 0) {
    const id = stack.pop() as string;
    if (id === target) return true;
    if (seen.has(id)) continue;
    seen.add(id);
    stack.push(...(byId.get(id)?.dependsOn ?? []));
  }
  return false;
}

/**
 * Of several resources that write one thing (one setting, one resource declared twice), those ARM
 * may apply last: no other of them is applied after them. One means ARM's order decides; several
 * mean it is undefined between them.
 */
export function appliedLast<T>(items: T[], resourceOf: (item: T) => JudgedResource, environment: JudgedEnvironment): T[] {
  return items.filter((item) => !items.some((other) => other !== item && appliedAfter(resourceOf(other), resourceOf(item), environment)));
}
