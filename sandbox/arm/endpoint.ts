import { randomUUID } from 'node:crypto';
import { subscriptionScopeOf } from './subscription-scope.js';
import { ArmError, isObject, missingApiVersion, parseResourceId, type ArmErrorBody, type Json } from './resources.js';
import { isoDuration, onErrorDeploymentView, type ArmPlane, type DeploymentState } from './plane.js';
import type { ResourceGroup } from './resource-plane.js';
import type { Reply } from '../http.js';
import { importImage } from '../acr/import.js';
import { rolesOn } from './role-assignments.js';

const HOST = 'https://management.azure.com';
const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const OPERATIONS_API_VERSION = '2022-12-01';
const CORRELATION = 'x-ms-correlation-request-id';

interface AsyncOperation {
  status: 'InProgress' | 'Succeeded' | 'Failed';
  error?: ArmErrorBody;
  /** What GET on the operation-result URL returns once done (what-if). */
  result?: unknown;
  /** The URL to poll, repeated on each 202 (a resource group's deletion). */
  location?: string;
}

/** What a request brings besides method, path and body. */
interface RequestContext {
  /** The correlation id this request runs under: the caller's `x-ms-correlation-request-id`, or a new one. */
  correlationId: string;
  /** Whether the caller sent the correlation id. */
  given: boolean;
}

/**
 * Azure Resource Manager's REST surface over an ArmPlane: routes, long-running-operation headers,
 * error bodies. Every answer carries `x-ms-correlation-request-id`: the caller's when it sent one,
 * otherwise a new one, except that the operations of a deployment answer under the deployment's.
 */
export class ArmEndpoint {
  private readonly operations = new Map<string, AsyncOperation>();

  constructor(private readonly plane: ArmPlane) {}

  /** How long clients should wait between polls: a few seconds of Azure time, scaled like everything else. */
  private pollHeaders(): Record<string, string> {
    const ms = Math.min(5000, Math.max(10, Math.round(5000 * this.plane.timeScale)));
    return { 'Retry-After': String(Math.round(ms / 1000)), 'retry-after-ms': String(ms) };
  }

  handle(method: string, url: URL, rawBody: string, correlationId?: string): Reply {
    const context: RequestContext = { correlationId: correlationId ?? randomUUID(), given: correlationId !== undefined };
    let answer: Reply;
    try {
      answer = this.route(method, url, rawBody, context);
    } catch (error) {
      if (!(error instanceof ArmError)) throw error;
      answer = { status: error.status, body: { error: error.body() } };
    }
    return { ...answer, headers: { [CORRELATION]: context.correlationId, ...answer.headers } };
  }

