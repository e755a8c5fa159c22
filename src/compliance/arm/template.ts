import { ConfigurationError } from '../../core/errors.js';
import type { JsonPath, SourceLocation } from '../../core/json-path.js';
import type { LocatedDocument } from '../../core/located-document.js';
import { providerPath, typeAndNameOf } from '../../core/resource-id.js';
import { UnknownValue, isUnknown, type JudgedEnvironment, type JudgedResource } from '../model.js';
import { evaluateString, type ExpressionScope } from './expressions.js';
import {
  TemplateError,
  contextPlaceholder,
  findKey,
  parameterPlaceholder,
  placeholderIn,
  unknownFromParameter,
  withoutTargetSegments,
} from './values.js';

/**
 * Turns an ARM deployment template into the resources it would deploy, as ARM does: parameters
 * and variables resolved, copy loops expanded, conditions applied, inline nested deployments
 * (every Bicep module) expanded with their own scope and target resource group, children and
 * extension resources linked to what they belong to, and each resource's dependencies recorded.
 * languageVersion 2.0 (symbolic names, `existing` resources, user-defined types, nullable
 * parameters) is read too. What cannot be known offline is an UnknownValue; a mistake ARM would
 * refuse is a problem on the environment, and the rest of the template is still judged. Work is
 * bounded by ARM's own limits; beyond them the input is refused (exit 2).
 */

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
  /** The cloud deployed to (`AzureCloud`); environment() is unknown without it. */
  cloud?: string;
  /** Deployment-time `reference()` values (see ExpressionScope.reference). */
  reference?: ExpressionScope['reference'];
}

type Json = Record<string, unknown>;

/** ARM's limits (learn.microsoft.com, "Resolve errors for job size exceeded"): beyond them ARM refuses the template, and so do we. */
export const ARM_LIMITS = {
  resourcesPerTemplate: 800,
  copyCount: 800,
  nestingDepth: 32,
  parameters: 256,
  variables: 256,
  outputs: 64,
} as const;

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
const DEPLOYMENTS = 'microsoft.resources/deployments';

const isObject = (value: unknown): value is Json => value !== null && typeof value === 'object' && !Array.isArray(value);

/** One template being expanded: the root, or an inline nested deployment. */
interface Frame {
  template: Json;
  /** Where the template stands in the file. */
  path: JsonPath;
  scope: ExpressionScope;
  subscriptionId: string;
  resourceGroup: string;
  depth: number;
  /** languageVersion 2.0 symbolic names of this template, to their resources (several for a copy loop). */
  symbols: Map<string, SymbolTarget>;
  /** Inline nested deployments of this template by lower-case name, for `reference(...).outputs`. */
  deployments: Map<string, NestedDeployment>;
  /** Dependencies every resource of this template inherits from the deployment that holds it. */
  inherited: string[];
  resourceCount: number;
}

interface SymbolTarget {
  ids: string[];
  /** A module's symbol stands for every resource the module deploys. */
  module?: NestedDeployment;
}

interface NestedDeployment {
  declaration: Json;
  path: JsonPath;
  frame?: Frame;
  /** The module's resources, once expanded. */
  resources: JudgedResource[];
  expanding: boolean;
  outputs?: unknown;
  parentFrame: Frame;
  scope: ExpressionScope;
  id: string;
}

class Resolver {
  readonly environment: JudgedEnvironment;
  private readonly byId = new Map<string, JudgedResource>();
  /** Resources written to but not deployed, by lower-case id (see JudgedEnvironment.existing). */
  private readonly stubs = new Map<string, JudgedResource>();
  private readonly pendingLinks: {
    resource: JudgedResource;
    scopeId?: string;
    frame: Frame;
    dependsOn: unknown[];
    declarationPath: JsonPath;
  }[] = [];
  private readonly missing = new Set<string>();
  private readonly problems = new Map<string, { message: string; location?: SourceLocation }>();

