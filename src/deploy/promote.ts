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
import { COMMIT_ENV } from './container-apps.js';
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

/** Another environment (staging) that must already run an image before this one (production) takes it. */
export interface DeployedInRequest {
  /** Resource Manager in the other environment's subscription. */
  arm: ArmPort;
  /** That environment's config, and its path as the input gave it (for the messages). */
  config: EnvironmentConfig;
  configPath: string;
  /** The image to promote, by digest. */
  image: string;
  digest: string;
  logger: Logger;
}

interface TrafficEntry {
  revisionName?: string;
  latestRevision?: boolean;
  weight?: number;
  label?: string;
}

/**
 * Refuses unless the other environment's app has promoted this digest: an active revision running it
 * (in either of that environment's registries) that holds traffic other than as the rollout's
 * `candidate` (one still being tried, or a stage-candidate run nobody promoted), or that keeps the
 * label `previous` (it served all traffic until a newer push replaced it). The digest, not the tag or
 * commit, is compared: it is what production would run.
 */
export async function requireDeployedIn(request: DeployedInRequest): Promise<string> {
  const { arm, config, configPath, digest } = request;
  const app = `/subscriptions/${arm.subscriptionId}/resourceGroups/${config.resourceGroup}/providers/${APP_TYPE}/${config.containerApp.name}`;
  const where = `${config.containerApp.name} in resource group ${config.resourceGroup} (require-deployed-in: ${configPath})`;
  const read = async (path: string) => {
    const response = await arm.get(path, apiVersionOf(APP_TYPE));
    if (response.status === 200) return response.body;
    const failure = armFailureOf({ details: response.body });
    if (response.status === 404)
      throw new ConfigurationError(
        `Refusing to deploy ${request.image}: ${where} does not exist, so it cannot have run this image. Deploy to that environment first, or check require-deployed-in.`,
      );
    if (response.status === 403 || failure?.code === 'AuthorizationFailed')
      throw new ConfigurationError(
        `Cannot check that ${where} runs ${digest}: the deploy identity may not read it. Grant it Reader on that app: az role assignment create --role Reader --assignee <the deploy identity's object id> --scope ${app}.`,
      );
    throw armError({ details: response.body }, `Reading ${where}`);
  };
  type Revision = { name?: string; properties?: { active?: boolean; template?: { containers?: { image?: string }[] } } };
  const appBody = (await read(app)) as {
    properties?: { latestRevisionName?: string; configuration?: { ingress?: { traffic?: TrafficEntry[] } } };
  };
  const revisions = ((await read(`${app}/revisions`)) as { value?: Revision[] }).value ?? [];
  const traffic = (appBody.properties?.configuration?.ingress?.traffic ?? []).map((entry) =>
    entry.latestRevision ? { ...entry, revisionName: appBody.properties?.latestRevisionName } : entry,
  );
  const promoted = (name: string | undefined) =>
    traffic.some(
      (entry) => entry.revisionName === name && (entry.label === 'previous' || ((entry.weight ?? 0) > 0 && entry.label !== 'candidate')),
    );
  const registries = Object.values(environmentRegistries(config, arm.subscriptionId)).map((registry) => registry.loginServer);
  const images = (revision: Revision) => (revision.properties?.template?.containers ?? []).map((container) => container.image ?? '');
  const runs = (image: string) => image.endsWith(`@${digest}`) && registries.some((server) => image.startsWith(`${server}/`));
  const match = revisions.find(
    (revision) => revision.properties?.active !== false && promoted(revision.name) && images(revision).some(runs),
  );
  if (match) {
    const image = images(match).find(runs) as string;
    request.logger.info(`${where} runs ${image} (revision ${match.name}): promoting that digest.`);
    return image;
  }
  const serving = revisions
    .filter((revision) => revision.properties?.active !== false && promoted(revision.name))
    .map((revision) => `${revision.name} (${images(revision).join(', ')})`);
  throw new ConfigurationError(
    `Refusing to deploy ${request.image}: ${where} has not deployed digest ${digest}; it runs ${serving.join('; ') || 'no promoted revision'}. Promote only what that environment runs: deploy this image there first, or give the image its deploy output (source-image).`,
  );
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
