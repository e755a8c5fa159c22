import { ConfigurationError } from '../core/errors.js';
import type { JsonPath, SourceLocation } from '../core/json-path.js';
import type { LocatedDocument } from '../core/located-document.js';
import { providerPath } from '../core/resource-id.js';
import type { JudgedEnvironment, JudgedResource } from './deployed.js';
import type { ExpressionScope } from './expressions.js';
import { addSymbol, idOf, scopeIdOf, type Frame, type FrameTarget } from './frame.js';
import { Links } from './links.js';
import { DEPLOYMENTS, NestedDeployments, type Expander } from './nested.js';
import { ARM_LIMITS, createScope, evaluateDeep, normalizeParameters, withLoops, type ScopeOptions } from './scope.js';
import { UnknownValue, contextPlaceholder, isObject, isUnknown, parameterPlaceholder, unknownFromParameter, type Json } from './values.js';

/**
 * Turns an ARM deployment template into the resources it would deploy, as ARM does: parameters
 * and variables resolved, copy loops expanded, conditions applied, inline nested deployments
 * (every Bicep module) expanded with their own scope and target resource group, children and
 * extension resources linked to what they belong to, and each resource's dependencies recorded.
 * languageVersion 2.0 (symbolic names, `existing` resources, user-defined types, nullable
 * parameters) is read too. What cannot be known offline is an UnknownValue; a mistake ARM would
 * refuse is a problem on the environment, and the rest of the template is still judged. Work is
 * bounded by ARM's own limits; beyond them the input is refused (exit 2).
 * The walk is here; the scope its expressions see is scope.ts, where each template deploys
 * frame.ts, nested deployments nested.ts, and linking resources to each other links.ts.
 */

export interface ResolveOptions extends ScopeOptions {
  /** The template's file, with locations when it was read from disk. */
  source: LocatedDocument | { file: string; value: unknown };
}

/** Keys of a resource declaration that are not part of the deployed resource's body. */
const DECLARATION_ONLY = new Set([
  'resources',
  'copy',
  'condition',
  'dependson',
  'comments',
  'scope',
  'existing',
  'import',
  'symbolicname',
]);

class Resolver implements Expander {
  readonly environment: JudgedEnvironment;
  private readonly links: Links;
  private readonly nested: NestedDeployments;
  private readonly missing = new Set<string>();
  private readonly problems = new Map<string, { message: string; location?: SourceLocation }>();

  constructor(
    readonly file: string,
    private readonly locate: LocatedDocument['locate'] | undefined,
    private readonly options: ResolveOptions,
  ) {
    this.environment = { input: { kind: 'template', source: file }, resources: [], unresolved: [] };
    this.links = new Links(this.environment.resources);
    this.nested = new NestedDeployments(this, options.reference);
  }

  at(path: JsonPath): { location?: SourceLocation } {
    return this.locate ? { location: this.locate(path) } : {};
  }

  problem(path: JsonPath, message: string): UnknownValue {
    if (!this.problems.has(message)) this.problems.set(message, { message, ...this.at(path) });
    return new UnknownValue(`the template is not valid here: ${message}`);
  }

  /** A declared parameter with no value and no default: a string stands in as a placeholder (see parameterPlaceholder), anything else is unknown. */
  missingParameter(name: string, type: string): unknown {
    this.missing.add(name);
    return /^(secure)?string$/i.test(type) ? parameterPlaceholder(name) : unknownFromParameter(name);
  }

  /** Evaluates a value, turning a mistake in one of its expressions into an unknown and one problem. */
  evaluate(value: unknown, scope: ExpressionScope, path: JsonPath): unknown {
    return evaluateDeep(value, scope, (at, message) => this.problem([...path, ...at], message));
  }

  /** The root template's frame, once resolve() ran. */
  root?: Frame;

  resolve(root: Json, parameters: Record<string, unknown> | undefined): JudgedEnvironment {
    const frame = this.frame(root, [], parameters ?? {}, {
      subscriptionId: this.options.subscriptionId ?? contextPlaceholder('subscriptionId'),
      resourceGroup: this.options.resourceGroup ?? contextPlaceholder('resourceGroup'),
      deploymentName: this.options.deploymentName ?? contextPlaceholder('deploymentName'),
      depth: 0,
      inherited: [],
    });
    this.root = frame;
    this.expand(frame);
    this.links.link();
    const existing = this.links.existing();
    if (existing.length > 0) this.environment.existing = existing;
    if (this.missing.size > 0) this.environment.missingParameters = [...this.missing];
    if (this.problems.size > 0) this.environment.problems = [...this.problems.values()];
    return this.environment;
  }