  private route(method: string, url: URL, rawBody: string, context: RequestContext): Reply {
    const segments = url.pathname.split('/').filter(Boolean);
    const lower = segments.map((s) => s.toLowerCase());
    // ARM refuses a request without api-version before anything else.
    const apiVersion = url.searchParams.get('api-version');
    if (!apiVersion) throw missingApiVersion();
    let body: Json = {};
    if (rawBody) {
      try {
        const parsed: unknown = JSON.parse(rawBody);
        if (!isObject(parsed)) throw new Error('not an object');
        body = parsed;
      } catch {
        throw new ArmError(
          400,
          'InvalidRequestContent',
          'The request content was invalid and could not be deserialized: the body is not a JSON object.',
        );
      }
    }
    if (lower[0] !== 'subscriptions' || !segments[1])
      throw new ArmError(404, 'InvalidResourceType', `The resource type could not be found for the path '${url.pathname}'.`);
    const subscriptionId = segments[1];
    if (!GUID.test(subscriptionId))
      throw new ArmError(400, 'InvalidSubscriptionId', `The provided subscription identifier '${subscriptionId}' is malformed or invalid.`);
    if (subscriptionId.toLowerCase() !== this.plane.identity.subscriptionId.toLowerCase())
      throw new ArmError(404, 'SubscriptionNotFound', `The subscription '${subscriptionId}' could not be found.`);
    // Subscription-scope deployments, Defender's pricings, policy assignments and Policy Insights (subscription-scope.ts).
    const scoped = subscriptionScopeOf(this.plane).route(method, segments, url, body);
    if (scoped) return scoped;
    if (segments.length === 2) {
      if (method !== 'GET') throw methodNotAllowed(method);
      return {
        status: 200,
        body: {
          id: `/subscriptions/${subscriptionId}`,
          subscriptionId,
          tenantId: this.plane.identity.tenantId,
          displayName: 'azure-hipaa',
          state: 'Enabled',
        },
      };
    }
    if (
      lower[2] === 'providers' &&
      lower[3] === 'microsoft.resources' &&
      (lower[4] === 'operationstatuses' || lower[4] === 'operationresults') &&
      segments[5]
    )
      return this.operation(segments[5], lower[4] === 'operationresults');
    if (
      lower[2] === 'providers' &&
      lower[3] === 'microsoft.keyvault' &&
      lower[4] === 'locations' &&
      lower[6] === 'deletedvaults' &&
      segments[7]
    )
      return this.deletedVault(method, segments[5] as string, segments[7], lower.slice(8), apiVersion);
    if (lower[2] === 'providers' && segments[3] && segments.length <= 5) return this.provider(method, segments[3], segments[4]);
    // A resource group's deletion is polled here (ResourceGroups_Delete's `location` header).
    if (lower[2] === 'operationresults' && segments[3] && segments.length === 4) return this.operation(segments[3], true);
    if (lower[2] === 'resourcegroups' && segments.length === 3) {
      if (method !== 'GET') throw methodNotAllowed(method);
      return { status: 200, body: { value: this.plane.listResourceGroups().map(groupView) } };
    }
    if (lower[2] !== 'resourcegroups' || !segments[3])
      throw new ArmError(
        404,
        'InvalidResourceType',
        `The resource type '${segments[2] ?? ''}' could not be found in the namespace 'Microsoft.Resources' for api version '${apiVersion}'.`,
      );
    const group = segments[3];
    if (segments.length === 4) return this.resourceGroup(method, group, body, apiVersion);
    this.plane.requireResourceGroup(group);
    if (lower[4] === 'resources' && segments.length === 5 && method === 'GET') {
      this.plane.authorize('Microsoft.Resources/subscriptions/resourceGroups/resources/read', this.plane.resourceGroupId(group));
      return { status: 200, body: { value: this.plane.list({ resourceGroup: group }).map(envelopeOnly) } };
    }
    // Deployments are served both under providers/Microsoft.Resources and directly under the group.
    if (lower[4] === 'providers' && lower[5] === 'microsoft.resources' && lower[6] === 'deployments') {
      if (!segments[7]) return this.deploymentList(method, group);
      return this.deployment(method, group, segments[7], lower.slice(8), segments.slice(8), body, context);
    }
    if (lower[4] === 'deployments') {
      if (!segments[5]) return this.deploymentList(method, group);
      return this.deployment(method, group, segments[5], lower.slice(6), segments.slice(6), body, context);
    }
    return this.resource(method, url, body);
  }

  /**
   * A resource provider at subscription scope: Providers_Get and Providers_Register, and a type's
   * resources in every group of the subscription (e.g. Vaults_ListBySubscription).
   */
  private provider(method: string, namespace: string, typeOrAction: string | undefined): Reply {
    const subscription = `/subscriptions/${this.plane.identity.subscriptionId}`;
    const view = () => ({
      id: `${subscription}/providers/${namespace}`,
      namespace,
      registrationState: this.plane.unregisteredProviders.has(namespace.toLowerCase()) ? 'NotRegistered' : 'Registered',
    });
    if (typeOrAction === undefined) {
      if (method !== 'GET') throw methodNotAllowed(method);
      return { status: 200, body: view() };
    }
    if (typeOrAction.toLowerCase() === 'register') {
      if (method !== 'POST') throw methodNotAllowed(method);
      this.plane.authorize(`${namespace}/register/action`, subscription);
      this.plane.unregisteredProviders.delete(namespace.toLowerCase());
      return { status: 200, body: view() };
    }
    if (method !== 'GET') throw methodNotAllowed(method);
    const type = `${namespace}/${typeOrAction}`;
    this.plane.authorize(`${type}/read`, subscription);
    const value = this.plane
      .listResourceGroups()
      .flatMap((group) =>
        this.plane.list({ resourceGroup: group.name }).filter((resource) => String(resource['type']).toLowerCase() === type.toLowerCase()),
      );
    return { status: 200, body: { value } };
  }

