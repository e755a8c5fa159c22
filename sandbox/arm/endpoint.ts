import { randomUUID } from 'node:crypto';
import { ArmError, isObject, missingApiVersion, parseResourceId, type ArmErrorBody, type Json } from './resources.js';
import type { ArmPlane, DeploymentState } from './plane.js';
import type { Reply } from '../http.js';

const HOST = 'https://management.azure.com';
const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const OPERATIONS_API_VERSION = '2022-12-01';

interface AsyncOperation {
  status: 'InProgress' | 'Succeeded' | 'Failed';
  error?: ArmErrorBody;
  /** What GET on the operation-result URL returns once done (what-if). */
  result?: unknown;
}

/** Azure Resource Manager's REST surface over an ArmPlane: routes, long-running-operation headers, error bodies. */
export class ArmEndpoint {
  private readonly operations = new Map<string, AsyncOperation>();

  constructor(private readonly plane: ArmPlane) {}

  /** How long clients should wait between polls: a few seconds of Azure time, scaled like everything else. */
  private pollHeaders(): Record<string, string> {
    const ms = Math.min(5000, Math.max(10, Math.round(5000 * this.plane.timeScale)));
    return { 'Retry-After': String(Math.round(ms / 1000)), 'retry-after-ms': String(ms) };
  }

  handle(method: string, url: URL, rawBody: string): Reply {
    try {
      return this.route(method, url, rawBody);
    } catch (error) {
      if (error instanceof ArmError) return { status: error.status, body: { error: error.body() } };
      throw error;
    }
  }

  private route(method: string, url: URL, rawBody: string): Reply {
    const segments = url.pathname.split('/').filter(Boolean);
    const lower = segments.map((s) => s.toLowerCase());
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
      throw new ArmError(404, 'InvalidResourceType', `The resource type could not be found for '${url.pathname}'.`);
    const subscriptionId = segments[1];
    if (!GUID.test(subscriptionId))
      throw new ArmError(400, 'InvalidSubscriptionId', `The provided subscription identifier '${subscriptionId}' is malformed or invalid.`);
    if (subscriptionId.toLowerCase() !== this.plane.identity.subscriptionId.toLowerCase())
      throw new ArmError(404, 'SubscriptionNotFound', `The subscription '${subscriptionId}' could not be found.`);
    if (segments.length === 2)
      return {
        status: 200,
        body: {
          id: `/subscriptions/${subscriptionId}`,
          subscriptionId,
          tenantId: this.plane.identity.tenantId,
          displayName: 'azure-hipaa sandbox',
          state: 'Enabled',
        },
      };
    if (
      lower[2] === 'providers' &&
      lower[3] === 'microsoft.resources' &&
      (lower[4] === 'operationstatuses' || lower[4] === 'operationresults') &&
      segments[5]
    )
      return this.operation(segments[5], lower[4] === 'operationresults');

    if (lower[2] !== 'resourcegroups' || !segments[3])
      throw new ArmError(404, 'InvalidResourceType', `The sandbox does not serve '${url.pathname}'.`);
    const group = segments[3];
    if (segments.length === 4) return this.resourceGroup(method, group, body);
    this.plane.requireResourceGroup(group);
    if (lower[4] === 'resources' && segments.length === 5 && method === 'GET') {
      this.plane.authorize('Microsoft.Resources/subscriptions/resourceGroups/resources/read', this.plane.resourceGroupId(group));
      return { status: 200, body: { value: this.plane.list({ resourceGroup: group }).map(envelopeOnly) } };
    }
    // Deployment operations are served both under providers/Microsoft.Resources and directly under the group.
    if (lower[4] === 'providers' && lower[5] === 'microsoft.resources' && lower[6] === 'deployments' && segments[7])
      return this.deployment(method, group, segments[7], lower.slice(8), segments.slice(8), body);
    if (lower[4] === 'deployments' && segments[5])
      return this.deployment(method, group, segments[5], lower.slice(6), segments.slice(6), body);
    return this.resource(method, url, body);
  }

  private resourceGroup(method: string, name: string, body: Json): Reply {
    if (method === 'PUT') {
      const { status, group } = this.plane.putResourceGroup(name, body);
      return { status, body: groupView(group) };
    }
    this.plane.authorize('Microsoft.Resources/subscriptions/resourceGroups/read', this.plane.resourceGroupId(name));
    if (method === 'HEAD') return { status: this.plane.resourceGroups.has(name.toLowerCase()) ? 204 : 404 };
    if (method === 'GET') return { status: 200, body: groupView(this.plane.requireResourceGroup(name)) };
    throw new ArmError(405, 'MethodNotAllowed', `The sandbox does not support ${method} on resource groups.`);
  }

