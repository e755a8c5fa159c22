/**
 * Resource Manager's deployments (ArmPlane), over its resource groups and resources
 * (resource-plane.ts): ARM's preflight, validate, what-if, and a running deployment that puts each
 * resource once what it depends on has succeeded.
 */
import { randomUUID } from 'node:crypto';
import { evaluateDeep } from '../../src/compliance/arm/template.js';
import { UnknownValue } from '../../src/compliance/model.js';
import { ArmError, apiVersionProblem, bodyProblems, isObject, type ArmErrorBody, type Json } from './resources.js';
import {
  asArmError,
  bodyOf,
  evaluateOutputs,
  expandTemplate,
  firstUnknown,
  withExpressionsShown,
  type ExpandedTemplate,
  type PlannedResource,
} from './template.js';
import { ResourcePlane, type ResourceGroup } from './resource-plane.js';

export interface OperationState {
  operationId: string;
  resource: PlannedResource;
  provisioningOperation: 'Create' | 'Update';
  provisioningState: 'Running' | 'Succeeded' | 'Failed';
  startedAt: number;
  finishedAt?: number;
  error?: ArmErrorBody;
}

export interface DeploymentState {
  id: string;
  name: string;
  resourceGroup: string;
  mode: string;
  provisioningState: 'Accepted' | 'Running' | 'Succeeded' | 'Failed';
  startedAt: number;
  finishedAt?: number;
  correlationId: string;
  operations: OperationState[];
  outputs?: Json;
  error?: ArmErrorBody;
  /** The template as the deployment received it, for `exportTemplate`. */
  template: Json;
}

/** Resource Manager's deployments on top of its resources: preflight, validate, what-if, and running a template resource by resource. */
export class ArmPlane extends ResourcePlane {
  readonly deployments = new Map<string, DeploymentState>();

  private deploymentKey(group: string, name: string): string {
    return `${group}/${name}`.toLowerCase();
  }

  deploymentId(group: string, name: string): string {
    return `${this.resourceGroupId(group)}/providers/Microsoft.Resources/deployments/${name}`;
  }

  /** ARM's preflight: template expansion, then every resource checked as its provider would. */
  private preflight(
    groupName: string,
    deploymentName: string,
    body: Json,
    action: string,
  ): { expanded: ExpandedTemplate; group: ResourceGroup } {
    this.authorize(action, this.deploymentId(groupName, deploymentName));
    const group = this.requireResourceGroup(groupName);
    const properties = isObject(body['properties']) ? body['properties'] : {};
    if (properties['templateLink'])
      throw new ArmError(400, 'InvalidTemplate', 'The sandbox takes the template inline (properties.template), not templateLink.');
    const mode = String(properties['mode'] ?? '');
    if (mode !== 'Incremental')
      throw new ArmError(400, 'InvalidDeploymentMode', `The deployment mode '${mode}' is not supported by the sandbox; use 'Incremental'.`);
    const expanded = expandTemplate(
      properties['template'],
      properties['parameters'],
      this.context(group, deploymentName),
      this.referenceFor('what-if'),
    );
    const problems: ArmErrorBody[] = [];
    for (const resource of expanded.resources) {
      const body = withExpressionsShown(asArmError(() => evaluateDeep(bodyOf(resource.declaration), expanded.scope))) as Json;
      const versionProblem = apiVersionProblem(
        resource.type,
        resource.apiVersion,
        typeof body['location'] === 'string' ? body['location'] : undefined,
      );
      if (versionProblem) {
        problems.push({ ...versionProblem.body(), target: resource.id });
        continue;
      }
      const exists = this.resources.has(resource.id.toLowerCase());
      problems.push(
        ...bodyProblems(resource, resource.apiVersion, body, {
          nameTaken: !exists && this.takenNames.has(`${resource.type}|${resource.name}`.toLowerCase()),
        }),
      );
      const writeAction = `${resource.type}/write`;
      try {
        this.authorize(writeAction, resource.id);
      } catch {
        problems.push({
          code: 'AuthorizationFailed',
          target: resource.id,
          message: `Authorization failed for template resource '${resource.name}' of type '${resource.type}'. The client '${this.identity.clientId}' with object id '${this.identity.clientId}' does not have permission to perform action '${writeAction}' at scope '${resource.id}'.`,
        });
      }
    }
    if (problems.length > 0) {
      throw new ArmError(
        400,
        'InvalidTemplateDeployment',
        `The template deployment '${deploymentName}' is not valid according to the validation procedure. The tracking id is '${randomUUID()}'. See inner errors for details.`,
        problems,
      );
    }
    return { expanded, group };
  }

  private context(group: ResourceGroup, deploymentName: string) {
    return {
      subscriptionId: this.identity.subscriptionId,
      tenantId: this.identity.tenantId,
      resourceGroup: group.name,
      location: group.location,
      deploymentName,
    };
  }