  private resourceGroup(method: string, name: string, body: Json, apiVersion: string): Reply {
    if (method === 'PUT') {
      const { status, group } = this.plane.putResourceGroup(name, body);
      return { status, body: groupView(group) };
    }
    if (method === 'PATCH') return { status: 200, body: groupView(this.plane.patchResourceGroup(name, body)) };
    if (method === 'DELETE') {
      const { done } = this.plane.deleteResourceGroup(name);
      const operationId = randomUUID();
      const location = `${HOST}/subscriptions/${this.plane.identity.subscriptionId}/operationresults/${operationId}?api-version=${apiVersion}`;
      const operation: AsyncOperation = { status: 'InProgress', location };
      this.operations.set(operationId, operation);
      void done.then(() => {
        operation.status = 'Succeeded';
      });
      return { status: 202, headers: { Location: location, ...this.pollHeaders() } };
    }
    this.plane.authorize('Microsoft.Resources/subscriptions/resourceGroups/read', this.plane.resourceGroupId(name));
    if (method === 'HEAD') return { status: this.plane.resourceGroups.has(name.toLowerCase()) ? 204 : 404 };
    if (method === 'GET') return { status: 200, body: groupView(this.plane.requireResourceGroup(name)) };
    throw methodNotAllowed(method);
  }

  private deploymentList(method: string, group: string): Reply {
    if (method !== 'GET') throw methodNotAllowed(method);
    return { status: 200, body: { value: this.plane.listDeployments(group).map(deploymentView) } };
  }

  private deployment(
    method: string,
    group: string,
    name: string,
    action: string[],
    actionSegments: string[],
    body: Json,
    context: RequestContext,
  ): Reply {
    const [verb] = action;
    if (verb === undefined && method === 'PUT') {
      const deployment = this.plane.startDeployment(group, name, body, context.correlationId);
      return {
        status: 201,
        body: deploymentView(deployment),
        headers: {
          'Azure-AsyncOperation': `${HOST}${deployment.id}/operationStatuses/${deployment.correlationId}?api-version=${OPERATIONS_API_VERSION}`,
          ...this.pollHeaders(),
        },
      };
    }
    if (verb === undefined && method === 'HEAD') return { status: this.plane.hasDeployment(group, name) ? 204 : 404 };
    if (verb === undefined && method === 'GET') {
      const deployment = this.plane.getDeployment(group, name);
      return { status: 200, body: deploymentView(deployment), headers: running(deployment) ? this.pollHeaders() : {} };
    }
    // The deployment's own operations run under its correlation id.
    const underDeployment = (deployment: DeploymentState): Record<string, string> =>
      context.given ? {} : { [CORRELATION]: deployment.correlationId };
    if (verb === 'operationstatuses' && method === 'GET') {
      const deployment = this.plane.getDeployment(group, name);
      return {
        status: 200,
        body: {
          status: running(deployment) ? 'Running' : deployment.provisioningState,
          ...(deployment.error ? { error: deployment.error } : {}),
        },
        headers: { ...this.pollHeaders(), ...underDeployment(deployment) },
      };
    }
    if (verb === 'operations' && method === 'GET') {
      const deployment = this.plane.getDeployment(group, name);
      const operationId = actionSegments[1];
      const views = deployment.operations.map((operation) => operationView(deployment, operation));
      if (operationId) {
        const found = views.find((view) => view['operationId'] === operationId);
        if (!found)
          throw new ArmError(404, 'DeploymentOperationNotFound', `Operation '${operationId}' of deployment '${name}' could not be found.`);
        return { status: 200, body: found, headers: underDeployment(deployment) };
      }
      return { status: 200, body: { value: views }, headers: underDeployment(deployment) };
    }
    if (verb === 'exporttemplate' && method === 'POST')
      return { status: 200, body: { template: this.plane.getDeployment(group, name).template } };
    if (verb === 'validate' && method === 'POST')
      return { status: 200, body: this.plane.validate(group, name, body, context.correlationId) };
    if (verb === 'whatif' && method === 'POST') {
      const result = this.plane.whatIf(group, name, body, context.correlationId);
      const operationId = randomUUID();
      this.operations.set(operationId, { status: 'Succeeded', result });
      return {
        status: 202,
        headers: {
          Location: `${HOST}/subscriptions/${this.plane.identity.subscriptionId}/providers/Microsoft.Resources/operationResults/${operationId}?api-version=${OPERATIONS_API_VERSION}`,
          ...this.pollHeaders(),
        },
      };
    }
    throw methodNotAllowed(method);
  }