  /** A frame for a template: its own scope, or (an outer-scoped nested deployment) its parent's, with reference() finding nested deployments. */
  frame(template: Json, path: JsonPath, givenValues: Record<string, unknown>, where: FrameTarget, outerScope?: ExpressionScope): Frame {
    const frame: Frame = {
      template,
      path,
      scope: undefined as unknown as ExpressionScope,
      subscriptionId: where.subscriptionId,
      resourceGroup: where.resourceGroup,
      depth: where.depth,
      symbols: new Map(),
      deployments: new Map(),
      inherited: where.inherited,
      resourceCount: 0,
    };
    const scope =
      outerScope ??
      createScope(
        template,
        {
          parameters: givenValues,
          subscriptionId: where.subscriptionId,
          tenantId: this.options.tenantId ?? contextPlaceholder('tenantId'),
          resourceGroup: where.resourceGroup,
          location: this.options.location ?? contextPlaceholder('location'),
          deploymentName: where.deploymentName,
          ...(this.options.cloud ? { cloud: this.options.cloud } : {}),
        },
        this.file,
        {
          missingParameter: (name, type) => this.missingParameter(name, type),
          problem: (at, message) => this.problem([...path, ...at], message),
        },
      );
    frame.scope = {
      ...scope,
      reference: (target, apiVersion, full, text) => this.nested.referenceFrom(frame, target, apiVersion, full, text),
    };
    return frame;
  }

  /** Expands a template's resources: copies, conditions, `existing` ones, nested children and nested deployments. */
  expand(frame: Frame): void {
    const resources = frame.template['resources'];
    const entries: [string | number, unknown][] = Array.isArray(resources)
      ? resources.map((r, i) => [i, r])
      : Object.entries(resources as Json);
    for (const [key, declaration] of entries) {
      if (!isObject(declaration)) {
        throw new ConfigurationError(
          `${this.file}: ${[...frame.path, 'resources', key].join('.')} is ${declaration === null ? 'null' : typeof declaration}, not a resource declaration (an object with type, apiVersion and name). Fix or remove it.`,
        );
      }
    }
    // Nested deployments first known by name, so reference(...).outputs finds them whatever the order.
    const queue: { declaration: Json; path: JsonPath; parent?: JudgedResource; loops: Map<string, number>; symbol?: string }[] =
      entries.map(([key, declaration]) => ({
        declaration: declaration as Json,
        path: [...frame.path, 'resources', key],
        loops: new Map(),
        ...(typeof key === 'string' ? { symbol: key } : {}),
      }));
    for (const item of queue) this.nested.register(frame, item.declaration, item.path, item.symbol);
    // An index, not shift(): shifting a long array is quadratic.
    for (let position = 0; position < queue.length; position++) {
      const next = queue[position] as (typeof queue)[number];
      for (const loops of this.instances(frame, next.declaration, next.path, next.loops)) {
        const scope = withLoops(frame.scope, loops);
        const condition =
          'condition' in next.declaration ? this.evaluate(next.declaration['condition'], scope, [...next.path, 'condition']) : true;
        const existing = condition !== false && this.isExisting(next.declaration, scope, next.path);
        if (existing) this.registerExisting(frame, next, scope);
        if (condition === false || existing) {
          // A condition does not cascade (Microsoft's "Conditional deployment"): nested children still deploy, into the parent as it is.
          const target = Array.isArray(next.declaration['resources'])
            ? this.notDeployedTarget(frame, next, scope, existing ? 'an existing resource' : "the resource's condition is false")
            : undefined;
          if (target) this.queueNested(next, target, queue, loops);
          continue;
        }
        if (++frame.resourceCount > ARM_LIMITS.resourcesPerTemplate) {
          throw new ConfigurationError(
            `${this.file}: the template at ${frame.path.length ? frame.path.join('.') : 'its root'} deploys more than ${ARM_LIMITS.resourcesPerTemplate} resources (copy loops included), which ARM refuses. Split it into nested deployments.`,
          );
        }
        const resource = this.build(next.declaration, next.path, next.parent, scope, frame);
        if (isUnknown(condition)) resource.conditionUnknown = condition;
        if (next.symbol) addSymbol(frame, next.symbol, resource.id);
        this.queueNested(next, resource, queue, loops);
        if (resource.type.toLowerCase() === DEPLOYMENTS)
          this.nested.expand(frame, resource, next.declaration, next.path, scope, next.symbol);
      }
    }
  }

