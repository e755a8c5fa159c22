import { ConfigurationError } from '../core/errors.js';
import type { JsonPath, SourceLocation } from '../core/json-path.js';
import type { JudgedEnvironment, JudgedResource } from './deployed.js';
import type { ExpressionScope } from './expressions.js';
import { idOf, type Frame, type FrameTarget, type NestedDeployment } from './frame.js';
import { ARM_LIMITS, withLoops, type ScopeOptions } from './scope.js';
import { UnknownValue, findKey, isObject, type Json } from './values.js';

/**
 * Nested deployments (every Bicep module): known by name before they are expanded, so
 * `reference(...).outputs` finds them whatever the order; an inline template expanded once, with
 * its own scope, target resource group and outputs; a linked template reported as not readable
 * offline.
 */

export const DEPLOYMENTS = 'microsoft.resources/deployments';

/** What nested deployments need of the resolver that walks the template holding them. */
export interface Expander {
  readonly file: string;
  readonly environment: JudgedEnvironment;
  at(path: JsonPath): { location?: SourceLocation };
  problem(path: JsonPath, message: string): UnknownValue;
  evaluate(value: unknown, scope: ExpressionScope, path: JsonPath): unknown;
  frame(template: Json, path: JsonPath, givenValues: Record<string, unknown>, where: FrameTarget, outerScope?: ExpressionScope): Frame;
  expand(frame: Frame): void;
  outputs(frame: Frame): Json;
}

export class NestedDeployments {
  constructor(
    private readonly resolver: Expander,
    /** Deployment-time `reference()` values for anything but a nested deployment. */
    private readonly reference: ScopeOptions['reference'],
  ) {}

