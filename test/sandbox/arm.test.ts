/**
 * The sandbox's ARM endpoint, driven by the real @azure/arm-resources SDK over HTTPS: resource
 * groups, a resource's long-running PUT and PATCH, ARM's 400 for a body that breaks the provider
 * schema, children and extension collections, and the admin API's view of every resource.
 */
import { readFileSync } from 'node:fs';
import { request } from 'node:https';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ResourceManagementClient } from '@azure/arm-resources';
import { startSandbox, type Sandbox } from '../../sandbox/index.js';
import { armPort } from '../../src/azure/arm.js';
import { azureClientOptions, azureCredential } from '../../src/azure/credential.js';
import { adminRequest } from '../helpers/sandbox-admin.js';
import { armFailureOf, type ArmPort } from '../../src/azure/arm-port.js';
import { bodyProblems } from '../../sandbox/arm/resources.js';

let sandbox: Sandbox;
let client: ResourceManagementClient;
let arm: ArmPort;
let subscriptionId: string;
const vaultPath = () => `/subscriptions/${subscriptionId}/resourceGroups/arm-test-rg/providers/Microsoft.KeyVault/vaults/arm-test-kv`;
const vaultBody = (overrides: Record<string, unknown> = {}) => ({
  location: 'eastus2',
  properties: {
    tenantId: sandbox.server.identity.tenantId,
    sku: { family: 'A', name: 'standard' },
    enableRbacAuthorization: true,
    enablePurgeProtection: true,
    ...overrides,
  },
});

beforeAll(async () => {
  sandbox = await startSandbox({ latencyMs: 0, armTimeScale: 0.001 });
  subscriptionId = sandbox.env['AZURE_SUBSCRIPTION_ID'] as string;
  const env = { ...process.env, ...sandbox.env };
  client = new ResourceManagementClient(azureCredential(env), subscriptionId, azureClientOptions(env));
  arm = armPort(env, subscriptionId);
  await client.resourceGroups.createOrUpdate('arm-test-rg', { location: 'eastus2', tags: { Compliance: 'HIPAA' } });
});
afterAll(async () => sandbox?.stop());

const admin = (method: string, path: string, body?: unknown) => adminRequest(sandbox, method, path, body);

