/**
 * src/provision deploys the environment: the config rendered once, judged, then what-if,
 * validate and one incremental ARM deployment of that same template, through the ARM port.
 */
import type { DeploymentExtended, DeploymentOperation } from '@azure/arm-resources';
import { gateAnnotations } from '../compliance/report/annotations.js';
import { AZURE_CLOUD, judgeRendered, type GateRun } from '../gate/gate.js';
import { loadJudgingInputs } from '../gate/judging.js';
import { resolveTemplate } from '../arm/resolve.js';
import { loadConfig, type LoadedConfig } from '../config/load.js';
import type { Logger } from '../core/logger.js';
import { apiVersionOf } from '../azure/resource-types.js';
import type { SubscriptionTemplate } from '../template/operations.js';
import { renderEnvironment, type LiveContainerApp, type RenderedEnvironment } from '../template/render.js';
import { deploySubscriptionTemplate, type SubscriptionDeploymentResult } from './subscription-deployment.js';
import type { GateMode, ProvisionMode } from './request.js';
import { ensurePromotionPath, type PromotionPath } from './build-registry.js';
import { approveEdgeConnections } from './private-link.js';
import { changeCount, changesAsText, changesFromWhatIf, type ChangeSet } from './changes.js';
import { typeAndNameOf } from '../core/resource-id.js';
import { armError, describeArmFailure, remediesFor, type ArmFailure, type ArmPort } from '../azure/arm-port.js';

type ArmDeployment = { properties: { mode: 'Incremental'; template: Record<string, unknown> } };

export interface ProvisionRequest {
  cwd: string;
  /** The environment config; `azure-hipaa.yml` or the built-in defaults when absent. */
  config?: string;
  mode: ProvisionMode;
  gate: GateMode;
  logger: Logger;
  /** ARM deployment name; default `azure-hipaa-<UTC time>`, so each run stays in the group's deployment history. */
  deploymentName?: string;
  /** Default polling interval when ARM does not suggest one. */
  pollIntervalMs?: number;
  /** The object id of the identity provisioning (the deploy identity): it gets the import role on the registries. */
  deployPrincipalId?: string;
}

/** One resource as the deployment reported it. */
export interface OperationReport {
  type: string;
  name: string;
  resourceId: string;
  state: string;
  durationSeconds?: number;
  error?: ArmFailure;
}

export interface ProvisionResult {
  status: 'previewed' | 'deployed' | 'blocked';
  subscriptionId: string;
  resourceGroup: string;
  deploymentName: string;
  gate: GateRun;
  changes: ChangeSet;
  /** Resources what-if would create or modify. */
  changeCount: number;
  /** Deployment outputs by action output name (`key-vault-uri`, ...); empty unless deployed. */
  outputs: Record<string, string>;
  operations: OperationReport[];
  /** The build registry images are promoted from, the grants made, and the ones a person must make. */
  promotion?: PromotionPath;
  /** The subscription-scope deployment (Defender for Cloud's plans): deployed, or the role to grant. */
  subscriptionScope?: SubscriptionDeploymentResult;
}

/** Raised when ARM runs the deployment and a resource fails: ARM's code and message per failing resource. */
export class DeploymentFailedError extends Error {
  constructor(
    message: string,
    readonly operations: OperationReport[],
  ) {
    super(message);
  }
}

/** What provision needs from outside: Azure Resource Manager for the subscription. */
export interface ProvisionPorts {
  arm: ArmPort;
}

/**
 * Provisions the environment the config describes as one incremental ARM deployment at
 * resource-group scope. The config is loaded and rendered once (with the running app's image and
 * traffic split, which deploy-container owns); the HIPAA gate judges that template, and the same
 * object is what-if'd, validated and deployed.
 */
