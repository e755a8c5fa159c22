/**
 * Resource Manager's deployments (ArmPlane), over its resource groups and resources
 * (resource-plane.ts): ARM's preflight, validate, what-if, and a running deployment that puts each
 * resource once what it depends on has succeeded; in complete mode it then deletes what the
 * template leaves out, and a failed deployment with `onErrorDeployment` redeploys an earlier one.
 */
import { createHash, randomUUID } from 'node:crypto';
import { evaluateDeep } from '../../src/arm/scope.js';
import { UnknownValue } from '../../src/arm/values.js';
import { typeSpec } from './catalog.js';
import {
  ArmError,
  apiVersionProblem,
  bodyProblems,
  isObject,
  parentIdOf,
  parseResourceId,
  type ArmErrorBody,
  type Json,
  type StoredResource,
} from './resources.js';
import {
  asArmError,
  bodyOf,
  evaluateOutputs,
  expandTemplate,
  firstUnknown,
  withExpressionsShown,
  type ExpandedTemplate,
  type PlannedResource,
} from './expand.js';
import { ResourcePlane, type ResourceGroup } from './resource-plane.js';

export interface OperationState {
  operationId: string;
  resource: { id: string; type: string; name: string };
  /**
   * What ARM did to the resource (DeploymentOperationProperties.provisioningOperation, an enum
   * without "Update"): `Create` for every PUT, whether or not the resource existed; `Delete` for
   * a resource a complete-mode deployment removes.
   */
  provisioningOperation: 'Create' | 'Delete';
  provisioningState: 'Running' | 'Succeeded' | 'Failed';
  startedAt: number;
  finishedAt?: number;
  error?: ArmErrorBody;
}

/** `onErrorDeployment` as the deployment carries it: which earlier deployment to redeploy when this one fails. */
export interface OnErrorDeploymentState {
  type: 'LastSuccessful' | 'SpecificDeployment';
  /** The deployment to redeploy: given for SpecificDeployment, the group's last successful one for LastSuccessful. */
  deploymentName?: string;
  /** The redeployment, once started. */
  rollback?: DeploymentState;
  /** 'Failed' when there was nothing to redeploy, or the redeployment was refused. */
  provisioningState?: string;
}

/** What DeploymentPropertiesExtended reports about the request: template hash, parameters, providers, dependencies. */
export interface DeploymentSummary {
  templateHash: string;
  parameters: Json;
  providers: Json[];
  dependencies: Json[];
}

export interface DeploymentState {
  id: string;
  name: string;
  resourceGroup: string;
  mode: 'Incremental' | 'Complete';
  provisioningState: 'Accepted' | 'Running' | 'Succeeded' | 'Failed';
  startedAt: number;
  finishedAt?: number;
  correlationId: string;
  operations: OperationState[];
  outputs?: Json;
  error?: ArmErrorBody;
  /** The template as the deployment received it, for `exportTemplate` and a redeployment. */
  template: Json;
  /** The parameters as the request sent them, for a redeployment. */
  parametersSent: Json;
  summary: DeploymentSummary;
  onErrorDeployment?: OnErrorDeploymentState;
}

interface Preflight {
  expanded: ExpandedTemplate;
  group: ResourceGroup;
  mode: 'Incremental' | 'Complete';
  template: Json;
  parametersSent: Json;
  summary: DeploymentSummary;
  onErrorDeployment?: OnErrorDeploymentState;
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

