/**
 * provision against the sandbox's ARM endpoint with the real @azure/arm-resources SDK: the
 * example config deployed from nothing, a second run that changes nothing, what-if diffs, the
 * template gate refusing a non-compliant config, and ARM's own errors for bad input.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { copyFile, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ResourceManagementClient } from '@azure/arm-resources';
import { SecretClient } from '@azure/keyvault-secrets';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSandbox, type Sandbox } from '../../sandbox/index.js';
import { azureClientOptions, azureCredential } from '../../src/azure/credential.js';
import { ConfigurationError } from '../../src/core/errors.js';
import { silentLogger } from '../../src/core/logger.js';
import { armPort } from '../../src/azure/arm.js';
import { provision, type ProvisionRequest } from '../../src/provision/provision.js';
import { renderTemplate } from '../../src/template/render.js';
import { loadConfig } from '../../src/config/load.js';
import { recordingLogger } from '../helpers/logger.js';
import { repoRoot } from '../helpers/run-action.js';
import type { ArmPort } from '../../src/azure/arm-port.js';

const EXAMPLE = 'examples/azure-hipaa.yml';
let sandbox: Sandbox;
let env: NodeJS.ProcessEnv;
let work: string;

beforeAll(async () => {
  sandbox = await startSandbox({ latencyMs: 0, armTimeScale: 0.0005 });
  env = { ...process.env, ...sandbox.env };
  work = await mkdtemp(join(tmpdir(), 'provision-'));
  await mkdir(join(work, 'compliance'));
  await copyFile(join(repoRoot, 'examples/compliance/azure-baa-sample.txt'), join(work, 'compliance/azure-baa-sample.txt'));
});
afterAll(async () => {
  await sandbox?.stop();
  await rm(work, { recursive: true, force: true });
});

function request(overrides: Partial<ProvisionRequest> = {}): ProvisionRequest {
  return { cwd: repoRoot, config: EXAMPLE, mode: 'deploy', gate: 'block', logger: silentLogger, pollIntervalMs: 20, ...overrides };
}

/** Provision through the real SDK against the sandbox, in the sandbox's subscription unless another is given. */
function provisionWith(overrides: Partial<ProvisionRequest> = {}, subscriptionId = env['AZURE_SUBSCRIPTION_ID'] as string) {
  return provision(request(overrides), { arm: armPort(env, subscriptionId) });
}

/** Writes a variant of the example config, beside a copy of its BAA evidence. */
async function config(name: string, change: (yaml: string) => string): Promise<string> {
  const path = join(work, `${name}.yml`);
  await writeFile(path, change(readFileSync(join(repoRoot, EXAMPLE), 'utf8')));
  return path;
}

