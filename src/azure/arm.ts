import { ResourceManagementClient } from '@azure/arm-resources';
import { createPipelineRequest, type PipelineResponse } from '@azure/core-rest-pipeline';
import { ConfigurationError } from '../core/errors.js';
import { azureClientOptions, azureCredential } from './credential.js';

export const ARM_ENDPOINT = 'https://management.azure.com';

/** An Azure Resource Manager client for one subscription: DefaultAzureCredential, or the sandbox when AZURE_HIPAA_SANDBOX is set. */
export function resourceManager(env: NodeJS.ProcessEnv, subscriptionId: string): ResourceManagementClient {
  return new ResourceManagementClient(azureCredential(env), subscriptionId, azureClientOptions(env));
}

/** The subscription: the given one, else AZURE_SUBSCRIPTION_ID as azure/login leaves it. */
export function subscriptionOf(given: string | undefined, env: NodeJS.ProcessEnv, input = 'subscription-id'): string {
  const subscriptionId = given ?? env['AZURE_SUBSCRIPTION_ID'];
  if (!subscriptionId)
    throw new ConfigurationError(
      `No Azure subscription: set the ${input} input, or run azure/login with subscription-id so AZURE_SUBSCRIPTION_ID is set.`,
    );
  return subscriptionId;
}