  private deployment(method: string, group: string, name: string, action: string[], actionSegments: string[], body: Json): Reply {
    const [verb] = action;
    if (verb === undefined && method === 'PUT') {
      const deployment = this.plane.startDeployment(group, name, body);
      return {
        status: 201,
        body: deploymentView(deployment),
        headers: {
          'Azure-AsyncOperation': `${HOST}${deployment.id}/operationStatuses/${deployment.correlationId}?api-version=${OPERATIONS_API_VERSION}`,
          ...this.pollHeaders(),
        },
      };
    }
    if (verb === undefined && method === 'GET') {
      const deployment = this.plane.getDeployment(group, name);
      return { status: 200, body: deploymentView(deployment), headers: running(deployment) ? this.pollHeaders() : {} };
    }
    if (verb === 'operationstatuses' && method === 'GET') {
      const deployment = this.plane.getDeployment(group, name);
      return {
        status: 200,
        body: {
          status: running(deployment) ? 'Running' : deployment.provisioningState,
          ...(deployment.error ? { error: deployment.error } : {}),
        },
        headers: this.pollHeaders(),
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
        return { status: 200, body: found };
      }
      return { status: 200, body: { value: views } };
    }
    if (verb === 'exporttemplate' && method === 'POST')
      return { status: 200, body: { template: this.plane.getDeployment(group, name).template } };
    if (verb === 'validate' && method === 'POST') return { status: 200, body: this.plane.validate(group, name, body) };
    if (verb === 'whatif' && method === 'POST') {
      const result = this.plane.whatIf(group, name, body);
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
    throw new ArmError(405, 'MethodNotAllowed', `The sandbox does not support ${method} on deployments/${action.join('/')}.`);
  }

  private operation(operationId: string, result: boolean): Reply {
    const operation = this.operations.get(operationId);
    if (!operation) throw new ArmError(404, 'OperationNotFound', `Operation '${operationId}' could not be found.`);
    if (operation.status === 'InProgress')
      return {
        status: result ? 202 : 200,
        body: result ? undefined : { id: operationId, name: operationId, status: 'InProgress' },
        headers: this.pollHeaders(),
      };
    if (result) return { status: 200, body: operation.result };
    return {
      status: 200,
      body: { id: operationId, name: operationId, status: operation.status, ...(operation.error ? { error: operation.error } : {}) },
    };
  }

  private resource(method: string, url: URL, body: Json): Reply {
    const path = url.pathname.replace(/\/+$/, '');
    const apiVersion = url.searchParams.get('api-version') ?? undefined;
    const parsed = parseResourceId(path);
    if (!parsed) {
      const collection = parseResourceId(path, true);
      if (!collection || method !== 'GET') throw new ArmError(404, 'InvalidResourceType', `The sandbox does not serve '${path}'.`);
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
      void result.done.then((error) => {
        operation.status = error ? 'Failed' : 'Succeeded';
        if (error) operation.error = error;
      });
      return {
        status: method === 'PATCH' ? 200 : result.status,
        body: result.view,
        headers: {
          'Azure-AsyncOperation': `${HOST}/subscriptions/${parsed.subscriptionId}/providers/Microsoft.Resources/operationStatuses/${operationId}?api-version=${OPERATIONS_API_VERSION}`,
          ...this.pollHeaders(),
        },
      };
    }
    throw new ArmError(405, 'MethodNotAllowed', `The sandbox does not support ${method} on resources.`);
  }
}

function running(deployment: DeploymentState): boolean {
  return deployment.provisioningState === 'Running' || deployment.provisioningState === 'Accepted';
}

function groupView(group: { id: string; name: string; location: string; tags: Record<string, string> }): Json {
  return {
    id: group.id,
    name: group.name,
    type: 'Microsoft.Resources/resourceGroups',
    location: group.location,
    tags: group.tags,
    properties: { provisioningState: 'Succeeded' },
  };
}

/** What `resources` lists: the envelope of each resource, as ARM's generic list returns it. */
function envelopeOnly(resource: Json): Json {
  const { properties: _properties, ...envelope } = resource;
  return envelope;
}

function isoDuration(ms: number): string {
  return `PT${(ms / 1000).toFixed(3)}S`;
}

function deploymentView(deployment: DeploymentState): Json {
  const end = deployment.finishedAt ?? Date.now();
  return {
    id: deployment.id,
    name: deployment.name,
    type: 'Microsoft.Resources/deployments',
    properties: {
      provisioningState: deployment.provisioningState,
      mode: deployment.mode,
      timestamp: new Date(end).toISOString(),
      duration: isoDuration(end - deployment.startedAt),
      correlationId: deployment.correlationId,
      ...(deployment.outputs ? { outputs: deployment.outputs } : {}),
      ...(deployment.provisioningState === 'Succeeded'
        ? { outputResources: deployment.operations.map((op) => ({ id: op.resource.id })) }
        : {}),
      ...(deployment.error ? { error: deployment.error } : {}),
    },
  };
}

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
      trackingId: operation.operationId,
      ...(operation.provisioningState === 'Running' ? {} : { statusCode: operation.error ? 'BadRequest' : 'OK' }),
      ...(operation.error ? { statusMessage: { status: 'Failed', error: operation.error } } : {}),
      targetResource: { id: operation.resource.id, resourceType: operation.resource.type, resourceName: operation.resource.name },
    },
  };
}