  /** Queues the children declared inside a resource, with it as their parent. */
  private queueNested(
    item: { declaration: Json; path: JsonPath },
    parent: JudgedResource,
    queue: { declaration: Json; path: JsonPath; parent?: JudgedResource; loops: Map<string, number> }[],
    loops: Map<string, number>,
  ): void {
    const nested = item.declaration['resources'];
    if (!Array.isArray(nested)) return;
    nested.forEach((child, index) => {
      if (!isObject(child))
        throw new ConfigurationError(
          `${this.file}: ${[...item.path, 'resources', index].join('.')} is not a resource declaration. Fix or remove it.`,
        );
      queue.push({ declaration: child, path: [...item.path, 'resources', index], parent, loops });
    });
  }

  /** The resource a declaration names without deploying it, as a parent for its nested children; undefined when its type or name is unknown. */
  private notDeployedTarget(
    frame: Frame,
    item: { declaration: Json; path: JsonPath; parent?: JudgedResource },
    scope: ExpressionScope,
    reason: string,
  ): JudgedResource | undefined {
    const type = this.evaluate(item.declaration['type'], scope, [...item.path, 'type']);
    const name = this.evaluate(item.declaration['name'], scope, [...item.path, 'name']);
    if (typeof type !== 'string' || typeof name !== 'string') return undefined;
    const parent = item.parent;
    const fullType = parent && !type.includes('/') ? `${parent.type}/${type}` : type;
    const fullName = parent && !name.startsWith(`${parent.name}/`) ? `${parent.name}/${name}` : name;
    return this.links.stub(idOf(frame, fullType, fullName), reason);
  }

  private isExisting(declaration: Json, scope: ExpressionScope, path: JsonPath): boolean {
    return 'existing' in declaration && this.evaluate(declaration['existing'], scope, [...path, 'existing']) === true;
  }

  /** An `existing` resource is not deployed, so not judged; its id still resolves references and scopes. */
  private registerExisting(frame: Frame, item: { declaration: Json; path: JsonPath; symbol?: string }, scope: ExpressionScope): void {
    const type = this.evaluate(item.declaration['type'], scope, [...item.path, 'type']);
    const name = this.evaluate(item.declaration['name'], scope, [...item.path, 'name']);
    if (typeof type !== 'string' || typeof name !== 'string' || !item.symbol) return;
    const targetScope = 'scope' in item.declaration ? this.evaluate(item.declaration['scope'], scope, [...item.path, 'scope']) : undefined;
    const id =
      typeof targetScope === 'string' && targetScope.startsWith('/')
        ? `${targetScope}${providerPath(type, [name])}`
        : idOf(frame, type, name);
    addSymbol(frame, item.symbol, id);
  }

  /** The loop positions a declaration is deployed at: one, or one per copy, within ARM's limit. */
  private instances(frame: Frame, declaration: Json, path: JsonPath, outer: Map<string, number>): Map<string, number>[] {
    const copy = declaration['copy'];
    if (copy === undefined) return [outer];
    if (!isObject(copy)) {
      this.problem([...path, 'copy'], 'copy must be an object with a name and a count');
      return [outer];
    }
    const name = String(copy['name']);
    const count = this.evaluate(copy['count'], withLoops(frame.scope, outer), [...path, 'copy', 'count']);
    if (isUnknown(count)) {
      this.environment.unresolved.push({
        message: `copy loop "${name}" has a count that cannot be known offline; judged as one instance`,
        ...this.at([...path, 'copy', 'count']),
      });
      return [new Map([...outer, [name, 0]])];
    }
    return Array.from(
      { length: this.copyCount(count, name, [...path, 'copy', 'count']) },
      (_, index) => new Map([...outer, [name, index]]),
    );
  }

