/**
 * src/azure holds the adapters to Azure (the ARM port, Key Vault, the credential and the sandbox
 * routing) and the registry of resource types (resource-types.ts), which every layer may read.
 */
import { ResourceManagementClient, type DeploymentOperation } from '@azure/arm-resources';
import type { CommonClientOptions } from '@azure/core-client';
import { createHttpHeaders, createPipelineRequest, type PipelinePolicy } from '@azure/core-rest-pipeline';
import type { TokenCredential } from '@azure/identity';
import { armFailureOf, type ArmPort, type ListedResource } from './arm-port.js';
import { azureClientOptions, azureCredential } from './credential.js';

export const ARM_ENDPOINT = 'https://management.azure.com';

/** The polling interval a response asks for (`retry-after-ms`, `x-ms-retry-after-ms`, `Retry-After`), within bounds. */
export function retryAfterMs(headers: { get(name: string): string | undefined }, fallbackMs: number): number {
  const milliseconds = headers.get('retry-after-ms') ?? headers.get('x-ms-retry-after-ms');
  const seconds = headers.get('retry-after');
  const asked = milliseconds !== undefined ? Number(milliseconds) : seconds !== undefined ? Number(seconds) * 1000 : fallbackMs;
  return Math.min(30_000, Math.max(10, Number.isFinite(asked) ? asked : fallbackMs));
}

/** Where Resource Manager is and how to sign in to it. */
export interface ArmConnection {
  /** The Resource Manager endpoint in use, e.g. https://management.azure.com. */
  endpoint: string;
  credential: TokenCredential;
  /** Pipeline options: the sandbox's HTTP client, TLS settings. */
  clientOptions?: CommonClientOptions;
}

/** Public Azure's Resource Manager with DefaultAzureCredential, or the sandbox when AZURE_HIPAA_SANDBOX is set. */
export function armConnection(env: NodeJS.ProcessEnv): ArmConnection {
  return { endpoint: ARM_ENDPOINT, credential: azureCredential(env), clientOptions: azureClientOptions(env) };
}

/**
 * Resource Manager's token goes to the endpoint in use and nowhere else. ARM's answers name the
 * next address to call (a long-running operation's Location or Azure-AsyncOperation, a list's
 * nextLink), and the SDK and the rollout follow them with the token: any request this client
 * sends must be https on the endpoint's origin, or it is refused before it is signed or sent.
 */
export function armOriginOnly(endpoint: string): PipelinePolicy {
  const origin = new URL(endpoint).origin;
  return {
    name: 'armOriginOnly',
    sendRequest: (request, next) => {
      let target: string;
      try {
        target = new URL(request.url).origin;
      } catch {
        target = 'an address that does not parse';
      }
      if (target !== origin || !origin.startsWith('https://'))
        throw new Error(
          `${target} is not the Resource Manager endpoint in use (${origin}): its token goes nowhere else. Azure named that address to call next (a long-running operation's Location or Azure-AsyncOperation, or a list's nextLink); nothing was sent to it.`,
        );
      return next(request);
    },
  };
}

/** An ArmPort over `@azure/arm-resources` for one subscription. */
export function armPort(env: NodeJS.ProcessEnv, subscriptionId: string, connection: ArmConnection = armConnection(env)): ArmPort {
  const client = new ResourceManagementClient(connection.credential, subscriptionId, {
    ...connection.clientOptions,
    endpoint: connection.endpoint,
  });
  // No phase: it runs before the retry, redirect and signing policies.
  client.pipeline.addPolicy(armOriginOnly(connection.endpoint));
  const askedInterval = (response: { headers: { get(name: string): string | undefined } }) =>
    (response.headers.get('retry-after-ms') ?? response.headers.get('x-ms-retry-after-ms') ?? response.headers.get('retry-after'))
      ? retryAfterMs(response.headers, 5000)
      : undefined;
  const send: ArmPort['send'] = async (method, path, apiVersion, body) => {
    const url = path.startsWith('https://') ? path : `${connection.endpoint}${path}${apiVersion ? `?api-version=${apiVersion}` : ''}`;
    const response = await client.sendRequest(
      createPipelineRequest({
        url,
        method,
        ...(body !== undefined ? { body: JSON.stringify(body), headers: createHttpHeaders({ 'content-type': 'application/json' }) } : {}),
      }),
    );
    let parsed: unknown;
    try {
      parsed = response.bodyAsText ? JSON.parse(response.bodyAsText) : undefined;
    } catch {
      parsed = response.bodyAsText;
    }
    return { status: response.status, body: parsed, headers: response.headers.toJSON() };
  };
  return {
    subscriptionId,
    async get(path, apiVersion) {
      const { status, body } = await send('GET', path, apiVersion);
      return { status, body };
    },
    send,
    async listResources(resourceGroup) {
      const listed: ListedResource[] = [];
      for await (const { id, type, location, tags, sku, kind, identity } of client.resources.listByResourceGroup(resourceGroup)) {
        if (id && type) listed.push({ id, type, envelope: { location, tags, sku, kind, identity } });
      }
      return listed;
    },
    async getResourceGroup(name) {
      try {
        const group = await client.resourceGroups.get(name);
        return { location: group.location, ...(group.tags ? { tags: group.tags } : {}) };
      } catch (error) {
        if (armFailureOf(error)?.code === 'ResourceGroupNotFound') return undefined;
        throw error;
      }
    },
    async putResourceGroup(name, group) {
      await client.resourceGroups.createOrUpdate(name, group);
    },
    async whatIf(resourceGroup, deploymentName, deployment) {
      let rawBody: string | undefined;
      await client.deployments.beginWhatIfAndWait(resourceGroup, deploymentName, deployment, {
        onResponse: (response) => {
          if (response.status === 200 && response.bodyAsText) rawBody = response.bodyAsText;
        },
      });
      if (!rawBody) throw new Error(`What-if of deployment ${deploymentName} returned no result.`);
      return rawBody;
    },
    async validate(resourceGroup, deploymentName, deployment) {
      await client.deployments.beginValidateAndWait(resourceGroup, deploymentName, deployment);
    },
    async startDeployment(resourceGroup, deploymentName, deployment) {
      let interval: number | undefined;
      await client.deployments.beginCreateOrUpdate(resourceGroup, deploymentName, deployment, {
        onResponse: (response) => void (interval = askedInterval(response)),
      });
      return interval;
    },
    async getDeployment(resourceGroup, deploymentName) {
      let interval: number | undefined;
      const deployment = await client.deployments.get(resourceGroup, deploymentName, {
        onResponse: (response) => void (interval = askedInterval(response)),
      });
      return { deployment, ...(interval !== undefined ? { retryAfterMs: interval } : {}) };
    },
    async listDeploymentOperations(resourceGroup, deploymentName) {
      const operations: DeploymentOperation[] = [];
      for await (const operation of client.deploymentOperations.list(resourceGroup, deploymentName)) operations.push(operation);
      return operations;
    },
  };
}
