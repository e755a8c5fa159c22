import { armError, armFailureOf, describeArmFailure, type ArmFailure, type ArmPort } from '../azure/arm-port.js';
import type { Logger } from '../core/logger.js';
import type { SubscriptionTemplate } from '../template/operations.js';

/**
 * The subscription-scope deployment (Defender for Cloud's plans), run after the resource group's.
 * It needs a role on the subscription the group's deployment does not (Security Admin, or Owner or
 * Contributor there): an identity without it gets the exact grant to ask for, and everything else
 * stays deployed.
 */

/** Deployments_CreateOrUpdateAtSubscriptionScope (Microsoft.Resources, the api-version the sandbox's specs hold). */
const DEPLOYMENTS_API_VERSION = '2025-04-01';
/** The built-in role that may turn Defender plans on and nothing broader (learn.microsoft.com, "Azure built-in roles for Security"). */
export const DEFENDER_ROLE = 'Security Admin';

export interface SubscriptionDeploymentResult {
  status: 'deployed' | 'not-authorized';
  /** For `not-authorized`: what to grant, to whom, where. */
  grant?: string;
}

interface Options {
  deploymentName: string;
  location: string;
  logger: Logger;
  pollIntervalMs?: number;
  /** Give up polling after this long (ARM applies six pricings in well under a minute). */
  timeoutMs?: number;
}

export async function deploySubscriptionTemplate(
  arm: ArmPort,
  template: SubscriptionTemplate,
  options: Options,
): Promise<SubscriptionDeploymentResult> {
  const scope = `/subscriptions/${arm.subscriptionId}`;
  const path = `${scope}/providers/Microsoft.Resources/deployments/${options.deploymentName}`;
  const body = { location: options.location, properties: { mode: 'Incremental', template } };
  const started = await arm.send('PUT', path, DEPLOYMENTS_API_VERSION, body);
  const refused = authorizationFailure(started.body);
  if (refused) return notAuthorized(scope, refused, options.logger);
  if (started.status >= 300) throw armError({ details: started.body }, `Deploying ${options.deploymentName} at subscription scope`);

  const deadline = Date.now() + (options.timeoutMs ?? 600_000);
  for (;;) {
    const { status, body: current } = await arm.send('GET', path, DEPLOYMENTS_API_VERSION);
    if (status >= 300) throw armError({ details: current }, `Reading deployment ${options.deploymentName} at subscription scope`);
    const properties = (current as { properties?: { provisioningState?: string; error?: ArmFailure } }).properties;
    const state = properties?.provisioningState ?? 'Unknown';
    if (state === 'Succeeded') {
      options.logger.info(`Deployed ${options.deploymentName} at subscription scope: ${resourceNames(template)}.`);
      return { status: 'deployed' };
    }
    if (['Failed', 'Canceled'].includes(state)) {
      const failure = properties?.error;
      const denied = failure ? authorizationFailure({ error: failure }) : undefined;
      if (denied) return notAuthorized(scope, denied, options.logger);
      throw armError(
        { details: { error: failure ?? { code: state, message: `the deployment is ${state}` } } },
        `Deploying ${options.deploymentName}`,
      );
    }
    if (Date.now() > deadline)
      throw new Error(`Deployment ${options.deploymentName} at subscription scope is still ${state}; see the subscription's deployments.`);
    await new Promise((resolve) => setTimeout(resolve, options.pollIntervalMs ?? 5000));
  }
}

/** ARM's AuthorizationFailed (or a deployment error that holds one), wherever it sits in the error's details. */
function authorizationFailure(body: unknown): ArmFailure | undefined {
  const failure = armFailureOf({ details: body });
  const find = (item: ArmFailure | undefined): ArmFailure | undefined => {
    if (!item) return undefined;
    if (/^(AuthorizationFailed|LinkedAuthorizationFailed)$/.test(item.code)) return item;
    for (const detail of item.details ?? []) {
      const found = find(detail);
      if (found) return found;
    }
    return undefined;
  };
  return find(failure);
}

function notAuthorized(scope: string, failure: ArmFailure, logger: Logger): SubscriptionDeploymentResult {
  const grant = `Grant the deploy identity "${DEFENDER_ROLE}" on the subscription (scope ${scope}): az role assignment create --assignee <the identity's client id> --role "${DEFENDER_ROLE}" --scope ${scope}. Then run provision again; nothing else needs to change.`;
  logger.warning(
    `Microsoft Defender for Cloud's plans were not turned on: the deploy identity may not change the subscription's Defender plans (Microsoft.Security/pricings). Everything else is deployed. ${grant}\nAzure Resource Manager says:\n${describeArmFailure(failure, '  ')}`,
  );
  return { status: 'not-authorized', grant };
}

function resourceNames(template: SubscriptionTemplate): string {
  return template.resources.map((resource) => `${resource.type} ${resource.name}`).join(', ');
}