  /** reference() at deployment time: a resource's properties (or the whole resource with 'Full'). What-if shows the expression for a resource that does not exist yet. */
  private referenceFor(mode: 'what-if' | 'deploy', planned?: ExpandedTemplate) {
    return (target: string, _apiVersion: string | undefined, full: boolean, text: string): unknown => {
      const id = target.startsWith('/')
        ? target
        : (planned?.resources.find((r) => r.name.toLowerCase() === target.toLowerCase())?.id ?? target);
      const resource = this.resources.get(id.toLowerCase());
      if (!resource || resource.provisioningState === 'Creating') {
        if (mode === 'what-if') return new UnknownValue(`${target} does not exist yet`, text);
        throw this.notFound(id);
      }
      const view = this.view(resource);
      return full ? view : view['properties'];
    };
  }

  validate(groupName: string, deploymentName: string, body: Json): Json {
    const { expanded } = this.preflight(groupName, deploymentName, body, 'Microsoft.Resources/deployments/validate/action');
    return {
      id: this.deploymentId(groupName, deploymentName),
      name: deploymentName,
      properties: {
        provisioningState: 'Succeeded',
        mode: 'Incremental',
        timestamp: new Date().toISOString(),
        correlationId: randomUUID(),
        validatedResources: expanded.resources.map((r) => ({ id: r.id })),
      },
    };
  }

  whatIf(groupName: string, deploymentName: string, body: Json): Json {
    const { expanded, group } = this.preflight(groupName, deploymentName, body, 'Microsoft.Resources/deployments/whatIf/action');
    const planned = new Set(expanded.resources.map((r) => r.id.toLowerCase()));
    const changes: Json[] = expanded.resources.map((resource) => {
      const after = {
        id: resource.id,
        name: resource.name.split('/').at(-1),
        type: resource.type,
        apiVersion: resource.apiVersion,
        ...(withExpressionsShown(evaluateDeep(bodyOf(resource.declaration), expanded.scope)) as Json),
      };
      const existing = this.resources.get(resource.id.toLowerCase());
      if (!existing) return { resourceId: resource.id, changeType: 'Create', after };
      const before = {
        id: existing.id,
        name: existing.name.split('/').at(-1),
        type: existing.type,
        apiVersion: existing.apiVersion,
        ...existing.envelope,
        // A resource declared without a properties block (a user-assigned identity) keeps what the provider set: nothing to compare.
        ...('properties' in after ? { properties: existing.properties } : {}),
      };
      const delta = propertyChanges(comparable(before), comparable(after), '');
      return {
        resourceId: resource.id,
        changeType: delta.length === 0 ? 'NoChange' : 'Modify',
        before,
        after,
        ...(delta.length ? { delta } : {}),
      };
    });
    for (const resource of this.resources.values()) {
      if (resource.resourceGroup.toLowerCase() === group.name.toLowerCase() && !planned.has(resource.id.toLowerCase()))
        changes.push({ resourceId: resource.id, changeType: 'Ignore', before: this.view(resource) });
    }
    return { status: 'Succeeded', properties: { changes } };
  }

  startDeployment(groupName: string, deploymentName: string, body: Json): DeploymentState {
    const key = this.deploymentKey(groupName, deploymentName);
    const running = this.deployments.get(key);
    if (running && (running.provisioningState === 'Running' || running.provisioningState === 'Accepted')) {
      throw new ArmError(
        409,
        'DeploymentActive',
        `Unable to edit or replace deployment '${deploymentName}': previous deployment from '${new Date(running.startedAt).toISOString()}' is still active (the deployment state is '${running.provisioningState}'). Please see https://aka.ms/arm-deploy-resources for usage details.`,
      );
    }
    const { expanded } = this.preflight(groupName, deploymentName, body, 'Microsoft.Resources/deployments/write');
    const deployment: DeploymentState = {
      id: this.deploymentId(groupName, deploymentName),
      name: deploymentName,
      resourceGroup: groupName,
      mode: 'Incremental',
      provisioningState: 'Running',
      startedAt: Date.now(),
      correlationId: randomUUID(),
      operations: [],
      template: (isObject(body['properties']) && isObject(body['properties']['template']) ? body['properties']['template'] : {}) as Json,
    };
    this.deployments.set(key, deployment);
    void this.run(deployment, expanded);
    return deployment;
  }

  getDeployment(groupName: string, deploymentName: string): DeploymentState {
    this.authorize('Microsoft.Resources/deployments/read', this.deploymentId(groupName, deploymentName));
    this.requireResourceGroup(groupName);
    const deployment = this.deployments.get(this.deploymentKey(groupName, deploymentName));
    if (!deployment) throw new ArmError(404, 'DeploymentNotFound', `Deployment '${deploymentName}' could not be found.`);
    return deployment;
  }

