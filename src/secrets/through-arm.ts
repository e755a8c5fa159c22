/**
 * Writing secrets when the target vault's data plane refuses this runner's network (public network
 * access disabled, as production's vault is): through Resource Manager, whose control plane the
 * vault's firewall does not apply to. One template deployment per batch, one
 * `Microsoft.KeyVault/vaults/secrets` resource per secret, each value a `secureString` parameter:
 * Microsoft's "Data types in ARM templates" says a secure string's value is not saved to the
 * deployment history and is not logged, and Key Vault's management API (Secrets_Get, Secrets_List)
 * never returns a value. So nothing can be read back: each written secret carries a tag with the
 * source version it came from, and a run skips a secret whose tag and properties already match.
 */
import { createHash } from 'node:crypto';
import type { DeploymentOperation } from '@azure/arm-resources';
import { armError, armFailureOf, describeArmFailure, type ArmFailure, type ArmPort } from '../azure/arm-port.js';
import type { SecretMetadata, SecretSummary, SecretVersion, VaultReference } from '../azure/keyvault.js';
import { ConfigurationError } from '../core/errors.js';
import type { Logger } from '../core/logger.js';
import { differingMetadata } from './compare.js';

/** The tag that records which source version a target secret holds: how a re-run knows without reading values. */
export const SOURCE_VERSION_TAG = 'azure-hipaa-source-version';
/** Key Vault allows 15 tags on a secret (learn.microsoft.com, "Azure Key Vault service limits"). */
const MAX_TAGS = 15;
const KEY_VAULT_API = '2026-02-01';
/**
 * ARM's template limits (learn.microsoft.com, "Template limits"): 256 parameters and a 4 MB request.
 * Batches stay well inside both: 200 secrets, and 3 MB of JSON with the template around them.
 */
const MAX_SECRETS_PER_DEPLOYMENT = 200;
const MAX_REQUEST_BYTES = 3 * 1024 * 1024;
const POLL_MS = 2_000;

/** The target vault as Resource Manager knows it. */
export interface ArmVault {
  id: string;
  resourceGroup: string;
  name: string;
}

/** A target secret as Resource Manager lists it: metadata and the source version it was written from, never a value. */
export interface ArmSecret {
  name: string;
  metadata: SecretMetadata;
  sourceVersion?: string;
}

/** Where the vault is: the subscription's vault list (Vaults_ListBySubscription), every page. */
export async function locateVault(arm: ArmPort, vault: VaultReference): Promise<ArmVault> {
  let path: string | undefined = `/subscriptions/${arm.subscriptionId}/providers/Microsoft.KeyVault/vaults`;
  const doing = `Finding Key Vault '${vault.name}' in subscription ${arm.subscriptionId}`;
  while (path) {
    const response = await send(arm, 'GET', path, doing);
    const page = (response.body ?? {}) as { value?: { id?: string; name?: string }[]; nextLink?: string };
    const found = page.value?.find((item) => item.name?.toLowerCase() === vault.name.toLowerCase() && item.id);
    if (found?.id) {
      const resourceGroup = /\/resourceGroups\/([^/]+)\//i.exec(found.id)?.[1] ?? '';
      return { id: found.id, resourceGroup, name: found.name ?? vault.name };
    }
    path = page.nextLink;
  }
  throw new ConfigurationError(
    `Key Vault '${vault.name}' is not among the vaults the signed-in identity can see in subscription ${arm.subscriptionId}: check target-vault and subscription-id, and grant the identity 'Reader' on the vault's resource group.`,
  );
}

/** The target's secrets through Resource Manager (Secrets_List, every page). */
export async function listArmSecrets(arm: ArmPort, vault: ArmVault): Promise<Map<string, ArmSecret>> {
  const secrets = new Map<string, ArmSecret>();
  let path: string | undefined = `${vault.id}/secrets`;
  while (path) {
    const response = await send(arm, 'GET', path, `Listing the secrets of '${vault.name}' through Resource Manager`);
    const page = (response.body ?? {}) as { value?: ArmSecretResource[]; nextLink?: string };
    for (const item of page.value ?? []) {
      if (!item.name) continue;
      const { [SOURCE_VERSION_TAG]: sourceVersion, ...tags } = item.tags ?? {};
      const attributes = item.properties?.attributes ?? {};
      secrets.set(item.name.toLowerCase(), {
        name: item.name,
        ...(sourceVersion ? { sourceVersion } : {}),
        metadata: {
          tags,
          enabled: attributes.enabled !== false,
          ...(item.properties?.contentType !== undefined ? { contentType: item.properties.contentType } : {}),
          ...(attributes.nbf !== undefined ? { notBefore: new Date(attributes.nbf * 1000) } : {}),
          ...(attributes.exp !== undefined ? { expiresOn: new Date(attributes.exp * 1000) } : {}),
        },
      });
    }
    path = page.nextLink;
  }
  return secrets;
}