  private copyCount(count: unknown, name: string, path: JsonPath): number {
    if (typeof count !== 'number' || !Number.isInteger(count) || count < 0) {
      this.problem(
        path,
        `the copy loop "${name}" has the count ${JSON.stringify(count)}; a count is a whole number from 0 to ${ARM_LIMITS.copyCount}`,
      );
      return 0;
    }
    if (count > ARM_LIMITS.copyCount) {
      throw new ConfigurationError(
        `${this.file}: the copy loop "${name}" counts ${count}; ARM allows at most ${ARM_LIMITS.copyCount}. Lower it or split the template.`,
      );
    }
    return count;
  }

  /** One deployed resource: its body evaluated, its full type, name and id, its parent, scope and dependencies. */
  private build(
    declaration: Json,
    path: JsonPath,
    parent: JudgedResource | undefined,
    scope: ExpressionScope,
    frame: Frame,
  ): JudgedResource {
    const body = this.bodyOf(declaration, path, scope);
    const named = this.fullTypeAndName(body, parent, path);
    const { type, name, scopeId } = this.extensionScope(declaration, path, scope, frame, named);
    const apiVersion = body['apiVersion'];
    const locate = this.locate;
    const resource: JudgedResource = {
      type,
      name,
      id: idOf(frame, type, name),
      ...(typeof apiVersion === 'string' ? { apiVersion } : {}),
      body,
      children: [],
      extensions: [],
      dependsOn: [...frame.inherited],
      ...(locate ? { locate: (at: JsonPath) => locate([...path, ...at]) } : {}),
    };
    this.environment.resources.push(resource);
    if (parent) {
      resource.parent = parent;
      parent.children.push(resource);
      resource.dependsOn?.push(parent.id.toLowerCase());
    }
    const dependsOn = Array.isArray(declaration['dependsOn']) ? declaration['dependsOn'] : [];
    this.links.add(resource, frame, scopeId, () =>
      dependsOn.map((entry, index) => this.evaluate(entry, scope, [...path, 'dependsOn', index])),
    );
    return resource;
  }

  /** The deployed body: the declaration without its declaration-only keys, evaluated. */
  private bodyOf(declaration: Json, path: JsonPath, scope: ExpressionScope): Json {
    const body: Json = {};
    for (const [key, value] of Object.entries(declaration)) {
      if (DECLARATION_ONLY.has(key.toLowerCase())) continue;
      // A nested deployment's template is evaluated in its own scope, when it is expanded; here it stays as written.
      if (
        key.toLowerCase() === 'properties' &&
        isObject(value) &&
        isObject(value['template']) &&
        String(declaration['type']).toLowerCase() === DEPLOYMENTS
      ) {
        const { template, ...rest } = value;
        body[key] = { ...(this.evaluate(rest, scope, [...path, key]) as Json), template };
      } else body[key] = this.evaluate(value, scope, [...path, key]);
    }
    return body;
  }

  /** The full type and name (a nested child's include its parent's); one not known offline is named by its expression. */
  private fullTypeAndName(body: Json, parent: JudgedResource | undefined, path: JsonPath): { type: string; name: string } {
    const type = textOf(body['type'], 'type');
    const name = textOf(body['name'], 'name');
    const unresolvedPart = [type, name].find(isUnknown);
    if (unresolvedPart) {
      this.environment.unresolved.push({
        message: `a resource's ${unresolvedPart === type ? 'type' : 'name'} cannot be known offline (${unresolvedPart.expression ?? unresolvedPart.reason})`,
        ...this.at(path),
      });
    }
    let typeText = isUnknown(type) ? `[unknown: ${type.expression ?? type.reason}]` : type;
    let nameText = isUnknown(name) ? `[unknown: ${name.expression ?? name.reason}]` : name;
    if (parent && !typeText.includes('/')) typeText = `${parent.type}/${typeText}`;
    if (parent && !nameText.startsWith(`${parent.name}/`)) nameText = `${parent.name}/${nameText}`;
    return { type: typeText, name: nameText };
  }