/** Type and full name from a resource id (`Microsoft.Sql/servers/databases`, `server/db`); an extension resource gives its own. */
export function typeAndNameOf(resourceId: string): { type: string; name: string } {
  const tail = resourceId.split(/\/providers\//i).at(-1) ?? '';
  const [namespace, ...pairs] = tail.split('/');
  return { type: [namespace, ...pairs.filter((_, i) => i % 2 === 0)].join('/'), name: pairs.filter((_, i) => i % 2 === 1).join('/') };
}

/** ARM's error body: `{ error: { code, message, target?, details? } }`. */
export interface ArmFailure {
  code: string;
  message: string;
  target?: string;
  details?: ArmFailure[];
}

/** ARM's error from whatever an SDK call threw: a RestError with a CloudError body, or a failed long-running operation. */
export function armFailureOf(error: unknown): ArmFailure | undefined {
  if (error === null || typeof error !== 'object') return undefined;
  const candidate = error as { code?: unknown; message?: unknown; details?: unknown; response?: { bodyAsText?: string } };
  const fromBody = (text: string | undefined): ArmFailure | undefined => {
    try {
      const parsed = JSON.parse(text ?? '') as { error?: ArmFailure };
      return parsed.error?.code ? parsed.error : undefined;
    } catch {
      return undefined;
    }
  };
  const details = candidate.details as { error?: ArmFailure } | undefined;
  if (details?.error?.code) return details.error;
  const parsed = fromBody(candidate.response?.bodyAsText);
  if (parsed) return parsed;
  if (typeof candidate.code === 'string' && typeof candidate.message === 'string' && /^[A-Z][A-Za-z]+$/.test(candidate.code))
    return { code: candidate.code, message: candidate.message };
  return undefined;
}

/** What to change for ARM errors the user can fix; the key is ARM's error code. */
const REMEDIES: Record<string, (failure: ArmFailure, where: (target?: string) => string | undefined) => string> = {
  SubscriptionNotFound: () =>
    'Check the subscription id (the subscription-id input, or AZURE_SUBSCRIPTION_ID from azure/login): the workflow identity must be able to see it (`az account list`).',
  InvalidSubscriptionId: () => 'The subscription id must be a GUID: set the subscription-id input, or AZURE_SUBSCRIPTION_ID.',
  AuthorizationFailed: (failure) =>
    /roleAssignments\/write/i.test(failure.message)
      ? 'Grant the workflow identity "Role Based Access Control Administrator" (or "User Access Administrator") on the resource group: the template grants the app identity its roles (README: "Azure access for the workflow").'
      : 'Grant the workflow identity "Contributor" on the resource group, plus "Role Based Access Control Administrator" for the role grants (README: "Azure access for the workflow"). Role changes take a few minutes to apply.',
  LocationNotAvailableForResourceGroup: () => 'Set `region` in the config to one of the regions ARM lists above.',
  LocationNotAvailableForResourceType: (failure, where) =>
    `Set \`region\` in the config to a region that offers this resource type${where(failure.target) ? ` (${where(failure.target)})` : ''}; ARM lists them above.`,
  InvalidResourceGroup: () => 'Rename `resourceGroup` in the config.',
  ResourceGroupNotFound: () =>
    'Check the resource group name (the resource-group input or the config’s `resourceGroup`); provision creates it.',
  InvalidResourceName: (failure, where) => `Rename it in the config${where(failure.target) ? `: ${where(failure.target)}` : ''}.`,
  NoRegisteredProviderFound: () =>
    'The resource provider does not offer this api-version in the region: pick another `region`, or register the provider (`az provider register --namespace <Namespace>`).',
  MissingSubscriptionRegistration: () =>
    'Register the resource provider in the subscription once: `az provider register --namespace <Namespace>`.',
  ContainerAppOperationError: () =>
    "The app's revision did not start: check containerApp.image, containerApp.targetPort and containerApp.healthPath in the config.",
  DeploymentActive: () =>
    'Another deployment to this resource group is still running; wait for it to finish (the deploy workflows use a concurrency group so this does not happen).',
};
const NAME_TAKEN = new Set([
  'VaultAlreadyExists',
  'StorageAccountAlreadyTaken',
  'ServerNameAlreadyExists',
  'AlreadyInUse',
  'NameNotAvailable',
  'ConflictError',
]);

/** What to change for the user-fixable codes in a failure and its inner errors. */
export function remediesFor(failure: ArmFailure, where: (target?: string) => string | undefined): string[] {
  const remedies: string[] = [];
  const visit = (item: ArmFailure) => {
    const remedy =
      REMEDIES[item.code]?.(item, where) ??
      (NAME_TAKEN.has(item.code) || /already (exists|in use|taken)/i.test(item.message)
        ? `The name is global across Azure and is taken: choose another${where(item.target) ? ` (${where(item.target)})` : ''}.`
        : undefined);
    if (remedy && !remedies.includes(remedy)) remedies.push(remedy);
    for (const detail of item.details ?? []) visit(detail);
  };
  visit(failure);
  return remedies;
}

/** ARM's code and message, inner errors indented, one per line. */
export function describeArmFailure(failure: ArmFailure, indent = ''): string {
  const target = failure.target ? ` (${failure.target})` : '';
  return [
    `${indent}${failure.code}: ${failure.message}${target}`,
    ...(failure.details ?? []).map((detail) => describeArmFailure(detail, `${indent}  `)),
  ].join('\n');
}

/**
 * Turns an SDK error into ARM's words plus what to change: a ConfigurationError when the user can
 * fix it (subscription, region, names, permissions), otherwise an Error with ARM's code and message.
 */
export function armError(error: unknown, doing: string, where: (target?: string) => string | undefined = () => undefined): Error {
  const failure = armFailureOf(error);
  if (!failure)
    return error instanceof Error
      ? new Error(`${doing} failed: ${error.message}`, { cause: error })
      : new Error(`${doing} failed: ${String(error)}`);
  const remedies = remediesFor(failure, where);
  const text = `${doing} failed. Azure Resource Manager says:\n${describeArmFailure(failure, '  ')}`;
  if (remedies.length === 0) return new Error(text, { cause: error });
  return new ConfigurationError(`${text}\nWhat to change:\n${remedies.map((remedy) => `  - ${remedy}`).join('\n')}`);
}

/**
 * A GET of any ARM path through the client's pipeline (credential, retries, sandbox routing),
 * for resources and collections the typed SDK does not model (`.../tables`, diagnostic settings).
 */
export async function armGet(
  client: ResourceManagementClient,
  path: string,
  apiVersion: string,
): Promise<{ status: number; body: unknown; response: PipelineResponse }> {
  const response = await client.sendRequest(
    createPipelineRequest({ url: `${ARM_ENDPOINT}${path}?api-version=${apiVersion}`, method: 'GET' }),
  );
  let body: unknown;
  try {
    body = response.bodyAsText ? JSON.parse(response.bodyAsText) : undefined;
  } catch {
    body = response.bodyAsText;
  }
  return { status: response.status, body, response };
}

/** The polling interval a response asks for (`retry-after-ms`, `x-ms-retry-after-ms`, `Retry-After`), within bounds. */
export function retryAfterMs(headers: { get(name: string): string | undefined }, fallbackMs: number): number {
  const milliseconds = headers.get('retry-after-ms') ?? headers.get('x-ms-retry-after-ms');
  const seconds = headers.get('retry-after');
  const asked = milliseconds !== undefined ? Number(milliseconds) : seconds !== undefined ? Number(seconds) * 1000 : fallbackMs;
  return Math.min(30_000, Math.max(10, Number.isFinite(asked) ? asked : fallbackMs));
}