describe('provision', () => {
  it('previews everything as created when the resource group does not exist, and changes nothing', async () => {
    const result = await provisionWith({ mode: 'what-if' });
    expect(result.status).toBe('previewed');
    expect(result.changes.resourceGroupCreated).toBe(true);
    const template = renderTemplate((await loadConfig(EXAMPLE, { cwd: repoRoot })).config);
    expect(result.changeCount).toBe(template.resources.length);
    expect(sandbox.server.arm.resourceGroups.size).toBe(0);
    expect(sandbox.server.arm.puts).toBe(0);
  });

  it('deploys the example config: every resource, in dependency order, reported as ARM reports it, with the outputs', async () => {
    const logger = recordingLogger();
    const result = await provisionWith({ logger });
    const template = renderTemplate((await loadConfig(EXAMPLE, { cwd: repoRoot })).config);
    expect(result.status).toBe('deployed');
    expect(result.operations).toHaveLength(template.resources.length);
    expect(result.operations.every((operation) => operation.state === 'Succeeded')).toBe(true);
    for (const resource of template.resources.filter((r) => !r.scope)) {
      const found = [...sandbox.server.arm.resources.values()].some(
        (stored) => stored.type === resource.type && stored.name.toLowerCase() === resource.name.toLowerCase(),
      );
      expect(found, `${resource.type} ${resource.name}`).toBe(true);
    }
    const group = sandbox.server.arm.resourceGroups.get('seniorly-prod-rg');
    expect(group?.tags).toMatchObject({ Compliance: 'HIPAA', Environment: 'Production' });
    expect(result.outputs).toMatchObject({
      'key-vault-uri': 'https://seniorly-prod-secrets.vault.azure.net/',
      'registry-login-server': 'seniorlyprodacr.azurecr.io',
      'sql-server-fqdn': 'seniorly-prod-sql.database.windows.net',
      'cosmos-endpoint': 'https://seniorly-prod-cosmos.documents.azure.com:443/',
      'redis-port': '10000',
      'openai-endpoint': 'https://seniorly-prod-openai.openai.azure.com/',
      'speech-endpoint': 'https://seniorly-prod-speech.cognitiveservices.azure.com/',
      'search-endpoint': 'https://seniorly-prod-search.search.windows.net',
    });
    // The app is told where the AI services are, and given no key for them.
    const app = [...sandbox.server.arm.resources.values()].find((stored) => stored.type === 'Microsoft.App/containerApps');
    const env = (app?.properties as { template: { containers: { env: { name: string; value?: string }[] }[] } }).template.containers[0]
      ?.env;
    expect(env).toEqual(
      expect.arrayContaining([
        { name: 'AZURE_OPENAI_ENDPOINT', value: 'https://seniorly-prod-openai.openai.azure.com/' },
        { name: 'AZURE_SPEECH_ENDPOINT', value: 'https://seniorly-prod-speech.cognitiveservices.azure.com/' },
        { name: 'AZURE_SPEECH_REGION', value: 'eastus2' },
        { name: 'AZURE_SEARCH_ENDPOINT', value: 'https://seniorly-prod-search.search.windows.net' },
      ]),
    );
    expect(env?.filter((variable) => /(OPENAI|SPEECH|SEARCH)_(API_)?KEY/.test(variable.name))).toEqual([]);
    expect(result.outputs['container-apps-environment-id']).toMatch(/\/providers\/Microsoft\.App\/managedEnvironments\/seniorly-prod-env$/);
    expect(result.outputs['container-apps-default-domain']).toMatch(/\.eastus2\.azurecontainerapps\.io$/);
    expect(result.outputs['log-analytics-workspace-id']).toMatch(/^[0-9a-f-]{36}$/);
    expect(result.outputs['redis-host']).toBe('seniorly-prod-redis.eastus2.redis.azure.net');
    // The app's address is the edge's, not the environment's (closed to the internet).
    expect(result.outputs['app-host-name']).toMatch(/^seniorly-prod-[0-9a-f]{16}\.z01\.azurefd\.net$/);
    expect(result.outputs['edge-host-name']).toBe(result.outputs['app-host-name']);
    expect(
      logger.lines.some((line) => /Front Door seniorly-prod-edge reaches the environment through Private Link: .* approved now/.test(line)),
    ).toBe(true);
    expect(logger.lines.some((line) => /created +Microsoft\.KeyVault\/vaults seniorly-prod-secrets in [\d.]+ s/.test(line))).toBe(true);
    // Dependencies first: the app started only after its identity's role grants finished.
    const order = (type: string) => result.operations.findIndex((operation) => operation.type === type);
    expect(order('Microsoft.App/containerApps')).toBeGreaterThan(order('Microsoft.Authorization/roleAssignments'));
  });

  it('approves the pending Private Link connection Front Door asked for, and waits until Azure says it is approved', async () => {
    const connections = [...sandbox.server.arm.resources.values()].filter((stored) =>
      /^Microsoft\.App\/managedEnvironments\/privateEndpointConnections$/i.test(stored.type),
    );
    expect(connections).toHaveLength(1);
    const state = (connections[0]?.properties as { privateLinkServiceConnectionState: { status: string } })
      .privateLinkServiceConnectionState;
    expect(state.status).toBe('Approved');
    expect(connections[0]?.provisioningState).toBe('Succeeded');
  });

  it('deploys exactly the template the gate judged: the same object goes to what-if, validate and the deployment, and ARM holds it', async () => {
    const sent: unknown[] = [];
    const real = armPort(env, env['AZURE_SUBSCRIPTION_ID'] as string);
    const recording: ArmPort = {
      ...real,
      whatIf: (group, name, deployment) => (sent.push(deployment.properties.template), real.whatIf(group, name, deployment)),
      validate: (group, name, deployment) => (sent.push(deployment.properties.template), real.validate(group, name, deployment)),
      startDeployment: (group, name, deployment) => (
        sent.push(deployment.properties.template),
        real.startDeployment(group, name, deployment)
      ),
    };
    const result = await provision(request(), { arm: recording });
    expect(result.status).toBe('deployed');
    expect(sent).toHaveLength(3);
    for (const template of sent) expect(template).toBe(result.gate.template);
    const client = new ResourceManagementClient(azureCredential(env), env['AZURE_SUBSCRIPTION_ID'] as string, azureClientOptions(env));
    const exported = await client.deployments.exportTemplate(result.resourceGroup, result.deploymentName);
    expect(exported.template).toEqual(JSON.parse(JSON.stringify(result.gate.template)));
  });

  it('creates the build registry in a group of its own and grants the deploy identity the importer role on both registries', async () => {
    const principal = sandbox.server.identity.clientId;
    const result = await provisionWith({ deployPrincipalId: principal });
    expect(result.promotion?.build?.loginServer).toBe('seniorlybuildacr.azurecr.io');
    expect(result.promotion?.granted).toEqual([
      'Container Registry Data Importer and Data Reader on seniorlyprodacr',
      'Container Registry Data Importer and Data Reader on seniorlybuildacr',
      'AcrPush on seniorlybuildacr',
    ]);
    expect(result.promotion?.toGrant).toEqual([]);
    const build = [...sandbox.server.arm.resources.values()].find((resource) => resource.name === 'seniorlybuildacr');
    expect(build).toMatchObject({
      resourceGroup: 'seniorly-build-rg',
      properties: { publicNetworkAccess: 'Enabled', adminUserEnabled: false },
    });
    const grants = [...sandbox.server.arm.resources.values()].filter(
      (resource) =>
        resource.type === 'Microsoft.Authorization/roleAssignments' &&
        resource.properties['principalId'] === principal &&
        String(resource.properties['roleDefinitionId']).endsWith('577a9874-89fd-4f24-9dbd-b5034d0ad23a'),
    );
    expect(grants.map((grant) => grant.id.split('/providers/Microsoft.Authorization')[0]?.split('/').at(-1))).toEqual([
      'seniorlyprodacr',
      'seniorlybuildacr',
    ]);
    // Without the deploy identity's object id, the grants are named as commands instead.
    const unnamed = await provisionWith();
    expect(unnamed.promotion?.toGrant).toHaveLength(3);
    expect(unnamed.promotion?.toGrant[0]).toContain('az role assignment create --role "Container Registry Data Importer and Data Reader"');
  });

  it('makes the new Key Vault live, closed to networks outside the environment as its publicNetworkAccess says', async () => {
    await provisionWith();
    const client = new SecretClient('https://seniorly-prod-secrets.vault.azure.net', azureCredential(env), azureClientOptions(env));
    const refused = await client.setSecret('AzureOpenAIKey', 'not-a-real-key').catch((error: unknown) => error);
    expect(refused).toMatchObject({ statusCode: 403, code: 'Forbidden' });
    // From a runner inside the virtual network the data plane answers.
    const vault = sandbox.server.keyVaults.get('seniorly-prod-secrets');
    if (!vault) throw new Error('the vault is not live');
    vault.insideNetwork = true;
    try {
      await client.setSecret('AzureOpenAIKey', 'not-a-real-key');
      expect((await client.getSecret('AzureOpenAIKey')).value).toBe('not-a-real-key');
    } finally {
      vault.insideNetwork = false;
    }
  });

  it('reports no changes on a second run with the same config, and logs the resources as updated, not created', async () => {
    const logger = recordingLogger();
    const result = await provisionWith({ logger });
    expect(result.changeCount).toBe(0);
    expect(logger.lines.some((line) => /updated +Microsoft\.KeyVault\/vaults seniorly-prod-secrets in [\d.]+ s/.test(line))).toBe(true);
    // Idempotent: the connection approved by the first run is left as it is, and no other is asked for.
    expect(logger.lines.some((line) => /Private Link: seniorly-prod-edge-[0-9a-f]{8} approved before\.$/.test(line))).toBe(true);
    expect(logger.lines.filter((line) => / created +Microsoft/.test(line))).toEqual([]);
    expect(result.changes.resources.filter((c) => c.changeType !== 'NoChange' && c.changeType !== 'Ignore')).toEqual([]);
  });

  it('keeps the image and traffic split deploy-container set when it provisions again', async () => {
    const appId = [...sandbox.server.arm.resources.values()].find((r) => r.type === 'Microsoft.App/containerApps')?.id as string;
    const app = sandbox.server.arm.resources.get(appId.toLowerCase());
    const properties = app?.properties as {
      template: { containers: { image: string; probes: { httpGet: { path: string; port: number } }[] }[] };
      configuration: { ingress: { targetPort: number; traffic: unknown[] } };
    };
    const deployed = structuredClone(properties);
    const [container] = deployed.template.containers;
    if (!container) throw new Error('the app has no container');
    // What a deploy leaves: an image in the registry (its manifest seeded here), and traffic pinned to a revision that exists.
    const manifest = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: 'application/vnd.oci.image.manifest.v1+json' }));
    const digest = `sha256:${createHash('sha256').update(manifest).digest('hex')}`;
    const repository = sandbox.server.registries.content('seniorlyprodacr').repository('voice-agent');
    repository.manifests.set(digest, { mediaType: 'application/vnd.oci.image.manifest.v1+json', bytes: manifest });
    repository.tags.set('v2', digest);
    const revision = sandbox.server.apps.revisionsOf(appId).at(-1)?.name as string;
    container.image = 'seniorlyprodacr.azurecr.io/voice-agent:v2';
    for (const probe of container.probes) probe.httpGet = { ...probe.httpGet, path: '/health', port: 8000 };
    deployed.configuration.ingress.targetPort = 8000;
    deployed.configuration.ingress.traffic = [{ revisionName: revision, weight: 100 }];
    sandbox.server.arm.patchDirectly(appId, deployed as unknown as Record<string, unknown>);
    const result = await provisionWith();
    expect(result.changeCount).toBe(0);
    const after = sandbox.server.arm.resources.get(appId.toLowerCase())?.properties as typeof properties;
    expect(after.template.containers[0]?.image).toBe('seniorlyprodacr.azurecr.io/voice-agent:v2');
    expect(after.configuration.ingress.traffic).toEqual([{ revisionName: revision, weight: 100 }]);
  });

  it('shows a config change in what-if as a modify with the property diff, and deploys nothing in what-if mode', async () => {
    const path = await config('retention', (yaml) => yaml.replace('sku: standard', 'sku: premium'));
    const puts = sandbox.server.arm.puts;
    const result = await provisionWith({ cwd: work, config: path, mode: 'what-if' });
    expect(result.changeCount).toBe(1);
    const vault = result.changes.resources.find((c) => c.changeType === 'Modify');
    expect(vault?.type).toBe('Microsoft.KeyVault/vaults');
    expect(vault?.delta).toEqual([{ path: 'properties.sku.name', kind: 'Modify', before: 'standard', after: 'premium' }]);
    expect(sandbox.server.arm.puts).toBe(puts);
  });

  it('refuses to deploy a config the template gate rejects, and deploys it with gate: warn', async () => {
    const path = await config('noncompliant', (yaml) =>
      yaml
        .replace('resourceGroup: seniorly-prod-rg', 'resourceGroup: noncompliant-rg')
        .replace('auditTableTotalRetentionInDays: 2190', 'auditTableTotalRetentionInDays: 365'),
    );
    const blocked = await provisionWith({ cwd: work, config: path });
    expect(blocked.status).toBe('blocked');
    expect(blocked.gate.report.findings.filter((f) => f.status === 'fail').map((f) => f.control)).toEqual(['logs.retention']);
    expect(sandbox.server.arm.resourceGroups.has('noncompliant-rg')).toBe(false);
    const warned = await provisionWith({ cwd: work, config: path, gate: 'warn' });
    expect(warned.status).toBe('deployed');
  });
});

