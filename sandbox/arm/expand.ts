import { createScope, evaluateDeep } from '../../src/arm/scope.js';
import type { ExpressionScope } from '../../src/arm/expressions.js';
import { UnknownValue, isUnknown } from '../../src/arm/values.js';
import { ArmError, isObject, resourceIdOf, type ArmErrorBody, type Json } from './resources.js';

/**
 * A deployment's template expanded as ARM's preflight does, into the resources to put and what each
 * waits for, and its outputs evaluated once it ran. The deployments themselves run in plane.ts.
 */

/** Keys of a template resource that steer the deployment and are not sent to the provider. */
const DEPLOYMENT_KEYS = new Set([
  'type',
  'apiversion',
  'name',
  'dependson',
  'condition',
  'copy',
  'comments',
  'scope',
  'resources',
  'existing',
]);

/** One resource the deployment will put, with what it waits for. */
export interface PlannedResource {
  id: string;
  type: string;
  /** Full name (`server/database`). */
  name: string;
  apiVersion: string;
  scopeId?: string;
  declaration: Json;
  /** Lower-case ids of resources in the same template that must succeed first (explicit dependsOn and reference()). */
  dependsOn: Set<string>;
}

export interface DeploymentContext {
  subscriptionId: string;
  tenantId: string;
  resourceGroup: string;
  location: string;
  deploymentName: string;
}

export interface ExpandedTemplate {
  resources: PlannedResource[];
  scope: ExpressionScope;
  outputs: Json;
}

/**
 * Expands a deployment template as ARM's preflight does: parameters checked, conditions applied,
 * names and ids evaluated, and each resource's dependencies (explicit `dependsOn`, plus the
 * implicit ones `reference()` makes on resources of the same template). Throws ARM's InvalidTemplate.
 */
export function expandTemplate(
  template: unknown,
  parameters: unknown,
  context: DeploymentContext,
  reference: NonNullable<ExpressionScope['reference']>,
): ExpandedTemplate {
  return asArmError(() => expand(template, parameters, context, reference));
}

/** Runs template evaluation, turning the evaluator's ConfigurationErrors (a bad expression, a missing parameter) into ARM's InvalidTemplate. */
export function asArmError<T>(run: () => T): T {
  try {
    return run();
  } catch (error) {
    if (error instanceof ArmError) throw error;
    throw new ArmError(
      400,
      'InvalidTemplate',
      `Deployment template validation failed: '${error instanceof Error ? error.message : String(error)}'.`,
    );
  }
}

function expand(
  template: unknown,
  parameters: unknown,
  context: DeploymentContext,
  reference: NonNullable<ExpressionScope['reference']>,
): ExpandedTemplate {
  const invalid = (message: string) => new ArmError(400, 'InvalidTemplate', `Deployment template validation failed: '${message}'.`);
  if (!isObject(template) || !Array.isArray(template['resources']))
    throw invalid(
      "The template must have a 'resources' array (languageVersion 1.0); templates with symbolic resource names (languageVersion 2.0) are not accepted here",
    );
  const declared = isObject(template['parameters']) ? Object.keys(template['parameters']) : [];
  const given = isObject(parameters) ? parameters : {};
  const extra = Object.keys(given).filter((name) => !declared.some((d) => d.toLowerCase() === name.toLowerCase()));
  if (extra.length > 0) {
    throw invalid(
      `The template parameters '${extra.join(', ')}' in the parameters file are not valid; they are not present in the original template and can therefore not be provided at deployment time. The only supported parameters for this template are '${declared.join(', ')}'`,
    );
  }
  const values = Object.fromEntries(
    Object.entries(given).map(([name, spec]) => [name, isObject(spec) && 'value' in spec ? spec['value'] : spec]),
  );
  const scope = createScope(template, { parameters: values, ...context, reference }, 'template');

  const resources: PlannedResource[] = [];
  const declarations: { declaration: Json; parent?: PlannedResource }[] = (template['resources'] as unknown[]).map((declaration) => ({
    declaration: declaration as Json,
  }));
  for (let index = 0; index < declarations.length; index++) {
    const { declaration, parent } = declarations[index] as { declaration: Json; parent?: PlannedResource };
    if ('copy' in declaration)
      throw invalid(
        `The template resource '${String(declaration['name'])}' uses 'copy', which this deployment endpoint does not expand; declare each resource`,
      );
    if ('condition' in declaration && known(evaluateDeep(declaration['condition'], scope), 'condition') === false) continue;
    let type = String(known(evaluateDeep(declaration['type'], scope), 'type'));
    let name = String(known(evaluateDeep(declaration['name'], scope), 'name'));
    if (parent && !type.includes('/')) type = `${parent.type}/${type}`;
    if (parent && !name.startsWith(`${parent.name}/`)) name = `${parent.name}/${name}`;
    const apiVersion = String(known(evaluateDeep(declaration['apiVersion'], scope), 'apiVersion'));
    const scopeValue = 'scope' in declaration ? String(known(evaluateDeep(declaration['scope'], scope), 'scope')) : undefined;
    const segments = type.split('/').length - 1;
    if (!scopeValue && name.split('/').length !== segments)
      throw invalid(
        `The resource '${type}/${name}' has an incorrect segment length: a resource of type '${type}' needs ${segments} name segment(s)`,
      );
    const planned: PlannedResource = {
      id: resourceIdOf(context.subscriptionId, context.resourceGroup, type, name, scopeValue),
      type,
      name,
      apiVersion,
      ...(scopeValue ? { scopeId: scopeValue } : {}),
      declaration,
      dependsOn: new Set(parent ? [parent.id.toLowerCase()] : []),
    };
    resources.push(planned);
    if (Array.isArray(declaration['resources']))
      for (const child of declaration['resources']) declarations.push({ declaration: child as Json, parent: planned });
  }

  const byId = new Map(resources.map((resource) => [resource.id.toLowerCase(), resource]));
  const find = (target: string): PlannedResource | undefined =>
    byId.get(target.toLowerCase()) ??
    resources.find((r) => r.name.toLowerCase() === target.toLowerCase() || `${r.type}/${r.name}`.toLowerCase() === target.toLowerCase());
  for (const resource of resources) {
    for (const dependency of (resource.declaration['dependsOn'] as unknown[] | undefined) ?? []) {
      const target = String(known(evaluateDeep(dependency, scope), 'dependsOn'));
      const found = find(target);
      if (!found) throw invalid(`The resource '${target}' is not defined in the template`);
      resource.dependsOn.add(found.id.toLowerCase());
    }
    // ARM adds a dependency for each reference() to a resource of the same template.
    const recording: ExpressionScope = {
      ...scope,
      reference: (target, _apiVersion, _full, text) => {
        const found = find(target);
        if (found && found !== resource) resource.dependsOn.add(found.id.toLowerCase());
        return new UnknownValue('recorded', text);
      },
    };
    evaluateDeep(bodyOf(resource.declaration), recording);
  }
  for (const resource of resources)
    if (dependsOnItself(resource, byId)) throw invalid(`Circular dependency detected on resource: '${resource.id}'`);
  return { resources, scope, outputs: isObject(template['outputs']) ? template['outputs'] : {} };
}