export async function provision(request: ProvisionRequest, ports: ProvisionPorts): Promise<ProvisionResult> {
  const { logger } = request;
  const { arm } = ports;
  const loaded = await loadConfig(request.config, { cwd: request.cwd });
  const { config } = loaded;
  const subscriptionId = arm.subscriptionId;
  const resourceGroup = config.resourceGroup;
  const deploymentName = request.deploymentName ?? `azure-hipaa-${new Date().toISOString().replace(/[-:]/g, '').replace(/\..*$/, '')}`;

  let existingGroup: Awaited<ReturnType<ArmPort['getResourceGroup']>>;
  try {
    existingGroup = await arm.getResourceGroup(resourceGroup);
  } catch (error) {
    throw armError(error, `Reading resource group ${resourceGroup}`, (target) => (target ? undefined : 'resourceGroup'));
  }
  const liveContainerApp = existingGroup ? await readContainerApp(arm, resourceGroup, config.containerApp.name) : undefined;
  if (liveContainerApp)
    logger.info(`The Container App exists: keeping its image ${liveContainerApp.image} and traffic split (deploy-container owns them).`);
  const rendered = renderEnvironment(config, liveContainerApp ? { liveContainerApp } : {});
  const { template } = rendered;

  const judging = await loadJudgingInputs(loaded, { cwd: request.cwd });
  const gate = await logger.group('HIPAA gate on the template', async () => {
    const run: GateRun = {
      // Provision knows where it deploys: the subscription, the deployment's name, the cloud.
      ...judgeRendered(rendered, loaded, judging, new Date(), { subscriptionId, deploymentName, cloud: AZURE_CLOUD }),
      template,
      configSource: loaded.source,
    };
    logger.info(
      `Verdict: ${run.report.verdict} (${run.report.summary.pass} pass, ${run.report.summary.fail} fail, ${run.report.summary.unknown} unknown, ${run.report.summary.waived} waived)`,
    );
    const enforced = request.gate === 'block';
    // One annotation per control and fix, within what GitHub shows; a blocked step's failure is one more error.
    const reserved = enforced && run.report.verdict === 'fail' ? 1 : 0;
    for (const annotation of gateAnnotations(run.report, run.policy, { enforced, reserved, workspace: request.cwd }))
      logger[annotation.level](annotation.message, {
        title: annotation.title,
        ...(annotation.location ? { file: annotation.location.file, line: annotation.location.line } : {}),
      });
    return run;
  });
  const base = { subscriptionId, resourceGroup, deploymentName, gate, outputs: {}, operations: [] };
  if (gate.report.verdict === 'fail' && request.gate === 'block') {
    return { ...base, status: 'blocked', changes: { resourceGroup, resourceGroupCreated: false, resources: [] }, changeCount: 0 };
  }

  const configKeyOf = configKeyFinder(rendered, loaded);
  // The judged object itself: nothing re-renders or re-reads it between the gate and ARM.
  const deployment: ArmDeployment = { properties: { mode: 'Incremental', template: template as unknown as Record<string, unknown> } };

  const changes = await logger.group('What-if', async () => {
    const result = existingGroup
      ? await whatIf(arm, resourceGroup, deploymentName, deployment, configKeyOf)
      : everythingCreated(rendered, loaded, subscriptionId);
    logger.info(changesAsText(result));
    return result;
  });
  const count = changeCount(changes);
  if (request.mode === 'what-if') return { ...base, status: 'previewed', changes, changeCount: count };

  await logger.group('Resource group', async () => {
    const tags = { ...existingGroup?.tags, ...config.tags };
    if (existingGroup && JSON.stringify(existingGroup.tags ?? {}) === JSON.stringify(tags))
      return logger.info(`${resourceGroup} exists in ${existingGroup.location} with its tags.`);
    try {
      await arm.putResourceGroup(resourceGroup, { location: existingGroup?.location ?? config.region, tags });
    } catch (error) {
      throw armError(error, `Creating resource group ${resourceGroup}`, configKeyOf);
    }
    logger.info(`${existingGroup ? 'Updated the tags of' : 'Created'} ${resourceGroup} in ${existingGroup?.location ?? config.region}.`);
  });

  await logger.group('Validate', async () => {
    try {
      await arm.validate(resourceGroup, deploymentName, deployment);
    } catch (error) {
      throw armError(error, `Validating deployment ${deploymentName}`, configKeyOf);
    }
    logger.info('ARM accepted the template.');
  });

  const { deployed, operations } = await logger.group(`Deploy ${deploymentName}`, () =>
    deploy(
      arm,
      resourceGroup,
      deploymentName,
      deployment,
      request,
      configKeyOf,
      new Set(changes.resources.filter((change) => change.changeType === 'Create').map((change) => change.resourceId.toLowerCase())),
    ),
  );
  const subscriptionScope = rendered.subscriptionTemplate
    ? await logger.group('Defender for Cloud (subscription scope)', () =>
        deploySubscriptionTemplate(arm, rendered.subscriptionTemplate as SubscriptionTemplate, {
          deploymentName: `${deploymentName}-subscription`,
          location: config.region,
          logger,
          ...(request.pollIntervalMs !== undefined ? { pollIntervalMs: request.pollIntervalMs } : {}),
        }),
      )
    : undefined;
  const outputs = outputsOf(deployed);
  if (config.edge.enabled)
    await logger.group('Private Link: Front Door to the environment', () =>
      approveEdgeConnections(
        arm,
        {
          environmentId: `/subscriptions/${subscriptionId}/resourceGroups/${resourceGroup}/providers/Microsoft.App/managedEnvironments/${config.containerAppsEnvironment.name}`,
          profileName: config.edge.profileName,
          ...(request.pollIntervalMs !== undefined ? { pollIntervalMs: request.pollIntervalMs } : {}),
        },
        logger,
      ),
    );
  const runners = config.network.mode === 'private' ? config.network.githubRunners : undefined;
  if (runners) {
    // The provider tags the resource with the id GitHub's network configuration takes (it is no template output).
    const path = `/subscriptions/${subscriptionId}/resourceGroups/${resourceGroup}/providers/GitHub.Network/networkSettings/${runners.networkSettingsName}`;
    const { body } = await arm.get(path, apiVersionOf('GitHub.Network/networkSettings'));
    const gitHubId = (body as { tags?: Record<string, string> } | undefined)?.tags?.['GitHubId'];
    if (gitHubId) {
      outputs['github-network-settings-id'] = gitHubId;
      logger.info(
        `GitHub.Network/networkSettings ${runners.networkSettingsName}: GitHubId ${gitHubId}. Next: azure-hipaa github-runners --org <org> --repo <owner/repo> --network-settings-id ${gitHubId}`,
      );
    }
  }
  const promotion = config.registry.build
    ? await logger.group('Promotion path: the build registry and the import role', () =>
        ensurePromotionPath(arm, config, request.deployPrincipalId, logger, request.pollIntervalMs),
      )
    : undefined;
  return {
    ...base,
    status: 'deployed',
    changes,
    changeCount: count,
    outputs,
    operations,
    ...(promotion ? { promotion } : {}),
    ...(subscriptionScope ? { subscriptionScope } : {}),
  };
}

