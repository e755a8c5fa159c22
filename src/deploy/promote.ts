/**
 * Promote by digest: an image built and pushed to the build registry (reachable from any runner)
 * is imported into the environment's registry through Resource Manager with ACR's `importImage`,
 * the source given by resource id. Microsoft's "Import container images" page: with access to the
 * target registry its public endpoint is not needed, and a network-restricted registry must allow
 * trusted services (the template sets `networkRuleBypassOptions: AzureServices`). The identity needs
 * "Container Registry Data Importer and Data Reader" on both registries.
 */
import type { EnvironmentConfig } from '../config/schema.js';
import { armError, armFailureOf, type ArmPort, type ArmResponse } from '../azure/arm-port.js';
import { writeAndWait } from '../azure/operations.js';
import { apiVersionOf } from '../azure/resource-types.js';
import { ConfigurationError } from '../core/errors.js';
import { COMMIT_ENV } from './rollout.js';
import type { Logger } from '../core/logger.js';

export const IMPORTER_ROLE = 'Container Registry Data Importer and Data Reader';
const REGISTRY_TYPE = 'Microsoft.ContainerRegistry/registries';
const APP_TYPE = 'Microsoft.App/containerApps';

/** A registry of the environment: the production one, or the build registry images are promoted from. */
export interface EnvironmentRegistry {
  name: string;
  loginServer: string;
  resourceGroup: string;
  subscriptionId: string;
  id: string;
}

/** The environment's registries from its config: production's, and the build registry when the config names one. */
export function environmentRegistries(
  config: EnvironmentConfig,
  subscriptionId: string,
): { production: EnvironmentRegistry; build?: EnvironmentRegistry } {
  const registry = (name: string, resourceGroup: string, subscription: string): EnvironmentRegistry => ({
    name: name.toLowerCase(),
    loginServer: `${name.toLowerCase()}.azurecr.io`,
    resourceGroup,
    subscriptionId: subscription,
    id: `/subscriptions/${subscription}/resourceGroups/${resourceGroup}/providers/${REGISTRY_TYPE}/${name}`,
  });
  const { build } = config.registry;
  return {
    production: registry(config.registry.name, config.resourceGroup, subscriptionId),
    ...(build ? { build: registry(build.name, build.resourceGroup, build.subscriptionId ?? subscriptionId) } : {}),
  };
}

export interface ImportRequest {
  arm: ArmPort;
  from: EnvironmentRegistry;
  to: EnvironmentRegistry;
  repository: string;
  digest: string;
  /** Tags to set in the target (the commit's, and any extra), all on this digest. */
  tags: string[];
  logger: Logger;
  signal?: AbortSignal;
  sleep?: (ms: number) => Promise<void>;
}

/** Imports `repository@digest` from one registry into the other and waits for the copy; the result is the target's image by digest. */
export async function importByDigest(request: ImportRequest): Promise<string> {
  const { arm, from, to, repository, digest, logger } = request;
  const doing = `Importing ${from.loginServer}/${repository}@${digest} into ${to.loginServer}`;
  logger.info(`${doing} through Resource Manager (importImage, source by resource id)`);
  const body = {
    source: { resourceId: from.id, sourceImage: `${repository}@${digest}` },
    targetTags: [...new Set(request.tags)].map((tag) => `${repository}:${tag}`),
    // The tags follow this digest even where an earlier build of the same commit set them.
    mode: 'Force',
  };
  await writeAndWait(arm, 'POST', `${to.id}/importImage`, apiVersionOf(REGISTRY_TYPE), body, {
    doing,
    refused: (response) => importProblem(response, request, doing),
    ...(request.sleep ? { sleep: request.sleep } : {}),
    ...(request.signal ? { signal: request.signal } : {}),
  });
  const image = `${to.loginServer}/${repository}@${digest}`;
  logger.info(`Imported: ${image} (from ${from.loginServer})`);
  return image;
}

/**
 * The image the app already runs for this deploy, so nothing needs importing: this image in an active
 * revision (the environment's registry holds it), or the image of the revision serving all traffic when
 * it runs this commit (a re-run on a fresh runner builds another digest of the same code, which the
 * rollout then leaves alone). Undefined when an import is needed.
 */
export async function imageTheAppRuns(
  arm: ArmPort,
  config: EnvironmentConfig,
  image: string,
  commit?: string,
): Promise<string | undefined> {
  const app = `/subscriptions/${arm.subscriptionId}/resourceGroups/${config.resourceGroup}/providers/${APP_TYPE}/${config.containerApp.name}`;
  const response = await arm.send('GET', `${app}/revisions`, apiVersionOf(APP_TYPE)).catch(() => undefined);
  if (!response || response.status !== 200) return undefined;
  type Container = { image?: string; env?: { name?: string; value?: unknown }[] };
  const revisions = (
    response.body as { value?: { properties?: { active?: boolean; trafficWeight?: number; template?: { containers?: Container[] } } }[] }
  ).value;
  const active = (revisions ?? []).filter(({ properties }) => properties?.active !== false);
  if (active.some(({ properties }) => properties?.template?.containers?.some((container) => container.image === image))) return image;
  const serving = active.find(({ properties }) => properties?.trafficWeight === 100)?.properties?.template?.containers?.[0];
  const stamp = serving?.env?.find((variable) => variable.name === COMMIT_ENV)?.value;
  return commit !== undefined && typeof stamp === 'string' && stamp.toLowerCase() === commit.toLowerCase() ? serving?.image : undefined;
}

/** An import ACR refused, in words that say what to change. */
function importProblem(response: ArmResponse, request: ImportRequest, doing: string): Error {
  const failure = armFailureOf({ details: response.body });
  const { from, to } = request;
  if (failure?.code === 'AuthorizationFailed') {
    const scope = /scope '([^']+)'/.exec(failure.message)?.[1] ?? to.id;
    const registry = scope.toLowerCase() === from.id.toLowerCase() ? from : to;
    return new ConfigurationError(
      `${doing} was refused: the deploy identity lacks '${IMPORTER_ROLE}' on the ${registry === from ? 'build' : "environment's"} registry ${registry.name}. Grant it: az role assignment create --role "${IMPORTER_ROLE}" --assignee <the deploy identity's object id> --scope ${registry.id}${registry === to ? ' (provision grants it when it runs as the deploy identity)' : ''}.`,
    );
  }
  if (failure?.code === 'ResourceNotFound') {
    const missing = failure.message.toLowerCase().includes(`/${from.name}'`) ? from : to;
    return new ConfigurationError(
      `${doing} failed: registry ${missing.name} was not found in resource group ${missing.resourceGroup} of subscription ${missing.subscriptionId}. ${missing === from ? 'Check registry.build in the config (name, resourceGroup, subscriptionId), or set registry.build.create: true so provision creates it.' : 'Provision the environment first.'}`,
    );
  }
  if (failure?.code === 'ImportImageFailed' && /trusted/i.test(failure.message))
    return new ConfigurationError(
      `${doing} failed: ${failure.message} Set networkRuleBypassOptions to AzureServices on that registry (provision renders it so for the environment's registry).`,
    );
  if (failure?.code === 'MissingSubscriptionRegistration')
    return new ConfigurationError(
      `${doing} failed: ${failure.message} Register it once: az provider register --namespace Microsoft.ContainerRegistry.`,
    );
  return armError({ details: response.body }, doing);
}