/** The body a resource's provider receives: the declaration without the deployment's own keys. */
export function bodyOf(declaration: Json): Json {
  return Object.fromEntries(Object.entries(declaration).filter(([key]) => !DEPLOYMENT_KEYS.has(key.toLowerCase())));
}

/** Replaces values only Azure could know yet (references to resources not created) with their expression text, as what-if shows them. */
export function withExpressionsShown(value: unknown): unknown {
  if (isUnknown(value)) return value.expression ?? `[unknown: ${value.reason}]`;
  if (Array.isArray(value)) return value.map(withExpressionsShown);
  if (isObject(value)) return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, withExpressionsShown(item)]));
  return value;
}

/** The first value of `value` that could not be evaluated, if any. */
export function firstUnknown(value: unknown): UnknownValue | undefined {
  if (isUnknown(value)) return value;
  if (Array.isArray(value)) return value.map(firstUnknown).find(Boolean);
  if (isObject(value)) return Object.values(value).map(firstUnknown).find(Boolean);
  return undefined;
}

export function evaluateOutputs(outputs: Json, scope: ExpressionScope): { values: Json; problems: ArmErrorBody[] } {
  const values: Json = {};
  const problems: ArmErrorBody[] = [];
  for (const [name, output] of Object.entries(outputs)) {
    const spec = output as Json;
    const value = evaluateDeep(spec['value'], scope);
    const unknown = firstUnknown(value);
    if (unknown)
      problems.push({
        code: 'DeploymentOutputEvaluationFailed',
        message: `Unable to evaluate template outputs: '${name}': ${unknown.reason}`,
      });
    else values[name] = { type: capitalize(String(spec['type'] ?? 'string')), value };
  }
  return { values, problems };
}

function capitalize(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}

function known(value: unknown, what: string): unknown {
  if (isUnknown(value))
    throw new ArmError(
      400,
      'InvalidTemplate',
      `Deployment template validation failed: 'The template resource ${what} '${value.expression ?? ''}' cannot use reference() or list*() functions: ${value.reason}'.`,
    );
  return value;
}

function dependsOnItself(start: PlannedResource, byId: Map<string, PlannedResource>): boolean {
  const seen = new Set<string>();
  const stack = [...start.dependsOn];
  while (stack.length > 0) {
    const id = stack.pop() as string;
    if (id === start.id.toLowerCase()) return true;
    if (seen.has(id)) continue;
    seen.add(id);
    stack.push(...(byId.get(id)?.dependsOn ?? []));
  }
  return false;
}
