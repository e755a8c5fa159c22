import { randomBytes, randomUUID } from 'node:crypto';
import { parseArgs } from 'node:util';
import { armError, type ArmPort } from '../../azure/arm-port.js';
import { armPort } from '../../azure/arm.js';
import { signedInPrincipal } from '../../azure/credential.js';
import { subscriptionOf } from '../../azure/subscription.js';
import { ConfigurationError, errorMessage } from '../../core/errors.js';
import type { Logger } from '../../core/logger.js';
import type { Command } from '../command.js';

const usage = `Usage: azure-hipaa e2e source-vault --resource-group G --vault V --region R --secret NAME [--secret NAME]
       azure-hipaa e2e cleanup --resource-group G [--resource-group G] [--purge-vault NAME@REGION]

The end-to-end workflow's own steps (.github/workflows/e2e-azure.yml), on a throwaway subscription only.
source-vault: creates group G and a small public vault V in it (RBAC, no purge protection, so cleanup can
  purge it), holding each --secret with a random value nobody sees, readable by the signed-in identity.
cleanup: deletes each group (a group that does not exist is fine), with the role assignments inside it,
  then purges each soft-deleted vault whose purge protection allows it. Every step is tried; exit 1 if any failed.`;

const RESOURCES_API = '2021-04-01';
const KEYVAULT_API = '2026-02-01';
const SECRETS_USER = '4633458b-17de-408a-b874-0445c86b69e6';
const NAME = /^[A-Za-z0-9-]{1,90}$/;

function names(values: string[] | undefined, option: string): string[] {
  for (const value of values ?? [])
    if (!NAME.test(value)) throw new ConfigurationError(`${option} '${value}' is not a name (letters, digits and '-').`);
  return values ?? [];
}

/** Waits for an ARM long-running operation's Location to answer 200 (or 204): 202 means still going. */
async function waitFor(arm: ArmPort, location: string | undefined, what: string, pollMs: number): Promise<void> {
  if (!location) return;
  for (let attempt = 0; attempt < 2000; attempt++) {
    const { status, body } = await arm.send('GET', location);
    if (status === 200 || status === 204) return;
    if (status !== 202) throw new Error(`${what} ended with HTTP ${status}: ${JSON.stringify(body)}`);
    await new Promise((resolve) => setTimeout(resolve, pollMs));
  }
  throw new Error(`${what} did not finish`);
}

/** A vault's template: public (the runner reads it), RBAC, purge protection off, the secrets as secureString parameters. */
function sourceVaultTemplate(vault: string, region: string, secrets: string[], principalId: string | undefined): Record<string, unknown> {
  const vaultId = `[resourceId('Microsoft.KeyVault/vaults', '${vault}')]`;
  return {
    $schema: 'https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#',
    contentVersion: '1.0.0.0',
    parameters: Object.fromEntries(secrets.map((_name, index) => [`secret${index}`, { type: 'secureString' }])),
    resources: [
      {
        type: 'Microsoft.KeyVault/vaults',
        apiVersion: '2024-11-01',
        name: vault,
        location: region,
        tags: { Purpose: 'azure-hipaa e2e source' },
        properties: {
          tenantId: '[subscription().tenantId]',
          sku: { family: 'A', name: 'standard' },
          enableRbacAuthorization: true,
          enableSoftDelete: true,
          softDeleteRetentionInDays: 7,
          publicNetworkAccess: 'Enabled',
        },
      },
      ...secrets.map((name, index) => ({
        type: 'Microsoft.KeyVault/vaults/secrets',
        apiVersion: '2024-11-01',
        name: `${vault}/${name}`,
        properties: { value: `[parameters('secret${index}')]`, contentType: 'text/plain' },
        dependsOn: [vaultId],
      })),
      ...(principalId
        ? [
            {
              type: 'Microsoft.Authorization/roleAssignments',
              apiVersion: '2022-04-01',
              name: randomUUID(),
              scope: vaultId,
              properties: {
                roleDefinitionId: `[subscriptionResourceId('Microsoft.Authorization/roleDefinitions', '${SECRETS_USER}')]`,
                principalId,
                principalType: 'ServicePrincipal',
              },
              dependsOn: [vaultId],
            },
          ]
        : []),
    ],
  };
}