  private operation(operationId: string, result: boolean): Reply {
    const operation = this.operations.get(operationId);
    if (!operation) throw new ArmError(404, 'OperationNotFound', `Operation '${operationId}' could not be found.`);
    if (operation.status === 'InProgress')
      return {
        status: result ? 202 : 200,
        body: result ? undefined : { id: operationId, name: operationId, status: 'InProgress' },
        headers: { ...(result && operation.location ? { Location: operation.location } : {}), ...this.pollHeaders() },
      };
    if (result && operation.error) return { status: 400, body: { error: operation.error } };
    if (result) return { status: 200, body: operation.result };
    return {
      status: 200,
      body: { id: operationId, name: operationId, status: operation.status, ...(operation.error ? { error: operation.error } : {}) },
    };
  }

  /**
   * Vaults_GetDeleted and Vaults_PurgeDeleted (purgeDeletedVault.json: 202 with a Location to poll).
   * A vault with purge protection cannot be purged: it goes when its retention ends.
   */
  private deletedVault(method: string, location: string, name: string, rest: string[], apiVersion: string): Reply {
    const subscription = `/subscriptions/${this.plane.identity.subscriptionId}`;
    const id = `${subscription}/providers/Microsoft.KeyVault/locations/${location}/deletedVaults/${name}`;
    const vault = this.plane.deletedVaults.get(name.toLowerCase());
    const found = vault && vault.location === location.toLowerCase() ? vault : undefined;
    if (rest.length === 0 && method === 'GET') {
      this.plane.authorize('Microsoft.KeyVault/locations/deletedVaults/read', subscription);
      if (!found) throw new ArmError(404, 'DeletedVaultNotFound', `The specified deleted vault '${name}' does not exist.`);
      const { name: vaultName, location: vaultLocation, ...properties } = found;
      return {
        status: 200,
        body: { id, name: vaultName, type: 'Microsoft.KeyVault/deletedVaults', properties: { location: vaultLocation, ...properties } },
      };
    }
    if (rest.length !== 1 || rest[0] !== 'purge') throw new ArmError(404, 'InvalidResourceType', `No such operation on ${id}.`);
    if (method !== 'POST') throw methodNotAllowed(method);
    this.plane.authorize('Microsoft.KeyVault/locations/deletedVaults/purge/action', subscription);
    if (!found) throw new ArmError(404, 'DeletedVaultNotFound', `The specified deleted vault '${name}' does not exist.`);
    if (found.purgeProtectionEnabled)
      throw new ArmError(
        409,
        'Conflict',
        `Vault '${found.name}' has purge protection enabled: it cannot be purged, and is removed when its retention ends (${found.scheduledPurgeDate}).`,
      );
    this.plane.deletedVaults.delete(name.toLowerCase());
    const operationId = randomUUID();
    const operationLocation = `${HOST}${subscription}/operationresults/${operationId}?api-version=${apiVersion}`;
    this.operations.set(operationId, { status: 'Succeeded', location: operationLocation });
    return { status: 202, headers: { Location: operationLocation, ...this.pollHeaders() } };
  }

