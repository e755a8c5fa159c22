import { ConfigurationError } from '../core/errors.js';
import type { JsonPath } from '../core/json-path.js';
import { evaluateString, type ExpressionScope } from './expressions.js';
import {
  TemplateError,
  UnknownValue,
  contextPlaceholder,
  isObject,
  isUnknown,
  placeholderIn,
  withoutTargetSegments,
  type Json,
} from './values.js';

/**
 * The scope a template's expressions see (its parameters, variables and user-defined functions,
 * and the deployment's subscription, group and location), and evaluating a whole value in it.
 * The gate's resolver and the sandbox's deployments both build their scopes here.
 */

/** What a deployment gives its template: parameter values and where it deploys. */
export interface ScopeOptions {
  /** Parameter values: `{ name: value }`, or a whole parameters file (`{ parameters: { name: { value } } }`). */
  parameters?: Record<string, unknown>;
  subscriptionId?: string;
  tenantId?: string;
  resourceGroup?: string;
  location?: string;
  deploymentName?: string;
  /** The cloud deployed to (`AzureCloud`); environment() is unknown without it. */
  cloud?: string;
  /** Deployment-time `reference()` values (see ExpressionScope.reference). */
  reference?: ExpressionScope['reference'];
}

/** ARM's limits (learn.microsoft.com, "Resolve errors for job size exceeded"): beyond them ARM refuses the template, and so do we. */
export const ARM_LIMITS = {
  resourcesPerTemplate: 800,
  copyCount: 800,
  nestingDepth: 32,
  parameters: 256,
  variables: 256,
  outputs: 64,
} as const;

/**
 * Evaluates every expression in a value, expanding property-level copy loops. Without `onProblem`
 * a mistake in the template throws a TemplateError; with it, the mistaken value becomes unknown
 * and `onProblem` hears where (a path inside `value`) and what.
 */
export function evaluateDeep(
  value: unknown,
  scope: ExpressionScope,
  onProblem?: (path: JsonPath, message: string) => UnknownValue,
  path: JsonPath = [],
  depth = 0,
): unknown {
  if (depth > 128) {
    const message = 'the value is nested more than 128 levels deep';
    if (onProblem) return onProblem(path, message);
    throw new TemplateError(message);
  }
  if (typeof value === 'string') {
    if (!onProblem) return evaluateString(value, scope);
    try {
      return evaluateString(value, scope);
    } catch (error) {
      if (error instanceof TemplateError) return onProblem(path, error.message);
      throw error;
    }
  }
  if (Array.isArray(value)) return value.map((item, index) => evaluateDeep(item, scope, onProblem, [...path, index], depth + 1));
  if (!isObject(value)) return value;
  const result: Json = {};
  for (const [name, item] of Object.entries(value)) {
    if (name === 'copy' && Array.isArray(item)) {
      for (const [index, loop] of (item as Json[]).entries()) {
        const loopName = String(loop['name']);
        const count = evaluateDeep(loop['count'], scope, onProblem, [...path, 'copy', index, 'count'], depth + 1);
        if (isUnknown(count)) {
          result[loopName] = new UnknownValue(`the count of property loop "${loopName}" cannot be known offline`);
          continue;
        }
        if (typeof count !== 'number' || !Number.isInteger(count) || count < 0 || count > ARM_LIMITS.copyCount) {
          if (typeof count === 'number' && count > ARM_LIMITS.copyCount) {
            throw new ConfigurationError(
              `The property copy loop "${loopName}" counts ${count}; ARM allows at most ${ARM_LIMITS.copyCount}.`,
            );
          }
          const message = `the property copy loop "${loopName}" has the count ${JSON.stringify(count)}; a count is a whole number from 0 to ${ARM_LIMITS.copyCount}`;
          if (!onProblem) throw new TemplateError(message);
          result[loopName] = onProblem([...path, 'copy', index, 'count'], message);
          continue;
        }
        result[loopName] = Array.from({ length: count }, (_, i) =>
          evaluateDeep(loop['input'], withLoops(scope, new Map([[loopName, i]])), onProblem, [...path, 'copy', index, 'input'], depth + 1),
        );
      }
      continue;
    }
    result[propertyName(name, scope)] = evaluateDeep(item, scope, onProblem, [...path, name], depth + 1);
  }
  return result;
}

/**
 * ARM evaluates an expression used as a property name (the documented way to give
 * `userAssignedIdentities` its key); one that cannot be known offline, or is not text, keeps its
 * expression as the name.
 */
function propertyName(name: string, scope: ExpressionScope): string {
  try {
    const evaluated = evaluateString(name, scope);
    return typeof evaluated === 'string' && placeholderIn(withoutTargetSegments(evaluated)) === undefined ? evaluated : name;
  } catch (error) {
    if (error instanceof TemplateError) return name;
    throw error;
  }
}