/** The image and traffic split of the app if it exists: re-provisioning must not undo a deploy. */
async function readContainerApp(arm: ArmPort, resourceGroup: string, name: string): Promise<LiveContainerApp | undefined> {
  const path = `/subscriptions/${arm.subscriptionId}/resourceGroups/${resourceGroup}/providers/Microsoft.App/containerApps/${name}`;
  const { status, body } = await arm.get(path, apiVersionOf('Microsoft.App/containerApps'));
  if (status === 404) return undefined;
  if (status !== 200) throw armError({ details: body }, `Reading Container App ${name}`);
  const properties = (
    body as {
      properties?: { template?: { containers?: { image?: string }[] }; configuration?: { ingress?: { traffic?: unknown[] } } };
    }
  ).properties;
  const image = properties?.template?.containers?.[0]?.image;
  if (!image) return undefined;
  const traffic = properties?.configuration?.ingress?.traffic;
  return { image, ...(traffic ? { traffic } : {}) };
}

async function whatIf(
  arm: ArmPort,
  resourceGroup: string,
  deploymentName: string,
  deployment: ArmDeployment,
  configKeyOf: (target?: string) => string | undefined,
): Promise<ChangeSet> {
  let rawBody: string;
  try {
    rawBody = await arm.whatIf(resourceGroup, deploymentName, deployment);
  } catch (error) {
    throw armError(error, `What-if of deployment ${deploymentName}`, configKeyOf);
  }
  return changesFromWhatIf(rawBody, resourceGroup);
}

/** Without the resource group there is nothing for ARM's what-if to compare: every resource is new. */
function everythingCreated(rendered: RenderedEnvironment, loaded: LoadedConfig, subscriptionId: string): ChangeSet {
  const environment = resolveTemplate(rendered.template, {
    source: { file: loaded.source, value: rendered.template },
    subscriptionId,
    resourceGroup: loaded.config.resourceGroup,
    location: loaded.config.region,
  });
  return {
    resourceGroup: loaded.config.resourceGroup,
    resourceGroupCreated: true,
    resources: environment.resources.map((resource) => ({
      resourceId: resource.id,
      type: resource.type,
      name: resource.name,
      changeType: 'Create',
      delta: [],
    })),
  };
}

/**
 * For an ARM error's target: the config key that names the resource. ARM's own checks target the
 * resource id; a provider's preflight finding targets the resource's name in the template.
 */
function configKeyFinder(rendered: RenderedEnvironment, loaded: LoadedConfig): (target?: string) => string | undefined {
  return (target) => {
    if (!target) return undefined;
    const { type, name } = target.startsWith('/')
      ? typeAndNameOf(target)
      : { type: rendered.template.resources.find((resource) => resource.name === target)?.type ?? '', name: target };
    const path = rendered.configPathOf(type, name) ?? rendered.configPathOf(type, name.split('/').at(-1) ?? name);
    if (!path) return undefined;
    const location = loaded.locate?.(path);
    return `config ${path.join('.')}${location ? ` (${location.file}:${location.line})` : ''}`;
  };
}