  constructor(
    private readonly file: string,
    private readonly locate: LocatedDocument['locate'] | undefined,
    private readonly options: ResolveOptions,
  ) {
    this.environment = { input: { kind: 'template', source: file }, resources: [], unresolved: [] };
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
    this.link();
    if (this.stubs.size > 0) this.environment.existing = [...this.stubs.values()];
    if (this.missing.size > 0) this.environment.missingParameters = [...this.missing];
    if (this.problems.size > 0) this.environment.problems = [...this.problems.values()];
    return this.environment;
  }

  private frame(
    template: Json,
    path: JsonPath,
    givenValues: Record<string, unknown>,
    where: { subscriptionId: string; resourceGroup: string; deploymentName: string; depth: number; inherited: string[] },
    outerScope?: ExpressionScope,
  ): Frame {
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
      reference: (target, apiVersion, full, text) => this.reference(frame, target, apiVersion, full, text),
    };
    return frame;
  }

  /** `reference()`: a nested deployment's outputs are known offline; anything else only at deployment time (or from options.reference). */
  private reference(frame: Frame, target: string, apiVersion: string | undefined, full: boolean, text: string): unknown {
    const deployment =
      frame.deployments.get(target.toLowerCase()) ?? frame.symbols.get(target)?.module ?? this.deploymentById(frame, target);
    if (deployment) return this.outputsOf(deployment);
    if (this.options.reference) return this.options.reference(target, apiVersion, full, text);
    return new UnknownValue('reference() is only known at deployment time', text);
  }

  private deploymentById(frame: Frame, target: string): NestedDeployment | undefined {
    const name = /\/providers\/Microsoft\.Resources\/deployments\/([^/]+)$/i.exec(target)?.[1];
    return name ? frame.deployments.get(name.toLowerCase()) : undefined;
  }

  private outputsOf(deployment: NestedDeployment): unknown {
    if (deployment.outputs !== undefined) return deployment.outputs;
    if (deployment.expanding) return new UnknownValue('a nested deployment refers to its own outputs');
    this.expandDeployment(deployment);
    return deployment.outputs ?? new UnknownValue('the nested deployment has no outputs that can be known offline');
  }

  private expand(frame: Frame): void {
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
    for (const item of queue) this.registerDeployment(frame, item.declaration, item.path, item.symbol);
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
        if (next.symbol) this.addSymbol(frame, next.symbol, resource.id);
        this.queueNested(next, resource, queue, loops);
        if (resource.type.toLowerCase() === DEPLOYMENTS)
          this.nestedDeployment(frame, resource, next.declaration, next.path, scope, next.symbol);
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
    return this.stub(this.idOf(frame, fullType, fullName), reason);
  }

  /**
   * The resource at `id` that the template writes to: the deployed one, or a stand-in for one it
   * does not deploy (JudgedEnvironment.existing), made once.
   */
  private stub(id: string, reason: string): JudgedResource {
    const lower = id.toLowerCase();
    const known = this.byId.get(lower) ?? this.stubs.get(lower);
    if (known) return known;
    const { type, name } = typeAndNameOf(id);
    const resource: JudgedResource = { type, name, id, body: {}, children: [], extensions: [], notDeployed: reason };
    this.stubs.set(lower, resource);
    return resource;
  }

  private registerDeployment(frame: Frame, declaration: Json, path: JsonPath, symbol: string | undefined): void {
    if (String(declaration['type']).toLowerCase() !== DEPLOYMENTS) return;
    // A module in a copy loop is one deployment per copy, each known by its own name (reference(...).outputs finds it).
    for (const scope of this.copyScopes(frame, declaration, path)) {
      const name = this.evaluate(declaration['name'], scope, [...path, 'name']);
      if (typeof name !== 'string') continue;
      const deployment: NestedDeployment = {
        declaration,
        path,
        resources: [],
        expanding: false,
        parentFrame: frame,
        scope,
        id: this.idOf(frame, 'Microsoft.Resources/deployments', name),
      };
      frame.deployments.set(name.toLowerCase(), deployment);
      if (symbol && !('copy' in declaration)) frame.symbols.set(symbol, { ids: [], module: deployment });
    }
  }

  /** The scopes of a top-level declaration's copies (one without a copy loop); none while the count is not a known whole number. */
  private copyScopes(frame: Frame, declaration: Json, path: JsonPath): ExpressionScope[] {
    const copy = declaration['copy'];
    if (copy === undefined) return [frame.scope];
    if (!isObject(copy)) return [];
    const count = this.evaluate(copy['count'], frame.scope, [...path, 'copy', 'count']);
    if (typeof count !== 'number' || !Number.isInteger(count) || count < 0 || count > ARM_LIMITS.copyCount) return [];
    return Array.from({ length: count }, (_, index) => withLoops(frame.scope, new Map([[String(copy['name']), index]])));
  }

  private addSymbol(frame: Frame, symbol: string, id: string): void {
    const target = frame.symbols.get(symbol) ?? { ids: [] };
    target.ids.push(id.toLowerCase());
    frame.symbols.set(symbol, target);
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
        : this.idOf(frame, type, name);
    this.addSymbol(frame, item.symbol, id);
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

  private build(
    declaration: Json,
    path: JsonPath,
    parent: JudgedResource | undefined,
    scope: ExpressionScope,
    frame: Frame,
  ): JudgedResource {
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
    // The older extension form: type `Microsoft.KeyVault/vaults/providers/diagnosticSettings`, name `kv/Microsoft.Insights/x`.
    const legacyExtension = /^(.+)\/providers\/(diagnosticSettings|roleAssignments|locks)$/i.exec(typeText);
    let scopeId: string | undefined;
    if (legacyExtension) {
      const scopeType = legacyExtension[1] as string;
      const nameSegments = nameText.split('/');
      scopeId = this.idOf(frame, scopeType, nameSegments.slice(0, scopeType.split('/').length - 1).join('/'));
      typeText = /diagnosticSettings$/i.test(typeText)
        ? 'Microsoft.Insights/diagnosticSettings'
        : /roleAssignments$/i.test(typeText)
          ? 'Microsoft.Authorization/roleAssignments'
          : 'Microsoft.Authorization/locks';
      nameText = nameSegments.at(-1) as string;
    } else if ('scope' in declaration) {
      const value = this.evaluate(declaration['scope'], scope, [...path, 'scope']);
      if (isUnknown(value))
        this.environment.unresolved.push({
          message: `the scope of ${typeText} "${nameText}" cannot be known offline`,
          ...this.at([...path, 'scope']),
        });
      else if (typeof value === 'string') scopeId = this.scopeIdOf(frame, value);
    }
    const apiVersion = body['apiVersion'];
    const locate = this.locate;
    const resource: JudgedResource = {
      type: typeText,
      name: nameText,
      id: this.idOf(frame, typeText, nameText),
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
    if (scopeId === undefined) this.byId.set(resource.id.toLowerCase(), resource);
    const dependsOn = Array.isArray(declaration['dependsOn']) ? declaration['dependsOn'] : [];
    this.pendingLinks.push({
      resource,
      ...(scopeId !== undefined ? { scopeId } : {}),
      frame,
      dependsOn: dependsOn.map((entry, index) => this.evaluate(entry, scope, [...path, 'dependsOn', index])),
      declarationPath: path,
    });
    return resource;
  }

  /** A resource's id in the frame's subscription and resource group. */
  private idOf(frame: Frame, type: string, name: string): string {
    return `/subscriptions/${frame.subscriptionId}/resourceGroups/${frame.resourceGroup}${providerPath(type, [name])}`;
  }

  /** An extension resource's scope: a full id, a symbolic name, or Bicep's relative `Microsoft.KeyVault/vaults/<name>`. */
  private scopeIdOf(frame: Frame, scope: string): string {
    if (scope.startsWith('/')) return scope;
    const symbol = frame.symbols.get(scope);
    if (symbol?.ids[0]) return symbol.ids[0];
    const segments = scope.split('/');
    if (segments.length >= 3 && segments.length % 2 === 1) {
      const type = [segments[0], ...segments.slice(1).filter((_, i) => i % 2 === 0)].join('/');
      const names = segments.slice(1).filter((_, i) => i % 2 === 1);
      return this.idOf(frame, type, names.join('/'));
    }
    return scope;
  }

  private nestedDeployment(
    frame: Frame,
    resource: JudgedResource,
    declaration: Json,
    path: JsonPath,
    scope: ExpressionScope,
    symbol: string | undefined,
  ): void {
    const properties = isObject(declaration['properties']) ? declaration['properties'] : {};
    if (!isObject(properties['template'])) {
      const link = properties['templateLink'];
      const where = isObject(link) ? (link['uri'] ?? link['id'] ?? link['relativePath']) : undefined;
      this.environment.unresolved.push({
        message: `nested deployment "${resource.name}" links its template${typeof where === 'string' ? ` (${where})` : ''}, which cannot be read offline; its resources are not judged. Judge that template on its own with --template.`,
        ...this.at(path),
      });
      return;
    }
    const known = frame.deployments.get(resource.name.toLowerCase());
    const deployment: NestedDeployment =
      known && known.declaration === declaration
        ? known
        : { declaration, path, resources: [], expanding: false, parentFrame: frame, scope, id: resource.id };
    deployment.scope = scope;
    if (symbol) frame.symbols.set(symbol, { ids: [], module: deployment });
    this.expandDeployment(deployment, resource);
  }

  /** Expands an inline nested deployment once: its parameters (inner scope) or the parent's (outer), its resource group, its resources and outputs. */
  private expandDeployment(deployment: NestedDeployment, resource?: JudgedResource): void {
    if (deployment.frame || deployment.expanding) return;
    deployment.expanding = true;
    const { declaration, path, parentFrame, scope } = deployment;
    if (parentFrame.depth + 1 > ARM_LIMITS.nestingDepth) {
      throw new ConfigurationError(
        `${this.file}: nested deployments go more than ${ARM_LIMITS.nestingDepth} levels deep at ${path.join('.')}; the gate expands no deeper.`,
      );
    }
    const properties = declaration['properties'] as Json;
    const template = properties['template'] as Json;
    const options = isObject(properties['expressionEvaluationOptions']) ? properties['expressionEvaluationOptions'] : {};
    const inner = String(findKey(options, 'scope') ?? 'outer').toLowerCase() === 'inner';
    const target = (field: string, fallback: string) => {
      if (!(field in declaration)) return fallback;
      const value = this.evaluate(declaration[field], scope, [...path, field]);
      return typeof value === 'string' ? value : fallback;
    };
    const subscriptionId = target('subscriptionId', parentFrame.subscriptionId);
    const resourceGroup = target('resourceGroup', parentFrame.resourceGroup);
    const name = resource?.name ?? String(this.evaluate(declaration['name'], scope, [...path, 'name']));
    const ownDependencies = resource ? [...(resource.dependsOn ?? []), resource.id.toLowerCase()] : [];
    const given: Record<string, unknown> = {};
    if (inner && isObject(properties['parameters'])) {
      for (const [parameter, spec] of Object.entries(properties['parameters'])) {
        given[parameter] =
          isObject(spec) && 'value' in spec
            ? this.evaluate(spec['value'], scope, [...path, 'properties', 'parameters', parameter, 'value'])
            : new UnknownValue(
                `parameter "${parameter}" of nested deployment "${name}" is a Key Vault reference, known only at deployment time`,
              );
      }
    }
    const frame = this.frame(
      template,
      [...path, 'properties', 'template'],
      given,
      { subscriptionId, resourceGroup, deploymentName: name, depth: parentFrame.depth + 1, inherited: ownDependencies },
      inner ? undefined : scope,
    );
    deployment.frame = frame;
    const before = this.environment.resources.length;
    if (!Array.isArray(template['resources']) && !isObject(template['resources'])) {
      this.problem([...path, 'properties', 'template'], `the nested deployment "${name}" has a template without resources`);
    } else this.expand(frame);
    deployment.resources = this.environment.resources.slice(before);
    deployment.outputs = { outputs: this.outputs(frame) };
    deployment.expanding = false;
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

  /** Links top-level children to their parents and extension resources to what they extend; resolves each dependsOn to ids. */
  private link(): void {
    for (const { resource, scopeId, frame, dependsOn } of this.pendingLinks) {
      for (const entry of dependsOn) resource.dependsOn?.push(...this.dependencyIds(frame, entry));
      if (scopeId !== undefined) {
        // An extension belongs to the resource of its scope's full id; a scope the template does not deploy is written to all the same.
        const target = /\/providers\//i.test(scopeId)
          ? (this.byId.get(scopeId.toLowerCase()) ?? this.stub(scopeId, 'not deployed by this template'))
          : undefined;
        resource.id = `${target?.id ?? scopeId}${providerPath(resource.type, [resource.name])}`;
        if (target) {
          target.extensions.push(resource);
          if (!target.notDeployed) resource.dependsOn?.push(target.id.toLowerCase());
        }
        continue;
      }
      if (resource.parent || resource.type.split('/').length <= 2) continue;
      // A top-level child belongs to the parent of its full id (subscription and resource group included), never one of the same name elsewhere.
      const parentId = resource.id.replace(/\/[^/]+\/[^/]+$/, '');
      const parent = this.byId.get(parentId.toLowerCase()) ?? this.stub(parentId, 'not deployed by this template');
      resource.parent = parent;
      parent.children.push(resource);
      if (!parent.notDeployed) resource.dependsOn?.push(parent.id.toLowerCase());
    }
    for (const resource of this.environment.resources) if (resource.dependsOn) resource.dependsOn = [...new Set(resource.dependsOn)];
  }

  /** What a dependsOn entry names: a resource id, a languageVersion 2.0 symbol (a module: its every resource), or a bare name. */
  private dependencyIds(frame: Frame, entry: unknown): string[] {
    if (typeof entry !== 'string') return [];
    const symbol = frame.symbols.get(entry);
    if (symbol)
      return [
        ...symbol.ids,
        ...(symbol.module ? [symbol.module.id.toLowerCase(), ...symbol.module.resources.map((r) => r.id.toLowerCase())] : []),
      ];
    if (entry.startsWith('/')) {
      const lower = entry.toLowerCase();
      const module = [...frame.deployments.values()].find((deployment) => deployment.id.toLowerCase() === lower);
      return [lower, ...(module ? module.resources.map((r) => r.id.toLowerCase()) : [])];
    }
    return this.byName().get(entry.toLowerCase()) ?? [];
  }

  private names: Map<string, string[]> | undefined;

  /** Resource ids by a lower-case name dependsOn may use: the full name, and its last segment. */
  private byName(): Map<string, string[]> {
    if (this.names) return this.names;
    const names = new Map<string, string[]>();
    for (const resource of this.environment.resources) {
      const full = resource.name.toLowerCase();
      for (const name of new Set([full, full.split('/').at(-1) as string])) {
        const ids = names.get(name) ?? [];
        ids.push(resource.id.toLowerCase());
        names.set(name, ids);
      }
    }
    return (this.names = names);
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

function withLoops(scope: ExpressionScope, loops: Map<string, number>): ExpressionScope {
  if (loops.size === 0) return scope;
  return {
    ...scope,
    copyIndex: (name) => (name === undefined ? [...loops.values()].at(-1) : (loops.get(name) ?? scope.copyIndex(name))),
  };
}

interface ScopeHooks {
  /** What a declared parameter without a value and without a default evaluates to; by default ARM's refusal (a TemplateError). */
  missingParameter?: (name: string, type: string) => unknown;
  /** Hears a mistake in a parameter's default or a variable, which then evaluates to unknown; by default they throw. */
  problem?: (path: JsonPath, message: string) => UnknownValue;
}

/** The scope a template's expressions see: its parameters and variables, and the deployment's subscription, group and location. */
export function createScope(root: Json, options: Omit<ResolveOptions, 'source'>, file: string, hooks: ScopeHooks = {}): ExpressionScope {
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
