/** Registries in the sandbox, for the image and deploy tests. */
import { ResourceManagementClient } from '@azure/arm-resources';
import type { Sandbox } from '../../sandbox/index.js';
import { azureClientOptions, azureCredential } from '../../src/azure/credential.js';
import { apiVersionOf } from '../../src/azure/resource-types.js';

/** Creates a registry through ARM as the environment's template would, in its own resource group. */
export async function createRegistry(
  sandbox: Pick<Sandbox, 'env'>,
  name: string,
  publicNetworkAccess: 'Enabled' | 'Disabled',
  resourceGroup = 'images-rg',
  networkRuleBypassOptions: 'AzureServices' | 'None' = 'AzureServices',
): Promise<string> {
  const env = { ...process.env, ...sandbox.env };
  const subscriptionId = env['AZURE_SUBSCRIPTION_ID'] as string;
  const client = new ResourceManagementClient(azureCredential(env), subscriptionId, azureClientOptions(env));
  await client.resourceGroups.createOrUpdate(resourceGroup, { location: 'eastus2' });
  const id = `/subscriptions/${subscriptionId}/resourceGroups/${resourceGroup}/providers/Microsoft.ContainerRegistry/registries/${name}`;
  await client.resources.beginCreateOrUpdateByIdAndWait(id, apiVersionOf('Microsoft.ContainerRegistry/registries'), {
    location: 'eastus2',
    sku: { name: 'Premium' },
    properties: { adminUserEnabled: false, anonymousPullEnabled: false, publicNetworkAccess, networkRuleBypassOptions },
  });
  return id;
}
