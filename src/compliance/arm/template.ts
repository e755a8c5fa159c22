import { ConfigurationError } from '../../core/errors.js';
import type { LocatedDocument } from '../../core/located-document.js';
import { UnknownValue, isUnknown, type JudgedEnvironment, type JudgedResource } from '../model.js';
import { evaluateString, type ExpressionScope } from './expressions.js';
import type { JsonPath, SourceLocation } from '../../core/json-path.js';
import { providerPath } from '../../core/resource-id.js';

export interface ResolveOptions {
  /** The template's file, with locations when it was read from disk. */
  source: LocatedDocument | { file: string; value: unknown };
  /** Parameter values: `{ name: value }`, or a whole parameters file (`{ parameters: { name: { value } } }`). */
  parameters?: Record<string, unknown>;
  subscriptionId?: string;
  tenantId?: string;
  resourceGroup?: string;
  location?: string;
  deploymentName?: string;
  /** Deployment-time `reference()` values (see ExpressionScope.reference). */
  reference?: ExpressionScope['reference'];
}

type Json = Record<string, unknown>;

/** Keys of a resource declaration that are not part of the deployed resource's body. */
const DECLARATION_ONLY = new Set(['resources', 'copy', 'condition', 'dependson', 'comments', 'scope', 'existing', 'import']);

interface Declaration {
  declaration: Json;
  /** Where the declaration stands in the file. */
  filePath: JsonPath;
  parent?: JudgedResource;
  loops: Map<string, number>;
}

/**
 * Turns an ARM deployment template into the resources it would deploy, with expressions
 * evaluated, copy loops expanded, conditions applied and children and extension resources
 * linked to their parents. Linear in the template's size.
 */
