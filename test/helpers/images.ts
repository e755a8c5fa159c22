/** Registries in the sandbox and app images built from local files, for the image and deploy tests. */
import { copyFile, mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ResourceManagementClient } from '@azure/arm-resources';
import type { Sandbox } from '../../sandbox/index.js';
import { azureClientOptions, azureCredential } from '../../src/azure/credential.js';
import { apiVersionOf } from '../../src/azure/resource-types.js';

/** Creates a registry through ARM as the environment's template would, in its own resource group. */
export async function createRegistry(
  sandbox: Pick<Sandbox, 'env'>,
  name: string,
  publicNetworkAccess: 'Enabled' | 'Disabled',
): Promise<string> {
  const env = { ...process.env, ...sandbox.env };
  const subscriptionId = env['AZURE_SUBSCRIPTION_ID'] as string;
  const client = new ResourceManagementClient(azureCredential(env), subscriptionId, azureClientOptions(env));
  await client.resourceGroups.createOrUpdate('images-rg', { location: 'eastus2' });
  const id = `/subscriptions/${subscriptionId}/resourceGroups/images-rg/providers/Microsoft.ContainerRegistry/registries/${name}`;
  await client.resources.beginCreateOrUpdateByIdAndWait(id, apiVersionOf('Microsoft.ContainerRegistry/registries'), {
    location: 'eastus2',
    sku: { name: 'Premium' },
    properties: { adminUserEnabled: false, anonymousPullEnabled: false, publicNetworkAccess },
  });
  return id;
}

/**
 * An app image's build context, FROM scratch out of local files (nothing can be pulled here):
 * Debian's static busybox running its httpd on port 8000, serving `/health` with `healthBody`, in
 * three layers.
 */
export async function writeBuildContext(dir: string, healthBody: string): Promise<void> {
  await mkdir(join(dir, 'www'), { recursive: true });
  await copyFile('/bin/busybox', join(dir, 'busybox'));
  await writeFile(join(dir, 'www', 'health'), healthBody);
  await writeFile(join(dir, 'app.txt'), 'voice agent\n');
  await writeFile(
    join(dir, 'Dockerfile'),
    [
      'FROM scratch',
      'COPY busybox /bin/busybox',
      'COPY www /www',
      'COPY app.txt /app.txt',
      'EXPOSE 8000',
      'ENTRYPOINT ["/bin/busybox", "httpd", "-f", "-p", "8000", "-h", "/www"]',
      '',
    ].join('\n'),
  );
}
