/**
 * Rollouts against the sandbox running revisions for real: the example environment provisioned,
 * images built FROM scratch and pushed with a real docker daemon, revisions started on it, probed,
 * judged by the live gate, given traffic step by step, and rolled back on every failure.
 * (Cancellation, ARM's refusals and re-runs are in rollout-recovery.integration.test.ts, so the two run in parallel.)
 */
import { execFileSync } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Sandbox } from '../../sandbox/index.js';
import { armPort } from '../../src/azure/arm.js';
import { RolloutFailedError } from '../../src/deploy/rollout.js';
import type { Dockerd } from '../../sandbox/dockerd.js';
import { provisionedEnvironment, type ProvisionedEnvironment } from '../helpers/environment.js';
import { createRegistry } from '../helpers/images.js';
import { recordingLogger } from '../helpers/logger.js';
import { rolloutHelpers } from '../helpers/rollout.js';
import { adminRequest, appTraffic } from '../helpers/sandbox-admin.js';

let sandbox: Sandbox;
let dockerd: Dockerd;
let workspace: string;
let env: NodeJS.ProcessEnv;
let environment: ProvisionedEnvironment;
const { image, deploy, servingSplit, isActive, status, nextSerial } = rolloutHelpers(() => environment);

async function createVaultWithSecret(name: string): Promise<void> {
  const arm = armPort(env, env['AZURE_SUBSCRIPTION_ID'] as string);
  // In a group of its own: the live gate judges the environment's group, and this vault is not part of it.
  await arm.putResourceGroup('hipaa-other-rg', { location: 'eastus2', tags: {} });
  const id = `/subscriptions/${env['AZURE_SUBSCRIPTION_ID']}/resourceGroups/hipaa-other-rg/providers/Microsoft.KeyVault/vaults/${name}`;
  const put = await arm.send('PUT', id, '2024-11-01', {
    location: 'eastus2',
    properties: {
      tenantId: sandbox.server.identity.tenantId,
      sku: { family: 'A', name: 'standard' },
      enableRbacAuthorization: true,
      enablePurgeProtection: true,
    },
  });
  expect(put.status).toBe(201);
  for (let waited = 0; !sandbox.server.keyVaults.get(name) && waited < 200; waited++)
    await new Promise((resolve) => setTimeout(resolve, 20));
  sandbox.server.keyVaults.get(name)?.put('AzureOpenAIKey', { value: 'other-vault-value', enabled: true });
}

beforeAll(async () => {
  environment = await provisionedEnvironment();
  ({ sandbox, dockerd, workspace, env } = environment);
}, 180_000);
afterAll(async () => environment?.stop());