  /**
   * ARM's preflight: the request, template expansion, then every resource checked by ARM (api-version,
   * region, the caller's rights) and by its provider (name, global name, body). Failures are one
   * InvalidTemplateDeployment whose tracking id is the request's correlation id; the providers'
   * findings sit under PreflightValidationCheckFailed, each with the resource's name as target.
   */
  private preflight(groupName: string, deploymentName: string, body: Json, action: string, correlationId: string): Preflight {
    this.authorize(action, this.deploymentId(groupName, deploymentName));
    const group = this.requireActiveResourceGroup(groupName);
    const properties = isObject(body['properties']) ? body['properties'] : {};
    for (const key of ['templateLink', 'parametersLink']) {
      const link = properties[key];
      if (link === undefined) continue;
      const linkId = isObject(link) ? link['id'] : undefined;
      // A template spec version is a resource; none exists in this subscription unless ARM holds it.
      if (key === 'templateLink' && typeof linkId === 'string' && linkId) throw this.notFound(linkId);
      const uri = isObject(link) && typeof link['uri'] === 'string' ? link['uri'] : '';
      throw new ArmError(400, 'InvalidContentLink', `Unable to download deployment content from '${uri}'.`);
    }
    const mode = properties['mode'];
    if (mode !== 'Incremental' && mode !== 'Complete')
      throw new ArmError(
        400,
        'InvalidDeploymentMode',
        `The deployment mode '${String(mode ?? '')}' is not valid. The allowed values are 'Incremental' and 'Complete'.`,
      );
    const onErrorDeployment = this.onErrorDeploymentOf(properties['onErrorDeployment'], group.name, deploymentName);
    const template = isObject(properties['template']) ? properties['template'] : {};
    const parametersSent = isObject(properties['parameters']) ? properties['parameters'] : {};
    const expanded = expandTemplate(
      properties['template'],
      properties['parameters'],
      this.context(group, deploymentName),
      this.referenceFor('what-if'),
    );
    const direct: ArmErrorBody[] = [];
    const fromProviders: ArmErrorBody[] = [];
    const locations = new Map<string, string>();
    for (const resource of expanded.resources) {
      const body = withExpressionsShown(asArmError(() => evaluateDeep(bodyOf(resource.declaration), expanded.scope))) as Json;
      const location = body['location'];
      if (typeof location === 'string' && !location.startsWith('['))
        locations.set(resource.id.toLowerCase(), location.toLowerCase().replace(/\s+/g, ''));
      const versionProblem =
        this.registrationProblem(resource.type) ??
        apiVersionProblem(resource.type, resource.apiVersion, typeof location === 'string' ? location : undefined);
      if (versionProblem) {
        direct.push({ ...versionProblem.body(), target: resource.id });
        continue;
      }
      const exists = this.resources.has(resource.id.toLowerCase());
      for (const { by, problem } of bodyProblems(resource, resource.apiVersion, body, {
        nameTaken: !exists && this.takenNames.has(`${resource.type}|${resource.name}`.toLowerCase()),
      })) {
        if (by === 'provider') fromProviders.push({ ...problem, target: resource.name });
        else direct.push(problem);
      }
      const writeAction = `${resource.type}/write`;
      try {
        this.authorize(writeAction, resource.id);
      } catch {
        direct.push({
          code: 'AuthorizationFailed',
          target: resource.id,
          message: `Authorization failed for template resource '${resource.name}' of type '${resource.type}'. The client '${this.identity.clientId}' with object id '${this.identity.clientId}' does not have permission to perform action '${writeAction}' at scope '${resource.id}'.`,
        });
      }
    }
    if (direct.length > 0 || fromProviders.length > 0) {
      throw new ArmError(
        400,
        'InvalidTemplateDeployment',
        `The template deployment '${deploymentName}' is not valid according to the validation procedure. The tracking id is '${correlationId}'. See inner errors for details.`,
        [
          ...direct,
          ...(fromProviders.length > 0
            ? [
                {
                  code: 'PreflightValidationCheckFailed',
                  message: 'Preflight validation failed. Please refer to the details for the specific errors.',
                  details: fromProviders,
                },
              ]
            : []),
        ],
      );
    }
    const summary: DeploymentSummary = {
      templateHash: templateHash(properties['template']),
      parameters: parametersView(template, parametersSent),
      providers: this.providersOf(expanded, locations, group),
      dependencies: dependenciesOf(expanded),
    };
    return { expanded, group, mode, template, parametersSent, summary, ...(onErrorDeployment ? { onErrorDeployment } : {}) };
  }

  private onErrorDeploymentOf(value: unknown, groupName: string, deploymentName: string): OnErrorDeploymentState | undefined {
    if (value === undefined) return undefined;
    const type = isObject(value) ? value['type'] : undefined;
    if (type !== 'LastSuccessful' && type !== 'SpecificDeployment')
      throw new ArmError(
        400,
        'InvalidOnErrorDeployment',
        `The on error deployment type '${String(type ?? '')}' is not valid. The allowed values are 'LastSuccessful' and 'SpecificDeployment'.`,
      );
    if (type === 'SpecificDeployment') {
      const name = isObject(value) ? value['deploymentName'] : undefined;
      if (typeof name !== 'string' || !name)
        throw new ArmError(
          400,
          'InvalidOnErrorDeployment',
          "An on error deployment of type 'SpecificDeployment' needs the 'deploymentName' of an earlier successful deployment.",
        );
      return { type, deploymentName: name };
    }
    const last = this.lastSuccessful(groupName, deploymentName);
    return { type, ...(last ? { deploymentName: last.name } : {}) };
  }