describe('provision with bad input gives ARM’s message and what to change', () => {
  async function failure(overrides: Partial<ProvisionRequest>, subscriptionId?: string): Promise<Error> {
    try {
      await provisionWith(overrides, subscriptionId);
    } catch (error) {
      return error as Error;
    }
    throw new Error('provision did not fail');
  }

  it('an unknown subscription', async () => {
    const error = await failure({}, '00000000-0000-0000-0000-000000000001');
    expect(error).toBeInstanceOf(ConfigurationError);
    expect(error.message).toContain("SubscriptionNotFound: The subscription '00000000-0000-0000-0000-000000000001' could not be found.");
    expect(error.message).toContain('AZURE_SUBSCRIPTION_ID');
  });

  it('a region the subscription cannot use', async () => {
    const path = await config('region', (yaml) =>
      yaml.replace('region: eastus2', 'region: westindia').replace('resourceGroup: seniorly-prod-rg', 'resourceGroup: region-rg'),
    );
    const error = await failure({ cwd: work, config: path });
    expect(error).toBeInstanceOf(ConfigurationError);
    expect(error.message).toContain(
      "LocationNotAvailableForResourceGroup: The provided location 'westindia' is not available for resource group.",
    );
    expect(error.message).toContain('Set `region` in the config');
  });

  it('a global name another subscription holds, naming the config key', async () => {
    sandbox.server.arm.takenNames.add('microsoft.storage/storageaccounts|takenbackup01');
    const path = await config('taken', (yaml) =>
      yaml.replace('resourceGroup: seniorly-prod-rg', 'resourceGroup: taken-rg').replace('name: seniorlyprodbackup', 'name: takenbackup01'),
    );
    const error = await failure({ cwd: work, config: path });
    expect(error).toBeInstanceOf(ConfigurationError);
    expect(error.message).toContain('StorageAccountAlreadyTaken: The storage account named takenbackup01 is already taken.');
    expect(error.message).toMatch(/choose another \(config storage/);
  });

  it('a workflow identity without the right to grant roles', async () => {
    sandbox.server.arm.roles = ['Contributor'];
    try {
      const error = await failure({});
      expect(error).toBeInstanceOf(ConfigurationError);
      expect(error.message).toContain("does not have permission to perform action 'Microsoft.Authorization/roleAssignments/write'");
      expect(error.message).toContain('Role Based Access Control Administrator');
    } finally {
      sandbox.server.arm.roles = ['Contributor', 'Role Based Access Control Administrator'];
    }
  });

  it('an unregistered resource provider names the command; once registered, the runner network deploys and its GitHubId is an output', async () => {
    const path = await config('runners', (yaml) =>
      yaml
        .replace('resourceGroup: seniorly-prod-rg', 'resourceGroup: runners-rg')
        .replace('  privateEndpointsSubnet:', '  githubRunners:\n    businessId: "123456789"\n  privateEndpointsSubnet:'),
    );
    const error = await failure({ cwd: work, config: path });
    expect(error.message).toContain("The subscription is not registered to use namespace 'GitHub.Network'");
    expect(error).toBeInstanceOf(ConfigurationError);
    expect(error.message).toContain('az provider register --namespace GitHub.Network');

    const arm = armPort(env, env['AZURE_SUBSCRIPTION_ID'] as string);
    const registered = await arm.send('POST', `/subscriptions/${arm.subscriptionId}/providers/GitHub.Network/register`, '2024-03-01');
    expect(registered.body).toMatchObject({ namespace: 'GitHub.Network', registrationState: 'Registered' });
    const result = await provisionWith({ cwd: work, config: path });
    expect(result.outputs['github-network-settings-id']).toMatch(/^[0-9A-F]{32}$/);
    const vnet = await arm.get(
      `/subscriptions/${arm.subscriptionId}/resourceGroups/runners-rg/providers/Microsoft.Network/virtualNetworks/seniorly-prod-vnet`,
      '2024-05-01',
    );
    const runnerSubnet = (
      vnet.body as { properties: { subnets: { name: string; properties: Record<string, unknown> }[] } }
    ).properties.subnets.find((subnet) => subnet.name === 'github-runners');
    expect(runnerSubnet?.properties).toMatchObject({
      addressPrefix: '10.40.3.0/24',
      delegations: [{ properties: { serviceName: 'GitHub.Network/networkSettings' } }],
      networkSecurityGroup: { id: expect.stringMatching(/\/networkSecurityGroups\/github-runners-nsg$/) },
    });
  });

  it('a workflow identity that can only read', async () => {
    sandbox.server.arm.roles = ['Reader'];
    try {
      const error = await failure({
        cwd: work,
        config: await config('reader', (yaml) => yaml.replace('resourceGroup: seniorly-prod-rg', 'resourceGroup: reader-rg')),
      });
      expect(error.message).toContain('AuthorizationFailed');
      expect(error.message).toContain('Grant the workflow identity "Contributor"');
    } finally {
      sandbox.server.arm.roles = ['Contributor', 'Role Based Access Control Administrator'];
    }
  });
});