interface ArmSecretResource {
  name?: string;
  tags?: Record<string, string>;
  properties?: { contentType?: string; attributes?: { enabled?: boolean; nbf?: number; exp?: number } };
}

/** Why the target needs a write, or undefined when its tag and properties already match the source's latest version. */
export function armWriteReason(source: SecretSummary & { version: string }, target: ArmSecret | undefined): string | undefined {
  if (!target) return 'not in the target';
  if (Object.keys(source.tags).length >= MAX_TAGS)
    return `the source has ${MAX_TAGS} tags, Key Vault's limit, so no tag can record the version: written each run`;
  if (target.sourceVersion !== source.version)
    return target.sourceVersion ? 'the source has a newer version' : 'not written by this tool before (no source-version tag)';
  const fields = differingMetadata(source, target.metadata);
  return fields.length > 0 ? `properties differ: ${fields.join(', ')}` : undefined;
}

/** One secret to write, its value held in memory only (masked before it got here). */
export interface ArmSecretWrite {
  secret: SecretVersion;
}

/** What one written secret came to: undefined on success, else ARM's error in words. */
export type ArmWriteResults = Map<string, string | undefined>;

/**
 * Writes the secrets in as few deployments as ARM's limits allow, each incremental (nothing else in
 * the group is touched), and reports each secret. A deployment another run left running (killed
 * mid-way) is waited for, then the caller re-plans.
 */
