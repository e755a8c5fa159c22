/**
 * migrate-secrets into a vault whose public network access is disabled (production's), from a runner
 * outside its network: the data plane refuses (403 ForbiddenByConnection), so the secrets go through
 * Resource Manager as template deployments with secure parameters. Real SDKs against the sandbox:
 * values land, no deployment or operation read shows one, a re-run writes no new version, a changed
 * source writes exactly one, and the errors name what to change.
 */
import { spawn } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ResourceManagementClient } from '@azure/arm-resources';
import { azureClientOptions, azureCredential } from '../../src/azure/credential.js';
import { armPort } from '../../src/azure/arm.js';
import { CLI_INPUT_NAMES } from '../../src/cli/commands/migrate-secrets.js';
import { ConfigurationError } from '../../src/core/errors.js';
import type { Logger } from '../../src/core/logger.js';
import { migrateSecrets, type MigrationReport } from '../../src/secrets/migrate.js';
import { resolveMigrationOptions, type MigrationInputs } from '../../src/secrets/options.js';
import { SOURCE_VERSION_TAG } from '../../src/secrets/through-arm.js';
import { startSandbox, type Sandbox } from '../../sandbox/index.js';
import { adminRequest } from '../helpers/sandbox-admin.js';
import { repoRoot } from '../helpers/run-action.js';
import { createArmVault } from '../helpers/vaults.js';
import { recordingLogger } from '../helpers/logger.js';
import { containsNoValue, expectValuesMatch } from '../helpers/secrets.js';

const GROUP = 'secrets-arm-rg';
let sandbox: Sandbox;
let client: ResourceManagementClient;
let subscriptionId: string;
let serial = 0;

beforeAll(async () => {
  sandbox = await startSandbox({ latencyMs: 0, armTimeScale: 0.001 });
  subscriptionId = sandbox.env['AZURE_SUBSCRIPTION_ID'] as string;
  client = new ResourceManagementClient(azureCredential(sandbox.env), subscriptionId, azureClientOptions(sandbox.env));
  await client.resourceGroups.createOrUpdate(GROUP, { location: 'eastus2' });
});
afterAll(async () => sandbox?.stop());

const admin = (method: string, path: string, body?: unknown) => adminRequest(sandbox, method, path, body);

const armVault = (name: string) => createArmVault(sandbox, GROUP, name);

/** A development vault (public) seeded with made-up values, and a private production vault. */
async function scene(count = 3): Promise<{ source: string; target: string; values: Map<string, string> }> {
  serial += 1;
  const source = `kv-dev-arm-${serial}`;
  const target = `kv-prod-arm-${serial}`;
  await sandbox.createVault(source);
  await armVault(target);
  const values = new Map<string, string>();
  for (let i = 0; i < count; i++)
    values.set(`Secret-${i}`, i === 1 ? `[not an expression ${crypto.randomUUID()}]` : `v-${crypto.randomUUID()}`);
  await admin(
    'POST',
    `/vaults/${source}/secrets`,
    [...values].map(([name, value], i) => ({
      name,
      value,
      contentType: 'text/plain',
      tags: { seeded: 'yes', ...(i === 0 ? { note: '[concat(1,2)]' } : {}) },
    })),
  );
  return { source, target, values };
}

function migrate(
  source: string,
  target: string,
  overrides: Partial<MigrationInputs> = {},
  logger: Logger = recordingLogger(),
): Promise<MigrationReport> {
  return migrateSecrets(
    resolveMigrationOptions(
      {
        source,
        target,
        include: [],
        exclude: [],
        overwrite: 'if-changed',
        includeDisabled: false,
        recoverDeleted: true,
        dryRun: false,
        verify: true,
        ...overrides,
      },
      CLI_INPUT_NAMES,
    ),
    { logger, env: sandbox.env, retry: { retryDelayInMs: 20, maxRetryDelayInMs: 200, maxRetries: 4 } },
  );
}

interface AdminVault {
  secrets: { name: string; deleted: boolean; versions: { value: string; tags?: Record<string, string>; contentType?: string }[] }[];
}

async function vaultState(name: string): Promise<AdminVault> {
  return (await admin('GET', `/vaults/${name}`)).body as AdminVault;
}