describe('the sandbox ARM endpoint', () => {
  it('creates a resource group with its tags and refuses a region that does not exist', async () => {
    expect((await client.resourceGroups.get('arm-test-rg')).tags).toEqual({ Compliance: 'HIPAA' });
    const error = await client.resourceGroups.createOrUpdate('other-rg', { location: 'westmars' }).catch((e: unknown) => e);
    expect(armFailureOf(error)).toMatchObject({ code: 'LocationNotAvailableForResourceGroup' });
  });

  it('puts a resource as a long-running operation: Creating, then Succeeded, with the provider’s read-only properties; makes a vault’s data plane live', async () => {
    const poller = await client.resources.beginCreateOrUpdateById(vaultPath(), '2026-02-01', vaultBody());
    expect(poller.getOperationState().result?.properties?.provisioningState ?? 'Creating').toMatch(/Creating|Succeeded/);
    const created = await poller.pollUntilDone();
    expect(created.properties).toMatchObject({
      provisioningState: 'Succeeded',
      vaultUri: 'https://arm-test-kv.vault.azure.net/',
      enablePurgeProtection: true,
    });
    expect(sandbox.server.keyVaults.vaults.has('arm-test-kv')).toBe(true);
  });

  it('answers a body that breaks the provider schema with ARM’s 400 error shape, naming the property', async () => {
    const error = await client.resources
      .beginCreateOrUpdateByIdAndWait(vaultPath(), '2026-02-01', vaultBody({ enablePurgeProtecton: true }))
      .catch((e: unknown) => e);
    expect((error as { statusCode?: number }).statusCode).toBe(400);
    const failure = armFailureOf(error);
    expect(failure?.code).toBe('InvalidRequestContent');
    expect(failure?.message).toContain('enablePurgeProtecton');
  });

  it('refuses an api-version the provider does not serve', async () => {
    const error = await client.resources.beginCreateOrUpdateByIdAndWait(vaultPath(), '2014-01-01', vaultBody()).catch((e: unknown) => e);
    expect(armFailureOf(error)?.code).toBe('NoRegisteredProviderFound');
  });

  it('patches a resource by merging properties, and lists extension resources', async () => {
    await client.resources.beginUpdateByIdAndWait(vaultPath(), '2026-02-01', { properties: { softDeleteRetentionInDays: 30 } });
    const vault = await client.resources.getById(vaultPath(), '2026-02-01');
    expect(vault.properties).toMatchObject({ softDeleteRetentionInDays: 30, enablePurgeProtection: true });
    const settingPath = `${vaultPath()}/providers/Microsoft.Insights/diagnosticSettings/audit`;
    await client.resources.beginCreateOrUpdateByIdAndWait(settingPath, '2021-05-01-preview', {
      properties: { workspaceId: '/x', logs: [{ categoryGroup: 'audit', enabled: true }] },
    });
    const { status, body } = await arm.get(`${vaultPath()}/providers/Microsoft.Insights/diagnosticSettings`, '2021-05-01-preview');
    expect(status).toBe(200);
    expect((body as { value: { id: string }[] }).value.map((setting) => setting.id)).toEqual([settingPath]);
  });

  it('answers a child whose parent does not exist with ParentResourceNotFound', async () => {
    const error = await client.resources
      .beginCreateOrUpdateByIdAndWait(
        `/subscriptions/${subscriptionId}/resourceGroups/arm-test-rg/providers/Microsoft.Sql/servers/nosuch/databases/db`,
        '2023-08-01',
        { location: 'eastus2', properties: {} },
      )
      .catch((e: unknown) => e);
    expect(armFailureOf(error)?.code).toBe('ParentResourceNotFound');
  });

  it('lists every resource with its body through the admin API, and applies a manual change that skips ARM’s checks', async () => {
    const before = await admin('GET', '/resources');
    expect((before.body as { value: { id: string }[] }).value.map((r) => r.id)).toContain(vaultPath());
    const patched = await admin('PATCH', '/resources', { id: vaultPath(), properties: { enablePurgeProtection: false } });
    expect(patched.status).toBe(200);
    expect((await client.resources.getById(vaultPath(), '2026-02-01')).properties).toMatchObject({ enablePurgeProtection: false });
    expect((await admin('PATCH', '/resources', { id: `${vaultPath()}x`, properties: {} })).status).toBe(404);
  });

  it('refuses reads and writes without a token', async () => {
    const response = await new Promise<number>((resolve, reject) => {
      const outgoing = request(
        {
          host: '127.0.0.1',
          port: JSON.parse(sandbox.env['AZURE_HIPAA_SANDBOX'] as string).port,
          path: `/subscriptions/${subscriptionId}/resourcegroups/arm-test-rg?api-version=2021-04-01`,
          servername: 'management.azure.com',
          headers: { host: 'management.azure.com' },
          ca: readFileSync(sandbox.caCert),
        },
        (r) => {
          r.resume();
          resolve(r.statusCode ?? 0);
        },
      );
      outgoing.on('error', reject);
      outgoing.end();
    });
    expect(response).toBe(401);
  });

  it('judges names by its own table of Microsoft’s rules: Unicode letters in a group, the AI account and environment rows', () => {
    const plane = sandbox.server.arm;
    expect(plane.putResourceGroup('grupo-ñandú', { location: 'eastus' }).group.name).toBe('grupo-ñandú');
    expect(() => plane.putResourceGroup('arm-test-rg.', { location: 'eastus' })).toThrow(
      expect.objectContaining({ code: 'InvalidResourceGroup' }),
    );
    const nameCodes = (type: string, name: string) =>
      bodyProblems({ id: `/x/${name}`, type, name }, '2000-01-01', { location: 'eastus' })
        .map(({ problem }) => problem.code)
        .filter((code) => code === 'InvalidResourceName');
    expect(nameCodes('Microsoft.CognitiveServices/accounts', 'prod_openai')).toEqual(['InvalidResourceName']);
    expect(nameCodes('Microsoft.CognitiveServices/accounts', 'prod-openai')).toEqual([]);
    expect(nameCodes('Microsoft.App/managedEnvironments', '1-prod-env')).toEqual([]);
    expect(nameCodes('Microsoft.App/managedEnvironments', 'prod--env')).toEqual(['InvalidResourceName']);
  });
});