  /** An extension resource's scope (its `scope`, or the older form's type and name), and its own type and name. */
  private extensionScope(
    declaration: Json,
    path: JsonPath,
    scope: ExpressionScope,
    frame: Frame,
    { type, name }: { type: string; name: string },
  ): { type: string; name: string; scopeId?: string } {
    // The older extension form: type `Microsoft.KeyVault/vaults/providers/diagnosticSettings`, name `kv/Microsoft.Insights/x`.
    const legacyExtension = /^(.+)\/providers\/(diagnosticSettings|roleAssignments|locks)$/i.exec(type);
    if (legacyExtension) {
      const scopeType = legacyExtension[1] as string;
      const nameSegments = name.split('/');
      return {
        type: /diagnosticSettings$/i.test(type)
          ? 'Microsoft.Insights/diagnosticSettings'
          : /roleAssignments$/i.test(type)
            ? 'Microsoft.Authorization/roleAssignments'
            : 'Microsoft.Authorization/locks',
        name: nameSegments.at(-1) as string,
        scopeId: idOf(frame, scopeType, nameSegments.slice(0, scopeType.split('/').length - 1).join('/')),
      };
    }
    if (!('scope' in declaration)) return { type, name };
    const value = this.evaluate(declaration['scope'], scope, [...path, 'scope']);
    if (isUnknown(value))
      this.environment.unresolved.push({
        message: `the scope of ${type} "${name}" cannot be known offline`,
        ...this.at([...path, 'scope']),
      });
    return typeof value === 'string' ? { type, name, scopeId: scopeIdOf(frame, value) } : { type, name };
  }

  /** A template's outputs, as `reference(<deployment>).outputs` gives them: `{ name: { type, value } }`. */
  outputs(frame: Frame): Json {
    const outputs = isObject(frame.template['outputs']) ? frame.template['outputs'] : {};
    const result: Json = {};
    for (const [name, spec] of Object.entries(outputs)) {
      if (!isObject(spec)) continue;
      const path = [...frame.path, 'outputs', name];
      const condition = 'condition' in spec ? this.evaluate(spec['condition'], frame.scope, [...path, 'condition']) : true;
      if (condition === false) continue;
      let value: unknown;
      if (isObject(spec['copy'])) {
        const copy = spec['copy'];
        const count = this.evaluate(copy['count'], frame.scope, [...path, 'copy', 'count']);
        value = isUnknown(count)
          ? count
          : Array.from({ length: this.copyCount(count, name, [...path, 'copy', 'count']) }, (_, index) =>
              this.evaluate(copy['input'], withLoops(frame.scope, new Map([['', index]])), [...path, 'copy', 'input']),
            );
      } else value = this.evaluate(spec['value'], frame.scope, [...path, 'value']);
      result[name] = { type: spec['type'], value: isUnknown(condition) ? condition : value };
    }
    return result;
  }
}

/**
 * Resolves a template into the resources it deploys (see the file comment). Throws
 * ConfigurationError only for input that is not a template ARM would take at all.
 */
export function resolveTemplate(template: unknown, options: ResolveOptions): JudgedEnvironment {
  const file = options.source.file;
  if (!isObject(template) || !('resources' in template)) {
    throw new ConfigurationError(
      `${file} is not an ARM deployment template: it has no "resources". Give a template (JSON with $schema, parameters, resources).`,
    );
  }
  if (!Array.isArray(template['resources']) && !isObject(template['resources'])) {
    throw new ConfigurationError(
      `${file}: "resources" is ${template['resources'] === null ? 'null' : typeof template['resources']}; it must be a list of resources (or, in languageVersion 2.0, an object of them).`,
    );
  }
  const locate = 'locate' in options.source ? (options.source as LocatedDocument).locate.bind(options.source) : undefined;
  return new Resolver(file, locate, options).resolve(template, normalizeParameters(options.parameters));
}

/** Evaluates a template's outputs offline (`{ name: value }`), as ARM reports them. */
export function resolveOutputs(template: unknown, options: ResolveOptions): { outputs: Json; environment: JudgedEnvironment } {
  const file = options.source.file;
  if (!isObject(template)) throw new ConfigurationError(`${file} is not an ARM deployment template.`);
  const resolver = new Resolver(file, undefined, options);
  const environment = resolver.resolve(template, normalizeParameters(options.parameters));
  const outputs = resolver.outputs(resolver.root as Frame);
  return { outputs: Object.fromEntries(Object.entries(outputs).map(([name, spec]) => [name, (spec as Json)['value']])), environment };
}

function textOf(value: unknown, what: string): string | UnknownValue {
  if (typeof value === 'string' || isUnknown(value)) return value;
  return new UnknownValue(`the resource ${what} is not a string`);
}