describe('rollout', () => {
  it('deploys at 0%, proves health, passes the gate, and shifts 10, 50, 100 with no failed request to the app', async () => {
    const first = await deploy({ image: await image('healthy') });
    expect(first.traffic).toEqual([
      { revisionName: first.revision, weight: 100 },
      { revisionName: first.previousRevision, weight: 0, label: 'previous' },
    ]);
    const next = await image('healthy');
    const failures: number[] = [];
    let requests = 0;
    let running = true;
    const load = (async () => {
      while (running) {
        const code = await status(`https://${first.fqdn}/health`);
        requests++;
        if (code !== 200) failures.push(code);
      }
    })();
    const logger = recordingLogger();
    const second = await deploy({ image: next, trafficSteps: [10, 50, 100] }, logger);
    running = false;
    await load;
    expect(failures).toEqual([]);
    expect(requests).toBeGreaterThan(10);
    expect(second.previousRevision).toBe(first.revision);
    expect(appTraffic(sandbox)).toEqual([
      { revisionName: second.revision, weight: 100 },
      { revisionName: first.revision, weight: 0, label: 'previous' },
    ]);
    expect(logger.lines.filter((line) => line.startsWith('Traffic:'))).toEqual([
      `Traffic: ${second.revision} 10%, ${first.revision} 90%.`,
      `Traffic: ${second.revision} 50%, ${first.revision} 50%.`,
      `Traffic: ${second.revision} 100%.`,
    ]);
    expect(second.gateReport).toMatch(/HIPAA gate: pass/);

    // The same digest again: nothing changes.
    const again = await deploy({ image: next });
    expect(again).toMatchObject({ unchanged: true, revision: second.revision });
  }, 240_000);

  it.each([
    ['a crash-looping image', 'crashes', /keeps exiting .*CrashLoopBackOff/],
    ['an image whose /health fails', 'no-health', /startup probe .* failed|did not answer 3 consecutive 2xx/],
  ] as const)(
    '%s never gets traffic: the split is restored exactly and the revision deactivated',
    async (_what, kind, reason) => {
      const before = await servingSplit();
      const error = await deploy({ image: await image(kind) }).catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(RolloutFailedError);
      expect((error as Error).message).toMatch(reason);
      expect((error as RolloutFailedError).result.rolledBack).toBe(true);
      expect(appTraffic(sandbox)).toEqual(before);
      expect(isActive((error as RolloutFailedError).result.revision)).toBe(false);
    },
    120_000,
  );

  it('names the AcrPull role when the app identity cannot pull the image', async () => {
    await createRegistry(sandbox, 'hipaaotheracr', 'Enabled');
    // Another environment's config, whose registry this app's identity has no role on.
    const example = await readFile(join(workspace, 'azure-hipaa.yml'), 'utf8');
    await writeFile(join(workspace, 'other-registry.yml'), example.replace('name: seniorlyprodacr', 'name: hipaaotheracr'));
    const before = await servingSplit();
    const error = await deploy({ image: await image('healthy', 'other-registry.yml') }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(RolloutFailedError);
    expect((error as Error).message).toMatch(/UNAUTHORIZED: authentication required.*grant it the 'AcrPull' role/s);
    expect(appTraffic(sandbox)).toEqual(before);
  }, 120_000);

  it('lets the live gate block promotion: the candidate is deactivated and nothing moves', async () => {
    const vault = [...sandbox.server.arm.resources.values()].find((resource) => resource.type === 'Microsoft.KeyVault/vaults');
    const before = await servingSplit();
    await adminRequest(sandbox, 'PATCH', '/resources', { id: vault?.id, properties: { enablePurgeProtection: false } });
    try {
      const error = await deploy({ image: await image('healthy') }).catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(RolloutFailedError);
      expect((error as Error).message).toMatch(/The HIPAA gate blocks promotion: keyvault\.purge-protection on seniorly-prod-secrets/);
      expect((error as RolloutFailedError).result.gateReport).toMatch(/HIPAA gate: fail/);
      expect(appTraffic(sandbox)).toEqual(before);
      expect(isActive((error as RolloutFailedError).result.revision)).toBe(false);
    } finally {
      await adminRequest(sandbox, 'PATCH', '/resources', { id: vault?.id, properties: { enablePurgeProtection: true } });
    }
  }, 120_000);

  it('resolves Key Vault references with the app identity into the replicas, and fails as Azure does where the identity may not read', async () => {
    const arm = armPort(env, env['AZURE_SUBSCRIPTION_ID'] as string);
    const app = [...sandbox.server.arm.resources.values()].find((resource) => resource.type === 'Microsoft.App/containerApps');
    const identity = [...sandbox.server.arm.resources.values()].find(
      (resource) => resource.type === 'Microsoft.ManagedIdentity/userAssignedIdentities',
    );
    const value = `sk-${crypto.randomUUID()}`;
    sandbox.server.keyVaults.get('seniorly-prod-secrets')?.put('AzureOpenAIKey', { value, enabled: true });
    const template = (app?.properties as { template: { containers: { env?: unknown[] }[] } }).template;
    const withSecret = (vault: string) => ({
      properties: {
        configuration: {
          secrets: [{ name: 'openai-key', keyVaultUrl: `https://${vault}.vault.azure.net/secrets/AzureOpenAIKey`, identity: identity?.id }],
        },
        template: {
          ...template,
          revisionSuffix: `kv${nextSerial()}`,
          containers: [{ ...template.containers[0], env: [{ name: 'AZURE_OPENAI_KEY', secretRef: 'openai-key' }] }],
        },
      },
    });
    const settle = async (location: string | undefined) => {
      for (;;) {
        const poll = await arm.send('GET', location ?? '');
        if (poll.status !== 202) return poll;
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    };
    const accepted = await arm.send('PATCH', app?.id ?? '', '2026-01-01', withSecret('seniorly-prod-secrets'));
    expect((await settle(accepted.headers['location'])).status).toBe(200);
    const revision = sandbox.server.apps.revisionsOf(app?.id ?? '').at(-1);
    for (let waited = 0; !revision?.replicas[0] && waited < 100; waited++) await new Promise((resolve) => setTimeout(resolve, 50));
    const inspected = execFileSync('docker', ['inspect', '--format', '{{json .Config.Env}}', revision?.replicas[0]?.container ?? ''], {
      env: { ...process.env, ...dockerd.env },
      encoding: 'utf8',
    });
    expect(JSON.parse(inspected)).toContain(`AZURE_OPENAI_KEY=${value}`);

    // A vault the identity holds no role on: the update fails with Azure's words, and no revision is made.
    await createVaultWithSecret('hipaa-other-kv');
    const revisions = sandbox.server.apps.revisionsOf(app?.id ?? '').length;
    const refused = await settle((await arm.send('PATCH', app?.id ?? '', '2026-01-01', withSecret('hipaa-other-kv'))).headers['location']);
    expect(refused.status).toBe(400);
    expect(JSON.stringify(refused.body)).toMatch(/Unable to get value using Managed identity .* for secret openai-key/);
    expect(sandbox.server.apps.revisionsOf(app?.id ?? '')).toHaveLength(revisions);
  }, 120_000);
});