  private lastSuccessful(groupName: string, except: string): DeploymentState | undefined {
    return [...this.deployments.values()]
      .filter(
        (d) =>
          d.resourceGroup.toLowerCase() === groupName.toLowerCase() &&
          d.name.toLowerCase() !== except.toLowerCase() &&
          d.provisioningState === 'Succeeded',
      )
      .sort((a, b) => (b.finishedAt ?? 0) - (a.finishedAt ?? 0))[0];
  }

  /** DeploymentPropertiesExtended.providers: each namespace with its resource types and the regions they go to. */
  private providersOf(expanded: ExpandedTemplate, locations: Map<string, string>, group: ResourceGroup): Json[] {
    const locationOf = (id: string): string => {
      const known = locations.get(id.toLowerCase());
      if (known) return known;
      const existing = this.resources.get(id.toLowerCase())?.envelope['location'];
      if (typeof existing === 'string') return existing.toLowerCase().replace(/\s+/g, '');
      // A resource without a region of its own (a subnet, a role assignment) is where its parent or scope is.
      const up = parentIdOf(id) ?? parseResourceId(id)?.scopeId;
      return up ? locationOf(up) : group.location;
    };
    const providers = new Map<string, Map<string, string[]>>();
    for (const resource of expanded.resources) {
      const [namespace = '', ...rest] = resource.type.split('/');
      const types = providers.get(namespace) ?? new Map<string, string[]>();
      providers.set(namespace, types);
      const regions = types.get(rest.join('/')) ?? [];
      types.set(rest.join('/'), regions);
      const region = locationOf(resource.id);
      if (!regions.includes(region)) regions.push(region);
    }
    return [...providers].map(([namespace, types]) => ({
      namespace,
      resourceTypes: [...types].map(([resourceType, regions]) => ({ resourceType, locations: regions })),
    }));
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

  /** Deployments_Validate: the preflight alone; the answer is a DeploymentValidateResult. */
  validate(groupName: string, deploymentName: string, body: Json, correlationId: string): Json {
    const started = Date.now();
    const { expanded, mode, summary, onErrorDeployment } = this.preflight(
      groupName,
      deploymentName,
      body,
      'Microsoft.Resources/deployments/validate/action',
      correlationId,
    );
    return {
      id: this.deploymentId(groupName, deploymentName),
      name: deploymentName,
      type: 'Microsoft.Resources/deployments',
      properties: {
        templateHash: summary.templateHash,
        parameters: summary.parameters,
        mode,
        provisioningState: 'Succeeded',
        timestamp: new Date().toISOString(),
        duration: isoDuration(Date.now() - started),
        correlationId,
        providers: summary.providers,
        dependencies: summary.dependencies,
        ...(onErrorDeployment ? { onErrorDeployment: onErrorDeploymentView(onErrorDeployment) } : {}),
        validatedResources: expanded.resources.map((r) => ({ id: r.id })),
        diagnostics: [],
      },
    };
  }

  whatIf(groupName: string, deploymentName: string, body: Json, correlationId: string): Json {
    const { expanded, group, mode } = this.preflight(
      groupName,
      deploymentName,
      body,
      'Microsoft.Resources/deployments/whatIf/action',
      correlationId,
    );
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
    const deletions = mode === 'Complete' ? this.completeModeDeletions(group.name, planned) : [];
    const deleted = new Set(deletions.flatMap((root) => this.withDescendants(root)).map((resource) => resource.id.toLowerCase()));
    for (const resource of this.resources.values()) {
      if (resource.resourceGroup.toLowerCase() === group.name.toLowerCase() && !planned.has(resource.id.toLowerCase()))
        changes.push({
          resourceId: resource.id,
          changeType: deleted.has(resource.id.toLowerCase()) ? 'Delete' : 'Ignore',
          before: this.view(resource),
        });
    }
    return { status: 'Succeeded', properties: { changes } };
  }

  /**
   * What a complete-mode deployment deletes: the group's resources the template leaves out whose type
   * complete mode deletes (catalog.ts `completeModeDeletion`), except what the provider made with a
   * parent and the parents of resources the template declares. Each goes with its children and
   * extension resources.
   */
  private completeModeDeletions(groupName: string, planned: Set<string>): StoredResource[] {
    const inGroup = [...this.resources.values()].filter((resource) => resource.resourceGroup.toLowerCase() === groupName.toLowerCase());
    const candidates = inGroup.filter((resource) => {
      const id = resource.id.toLowerCase();
      if (planned.has(id) || resource.implicit) return false;
      if ([...planned].some((plannedId) => plannedId.startsWith(`${id}/`))) return false;
      const deletable =
        typeSpec(resource.type)?.completeModeDeletion ?? (resource.type.split('/').length === 2 && !parseResourceId(resource.id)?.scopeId);
      return deletable;
    });
    // A candidate under another candidate goes with it.
    return candidates.filter(
      (resource) => !candidates.some((other) => other !== resource && resource.id.toLowerCase().startsWith(`${other.id.toLowerCase()}/`)),
    );
  }

  private withDescendants(root: StoredResource): StoredResource[] {
    const prefix = `${root.id.toLowerCase()}/`;
    return [...this.resources.values()].filter((resource) => resource === root || resource.id.toLowerCase().startsWith(prefix));
  }

  startDeployment(groupName: string, deploymentName: string, body: Json, correlationId: string): DeploymentState {
    const key = this.deploymentKey(groupName, deploymentName);
    const running = this.deployments.get(key);
    if (running && (running.provisioningState === 'Running' || running.provisioningState === 'Accepted')) {
      throw new ArmError(
        409,
        'DeploymentActive',
        `Unable to edit or replace deployment '${deploymentName}': previous deployment from '${new Date(running.startedAt).toISOString()}' is still active (the deployment state is '${running.provisioningState}'). Please see https://aka.ms/arm-deploy-resources for usage details.`,
      );
    }
    const preflight = this.preflight(groupName, deploymentName, body, 'Microsoft.Resources/deployments/write', correlationId);
    const deployment: DeploymentState = {
      id: this.deploymentId(groupName, deploymentName),
      name: deploymentName,
      resourceGroup: preflight.group.name,
      mode: preflight.mode,
      provisioningState: 'Accepted',
      startedAt: Date.now(),
      correlationId,
      operations: [],
      template: preflight.template,
      parametersSent: preflight.parametersSent,
      summary: preflight.summary,
      ...(preflight.onErrorDeployment ? { onErrorDeployment: preflight.onErrorDeployment } : {}),
    };
    this.deployments.set(key, deployment);
    void this.run(deployment, preflight.expanded);
    return deployment;
  }

  getDeployment(groupName: string, deploymentName: string): DeploymentState {
    this.authorize('Microsoft.Resources/deployments/read', this.deploymentId(groupName, deploymentName));
    this.requireResourceGroup(groupName);
    const deployment = this.deployments.get(this.deploymentKey(groupName, deploymentName));
    if (!deployment) throw new ArmError(404, 'DeploymentNotFound', `Deployment '${deploymentName}' could not be found.`);
    return deployment;
  }

  /** Deployments_CheckExistence. */
  hasDeployment(groupName: string, deploymentName: string): boolean {
    this.authorize('Microsoft.Resources/deployments/read', this.deploymentId(groupName, deploymentName));
    this.requireResourceGroup(groupName);
    return this.deployments.has(this.deploymentKey(groupName, deploymentName));
  }

  /** Deployments_ListByResourceGroup. */
  listDeployments(groupName: string): DeploymentState[] {
    this.authorize('Microsoft.Resources/deployments/read', `${this.resourceGroupId(groupName)}/providers/Microsoft.Resources/deployments`);
    const group = this.requireResourceGroup(groupName);
    return [...this.deployments.values()].filter((d) => d.resourceGroup.toLowerCase() === group.name.toLowerCase());
  }

  protected override groupDeleted(name: string): void {
    for (const [key, deployment] of this.deployments)
      if (deployment.resourceGroup.toLowerCase() === name.toLowerCase()) this.deployments.delete(key);
  }

  /** Puts every resource once all it depends on has succeeded; independent resources go in parallel. */
  private async run(deployment: DeploymentState, expanded: ExpandedTemplate): Promise<void> {
    // The PUT answers Accepted; the work starts right after.
    await new Promise((resolve) => setImmediate(resolve));
    deployment.provisioningState = 'Running';
    const reference = this.referenceFor('deploy', expanded);
    const scope = { ...expanded.scope, reference };
    const waiting = new Map(expanded.resources.map((r) => [r.id.toLowerCase(), r]));
    const succeeded = new Set<string>();
    const failed = new Set<string>();
    const skipped = new Set<string>();
    const running = new Set<Promise<void>>();
    const inTemplate = new Set(waiting.keys());

    const deploy = async (resource: PlannedResource): Promise<void> => {
      const operation: OperationState = {
        operationId: operationId(),
        resource,
        provisioningOperation: 'Create',
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

    const failures = () =>
      deployment.operations.filter((op) => op.error).map((op) => ({ ...(op.error as ArmErrorBody), target: op.resource.id }));
    if (failures().length === 0 && deployment.mode === 'Complete') await this.cleanUp(deployment, inTemplate);
    const errors: ArmErrorBody[] = failures();
    if (errors.length === 0) {
      const outputs = outputsOf(() => evaluateOutputs(expanded.outputs, scope));
      if (outputs.problems.length === 0 && Object.keys(outputs.values).length > 0) deployment.outputs = outputs.values;
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
      if (deployment.onErrorDeployment) this.redeploy(deployment, deployment.onErrorDeployment);
    }
  }

  /** Complete mode, after every resource succeeded: deletes what the template leaves out, one `Delete` operation each. */
  private async cleanUp(deployment: DeploymentState, planned: Set<string>): Promise<void> {
    const deletions = this.completeModeDeletions(deployment.resourceGroup, planned);
    await Promise.all(
      deletions.map(async (resource) => {
        const operation: OperationState = {
          operationId: operationId(),
          resource: { id: resource.id, type: resource.type, name: resource.name },
          provisioningOperation: 'Delete',
          provisioningState: 'Running',
          startedAt: Date.now(),
        };
        deployment.operations.push(operation);
        const seconds = (typeSpec(resource.type)?.createSeconds ?? 5) / 2;
        await new Promise((resolve) => setTimeout(resolve, seconds * this.timeScale * 1000));
        this.removeResource(resource.id);
        operation.finishedAt = Date.now();
        operation.provisioningState = 'Succeeded';
      }),
    );
  }

  /** On failure: redeploys the earlier successful deployment in complete mode, with its own template and parameters. */
  private redeploy(failed: DeploymentState, onError: OnErrorDeploymentState): void {
    const target = [...this.deployments.values()].find(
      (d) =>
        d !== failed &&
        d.resourceGroup.toLowerCase() === failed.resourceGroup.toLowerCase() &&
        d.name.toLowerCase() === (onError.deploymentName ?? '').toLowerCase() &&
        d.provisioningState === 'Succeeded',
    );
    if (!target) {
      onError.provisioningState = 'Failed';
      return;
    }
    try {
      onError.rollback = this.startDeployment(
        failed.resourceGroup,
        target.name,
        { properties: { mode: 'Complete', template: target.template, parameters: target.parametersSent } },
        failed.correlationId,
      );
    } catch {
      onError.provisioningState = 'Failed';
    }
  }
}

/** `onErrorDeployment` as DeploymentPropertiesExtended shows it (OnErrorDeploymentExtended). */
export function onErrorDeploymentView(onError: OnErrorDeploymentState): Json {
  const state = onError.rollback?.provisioningState ?? onError.provisioningState;
  return {
    type: onError.type,
    ...(onError.deploymentName ? { deploymentName: onError.deploymentName } : {}),
    ...(state ? { provisioningState: state } : {}),
  };
}

export function isoDuration(ms: number): string {
  return `PT${(ms / 1000).toFixed(3)}S`;
}

function operationId(): string {
  return randomUUID().replace(/-/g, '').slice(0, 16).toUpperCase();
}

/** ARM's `templateHash`: a decimal number derived from the template's content. */
function templateHash(template: unknown): string {
  return createHash('sha256')
    .update(JSON.stringify(template ?? null))
    .digest()
    .readBigUInt64BE(0)
    .toString(10);
}

const PARAMETER_TYPES: Record<string, string> = {
  string: 'String',
  securestring: 'SecureString',
  int: 'Int',
  bool: 'Bool',
  object: 'Object',
  secureobject: 'SecureObject',
  array: 'Array',
};

/** DeploymentPropertiesExtended.parameters: each parameter sent, with the type the template declares; secure values are not shown. */
function parametersView(template: Json, sent: Json): Json {
  const declared = isObject(template['parameters']) ? template['parameters'] : {};
  const view: Json = {};
  for (const [name, given] of Object.entries(sent)) {
    const key = Object.keys(declared).find((declaredName) => declaredName.toLowerCase() === name.toLowerCase()) ?? name;
    const declaration = declared[key];
    const rawType = isObject(declaration) && typeof declaration['type'] === 'string' ? declaration['type'].toLowerCase() : 'string';
    const type = PARAMETER_TYPES[rawType] ?? rawType;
    const secure = rawType.startsWith('secure');
    view[key] = { type, ...(!secure && isObject(given) && 'value' in given ? { value: given['value'] } : {}) };
  }
  return view;
}

/** DeploymentPropertiesExtended.dependencies: every resource that waits for others, with what it waits for. */
function dependenciesOf(expanded: ExpandedTemplate): Json[] {
  const byId = new Map(expanded.resources.map((resource) => [resource.id.toLowerCase(), resource]));
  return expanded.resources
    .filter((resource) => resource.dependsOn.size > 0)
    .map((resource) => ({
      dependsOn: [...resource.dependsOn]
        .map((id) => byId.get(id))
        .filter((found): found is PlannedResource => found !== undefined)
        .map((found) => ({ id: found.id, resourceType: found.type, resourceName: found.name })),
      id: resource.id,
      resourceType: resource.type,
      resourceName: resource.name,
    }));
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

function sameValue(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((item, index) => sameValue(item, b[index]));
  if (isObject(a) && isObject(b)) {
    const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
    return [...keys].every((key) => sameValue(a[key], b[key]));
  }
  return false;
}

/**
 * What-if's property changes (WhatIfPropertyChange), as ARM reports them: leaf paths for objects
 * (`tags.myNewTag` Create when there were no tags before; Delete leaf paths likewise), and an array
 * as one `Array` change whose children are its items by index (`"0"`): Create, Delete, or Modify;
 * an object item is compared property by property into its own children.
 */
export function propertyChanges(before: unknown, after: unknown, path: string): Json[] {
  if (sameValue(before, after)) return [];
  const at = (key: string) => (path ? `${path}.${key}` : key);
  if (before === undefined) {
    if (isObject(after) && Object.keys(after).length > 0)
      return Object.keys(after).flatMap((key) => propertyChanges(undefined, after[key], at(key)));
    return [{ path, propertyChangeType: 'Create', after }];
  }
  if (after === undefined) {
    if (isObject(before) && Object.keys(before).length > 0)
      return Object.keys(before).flatMap((key) => propertyChanges(before[key], undefined, at(key)));
    return [{ path, propertyChangeType: 'Delete', before }];
  }
  if (isObject(before) && isObject(after)) {
    const keys = [...new Set([...Object.keys(before), ...Object.keys(after)])];
    return keys.flatMap((key) => propertyChanges(before[key], after[key], at(key)));
  }
  if (Array.isArray(before) && Array.isArray(after)) return [{ path, ...arrayChange(before, after) }];
  return [{ path, propertyChangeType: 'Modify', before, after }];
}

function arrayChange(before: unknown[], after: unknown[]): Json {
  const children: Json[] = [];
  for (let index = 0; index < Math.max(before.length, after.length); index++) {
    const path = String(index);
    if (index >= before.length) children.push({ path, propertyChangeType: 'Create', after: after[index] });
    else if (index >= after.length) children.push({ path, propertyChangeType: 'Delete', before: before[index] });
    else if (!sameValue(before[index], after[index])) {
      const [b, a] = [before[index], after[index]];
      if (isObject(b) && isObject(a)) children.push({ path, propertyChangeType: 'Modify', children: propertyChanges(b, a, '') });
      else if (Array.isArray(b) && Array.isArray(a)) children.push({ path, ...arrayChange(b, a) });
      else children.push({ path, propertyChangeType: 'Modify', before: b, after: a });
    }
  }
  return { propertyChangeType: 'Array', children };
}