  /** Makes a nested deployment known by name (one per copy of a copy loop), before any resource is expanded. */
  register(frame: Frame, declaration: Json, path: JsonPath, symbol: string | undefined): void {
    if (String(declaration['type']).toLowerCase() !== DEPLOYMENTS) return;
    // A module in a copy loop is one deployment per copy, each known by its own name (reference(...).outputs finds it).
    for (const scope of this.copyScopes(frame, declaration, path)) {
      const name = this.resolver.evaluate(declaration['name'], scope, [...path, 'name']);
      if (typeof name !== 'string') continue;
      const deployment: NestedDeployment = {
        declaration,
        path,
        resources: [],
        expanding: false,
        parentFrame: frame,
        scope,
        id: idOf(frame, 'Microsoft.Resources/deployments', name),
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
    const count = this.resolver.evaluate(copy['count'], frame.scope, [...path, 'copy', 'count']);
    if (typeof count !== 'number' || !Number.isInteger(count) || count < 0 || count > ARM_LIMITS.copyCount) return [];
    return Array.from({ length: count }, (_, index) => withLoops(frame.scope, new Map([[String(copy['name']), index]])));
  }

  /** `reference()`: a nested deployment's outputs are known offline; anything else only at deployment time (or from options.reference). */
  referenceFrom(frame: Frame, target: string, apiVersion: string | undefined, full: boolean, text: string): unknown {
    const deployment =
      frame.deployments.get(target.toLowerCase()) ?? frame.symbols.get(target)?.module ?? this.deploymentById(frame, target);
    if (deployment) return this.outputsOf(deployment);
    if (this.reference) return this.reference(target, apiVersion, full, text);
    return new UnknownValue('reference() is only known at deployment time', text);
  }

  private deploymentById(frame: Frame, target: string): NestedDeployment | undefined {
    const name = /\/providers\/Microsoft\.Resources\/deployments\/([^/]+)$/i.exec(target)?.[1];
    return name ? frame.deployments.get(name.toLowerCase()) : undefined;
  }

  private outputsOf(deployment: NestedDeployment): unknown {
    if (deployment.outputs !== undefined) return deployment.outputs;
    if (deployment.expanding) return new UnknownValue('a nested deployment refers to its own outputs');
    this.expandOnce(deployment);
    return deployment.outputs ?? new UnknownValue('the nested deployment has no outputs that can be known offline');
  }

  /** A deployed `Microsoft.Resources/deployments` resource: its inline template expanded, or its linked one reported. */
  expand(
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
      this.resolver.environment.unresolved.push({
        message: `nested deployment "${resource.name}" links its template${typeof where === 'string' ? ` (${where})` : ''}, which cannot be read offline; its resources are not judged. Judge that template on its own with --template.`,
        ...this.resolver.at(path),
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
    this.expandOnce(deployment, resource);
  }

  /** Expands an inline nested deployment once: its parameters (inner scope) or the parent's (outer), its resource group, its resources and outputs. */
  private expandOnce(deployment: NestedDeployment, resource?: JudgedResource): void {
    if (deployment.frame || deployment.expanding) return;
    deployment.expanding = true;
    const { declaration, path, parentFrame, scope } = deployment;
    if (parentFrame.depth + 1 > ARM_LIMITS.nestingDepth) {
      throw new ConfigurationError(
        `${this.resolver.file}: nested deployments go more than ${ARM_LIMITS.nestingDepth} levels deep at ${path.join('.')}; the gate expands no deeper.`,
      );
    }
    const properties = declaration['properties'] as Json;
    const template = properties['template'] as Json;
    const options = isObject(properties['expressionEvaluationOptions']) ? properties['expressionEvaluationOptions'] : {};
    const inner = String(findKey(options, 'scope') ?? 'outer').toLowerCase() === 'inner';
    // In ARM's order: the target group, the name, then the parameters (evaluating one may expand another deployment).
    const group = this.targetGroup(deployment);
    const name = resource?.name ?? String(this.resolver.evaluate(declaration['name'], scope, [...path, 'name']));
    const inherited = resource ? [...(resource.dependsOn ?? []), resource.id.toLowerCase()] : [];
    const given = inner ? this.innerParameters(deployment, name) : {};
    const frame = this.resolver.frame(
      template,
      [...path, 'properties', 'template'],
      given,
      { ...group, deploymentName: name, depth: parentFrame.depth + 1, inherited },
      inner ? undefined : scope,
    );
    deployment.frame = frame;
    const before = this.resolver.environment.resources.length;
    if (!Array.isArray(template['resources']) && !isObject(template['resources'])) {
      this.resolver.problem([...path, 'properties', 'template'], `the nested deployment "${name}" has a template without resources`);
    } else this.resolver.expand(frame);
    deployment.resources = this.resolver.environment.resources.slice(before);
    deployment.outputs = { outputs: this.resolver.outputs(frame) };
    deployment.expanding = false;
  }

  /** Where a nested deployment deploys: the subscription and resource group it names, else its parent's. */
  private targetGroup(deployment: NestedDeployment): { subscriptionId: string; resourceGroup: string } {
    const { declaration, path, parentFrame, scope } = deployment;
    const target = (field: string, fallback: string) => {
      if (!(field in declaration)) return fallback;
      const value = this.resolver.evaluate(declaration[field], scope, [...path, field]);
      return typeof value === 'string' ? value : fallback;
    };
    return {
      subscriptionId: target('subscriptionId', parentFrame.subscriptionId),
      resourceGroup: target('resourceGroup', parentFrame.resourceGroup),
    };
  }

  /** An inner-scoped deployment's parameter values, evaluated in the parent's scope; a Key Vault reference is unknown. */
  private innerParameters(deployment: NestedDeployment, name: string): Record<string, unknown> {
    const { path, scope } = deployment;
    const properties = deployment.declaration['properties'] as Json;
    const given: Record<string, unknown> = {};
    if (!isObject(properties['parameters'])) return given;
    for (const [parameter, spec] of Object.entries(properties['parameters'])) {
      given[parameter] =
        isObject(spec) && 'value' in spec
          ? this.resolver.evaluate(spec['value'], scope, [...path, 'properties', 'parameters', parameter, 'value'])
          : new UnknownValue(
              `parameter "${parameter}" of nested deployment "${name}" is a Key Vault reference, known only at deployment time`,
            );
    }
    return given;
  }
}
