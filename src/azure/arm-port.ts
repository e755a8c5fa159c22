/**
 * What the application layer asks of Azure Resource Manager (the ArmPort) and how ARM's errors
 * are put to the user. No Azure SDK here: the gate judging a plan loads none of it; arm.ts holds
 * the SDK implementation, loaded only where Azure is called.
 */
import type { Deployment, DeploymentExtended, DeploymentOperation } from '@azure/arm-resources';
import { ConfigurationError } from '../core/errors.js';

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
      : /perform action '[^']*\/read'/i.test(failure.message)
        ? 'Grant the workflow identity "Reader" on the resource group: reading is all the live gate does (README: "Azure access for the workflow"). Role changes take a few minutes to apply.'
        : 'Grant the workflow identity "Contributor" on the resource group, plus "Role Based Access Control Administrator" for the role grants (README: "Azure access for the workflow"). Role changes take a few minutes to apply.',
  LocationNotAvailableForResourceGroup: () => 'Set `region` in the config to one of the regions ARM lists above.',
  LocationNotAvailableForResourceType: (failure, where) =>
    `Set \`region\` in the config to a region that offers this resource type${where(failure.target) ? ` (${where(failure.target)})` : ''}; ARM lists them above.`,
  InvalidResourceGroup: () => 'Rename `resourceGroup` in the config.',
  ResourceGroupNotFound: () =>
    'Check the resource group name (the resource-group input or the config’s `resourceGroup`); provision creates it.',
  InvalidResourceName: (failure, where) => `Rename it in the config${where(failure.target) ? `: ${where(failure.target)}` : ''}.`,
  // The storage provider's own code for a name it refuses (its preflight finding targets the name).
  AccountNameInvalid: (failure, where) => `Rename it in the config${where(failure.target) ? `: ${where(failure.target)}` : ''}.`,
  NoRegisteredProviderFound: () =>
    'The resource provider does not offer this api-version in the region: pick another `region`, or register the provider (`az provider register --namespace <Namespace>`).',
  MissingSubscriptionRegistration: (failure) =>
    `Register the resource provider in the subscription once: \`az provider register --namespace ${/namespace '([A-Za-z0-9.]+)'/.exec(failure.message)?.[1] ?? failure.target ?? '<Namespace>'}\`${/GitHub\.Network/i.test(failure.message) ? ' (GitHub-hosted runners with Azure private networking, network.githubRunners)' : ''}; it takes a few minutes.`,
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

/** What `ArmPort.send` answers. */
export interface ArmResponse {
  status: number;
  body: unknown;
  headers: Record<string, string>;
}

/** A resource as the resource group's list gives it: its id, type and envelope, without properties. */
export interface ListedResource {
  id: string;
  type: string;
  envelope: {
    location?: string | undefined;
    tags?: Record<string, string> | undefined;
    sku?: unknown;
    kind?: string | undefined;
    identity?: unknown;
  };
}

/**
 * What the application layer asks of Azure Resource Manager. `armPort` implements it with the
 * Azure SDK (real Azure, or the sandbox when AZURE_HIPAA_SANDBOX is set); tests pass fakes to
 * reach failure branches quickly. Methods throw the SDK's errors; callers turn them into ARM's
 * words with `armError`.
 */
export interface ArmPort {
  readonly subscriptionId: string;
  /** A GET of any ARM path (a resource, a collection, an extension resource), with its status; never throws on an HTTP status. */
  get(path: string, apiVersion: string): Promise<{ status: number; body: unknown }>;
  /**
   * Any ARM request (a resource's PATCH, a POST action, a long-running operation's status), with
   * its status, body and headers (lower-case names); never throws on an HTTP status. `path` is an
   * ARM path, or the absolute URL a long-running operation gave to poll (its api-version inside).
   */
  send(method: 'GET' | 'PUT' | 'PATCH' | 'POST' | 'DELETE', path: string, apiVersion?: string, body?: unknown): Promise<ArmResponse>;
  listResources(resourceGroup: string): Promise<ListedResource[]>;
  /** The group, or undefined when it does not exist. */
  getResourceGroup(name: string): Promise<{ location: string; tags?: Record<string, string> } | undefined>;
  putResourceGroup(name: string, group: { location: string; tags: Record<string, string> }): Promise<void>;
  /** What-if's raw response body: the SDK's model loses scalar before/after values. */
  whatIf(resourceGroup: string, deploymentName: string, deployment: Deployment): Promise<string>;
  validate(resourceGroup: string, deploymentName: string, deployment: Deployment): Promise<void>;
  /** Starts a deployment; returns the polling interval ARM asks for, in ms, if it says. */
  startDeployment(resourceGroup: string, deploymentName: string, deployment: Deployment): Promise<number | undefined>;
  getDeployment(resourceGroup: string, deploymentName: string): Promise<{ deployment: DeploymentExtended; retryAfterMs?: number }>;
  listDeploymentOperations(resourceGroup: string, deploymentName: string): Promise<DeploymentOperation[]>;
}
