/** Key Vaults in the sandbox created through Resource Manager, as provision creates production's. */
import { ResourceManagementClient } from '@azure/arm-resources';
import type { Sandbox } from '../../sandbox/index.js';
import { azureClientOptions, azureCredential } from '../../src/azure/credential.js';

/** Creates (or updates) a vault in `group` (created too); public network access disabled unless asked. */
export async function createArmVault(
  sandbox: Pick<Sandbox, 'env' | 'server'>,
  group: string,
  name: string,
  publicNetworkAccess: 'Enabled' | 'Disabled' = 'Disabled',
): Promise<void> {
  const subscriptionId = sandbox.env['AZURE_SUBSCRIPTION_ID'] as string;
  const client = new ResourceManagementClient(azureCredential(sandbox.env), subscriptionId, azureClientOptions(sandbox.env));
  await client.resourceGroups.createOrUpdate(group, { location: 'eastus2' });
  await client.resources.beginCreateOrUpdateByIdAndWait(
    `/subscriptions/${subscriptionId}/resourceGroups/${group}/providers/Microsoft.KeyVault/vaults/${name}`,
    '2026-02-01',
    {
      location: 'eastus2',
      properties: {
        tenantId: sandbox.server.identity.tenantId,
        sku: { family: 'A', name: 'standard' },
        enableRbacAuthorization: true,
        enablePurgeProtection: true,
        publicNetworkAccess,
      },
    },
  );
}