async function sourceVault(arm: ArmPort, env: NodeJS.ProcessEnv, logger: Logger, args: string[]): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      'resource-group': { type: 'string', multiple: true },
      vault: { type: 'string' },
      region: { type: 'string' },
      secret: { type: 'string', multiple: true },
    },
  });
  const [group] = names(values['resource-group'], '--resource-group');
  const [vault] = names(values.vault ? [values.vault] : [], '--vault');
  const [region] = names(values.region ? [values.region] : [], '--region');
  const secrets = names(values.secret, '--secret');
  if (!group || !vault || !region || secrets.length === 0)
    throw new ConfigurationError('source-vault needs --resource-group, --vault, --region and at least one --secret.');
  await arm.putResourceGroup(group, { location: region, tags: { Purpose: 'azure-hipaa e2e source' } });
  const principalId = await signedInPrincipal(env);
  // Random values, generated here and sent only as secureString parameters: never printed, never on disk.
  const parameters = Object.fromEntries(
    secrets.map((_name, index) => [`secret${index}`, { value: randomBytes(24).toString('base64url') }]),
  );
  const deployment = `e2e-source-${Date.now()}`;
  try {
    await arm.startDeployment(group, deployment, {
      properties: { mode: 'Incremental', template: sourceVaultTemplate(vault, region, secrets, principalId), parameters },
    });
  } catch (error) {
    // ARM's inner errors say what is wrong (a vault name taken, a role missing).
    throw armError(error, `Deploying the source vault ${vault} (deployment ${deployment})`);
  }
  for (;;) {
    const { deployment: state, retryAfterMs } = await arm.getDeployment(group, deployment);
    const status = state.properties?.provisioningState;
    if (status === 'Succeeded') break;
    if (status === 'Failed' || status === 'Canceled')
      throw new Error(`The source vault's deployment ${deployment} ${status}: ${JSON.stringify(state.properties?.error ?? {})}`);
    await new Promise((resolve) => setTimeout(resolve, retryAfterMs ?? 2000));
  }
  logger.info(`Created vault ${vault} in ${group} with ${secrets.length} secrets (${secrets.join(', ')}).`);
  return 0;
}

async function cleanup(arm: ArmPort, logger: Logger, args: string[], pollMs: number): Promise<number> {
  const { values } = parseArgs({
    args,
    options: { 'resource-group': { type: 'string', multiple: true }, 'purge-vault': { type: 'string', multiple: true } },
  });
  const groups = names(values['resource-group'], '--resource-group');
  const vaults = (values['purge-vault'] ?? []).map((value) => {
    const [name, region, extra] = value.split('@');
    if (!name || !region || extra !== undefined || !NAME.test(name) || !NAME.test(region))
      throw new ConfigurationError(`--purge-vault '${value}' is not NAME@REGION.`);
    return { name, region };
  });
  const subscription = `/subscriptions/${arm.subscriptionId}`;
  let failures = 0;
  // Started together, waited for together: the groups delete in parallel.
  const deletions = groups.map(async (group) => {
    try {
      const response = await arm.send('DELETE', `${subscription}/resourcegroups/${group}`, RESOURCES_API);
      if (response.status === 404) return logger.info(`${group}: not there, nothing to delete.`);
      if (response.status >= 400) throw new Error(`HTTP ${response.status}: ${JSON.stringify(response.body)}`);
      await waitFor(arm, response.headers['location'], `Deleting ${group}`, pollMs);
      logger.info(`${group}: deleted, with everything in it and the role assignments scoped to it.`);
    } catch (error) {
      failures++;
      logger.error(`${group}: not deleted: ${errorMessage(error)}`);
    }
  });
  await Promise.all(deletions);
  for (const { name, region } of vaults) {
    try {
      const path = `${subscription}/providers/Microsoft.KeyVault/locations/${region}/deletedVaults/${name}`;
      const deleted = await arm.send('GET', path, KEYVAULT_API);
      if (deleted.status === 404) {
        logger.info(`${name}: no soft-deleted vault to purge.`);
        continue;
      }
      if (deleted.status >= 400) throw new Error(`HTTP ${deleted.status}: ${JSON.stringify(deleted.body)}`);
      const properties = (deleted.body as { properties?: { purgeProtectionEnabled?: boolean; scheduledPurgeDate?: string } }).properties;
      if (properties?.purgeProtectionEnabled === true) {
        // HIPAA's configs always enable purge protection: nobody can purge it, Azure removes it when retention ends.
        logger.info(
          `${name}: soft-deleted with purge protection, so it cannot be purged; Azure removes it on ${properties.scheduledPurgeDate ?? 'its scheduled date'}.`,
        );
        continue;
      }
      const purge = await arm.send('POST', `${path}/purge`, KEYVAULT_API);
      if (purge.status >= 400) throw new Error(`HTTP ${purge.status}: ${JSON.stringify(purge.body)}`);
      await waitFor(arm, purge.headers['location'], `Purging ${name}`, pollMs);
      logger.info(`${name}: purged.`);
    } catch (error) {
      failures++;
      logger.error(`${name}: not purged: ${errorMessage(error)}`);
    }
  }
  return failures === 0 ? 0 : 1;
}

export const e2eCommand: Command = {
  name: 'e2e',
  summary: "the end-to-end workflow's steps: a seeded source vault, and cleanup of what a run created",
  usage,
  async run({ args, env, logger }) {
    const [subcommand, ...rest] = args;
    const arm = armPort(env, subscriptionOf(undefined, env, '--subscription'));
    const pollMs = env['AZURE_HIPAA_SANDBOX'] ? 50 : 5000;
    if (subcommand === 'source-vault') return sourceVault(arm, env, logger, rest);
    if (subcommand === 'cleanup') return cleanup(arm, logger, rest, pollMs);
    throw new ConfigurationError(`e2e needs a subcommand: source-vault or cleanup.\n\n${usage}`);
  },
};