export async function writeThroughArm(
  arm: ArmPort,
  vault: ArmVault,
  writes: readonly ArmSecretWrite[],
  logger: Logger,
  sleep: (ms: number) => Promise<void> = (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
): Promise<ArmWriteResults> {
  const results: ArmWriteResults = new Map();
  for (const batch of batches(vault, writes)) {
    const name = deploymentName(vault, batch);
    logger.info(
      `Writing ${batch.length} secret${batch.length === 1 ? '' : 's'} to '${vault.name}' through Resource Manager (deployment ${name} in ${vault.resourceGroup}; values as secure parameters)`,
    );
    const failures = await deploy(arm, vault, name, batch, sleep);
    for (const { secret } of batch) results.set(secret.name, failures.get(secret.name.toLowerCase()));
  }
  return results;
}

function batches(vault: ArmVault, writes: readonly ArmSecretWrite[]): ArmSecretWrite[][] {
  const result: ArmSecretWrite[][] = [];
  let current: ArmSecretWrite[] = [];
  let bytes = 0;
  for (const write of writes) {
    const size = JSON.stringify(deploymentBody(vault, [write])).length;
    if (size > MAX_REQUEST_BYTES)
      throw new ConfigurationError(`Secret '${write.secret.name}' is too large to write through Resource Manager in one request.`);
    if (current.length > 0 && (current.length >= MAX_SECRETS_PER_DEPLOYMENT || bytes + size > MAX_REQUEST_BYTES)) {
      result.push(current);
      current = [];
      bytes = 0;
    }
    current.push(write);
    bytes += size;
  }
  if (current.length > 0) result.push(current);
  return result;
}

/** The same secrets at the same source versions get the same name: a re-run after a kill finds the deployment it left. */
function deploymentName(vault: ArmVault, batch: readonly ArmSecretWrite[]): string {
  const hash = createHash('sha256');
  hash.update(vault.id.toLowerCase());
  for (const { secret } of batch) hash.update(`\n${secret.name}@${secret.version}`);
  return `azure-hipaa-secrets-${hash.digest('hex').slice(0, 16)}`;
}

/** A string ARM takes literally: one starting with `[` would be evaluated as an expression unless escaped as `[[`. */
function literal(text: string): string {
  return text.startsWith('[') ? `[${text}` : text;
}

function deploymentBody(vault: ArmVault, batch: readonly ArmSecretWrite[]) {
  const parameters = Object.fromEntries(batch.map((_, index) => [`value${index}`, { type: 'secureString' }]));
  const resources = batch.map(({ secret }, index) => {
    const { metadata } = secret;
    const tags = Object.fromEntries(
      [...Object.entries(metadata.tags), [SOURCE_VERSION_TAG, secret.version]].map(([key, value]) => [literal(key), literal(value)]),
    );
    return {
      type: 'Microsoft.KeyVault/vaults/secrets',
      apiVersion: KEY_VAULT_API,
      name: `${vault.name}/${secret.name}`,
      tags,
      properties: {
        value: `[parameters('value${index}')]`,
        ...(metadata.contentType !== undefined ? { contentType: literal(metadata.contentType) } : {}),
        attributes: {
          enabled: metadata.enabled,
          ...(metadata.notBefore ? { nbf: Math.floor(metadata.notBefore.getTime() / 1000) } : {}),
          ...(metadata.expiresOn ? { exp: Math.floor(metadata.expiresOn.getTime() / 1000) } : {}),
        },
      },
    };
  });
  return {
    properties: {
      mode: 'Incremental' as const,
      template: {
        $schema: 'https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#',
        contentVersion: '1.0.0.0',
        parameters,
        resources,
      },
      parameters: Object.fromEntries(batch.map(({ secret }, index) => [`value${index}`, { value: secret.value }])),
    },
  };
}

/** Runs one deployment to its end; returns ARM's error per failed secret (lower-case name). */
async function deploy(
  arm: ArmPort,
  vault: ArmVault,
  name: string,
  batch: readonly ArmSecretWrite[],
  sleep: (ms: number) => Promise<void>,
): Promise<Map<string, string>> {
  const doing = `Writing secrets to '${vault.name}' through Resource Manager`;
  let interval: number | undefined;
  try {
    interval = await arm.startDeployment(vault.resourceGroup, name, deploymentBody(vault, batch));
  } catch (error) {
    const failure =
      armFailureOf(error) ??
      (/\bDeploymentFailed\b/.test(String((error as Error | undefined)?.message)) ? { code: 'DeploymentFailed', message: '' } : undefined);
    // DeploymentActive: an earlier run's deployment of these very versions is still running, so let it finish.
    // DeploymentFailed: it started and already ended badly (the SDK's poller says so); its operations tell which secret.
    if (failure?.code !== 'DeploymentActive' && failure?.code !== 'DeploymentFailed') throw writeProblem(error, vault, doing);
  }
  for (;;) {
    let state: Awaited<ReturnType<ArmPort['getDeployment']>>;
    try {
      state = await arm.getDeployment(vault.resourceGroup, name);
    } catch (error) {
      throw writeProblem(error, vault, doing);
    }
    const provisioning = state.deployment.properties?.provisioningState;
    if (provisioning === 'Succeeded') return new Map();
    if (provisioning === 'Failed' || provisioning === 'Canceled') {
      const operations = await arm.listDeploymentOperations(vault.resourceGroup, name).catch(() => [] as DeploymentOperation[]);
      const failed = new Map<string, string>();
      for (const operation of operations) {
        const secret = operation.properties?.targetResource?.resourceName?.split('/').at(-1)?.toLowerCase();
        const error = (operation.properties?.statusMessage as { error?: ArmFailure } | undefined)?.error;
        if (secret && error) failed.set(secret, secretFailure(error));
      }
      // A secret with no operation did not start (the deployment failed before it): it failed with the deployment.
      const whole = state.deployment.properties?.error as ArmFailure | undefined;
      const started = new Set(operations.map((op) => op.properties?.targetResource?.resourceName?.split('/').at(-1)?.toLowerCase()));
      for (const { secret } of batch)
        if (!started.has(secret.name.toLowerCase()))
          failed.set(secret.name.toLowerCase(), whole ? describeArmFailure(whole) : `deployment ${name} ${provisioning}`);
      return failed;
    }
    await sleep(state.retryAfterMs ?? interval ?? POLL_MS);
  }
}

/** One secret's failure, with what to do where the code says it. */
function secretFailure(error: ArmFailure): string {
  if (/deleted but recoverable/i.test(error.message))
    return 'soft-deleted in the target: Resource Manager cannot recover it; recover it (az keyvault secret recover) from a runner inside the network, or purge it, then run again';
  return describeArmFailure(error).replace(/\n\s*/g, ' ');
}

/** A refused deployment in the user's words: a missing role names itself, its action and scope. */
function writeProblem(error: unknown, vault: ArmVault, doing: string): Error {
  const failure = armFailureOf(error);
  const denied = failure && findCode(failure, 'AuthorizationFailed');
  if (denied) {
    const action = /action '([^']+)'/.exec(denied.message)?.[1] ?? 'Microsoft.Resources/deployments/write';
    const scope = /scope '([^']+)'/.exec(denied.message)?.[1] ?? vault.id;
    return new ConfigurationError(
      `${doing} needs '${action}' on ${scope}, which the signed-in identity lacks. Grant it 'Contributor' on the resource group '${vault.resourceGroup}' (it holds Microsoft.Resources/deployments/write and Microsoft.KeyVault/vaults/secrets/write), or a custom role with those two actions on that group.`,
    );
  }
  return armError(error, doing);
}

function findCode(failure: ArmFailure, code: string): ArmFailure | undefined {
  if (failure.code === code) return failure;
  for (const detail of failure.details ?? []) {
    const found = findCode(detail, code);
    if (found) return found;
  }
  return undefined;
}

async function send(arm: ArmPort, method: 'GET', path: string, doing: string) {
  let response: Awaited<ReturnType<ArmPort['send']>>;
  try {
    response = await arm.send(method, path, path.startsWith('https://') ? undefined : KEY_VAULT_API);
  } catch (error) {
    throw armError(error, doing);
  }
  if (response.status >= 400) {
    const failure = armFailureOf({ details: response.body });
    if (failure?.code === 'AuthorizationFailed')
      throw new ConfigurationError(
        `${doing} was refused (${failure.message}). Grant the signed-in identity 'Reader' on the vault's resource group.`,
      );
    throw armError({ details: response.body }, doing);
  }
  return response;
}