/** The scope inside copy loops: copyIndex() answers for each loop at its position. */
export function withLoops(scope: ExpressionScope, loops: Map<string, number>): ExpressionScope {
  if (loops.size === 0) return scope;
  return {
    ...scope,
    copyIndex: (name) => (name === undefined ? [...loops.values()].at(-1) : (loops.get(name) ?? scope.copyIndex(name))),
  };
}

export interface ScopeHooks {
  /** What a declared parameter without a value and without a default evaluates to; by default ARM's refusal (a TemplateError). */
  missingParameter?: (name: string, type: string) => unknown;
  /** Hears a mistake in a parameter's default or a variable, which then evaluates to unknown; by default they throw. */
  problem?: (path: JsonPath, message: string) => UnknownValue;
}

/** The scope a template's expressions see: its parameters and variables, and the deployment's subscription, group and location. */
export function createScope(root: Json, options: ScopeOptions, file: string, hooks: ScopeHooks = {}): ExpressionScope {
  const declared = isObject(root['parameters']) ? (root['parameters'] as Record<string, Json>) : {};
  const definitions = isObject(root['definitions']) ? (root['definitions'] as Record<string, Json>) : {};
  const given = normalizeParameters(options.parameters);
  const variables = isObject(root['variables']) ? root['variables'] : {};
  const copiedVariables = new Map<string, Json>();
  for (const loop of Array.isArray(variables['copy']) ? (variables['copy'] as unknown[]) : []) {
    if (isObject(loop) && typeof loop['name'] === 'string') copiedVariables.set(loop['name'].toLowerCase(), loop);
  }
  if (Object.keys(declared).length > ARM_LIMITS.parameters)
    throw new ConfigurationError(`${file} declares ${Object.keys(declared).length} parameters; ARM allows ${ARM_LIMITS.parameters}.`);
  const parameterValues = new Map<string, unknown>();
  const variableValues = new Map<string, unknown>();
  const evaluating = new Set<string>();
  const refuse = (message: string): never => {
    throw new TemplateError(message);
  };
  const functions = userFunctions(root);
  let functionDepth = 0;
  const scope: ExpressionScope = {
    ...(functions.size > 0
      ? {
          userFunction(name: string, args: unknown[], text: string) {
            const member = functions.get(name.toLowerCase());
            if (!member) return undefined;
            return callUserFunction(
              member,
              args,
              scope,
              text,
              () => ++functionDepth,
              () => functionDepth--,
            );
          },
        }
      : {}),
    subscriptionId: options.subscriptionId ?? contextPlaceholder('subscriptionId'),
    tenantId: options.tenantId ?? contextPlaceholder('tenantId'),
    resourceGroup: options.resourceGroup ?? contextPlaceholder('resourceGroup'),
    location: options.location ?? contextPlaceholder('location'),
    deploymentName: options.deploymentName ?? contextPlaceholder('deploymentName'),
    ...(options.cloud ? { cloud: options.cloud } : {}),
    copyIndex: () => undefined,
    ...(options.reference ? { reference: options.reference } : {}),
    parameter(name) {
      const declaredName = Object.keys(declared).find((k) => k.toLowerCase() === name.toLowerCase());
      if (declaredName === undefined)
        return refuse(
          `The template parameter '${name}' is not found: parameters('${name}') is used but the template declares no parameter of that name.`,
        );
      if (parameterValues.has(declaredName)) return parameterValues.get(declaredName);
      const spec = (declared[declaredName] ?? {}) as Json;
      const type = typeOfParameter(spec, definitions);
      const givenName = Object.keys(given).find((k) => k.toLowerCase() === declaredName.toLowerCase());
      let value: unknown;
      // A null value (a module's optional input passed through tryGet) leaves the parameter to its default, as ARM does.
      if (givenName !== undefined && !(given[givenName] === null && 'defaultValue' in spec)) value = given[givenName];
      else if ('defaultValue' in spec)
        value = evaluateDeep(
          spec['defaultValue'],
          scope,
          hooks.problem &&
            ((at, message) =>
              (hooks.problem as NonNullable<ScopeHooks['problem']>)(['parameters', declaredName, 'defaultValue', ...at], message)),
        );
      else if (type.nullable) value = null;
      else
        value = hooks.missingParameter
          ? hooks.missingParameter(declaredName, type.type)
          : refuse(`The value for the template parameter '${declaredName}' is not provided.`);
      const allowed = spec['allowedValues'];
      if (
        Array.isArray(allowed) &&
        !isUnknown(value) &&
        !placeholderIn(value) &&
        !(value === null && type.nullable) &&
        !allowed.some((a) => JSON.stringify(a) === JSON.stringify(value))
      ) {
        const message = `The provided value '${JSON.stringify(value)}' for the template parameter '${declaredName}' is not valid: it must be one of ${JSON.stringify(allowed)}.`;
        value = hooks.problem ? hooks.problem(['parameters', declaredName], message) : refuse(message);
      }
      parameterValues.set(declaredName, value);
      return value;
    },
    variable(name) {
      const lower = name.toLowerCase();
      const declaredName = Object.keys(variables).find((k) => k.toLowerCase() === lower && k !== 'copy');
      const loop = copiedVariables.get(lower);
      if (declaredName === undefined && !loop)
        return refuse(
          `The template variable '${name}' is not found: variables('${name}') is used but the template declares no variable of that name.`,
        );
      const cacheKey = declaredName ?? lower;
      if (variableValues.has(cacheKey)) return variableValues.get(cacheKey);
      if (evaluating.has(cacheKey)) return refuse(`The template variable '${name}' refers to itself through other variables.`);
      evaluating.add(cacheKey);
      try {
        const onProblem =
          hooks.problem &&
          ((at: JsonPath, message: string) =>
            (hooks.problem as NonNullable<ScopeHooks['problem']>)(['variables', cacheKey, ...at], message));
        let value: unknown;
        if (declaredName !== undefined) value = evaluateDeep(variables[declaredName], scope, onProblem);
        else {
          const spec = loop as Json;
          const count = evaluateDeep(spec['count'], scope, onProblem);
          if (isUnknown(count)) value = new UnknownValue(`the count of variable loop "${name}" cannot be known offline`);
          else if (typeof count !== 'number' || !Number.isInteger(count) || count < 0 || count > ARM_LIMITS.copyCount)
            value = (onProblem ?? ((_: JsonPath, message: string) => refuse(message)))(
              [],
              `the variable loop "${name}" has the count ${JSON.stringify(count)}; a count is a whole number from 0 to ${ARM_LIMITS.copyCount}`,
            );
          else
            value = Array.from({ length: count }, (_, i) =>
              evaluateDeep(spec['input'], withLoops(scope, new Map([[String(spec['name']), i]])), onProblem),
            );
        }
        variableValues.set(cacheKey, value);
        return value;
      } finally {
        evaluating.delete(cacheKey);
      }
    },
  };
  return scope;
}