/** Everything Resource Manager shows about the group's deployments: each deployment, its operations, its template. */
async function everyDeploymentRead(): Promise<string> {
  const arm = armPort(sandbox.env, subscriptionId);
  const base = `/subscriptions/${subscriptionId}/resourceGroups/${GROUP}/providers/Microsoft.Resources/deployments`;
  const list = await arm.get(base, '2025-04-01');
  const reads = [JSON.stringify(list.body)];
  for (const deployment of (list.body as { value: { name: string }[] }).value) {
    reads.push(JSON.stringify((await arm.get(`${base}/${deployment.name}`, '2025-04-01')).body));
    reads.push(JSON.stringify((await arm.get(`${base}/${deployment.name}/operations`, '2025-04-01')).body));
    reads.push(JSON.stringify((await arm.send('POST', `${base}/${deployment.name}/exportTemplate`, '2025-04-01')).body));
  }
  const secrets = await arm.get(
    `/subscriptions/${subscriptionId}/resourceGroups/${GROUP}/providers/Microsoft.KeyVault/vaults`,
    '2026-02-01',
  );
  reads.push(JSON.stringify(secrets.body));
  return reads.join('\n');
}

describe('migrate-secrets into a vault closed to this network, through Resource Manager', () => {
  it('the data plane refuses the runner as Azure does: 403 ForbiddenByConnection, after sign-in', async () => {
    const { source, target } = await scene(1);
    const error = await migrate(source, target, { targetPath: 'data-plane' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConfigurationError);
    expect((error as Error).message).toContain('refuses this runner');
    expect((error as Error).message).toContain('ForbiddenByConnection');
    expect((error as Error).message).toContain("target-path 'auto' or 'resource-manager'");
  });

  it('copies every value through deployments, masks each first, shows none in any read, and says which path each took', async () => {
    const { source, target, values } = await scene(3);
    const logger = recordingLogger();
    const report = await migrate(source, target, {}, logger);
    expect(report.targetPath).toBe('Resource Manager');
    expect(report.counts).toMatchObject({ copied: 3, failed: 0 });
    expect(report.results.every((row) => row.path === 'Resource Manager' && row.reason.includes('verified'))).toBe(true);
    const state = await vaultState(target);
    const landed = new Map(state.secrets.map((secret) => [secret.name, secret.versions.at(-1)?.value ?? '']));
    expectValuesMatch(landed, values);
    // The source's tags come across literally (an ARM expression is not evaluated) with the version tag beside them.
    const first = state.secrets.find((secret) => secret.name === 'Secret-0')?.versions.at(-1);
    expect(first?.tags).toMatchObject({ seeded: 'yes', note: '[concat(1,2)]' });
    expect(first?.tags?.[SOURCE_VERSION_TAG]).toMatch(/^[0-9a-f]{32}$/);
    expect(first?.contentType).toBe('text/plain');
    for (const value of values.values()) expect(logger.masked.has(value)).toBe(true);
    expect(containsNoValue(logger.lines.join('\n'), values.values())).toBe(true);
    expect(logger.lines.join('\n')).toContain('refuses this runner');
    expect(containsNoValue(await everyDeploymentRead(), values.values())).toBe(true);
  });

  it('a re-run writes no new version; a changed source writes exactly one; a dry run writes nothing', async () => {
    const { source, target } = await scene(3);
    await migrate(source, target);
    const versions = async () => new Map((await vaultState(target)).secrets.map((secret) => [secret.name, secret.versions.length]));
    const before = await versions();
    const again = await migrate(source, target);
    expect(again.counts).toMatchObject({ copied: 0, unchanged: 3, failed: 0 });
    expect(await versions()).toEqual(before);

    await admin('POST', `/vaults/${source}/secrets`, [
      { name: 'Secret-2', value: `changed-${crypto.randomUUID()}`, contentType: 'text/plain', tags: { seeded: 'yes' } },
    ]);
    const dry = await migrate(source, target, { dryRun: true });
    expect(dry.results.find((row) => row.name === 'Secret-2')).toMatchObject({
      outcome: 'copied',
      action: 'would new version',
      path: 'Resource Manager',
    });
    expect(await versions()).toEqual(before);
    const changed = await migrate(source, target);
    expect(changed.counts).toMatchObject({ copied: 1, unchanged: 2 });
    expect(await versions()).toEqual(new Map([...before].map(([name, count]) => [name, name === 'Secret-2' ? count + 1 : count])));
  });

  it('batches within ARM limits: 205 secrets take two deployments', async () => {
    const { source, target } = await scene(205);
    const before = (await client.deployments.listByResourceGroup(GROUP).byPage().next()).value?.length ?? 0;
    const logger = recordingLogger();
    const report = await migrate(source, target, {}, logger);
    expect(report.counts).toMatchObject({ copied: 205, failed: 0 });
    expect(
      logger.lines
        .filter((line) => line.startsWith('Writing ') && line.includes('through Resource Manager'))
        .map((line) => line.split(' ')[1]),
    ).toEqual(['200', '5']);
    let after = 0;
    for await (const _deployment of client.deployments.listByResourceGroup(GROUP)) after++;
    expect(after - before).toBeGreaterThanOrEqual(2);
  });

  it('a secret soft-deleted in the target fails with what to do; the others land', async () => {
    const { source, target } = await scene(2);
    sandbox.server.keyVaults.get(target)?.put('Secret-0', { value: 'old', enabled: true });
    await admin('POST', `/vaults/${target}/deleted`, { name: 'Secret-0' });
    const report = await migrate(source, target);
    expect(report.results.find((row) => row.name === 'Secret-0')).toMatchObject({ outcome: 'failed' });
    expect(report.results.find((row) => row.name === 'Secret-0')?.reason).toContain('recover it');
    expect(report.results.find((row) => row.name === 'Secret-1')).toMatchObject({ outcome: 'copied' });
  });

  it('a missing role is named with its scope', async () => {
    const { source, target } = await scene(1);
    sandbox.server.arm.roles = ['Reader'];
    try {
      const error = await migrate(source, target).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ConfigurationError);
      expect((error as Error).message).toContain("Grant it 'Contributor' on the resource group 'secrets-arm-rg'");
      expect((error as Error).message).toMatch(/Microsoft\.(Resources\/deployments|KeyVault\/vaults\/secrets)\/write/);
    } finally {
      sandbox.server.arm.roles = ['Contributor', 'Role Based Access Control Administrator'];
    }
  });

  it('a private source vault cannot be read through Resource Manager: the error says so and names the runner options', async () => {
    serial += 1;
    const source = `kv-src-private-${serial}`;
    await armVault(source);
    const { target } = await scene(1);
    const error = await migrate(source, target).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConfigurationError);
    expect((error as Error).message).toContain('Resource Manager never returns them');
    expect((error as Error).message).toContain('github-runners');
    expect((error as Error).message).toContain('self-hosted runner');
  });

  it('resumes after a kill mid-deployment: the re-run waits for the deployment it left and no secret gets a second version', async () => {
    const { source, target, values } = await scene(4);
    // A deployment that takes seconds, so the CLI can be killed while it runs.
    sandbox.server.arm.timeScale = 1;
    try {
      const cli = spawn(
        process.execPath,
        ['--import', 'tsx', 'src/cli/main.ts', 'migrate-secrets', '--source', source, '--target', target],
        {
          cwd: repoRoot,
          env: { ...process.env, ...sandbox.env },
          stdio: ['ignore', 'pipe', 'pipe'],
        },
      );
      let output = '';
      await new Promise<void>((resolve, reject) => {
        const onData = (chunk: Buffer) => {
          output += chunk.toString();
          if (output.includes('through Resource Manager (deployment')) {
            cli.kill('SIGKILL');
            resolve();
          }
        };
        cli.stdout.on('data', onData);
        cli.stderr.on('data', onData);
        cli.on('exit', () => reject(new Error(`the CLI ended before its deployment started:\n${output.slice(-2000)}`)));
      });
      expect(containsNoValue(output, values.values())).toBe(true);
      const report = await migrate(source, target);
      expect(report.counts.failed).toBe(0);
      const state = await vaultState(target);
      expect(state.secrets.map((secret) => secret.versions.length)).toEqual([1, 1, 1, 1]);
    } finally {
      sandbox.server.arm.timeScale = 0.001;
    }
  });
});