export function resolveTemplate(template: unknown, options: ResolveOptions): JudgedEnvironment {
  const file = options.source.file;
  if (template === null || typeof template !== 'object' || Array.isArray(template) || !('resources' in template)) {
    throw new ConfigurationError(
      `${file} is not an ARM deployment template: it has no "resources". Give a template (JSON with $schema, parameters, resources).`,
    );
  }
  const root = template as Json;
  const locate = 'locate' in options.source ? (options.source as LocatedDocument).locate.bind(options.source) : undefined;
  const environment: JudgedEnvironment = { input: { kind: 'template', source: file }, resources: [], unresolved: [] };
  const scope = createScope(root, options, file);
  const byTypeAndName = new Map<string, JudgedResource>();
  const byId = new Map<string, JudgedResource>();
  const pendingLinks: { resource: JudgedResource; scopeId?: string; location?: SourceLocation }[] = [];

  const queue: Declaration[] = [];
  const topLevel = root['resources'];
  const entries: [string | number, unknown][] = Array.isArray(topLevel)
    ? topLevel.map((r, i) => [i, r])
    : Object.entries((topLevel as Json) ?? {});
  for (const [key, declaration] of entries)
    queue.push({ declaration: declaration as Json, filePath: ['resources', key], loops: new Map() });

  // An index, not shift(): shifting a 10,000-entry array is quadratic.
  for (let position = 0; position < queue.length; position++) {
    const next = queue[position] as Declaration;
    const { declaration, filePath, parent } = next;
    const copy = declaration['copy'] as Json | undefined;
    let instances = [next.loops];
    if (copy) {
      const count = evaluateDeep(copy['count'], withLoops(scope, next.loops));
      if (typeof count !== 'number') {
        environment.unresolved.push({
          message: `copy loop "${String(copy['name'])}" has a count that cannot be known offline; judged as one instance`,
          ...at(locate, [...filePath, 'copy', 'count']),
        });
        instances = [new Map([...next.loops, [String(copy['name']), 0]])];
      } else {
        instances = Array.from({ length: count }, (_, index) => new Map([...next.loops, [String(copy['name']), index]]));
      }
    }
    for (const loops of instances) {
      const loopScope = withLoops(scope, loops);
      const condition = 'condition' in declaration ? evaluateDeep(declaration['condition'], loopScope) : true;
      if (condition === false) continue;
      const { resource, legacyScope } = buildResource(declaration, filePath, parent, loopScope, scope, locate, environment);
      if (isUnknown(condition)) resource.conditionUnknown = condition;
      environment.resources.push(resource);
      byTypeAndName.set(key(resource.type, resource.name), resource);
      const scopeValue = legacyScope ?? ('scope' in declaration ? evaluateDeep(declaration['scope'], loopScope) : undefined);
      if (parent) {
        resource.parent = parent;
        parent.children.push(resource);
      } else {
        pendingLinks.push({ resource, ...(typeof scopeValue === 'string' ? { scopeId: scopeValue } : {}), ...at(locate, filePath) });
        if (isUnknown(scopeValue))
          environment.unresolved.push({
            message: `the scope of ${resource.type} "${resource.name}" cannot be known offline`,
            ...at(locate, [...filePath, 'scope']),
          });
      }
      if (!scopeValue) byId.set(resource.id.toLowerCase(), resource);
      const nested = declaration['resources'];
      if (Array.isArray(nested))
        nested.forEach((child, index) =>
          queue.push({ declaration: child as Json, filePath: [...filePath, 'resources', index], parent: resource, loops }),
        );
      if (resource.type.toLowerCase() === 'microsoft.resources/deployments') {
        environment.unresolved.push({
          message: `nested deployment "${resource.name}" is not expanded; judge its template separately with --template`,
          ...at(locate, filePath),
        });
      }
    }
  }

  // Link top-level children to their parents and extension resources to what they extend.
  for (const { resource, scopeId } of pendingLinks) {
    if (scopeId !== undefined) {
      const target = byId.get(scopeId.toLowerCase()) ?? byTypeAndName.get(symbolicKey(scopeId, root, byTypeAndName));
      resource.id = `${target?.id ?? scopeId}${providerPath(resource.type, [resource.name])}`;
      if (target) target.extensions.push(resource);
      continue;
    }
    const segments = resource.type.split('/');
    if (segments.length <= 2) continue;
    const parent = byTypeAndName.get(key(segments.slice(0, -1).join('/'), resource.name.split('/').slice(0, -1).join('/')));
    if (parent) {
      resource.parent = parent;
      parent.children.push(resource);
    }
  }
  return environment;
}