  /** Registries_ImportImage: accepted (202, a Location to poll), copied when the operation ends. */
  private importImage(method: string, targetId: string, body: Json): Reply {
    if (method !== 'POST') throw methodNotAllowed(method);
    const plane = this.plane;
    const registries = plane.registries;
    if (!registries) throw new ArmError(501, 'NotImplemented', 'This sandbox has no registries.');
    const stored = (id: string) => {
      const resource = plane.resources.get(id.toLowerCase());
      return resource &&
        resource.type.toLowerCase() === 'microsoft.containerregistry/registries' &&
        resource.provisioningState === 'Succeeded'
        ? { id: resource.id, name: resource.name, properties: resource.properties }
        : undefined;
    };
    importImage(targetId, body, {
      registry: stored,
      rolesOn: (scope) => rolesOn(plane, plane.identity.clientId, scope),
      content: (name) => registries.content(name.toLowerCase()),
      caller: plane.identity.clientId,
    });
    registries.imports.push({
      target: targetId.split('/').at(-1) ?? targetId,
      sourceImage: String((body['source'] as Json)['sourceImage']),
    });
    const operationId = randomUUID();
    const operation: AsyncOperation = { status: 'InProgress' };
    this.operations.set(operationId, operation);
    // An import takes ACR a moment: the copy is done, the operation reports it after a poll interval.
    setTimeout(() => (operation.status = 'Succeeded'), Math.max(10, Math.round(3000 * plane.timeScale)));
    return {
      status: 202,
      headers: {
        Location: `${HOST}/subscriptions/${plane.identity.subscriptionId}/providers/Microsoft.Resources/operationResults/${operationId}?api-version=${OPERATIONS_API_VERSION}`,
        ...this.pollHeaders(),
      },
    };
  }

  private resource(method: string, url: URL, body: Json): Reply {
    const path = url.pathname.replace(/\/+$/, '');
    const apiVersion = url.searchParams.get('api-version') ?? undefined;
    const importTarget = /^(.*\/providers\/Microsoft\.ContainerRegistry\/registries\/[^/]+)\/importImage$/i.exec(path)?.[1];
    if (importTarget !== undefined) return this.importImage(method, importTarget, body);
    const revisions = /^(.*\/providers\/Microsoft\.App\/containerApps\/[^/]+)\/revisions(?:\/([^/]+)(?:\/([^/]+))?)?$/i.exec(path);
    if (revisions && this.plane.apps) {
      const [, appId = '', revision, action] = revisions;
      this.plane.authorize(`Microsoft.App/containerApps/revisions/${action ? 'action' : 'read'}`, path);
      const app = this.plane.resources.get(appId.toLowerCase());
      if (!app) throw this.plane.notFound(appId);
      return this.plane.apps.revisionsRequest(method, app, revision, action);
    }
    const parsed = parseResourceId(path);
    if (!parsed) {
      const collection = parseResourceId(path, true);
      if (!collection) throw new ArmError(404, 'InvalidResourceType', `The resource type could not be found for the path '${path}'.`);
      if (method !== 'GET') throw methodNotAllowed(method);
      if (!apiVersion) throw missingApiVersion();
      this.plane.authorize(`${collection.type}/read`, path);
      const types = collection.type.split('/');
      if (collection.scopeId) {
        if (!this.plane.resources.has(collection.scopeId.toLowerCase())) throw this.plane.notFound(collection.scopeId);
        return {
          status: 200,
          body: { value: this.plane.list({ resourceGroup: collection.resourceGroup, scopeId: collection.scopeId, type: collection.type }) },
        };
      }
      const parentId = path.split('/').slice(0, -1).join('/');
      if (types.length < 3 || !this.plane.resources.has(parentId.toLowerCase())) throw this.plane.notFound(parentId);
      return {
        status: 200,
        body: { value: this.plane.list({ resourceGroup: collection.resourceGroup, parentId, type: collection.type }) },
      };
    }
    if (method === 'GET') {
      if (!apiVersion) throw missingApiVersion();
      return { status: 200, body: this.plane.getResource(path) };
    }
    if (method === 'PUT' || method === 'PATCH') {
      const result = this.plane.putResource(path, apiVersion, body, { patch: method === 'PATCH' });
      const operationId = randomUUID();
      const operation: AsyncOperation = { status: 'InProgress' };
      this.operations.set(operationId, operation);
      const seconds = this.plane.operationSeconds.get(parsed.type.toLowerCase()) ?? 0;
      const ended = new Promise((resolve) => setTimeout(resolve, seconds * 1000));
      void Promise.all([result.done, ended]).then(([error]) => {
        operation.status = error ? 'Failed' : 'Succeeded';
        if (error) operation.error = error;
      });
      // Container Apps takes a PATCH as a JSON merge patch and answers 202 with a Location to poll.
      if (method === 'PATCH' && parsed.type.toLowerCase() === 'microsoft.app/containerapps') {
        void Promise.all([result.done, ended]).then(() => (operation.result = this.plane.getResource(path)));
        return {
          status: 202,
          headers: {
            Location: `${HOST}/subscriptions/${parsed.subscriptionId}/providers/Microsoft.Resources/operationResults/${operationId}?api-version=${OPERATIONS_API_VERSION}`,
            ...this.pollHeaders(),
          },
        };
      }
      return {
        status: method === 'PATCH' ? 200 : result.status,
        body: result.view,
        headers: {
          'Azure-AsyncOperation': `${HOST}/subscriptions/${parsed.subscriptionId}/providers/Microsoft.Resources/operationStatuses/${operationId}?api-version=${OPERATIONS_API_VERSION}`,
          ...this.pollHeaders(),
        },
      };
    }
    throw methodNotAllowed(method);
  }
}