interface UserFunction {
  name: string;
  parameters: string[];
  output: unknown;
}

/** The template's user-defined functions (its `functions` section: `[{ namespace, members }]`), by lower-case `namespace.member`. */
function userFunctions(root: Json): Map<string, UserFunction> {
  const found = new Map<string, UserFunction>();
  for (const group of Array.isArray(root['functions']) ? root['functions'] : []) {
    if (!isObject(group) || typeof group['namespace'] !== 'string' || !isObject(group['members'])) continue;
    for (const [member, spec] of Object.entries(group['members'])) {
      if (!isObject(spec)) continue;
      const parameters = (Array.isArray(spec['parameters']) ? spec['parameters'] : []).map((p) => (isObject(p) ? String(p['name']) : ''));
      const output = isObject(spec['output']) ? spec['output']['value'] : undefined;
      found.set(`${group['namespace']}.${member}`.toLowerCase(), { name: `${group['namespace']}.${member}`, parameters, output });
    }
  }
  return found;
}

/**
 * Calls a user-defined function as ARM does: its `parameters()` are its own arguments, and it
 * sees neither the template's parameters nor its variables. Calls nest at most 32 deep.
 */
function callUserFunction(
  fn: UserFunction,
  args: unknown[],
  scope: ExpressionScope,
  text: string,
  enter: () => number,
  leave: () => void,
): unknown {
  if (args.length !== fn.parameters.length)
    throw new TemplateError(
      `The template function '${fn.name}' takes ${fn.parameters.length} argument(s), not ${args.length} (in '${text}').`,
    );
  if (enter() > 32) {
    leave();
    throw new TemplateError(`The template function '${fn.name}' calls itself more than 32 deep.`);
  }
  try {
    const inner: ExpressionScope = {
      ...scope,
      parameter(name) {
        const index = fn.parameters.findIndex((parameter) => parameter.toLowerCase() === name.toLowerCase());
        if (index < 0) throw new TemplateError(`The template function '${fn.name}' has no parameter '${name}'.`);
        return args[index];
      },
      variable(name) {
        throw new TemplateError(`The template function '${fn.name}' uses variables('${name}'); a user-defined function cannot.`);
      },
    };
    return evaluateDeep(fn.output, inner);
  } finally {
    leave();
  }
}

/** A parameter's type and whether it may be null, through languageVersion 2.0's `$ref` to a user-defined type. */
function typeOfParameter(spec: Json, definitions: Record<string, Json>): { type: string; nullable: boolean } {
  const ref = spec['$ref'];
  const definition = typeof ref === 'string' ? definitions[ref.replace(/^#\/definitions\//, '')] : undefined;
  return {
    type: String(spec['type'] ?? definition?.['type'] ?? ''),
    nullable: spec['nullable'] === true || definition?.['nullable'] === true,
  };
}

/** Parameter values as `{ name: value }`, from either those or a whole parameters file. */
export function normalizeParameters(parameters: Record<string, unknown> | undefined): Record<string, unknown> {
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
