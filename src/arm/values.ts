import { createHash } from 'node:crypto';

/** Values as ARM's expression language sees them: unknowns, errors in the template, case-insensitive keys. */

/** A value that cannot be known: an ARM expression not evaluable offline, or a property the live API did not return. */
export class UnknownValue {
  constructor(
    readonly reason: string,
    /** The expression text, when the value came from one. */
    readonly expression?: string,
  ) {}
}

export function isUnknown(value: unknown): value is UnknownValue {
  return value instanceof UnknownValue;
}

/** A JSON object of a template. */
export type Json = Record<string, unknown>;

export const isObject = (value: unknown): value is Json => value !== null && typeof value === 'object' && !Array.isArray(value);

/** A problem in the template that ARM itself would reject; `message` is ARM's kind of words for it. */
export class TemplateError extends Error {
  override readonly name = 'TemplateError';
}

/**
 * A property name as Azure's resource providers compare them: ordinal, without case for ASCII
 * letters only (`SupportsHttpsTrafficOnly` is `supportsHttpsTrafficOnly`; a Kelvin sign `K` is
 * not a `k`, though JavaScript's toLowerCase makes it one).
 */
export function foldName(name: string): string {
  return name.replace(/[A-Z]/g, (letter) => String.fromCharCode(letter.charCodeAt(0) + 32));
}

/**
 * ARM property names are case-insensitive (ASCII only, see foldName). An object that has the
 * property twice in different cases, with different values, gives an unknown: which one the
 * resource provider reads is not documented.
 */
export function findKey(target: Record<string, unknown>, key: string): unknown {
  const folded = foldName(key);
  const matches = Object.keys(target).filter((name) => name === key || foldName(name) === folded);
  if (matches.length <= 1) return matches[0] === undefined ? undefined : target[matches[0]];
  const values = matches.map((name) => target[name]);
  if (values.every((value) => !containsUnknown(value) && JSON.stringify(value) === JSON.stringify(values[0]))) return values[0];
  return new UnknownValue(
    `the object has the property "${key}" ${matches.length} times in different cases (${matches.map((name) => JSON.stringify(name)).join(', ')}) with different values, and which one Azure's resource provider reads is not documented`,
  );
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
  const context = CONTEXT_NAMES[name.toLowerCase()];
  if (context)
    return new UnknownValue(
      `it depends on ${context}, which is only known for a given deployment target; give the target (the gate's --resource-group, --subscription and --location) to judge it`,
      text,
    );
  return new UnknownValue(`it depends on parameter "${name}", which has no value; give a parameters file to judge it`, text);
}

/**
 * What the deployment alone knows (its subscription, resource group, location, name, tenant)
 * stands in strings as a placeholder like a missing parameter's, `⟦@resourceGroup⟧`: ids and
 * names built from it still link, anything that looks inside it is unknown. `@` keeps these
 * apart from parameter names, which cannot hold it.
 */
export const DEPLOYMENT_CONTEXT = {
  subscriptionId: '@subscription',
  tenantId: '@tenant',
  resourceGroup: '@resourceGroup',
  location: '@location',
  deploymentName: '@deployment',
} as const;

const CONTEXT_NAMES: Record<string, string> = {
  '@subscription': 'the target subscription (subscription())',
  '@tenant': 'the tenant (subscription().tenantId, tenant())',
  '@resourcegroup': 'the target resource group (resourceGroup())',
  '@location': 'the target location (resourceGroup().location)',
  '@deployment': 'the deployment (deployment())',
};

/** A deployment value that was not given: its placeholder. */
export function contextPlaceholder(what: keyof typeof DEPLOYMENT_CONTEXT): string {
  return parameterPlaceholder(DEPLOYMENT_CONTEXT[what]);
}

/**
 * A resource id whose subscription and resource group segments only are placeholders of the
 * target (`resourceId('Microsoft.OperationalInsights/workspaces', 'logs')` when the target group
 * was not given) names a resource of this deployment all the same: those segments are dropped
 * before looking for what is unknown in it.
 */
export function withoutTargetSegments(text: string): string {
  return text
    .replace(/\/subscriptions\/\u27e6@subscription\u27e7/gi, '/subscriptions/-')
    .replace(/\/resourceGroups\/\u27e6@resourceGroup\u27e7/gi, '/resourceGroups/-');
}

/**
 * Text cut or hashed from a placeholder (`substring(uniqueString(deployment().name), 0, 4)`) is
 * unknown text: a new placeholder of the same missing value, the same for the same inputs, so a
 * name built from it still links and reads as unknown.
 */
export function derivedPlaceholder(name: string, fn: string, args: unknown[]): string {
  const hash = createHash('sha256')
    .update(`${fn}\u0000${JSON.stringify(args)}`)
    .digest('hex')
    .slice(0, 8);
  return `${parameterPlaceholder(name)}${hash}`;
}