function methodNotAllowed(method: string): ArmError {
  return new ArmError(405, 'MethodNotAllowed', `The requested resource does not support http method '${method}'.`);
}

function running(deployment: DeploymentState): boolean {
  return deployment.provisioningState === 'Running' || deployment.provisioningState === 'Accepted';
}

/** A ResourceGroup: `tags` only when the group has tags; `Deleting` once its deletion was accepted. */
function groupView(group: ResourceGroup): Json {
  return {
    id: group.id,
    name: group.name,
    type: 'Microsoft.Resources/resourceGroups',
    location: group.location,
    ...(group.tags ? { tags: group.tags } : {}),
    properties: { provisioningState: group.deleting ? 'Deleting' : 'Succeeded' },
  };
}

/** What `resources` lists: the envelope of each resource, as ARM's generic list returns it. */
function envelopeOnly(resource: Json): Json {
  const { properties: _properties, ...envelope } = resource;
  return envelope;
}

/** A DeploymentExtended (inline template: no templateLink). */
function deploymentView(deployment: DeploymentState): Json {
  const end = deployment.finishedAt ?? Date.now();
  const { summary } = deployment;
  return {
    id: deployment.id,
    name: deployment.name,
    type: 'Microsoft.Resources/deployments',
    properties: {
      templateHash: summary.templateHash,
      parameters: summary.parameters,
      mode: deployment.mode,
      provisioningState: deployment.provisioningState,
      timestamp: new Date(end).toISOString(),
      duration: isoDuration(end - deployment.startedAt),
      correlationId: deployment.correlationId,
      providers: summary.providers,
      dependencies: summary.dependencies,
      ...(deployment.outputs ? { outputs: deployment.outputs } : {}),
      ...(deployment.provisioningState === 'Succeeded'
        ? {
            outputResources: deployment.operations
              .filter((op) => op.provisioningOperation === 'Create')
              .map((op) => ({ id: op.resource.id })),
          }
        : {}),
      ...(deployment.onErrorDeployment ? { onErrorDeployment: onErrorDeploymentView(deployment.onErrorDeployment) } : {}),
      ...(deployment.error ? { error: deployment.error } : {}),
    },
  };
}

/** A DeploymentOperation (DeploymentOperationProperties has no trackingId). */
function operationView(deployment: DeploymentState, operation: DeploymentState['operations'][number]): Json {
  const end = operation.finishedAt ?? Date.now();
  return {
    id: `${deployment.id}/operations/${operation.operationId}`,
    operationId: operation.operationId,
    properties: {
      provisioningOperation: operation.provisioningOperation,
      provisioningState: operation.provisioningState,
      timestamp: new Date(end).toISOString(),
      duration: isoDuration(end - operation.startedAt),
      ...(operation.provisioningState === 'Running' ? {} : { statusCode: operation.error ? 'BadRequest' : 'OK' }),
      ...(operation.error ? { statusMessage: { status: 'Failed', error: operation.error } } : {}),
      targetResource: { id: operation.resource.id, resourceType: operation.resource.type, resourceName: operation.resource.name },
    },
  };
}