function buildResource(
  declaration: Json,
  filePath: JsonPath,
  parent: JudgedResource | undefined,
  scope: ExpressionScope,
  rootScope: ExpressionScope,
  locate: LocatedDocument['locate'] | undefined,
  environment: JudgedEnvironment,
): { resource: JudgedResource; legacyScope?: string } {
  const body: Json = {};
  for (const [name, value] of Object.entries(declaration)) {
    if (!DECLARATION_ONLY.has(name.toLowerCase())) body[name] = evaluateDeep(value, scope);
  }
  const type = textOf(body['type'], 'type');
  const name = textOf(body['name'], 'name');
  const unresolvedPart = [type, name].find(isUnknown);
  if (unresolvedPart)
    environment.unresolved.push({
      message: `a resource's ${unresolvedPart === type ? 'type' : 'name'} cannot be known offline (${unresolvedPart.expression ?? unresolvedPart.reason})`,
      ...at(locate, filePath),
    });
  let typeText = isUnknown(type) ? `[unknown: ${type.expression ?? type.reason}]` : type;
  let nameText = isUnknown(name) ? `[unknown: ${name.expression ?? name.reason}]` : name;
  if (parent && !typeText.includes('/')) typeText = `${parent.type}/${typeText}`;
  if (parent && !nameText.startsWith(`${parent.name}/`)) nameText = `${parent.name}/${nameText}`;
  // The older extension form: type `Microsoft.KeyVault/vaults/providers/diagnosticSettings`, name `kv/Microsoft.Insights/x`.
  const legacyExtension = /^(.+)\/providers\/(diagnosticSettings|roleAssignments|locks)$/i.exec(typeText);
  let legacyScope: string | undefined;
  if (legacyExtension) {
    const scopeType = legacyExtension[1] as string;
    const nameSegments = nameText.split('/');
    const scopeNames = nameSegments.slice(0, scopeType.split('/').length - 1);
    legacyScope = `/subscriptions/${rootScope.subscriptionId}/resourceGroups/${rootScope.resourceGroup}${providerPath(scopeType, scopeNames)}`;
    typeText = /diagnosticSettings$/i.test(typeText)
      ? 'Microsoft.Insights/diagnosticSettings'
      : /roleAssignments$/i.test(typeText)
        ? 'Microsoft.Authorization/roleAssignments'
        : 'Microsoft.Authorization/locks';
    nameText = nameSegments.at(-1) as string;
  }
  const apiVersion = body['apiVersion'];
  const resource: JudgedResource = {
    type: typeText,
    name: nameText,
    id: `/subscriptions/${rootScope.subscriptionId}/resourceGroups/${rootScope.resourceGroup}${providerPath(typeText, [nameText])}`,
    ...(typeof apiVersion === 'string' ? { apiVersion } : {}),
    body,
    children: [],
    extensions: [],
    ...(locate ? { locate: (path: JsonPath) => locate([...filePath, ...path]) } : {}),
  };
  return { resource, ...(legacyScope ? { legacyScope } : {}) };
}

function textOf(value: unknown, what: string): string | UnknownValue {
  if (typeof value === 'string' || isUnknown(value)) return value;
  return new UnknownValue(`the resource ${what} is not a string`);
}

function key(type: string, name: string): string {
  return `${type.toLowerCase()}|${name.toLowerCase()}`;
}

/** A languageVersion 2.0 symbolic name used as a scope: find the declaration it names. */
function symbolicKey(scope: string, root: Json, index: Map<string, JudgedResource>): string {
  const resources = root['resources'];
  if (Array.isArray(resources)) return '';
  const declaration = (resources as Json)[scope] as Json | undefined;
  if (!declaration || typeof declaration['type'] !== 'string' || typeof declaration['name'] !== 'string') return '';
  const candidate = key(declaration['type'], declaration['name']);
  return index.has(candidate) ? candidate : '';
}

function at(locate: LocatedDocument['locate'] | undefined, path: JsonPath): { location?: SourceLocation } {
  return locate ? { location: locate(path) } : {};
}

/** Evaluates every expression in a value, expanding property-level copy loops. */
export function evaluateDeep(value: unknown, scope: ExpressionScope): unknown {
  if (typeof value === 'string') return evaluateString(value, scope);
  if (Array.isArray(value)) return value.map((item) => evaluateDeep(item, scope));
  if (value === null || typeof value !== 'object') return value;
  const result: Json = {};
  for (const [name, item] of Object.entries(value as Json)) {
    if (name === 'copy' && Array.isArray(item)) {
      for (const loop of item as Json[]) {
        const count = evaluateDeep(loop['count'], scope);
        const loopName = String(loop['name']);
        result[loopName] =
          typeof count === 'number'
            ? Array.from({ length: count }, (_, index) => evaluateDeep(loop['input'], withLoops(scope, new Map([[loopName, index]]))))
            : new UnknownValue(`the count of property loop "${loopName}" cannot be known offline`);
      }
      continue;
    }
    result[name] = evaluateDeep(item, scope);
  }
  return result;
}

function withLoops(scope: ExpressionScope, loops: Map<string, number>): ExpressionScope {
  if (loops.size === 0) return scope;
  return {
    ...scope,
    copyIndex: (name) => (name === undefined ? [...loops.values()].at(-1) : (loops.get(name) ?? scope.copyIndex(name))),
  };
}