  /** Puts every resource once all it depends on has succeeded; independent resources go in parallel. */
  private async run(deployment: DeploymentState, expanded: ExpandedTemplate): Promise<void> {
    const reference = this.referenceFor('deploy', expanded);
    const scope = { ...expanded.scope, reference };
    const waiting = new Map(expanded.resources.map((r) => [r.id.toLowerCase(), r]));
    const succeeded = new Set<string>();
    const failed = new Set<string>();
    const skipped = new Set<string>();
    const running = new Set<Promise<void>>();
    const inTemplate = new Set(waiting.keys());

    const deploy = async (resource: PlannedResource): Promise<void> => {
      const existed = this.resources.has(resource.id.toLowerCase());
      const operation: OperationState = {
        operationId: randomUUID().replace(/-/g, '').slice(0, 16).toUpperCase(),
        resource,
        provisioningOperation: existed ? 'Update' : 'Create',
        provisioningState: 'Running',
        startedAt: Date.now(),
      };
      deployment.operations.push(operation);
      let error: ArmErrorBody | undefined;
      try {
        const body = asArmError(() => evaluateDeep(bodyOf(resource.declaration), scope)) as Json;
        const unknown = firstUnknown(body);
        if (unknown) throw new ArmError(400, 'InvalidTemplate', `Unable to evaluate '${unknown.expression ?? ''}': ${unknown.reason}.`);
        error = await this.putResource(resource.id, resource.apiVersion, body).done;
      } catch (thrown) {
        error = thrown instanceof ArmError ? thrown.body() : { code: 'InternalServerError', message: String(thrown) };
      }
      operation.finishedAt = Date.now();
      operation.provisioningState = error ? 'Failed' : 'Succeeded';
      if (error) operation.error = error;
      (error ? failed : succeeded).add(resource.id.toLowerCase());
    };

    for (;;) {
      for (const [id, resource] of waiting) {
        const dependencies = [...resource.dependsOn].filter((id) => inTemplate.has(id));
        // ARM does not start what depends on a failed resource.
        if (dependencies.some((d) => failed.has(d) || skipped.has(d))) {
          waiting.delete(id);
          skipped.add(id);
          continue;
        }
        if (dependencies.every((d) => succeeded.has(d))) {
          waiting.delete(id);
          const task: Promise<void> = deploy(resource).finally(() => running.delete(task));
          running.add(task);
        }
      }
      if (running.size === 0) break;
      await Promise.race(running);
    }

    const errors: ArmErrorBody[] = deployment.operations
      .filter((op) => op.error)
      .map((op) => ({ ...(op.error as ArmErrorBody), target: op.resource.id }));
    if (errors.length === 0) {
      const outputs = outputsOf(() => evaluateOutputs(expanded.outputs, scope));
      if (outputs.problems.length === 0) deployment.outputs = outputs.values;
      errors.push(...outputs.problems);
    }
    deployment.finishedAt = Date.now();
    deployment.provisioningState = errors.length === 0 ? 'Succeeded' : 'Failed';
    if (errors.length > 0) {
      deployment.error = {
        code: 'DeploymentFailed',
        message:
          'At least one resource deployment operation failed. Please list deployment operations for details. Please see https://aka.ms/arm-deployment-operations for usage details.',
        details: errors,
      };
    }
  }
}

function outputsOf(run: () => { values: Json; problems: ArmErrorBody[] }): { values: Json; problems: ArmErrorBody[] } {
  try {
    return run();
  } catch (error) {
    return {
      values: {},
      problems: [error instanceof ArmError ? error.body() : { code: 'DeploymentOutputEvaluationFailed', message: String(error) }],
    };
  }
}

/** The parts of a resource what-if compares: the body, not the id, name, type or api-version. */
function comparable(resource: Json): Json {
  const { id: _id, name: _name, type: _type, apiVersion: _apiVersion, ...body } = resource;
  return body;
}

/** Property-level differences, flattened to leaf paths (`properties.enableNonSslPort`, `tags.Owner`, `properties.rules[0]`). */
export function propertyChanges(before: unknown, after: unknown, path: string): Json[] {
  if (JSON.stringify(before) === JSON.stringify(after)) return [];
  if (before === undefined) return [{ path, propertyChangeType: 'Create', after }];
  if (after === undefined) return [{ path, propertyChangeType: 'Delete', before }];
  if (isObject(before) && isObject(after)) {
    const keys = [...new Set([...Object.keys(before), ...Object.keys(after)])];
    return keys.flatMap((key) => propertyChanges(before[key], after[key], path ? `${path}.${key}` : key));
  }
  if (Array.isArray(before) && Array.isArray(after) && before.length === after.length) {
    return before.flatMap((item, index) => propertyChanges(item, after[index], `${path}[${index}]`));
  }
  return [{ path, propertyChangeType: 'Modify', before, after }];
}