async function deploy(
  arm: ArmPort,
  resourceGroup: string,
  deploymentName: string,
  deployment: ArmDeployment,
  request: ProvisionRequest,
  configKeyOf: (target?: string) => string | undefined,
  /** Ids (lower case) what-if said are new: ARM's operations say Create for every PUT, new or not. */
  newResources: ReadonlySet<string>,
): Promise<{ deployed: DeploymentExtended; operations: OperationReport[] }> {
  const { logger } = request;
  const started = Date.now();
  const fallbackInterval = request.pollIntervalMs ?? 5000;
  let interval = fallbackInterval;
  try {
    interval = (await arm.startDeployment(resourceGroup, deploymentName, deployment)) ?? fallbackInterval;
  } catch (error) {
    throw armError(error, `Starting deployment ${deploymentName}`, configKeyOf);
  }
  const reported = new Map<string, string>();
  let operations: OperationReport[];
  for (;;) {
    await new Promise((resolve) => setTimeout(resolve, interval));
    const { deployment: current, retryAfterMs } = await arm.getDeployment(resourceGroup, deploymentName);
    interval = retryAfterMs ?? fallbackInterval;
    operations = (await arm.listDeploymentOperations(resourceGroup, deploymentName)).map(reportOf);
    for (const operation of operations) {
      if (reported.get(operation.resourceId) === operation.state) continue;
      reported.set(operation.resourceId, operation.state);
      const elapsed = `${((Date.now() - started) / 1000).toFixed(1)} s`;
      const isNew = newResources.has(operation.resourceId.toLowerCase());
      if (operation.state === 'Running') logger.info(`[${elapsed}] ${isNew ? 'creating' : 'updating'} ${operation.type} ${operation.name}`);
      else if (operation.state === 'Succeeded')
        logger.info(
          `[${elapsed}] ${isNew ? 'created' : 'updated'}  ${operation.type} ${operation.name} in ${operation.durationSeconds?.toFixed(1) ?? '?'} s`,
        );
      else if (operation.state === 'Failed')
        logger.error(
          `[${elapsed}] failed   ${operation.type} ${operation.name}: ${operation.error ? describeArmFailure(operation.error) : 'no error reported'}`,
        );
    }
    const state = current.properties?.provisioningState;
    if (state === 'Succeeded') {
      logger.info(`Deployed ${operations.length} resource(s) in ${((Date.now() - started) / 1000).toFixed(1)} s.`);
      return { deployed: current, operations };
    }
    if (state === 'Failed' || state === 'Canceled') {
      const failed = operations.filter((operation) => operation.state === 'Failed');
      const lines = failed.map((operation) => {
        const key = configKeyOf(operation.resourceId);
        const failure = operation.error ?? { code: 'Unknown', message: 'ARM reported no error' };
        return `  - ${operation.type} ${operation.name}${key ? ` [${key}]` : ''}:\n${describeArmFailure(failure, '      ')}`;
      });
      const deploymentError = current.properties?.error as ArmFailure | undefined;
      const remedies = [...new Set(failed.flatMap((operation) => (operation.error ? remediesFor(operation.error, configKeyOf) : [])))];
      throw new DeploymentFailedError(
        `Deployment ${deploymentName} ${state.toLowerCase()}: ${failed.length > 0 ? `${failed.length} resource(s) failed` : (deploymentError?.message ?? 'no details')}\n${lines.join('\n')}${remedies.length > 0 ? `\nWhat to change:\n${remedies.map((remedy) => `  - ${remedy}`).join('\n')}` : ''}`,
        operations,
      );
    }
  }
}

function reportOf(operation: DeploymentOperation): OperationReport {
  const properties = operation.properties;
  const target = properties?.targetResource;
  const duration = /^PT(?:(\d+)H)?(?:(\d+)M)?(?:([\d.]+)S)?$/.exec(properties?.duration ?? '');
  const seconds = duration ? Number(duration[1] ?? 0) * 3600 + Number(duration[2] ?? 0) * 60 + Number(duration[3] ?? 0) : undefined;
  const status = properties?.statusMessage as { error?: ArmFailure } | undefined;
  return {
    type: target?.resourceType ?? 'unknown',
    name: target?.resourceName ?? 'unknown',
    resourceId: target?.id ?? '',
    state: properties?.provisioningState ?? 'Running',
    ...(seconds !== undefined ? { durationSeconds: seconds } : {}),
    ...(status?.error ? { error: status.error } : {}),
  };
}

/** A template output's name as the action output's (`keyVaultUri` is `key-vault-uri`). */
export function actionOutputName(templateOutput: string): string {
  return templateOutput.replace(/[A-Z]/g, (letter) => `-${letter.toLowerCase()}`);
}

function outputsOf(deployment: DeploymentExtended): Record<string, string> {
  const outputs = (deployment.properties?.outputs ?? {}) as Record<string, { value?: unknown }>;
  return Object.fromEntries(Object.entries(outputs).map(([name, output]) => [actionOutputName(name), String(output.value ?? '')]));
}