/** The scope a template's expressions see: its parameters and variables, and the deployment's subscription, group and location. */
export function createScope(root: Json, options: Omit<ResolveOptions, 'source'>, file: string): ExpressionScope {
  const declared = (root['parameters'] ?? {}) as Record<string, Json>;
  const given = normalizeParameters(options.parameters);
  const variables = (root['variables'] ?? {}) as Json;
  const parameterValues = new Map<string, unknown>();
  const variableValues = new Map<string, unknown>();
  const evaluating = new Set<string>();
  const scope: ExpressionScope = {
    subscriptionId: options.subscriptionId ?? '00000000-0000-0000-0000-000000000000',
    tenantId: options.tenantId ?? '00000000-0000-0000-0000-000000000000',
    resourceGroup: options.resourceGroup ?? 'resource-group',
    location: options.location ?? 'eastus2',
    deploymentName: options.deploymentName ?? 'azure-hipaa',
    copyIndex: () => undefined,
    ...(options.reference ? { reference: options.reference } : {}),
    parameter(name) {
      const declaredName = Object.keys(declared).find((k) => k.toLowerCase() === name.toLowerCase());
      if (declaredName === undefined)
        throw new ConfigurationError(
          `${file}: parameters('${name}') is used but the template declares no parameter "${name}". Declare it or fix the name.`,
        );
      if (parameterValues.has(declaredName)) return parameterValues.get(declaredName);
      const spec = declared[declaredName] as Json;
      let value: unknown;
      const givenName = Object.keys(given).find((k) => k.toLowerCase() === declaredName.toLowerCase());
      if (givenName !== undefined) value = given[givenName];
      else if ('defaultValue' in spec) value = evaluateDeep(spec['defaultValue'], scope);
      else
        throw new ConfigurationError(
          `${file}: parameter "${declaredName}" has no value. Add it to the parameters file (--parameters) or give it a defaultValue.`,
        );
      const allowed = spec['allowedValues'];
      if (Array.isArray(allowed) && !isUnknown(value) && !allowed.some((a) => JSON.stringify(a) === JSON.stringify(value))) {
        throw new ConfigurationError(
          `${file}: parameter "${declaredName}" is ${JSON.stringify(value)}, which is not one of its allowedValues ${JSON.stringify(allowed)}.`,
        );
      }
      parameterValues.set(declaredName, value);
      return value;
    },
    variable(name) {
      const declaredName = Object.keys(variables).find((k) => k.toLowerCase() === name.toLowerCase());
      if (declaredName === undefined)
        throw new ConfigurationError(`${file}: variables('${name}') is used but the template declares no variable "${name}".`);
      if (variableValues.has(declaredName)) return variableValues.get(declaredName);
      if (evaluating.has(declaredName))
        throw new ConfigurationError(`${file}: variable "${declaredName}" refers to itself through other variables; break the cycle.`);
      evaluating.add(declaredName);
      const value = evaluateDeep(variables[declaredName], scope);
      evaluating.delete(declaredName);
      variableValues.set(declaredName, value);
      return value;
    },
  };
  return scope;
}

function normalizeParameters(parameters: Record<string, unknown> | undefined): Record<string, unknown> {
  if (!parameters) return {};
  const inner = parameters['parameters'];
  const isFile =
    inner !== null &&
    typeof inner === 'object' &&
    ('$schema' in parameters ||
      Object.values(inner as Json).every(
        (p) => p !== null && typeof p === 'object' && ('value' in (p as Json) || 'reference' in (p as Json)),
      ));
  if (!isFile) return parameters;
  return Object.fromEntries(
    Object.entries(inner as Record<string, Json>).map(([name, spec]) => [
      name,
      'value' in spec ? spec['value'] : new UnknownValue(`parameter "${name}" is a Key Vault reference, known only at deployment time`),
    ]),
  );
}
