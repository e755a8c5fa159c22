import { spawn } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SecretClient } from '@azure/keyvault-secrets';
import { azureClientOptions, azureCredential } from '../../src/azure/credential.js';
import { openKeyVault, resolveVaultReference } from '../../src/azure/keyvault.js';
import type { VaultPort } from '../../src/azure/keyvault.js';
import { runCli } from '../../src/cli/run.js';
import { ConfigurationError } from '../../src/core/errors.js';
import type { Logger } from '../../src/core/logger.js';
import { silentLogger } from '../../src/core/logger.js';
import { disabledSourceReason, migrateSecrets, VaultUnavailableError } from '../../src/secrets/migrate.js';
import type { MigrationDependencies, MigrationReport } from '../../src/secrets/migrate.js';
import { resolveMigrationOptions } from '../../src/secrets/options.js';
import type { MigrationInputs } from '../../src/secrets/options.js';
import { skipReasons } from '../../src/secrets/plan.js';
import { startSandbox } from '../../sandbox/index.js';
import type { Sandbox } from '../../sandbox/index.js';
import { recordingLogger } from '../helpers/logger.js';
import { containsNoValue, expectValuesMatch } from '../helpers/secrets.js';
import { CLI_INPUT_NAMES } from '../../src/cli/commands/migrate-secrets.js';
import { repoRoot } from '../helpers/run-action.js';

const names = CLI_INPUT_NAMES;
/** Short SDK delays: the sandbox asks for short Retry-Afters and faults are injected on purpose. */
const fastRetry = { retryDelayInMs: 20, maxRetryDelayInMs: 200, maxRetries: 8 };

let sandbox: Sandbox;
let vaultSerial = 0;

beforeAll(async () => {
  sandbox = await startSandbox();
});
afterAll(async () => {
  await sandbox?.stop();
});

/** A fresh pair of vaults per test, so tests cannot see each other's secrets. */
async function vaultPair(): Promise<{ source: VaultPort; target: VaultPort; sourceName: string; targetName: string }> {
  vaultSerial += 1;
  const sourceName = `kv-src-${vaultSerial}`;
  const targetName = `kv-dst-${vaultSerial}`;
  await sandbox.createVault(sourceName);
  await sandbox.createVault(targetName);
  return {
    sourceName,
    targetName,
    source: openKeyVault(resolveVaultReference(sourceName, 'source'), sandbox.env, { retry: fastRetry }),
    target: openKeyVault(resolveVaultReference(targetName, 'target'), sandbox.env, { retry: fastRetry }),
  };
}

function sdkClient(vaultName: string): SecretClient {
  return new SecretClient(`https://${vaultName}.vault.azure.net`, azureCredential(sandbox.env), azureClientOptions(sandbox.env));
}

/** Values no test would guess, some multi-line, one with surrounding blanks. */
function values(prefix: string, count: number): Map<string, string> {
  const result = new Map<string, string>();
  for (let i = 0; i < count; i += 1) {
    const random = crypto.randomUUID();
    result.set(`${prefix}-${String(i).padStart(3, '0')}`, i % 7 === 3 ? `-----BEGIN-----\n  ${random}  \n-----END-----` : `v-${random}`);
  }
  return result;
}

async function seed(vault: VaultPort, secrets: ReadonlyMap<string, string>): Promise<void> {
  const entries = [...secrets];
  for (let i = 0; i < entries.length; i += 32) {
    await Promise.all(
      entries
        .slice(i, i + 32)
        .map(([name, value]) => vault.setSecret(name, value, { enabled: true, tags: { seeded: 'yes' }, contentType: 'text/plain' })),
    );
  }
}

async function readAll(vault: VaultPort, secretNames: Iterable<string>): Promise<Map<string, string>> {
  const result = new Map<string, string>();
  for (const name of secretNames) result.set(name, (await vault.getSecret(name)).value);
  return result;
}

async function versionCount(vaultName: string, secretName: string): Promise<number> {
  let count = 0;
  for await (const _version of sdkClient(vaultName).listPropertiesOfSecretVersions(secretName)) count += 1;
  return count;
}

async function migrate(
  sourceName: string,
  targetName: string,
  overrides: Partial<MigrationInputs> = {},
  logger: Logger = silentLogger,
  dependencies: Partial<MigrationDependencies> = {},
): Promise<MigrationReport> {
  const options = resolveMigrationOptions(
    {
      source: sourceName,
      target: targetName,
      include: [],
      exclude: [],
      overwrite: 'if-changed',
      includeDisabled: false,
      recoverDeleted: true,
      dryRun: false,
      verify: true,
      ...overrides,
    },
    names,
  );
  return migrateSecrets(options, { logger, env: sandbox.env, retry: fastRetry, ...dependencies });
}

function resultOf(report: MigrationReport, name: string) {
  return report.results.find((result) => result.name === name);
}

describe('migrate-secrets against the sandbox', () => {
  it('copies more than a page of secrets with metadata, masks every value, and a re-run writes nothing', async () => {
    const { source, target, sourceName, targetName } = await vaultPair();
    const secrets = values('app', 60);
    await seed(source, secrets);
    const logger = recordingLogger();

    const first = await migrate(sourceName, targetName, {}, logger);
    expect(first.counts).toEqual({ copied: 60, unchanged: 0, skipped: 0, failed: 0 });
    expectValuesMatch(await readAll(target, secrets.keys()), secrets);
    const copied = await target.getSecret('app-001');
    expect(copied.metadata).toMatchObject({ contentType: 'text/plain', tags: { seeded: 'yes' }, enabled: true });

    // Every value was handed to the logger to mask (the runner's logger splits it into lines); none was logged or reported.
    expect([...secrets.values()].every((value) => logger.masked.has(value))).toBe(true);
    expect(containsNoValue(logger.lines.join('\n') + JSON.stringify(first), secrets.values())).toBe(true);
    expect(logger.lines.some((line) => line.startsWith('processed 60/60'))).toBe(true);

    const writesBefore = sandbox.requestCount({ vault: targetName, method: 'PUT' });
    const second = await migrate(sourceName, targetName);
    expect(second.counts).toEqual({ copied: 0, unchanged: 60, skipped: 0, failed: 0 });
    expect(sandbox.requestCount({ vault: targetName, method: 'PUT' })).toBe(writesBefore);
    expect(await versionCount(targetName, 'app-000')).toBe(1);
  });

  it('reports every skip reason', async () => {
    const { source, target, sourceName, targetName } = await vaultPair();
    await seed(
      source,
      new Map([
        ['keep-me', 'v1'],
        ['skip-me', 'v2'],
        ['old-one', 'v3'],
        ['exists', 'v4'],
      ]),
    );
    await seed(target, new Map([['exists', 'other']]));
    await sdkClient(sourceName).updateSecretProperties('old-one', (await source.getSecret('old-one')).version, { enabled: false });
    await sandbox.seedCertificateSecret(sourceName, 'tls-cert');

    const report = await migrate(sourceName, targetName, { exclude: ['skip-*'], overwrite: 'never' });
    expect(resultOf(report, 'skip-me')?.reason).toBe(skipReasons.excluded('skip-*'));
    expect(resultOf(report, 'old-one')?.reason).toBe(skipReasons.disabled);
    expect(resultOf(report, 'tls-cert')?.reason).toBe(skipReasons.certificateBacked);
    expect(resultOf(report, 'exists')?.reason).toBe(skipReasons.targetExists);
    expect(resultOf(report, 'keep-me')?.outcome).toBe('copied');
    expect((await target.getSecret('exists')).value === 'other').toBe(true);

    const withDisabled = await migrate(sourceName, targetName, { include: ['old-*'], includeDisabled: true });
    expect(resultOf(withDisabled, 'old-one')).toMatchObject({ outcome: 'skipped', reason: disabledSourceReason });
  });

  it('recovers a soft-deleted target secret, then writes it', async () => {
    const { source, target, sourceName, targetName } = await vaultPair();
    await seed(source, new Map([['db-password', 'new-value']]));
    await seed(target, new Map([['db-password', 'stale-value']]));
    await (await sdkClient(targetName).beginDeleteSecret('db-password')).pollUntilDone();

    const skipped = await migrate(sourceName, targetName, { recoverDeleted: false });
    expect(resultOf(skipped, 'db-password')?.reason).toBe(skipReasons.targetDeletedNoRecover);

    const report = await migrate(sourceName, targetName);
    expect(resultOf(report, 'db-password')).toMatchObject({ outcome: 'copied', action: 'recover + new version' });
    expect((await target.getSecret('db-password')).value === 'new-value').toBe(true);
  });

  it('dry-run reads and compares but writes nothing', async () => {
    const { source, sourceName, targetName } = await vaultPair();
    await seed(source, values('dry', 5));
    const writesBefore = sandbox.requestCount({ vault: targetName, method: 'PUT' });
    const report = await migrate(sourceName, targetName, { dryRun: true });
    expect(report.counts.copied).toBe(5);
    expect(report.results.every((result) => result.action === 'would create')).toBe(true);
    expect(sandbox.requestCount({ vault: targetName, method: 'PUT' })).toBe(writesBefore);
  });

  it('updates properties without a new version when only metadata differs', async () => {
    const { source, target, sourceName, targetName } = await vaultPair();
    await seed(source, new Map([['api-key', 'same']]));
    await migrate(sourceName, targetName);
    const version = (await source.getSecret('api-key')).version;
    await sdkClient(sourceName).updateSecretProperties('api-key', version, { tags: { owner: 'payments' } });

    const report = await migrate(sourceName, targetName);
    expect(resultOf(report, 'api-key')).toMatchObject({ outcome: 'copied', action: 'update properties' });
    expect((await target.getSecret('api-key')).metadata.tags).toEqual({ owner: 'payments' });
    expect(await versionCount(targetName, 'api-key')).toBe(1);
  });

  it('gets every value right through injected 429s, 503s and connection resets', async () => {
    const { source, target, sourceName, targetName } = await vaultPair();
    const secrets = values('flaky', 40);
    await seed(source, secrets);
    sandbox.injectFaults({ rate429: 0.2, rate503: 0.2, rateReset: 0.1, retryAfterSeconds: 0 });
    try {
      const report = await migrate(sourceName, targetName);
      expect(report.results.filter((r) => r.outcome === 'failed').map((r) => r.reason)).toEqual([]);
      expect(report.counts.failed).toBe(0);
      expect(report.throttledResponses).toBeGreaterThan(0);
    } finally {
      sandbox.injectFaults({ rate429: 0, rate503: 0, rateReset: 0 });
    }
    expectValuesMatch(await readAll(target, secrets.keys()), secrets);
  });

  it('cuts requests a stalled vault does not answer, retries them, says it is still working, and ends with every value right', async () => {
    const { source, target, sourceName, targetName } = await vaultPair();
    const secrets = values('stall', 12);
    await seed(source, secrets);
    const logger = recordingLogger();
    // Every answer takes 1.5 s, five times the request timeout, until the vault recovers.
    sandbox.setLatency(1_500);
    const recovered = setTimeout(() => sandbox.setLatency(0), 1_200);
    try {
      const report = await migrate(sourceName, targetName, {}, logger, { requestTimeoutMs: 300, heartbeatMs: 250 });
      expect(report.counts.failed).toBe(0);
    } finally {
      clearTimeout(recovered);
      sandbox.setLatency(0);
    }
    expect(logger.lines.filter((line) => line.startsWith('still working: listing secrets'))).not.toEqual([]);
    expectValuesMatch(await readAll(target, secrets.keys()), secrets);
    for (const name of secrets.keys()) expect(await versionCount(targetName, name), name).toBe(1);
  });

  it('waits out and announces a long Retry-After, and stops at once on one longer than max-wait-seconds', async () => {
    const { source, target, sourceName, targetName } = await vaultPair();
    const secrets = values('wait', 3);
    await seed(source, secrets);
    sandbox.injectFaults({ rate429: 1, retryAfterSeconds: 3_600 });
    const started = Date.now();
    const error = await migrate(sourceName, targetName, { maxWaitSeconds: 30 }).catch((caught: unknown) => caught);
    sandbox.injectFaults({ rate429: 0 });
    expect(error).toBeInstanceOf(VaultUnavailableError);
    expect((error as Error).message).toMatch(
      /asked to wait 3600 s before more requests .*longer than the allowed wait \(max-wait-seconds\)/,
    );
    expect(Date.now() - started).toBeLessThan(5_000);

    // Once: a 429 asking for 6 s, then answers again. The wait is logged with when requests resume.
    const logger = recordingLogger();
    sandbox.injectFaults({ rate429: 1, retryAfterSeconds: 6 });
    const recovered = setTimeout(() => sandbox.injectFaults({ rate429: 0 }), 200);
    try {
      const report = await migrate(sourceName, targetName, {}, logger);
      expect(report.counts.failed).toBe(0);
    } finally {
      clearTimeout(recovered);
      sandbox.injectFaults({ rate429: 0 });
    }
    // One line per vault told to wait, however many of its requests were told.
    const announced = logger.lines.filter((line) => /asked to wait 6 s \(Retry-After\): its requests resume at/.test(line));
    expect(announced.length).toBeGreaterThan(0);
    const vaults = announced.map((line) => /Key Vault '([^']+)'/.exec(line)?.[1]);
    expect(new Set(vaults).size).toBe(vaults.length);
    expectValuesMatch(await readAll(target, secrets.keys()), secrets);
  }, 30_000);

  it('says which role is missing on which vault', async () => {
    const { source, sourceName, targetName } = await vaultPair();
    await seed(source, new Map([['a', 'b']]));
    sandbox.revokeRole(targetName);
    const error = await migrate(sourceName, targetName).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(ConfigurationError);
    expect((error as Error).message).toContain(`'Key Vault Secrets Officer' role on the target vault '${targetName}'`);
  });

  it('says a vault that does not exist was not found, quickly', async () => {
    const { sourceName } = await vaultPair();
    const started = Date.now();
    const error = await migrate(sourceName, 'kv-nowhere').catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(ConfigurationError);
    expect((error as Error).message).toContain(
      "Key Vault 'kv-nowhere' was not found: check the name and that it exists in the subscription you are logged in to",
    );
    expect(Date.now() - started).toBeLessThan(5_000);
  });

  it('the CLI rejects an invalid vault name with exit 2 before any request', async () => {
    const stderr: string[] = [];
    const before = sandbox.requestCount({});
    const code = await runCli(['migrate-secrets', '--source', 'kv--bad', '--target', 'kv-prod'], {
      stderr: (text) => void stderr.push(text),
      env: sandbox.env,
    });
    expect(code).toBe(2);
    expect(stderr.join('')).toContain("'kv--bad' is not a valid Key Vault name: it must not contain consecutive hyphens");
    expect(sandbox.requestCount({})).toBe(before);
  });

  it('the CLI leaves out the development secrets production does not use unless --include-unused, naming them', async () => {
    const { source, target, sourceName, targetName } = await vaultPair();
    const secrets = new Map([
      ['AzureOpenAIKey', `v-${crypto.randomUUID()}`],
      ['AzureSpeechRegion', `v-${crypto.randomUUID()}`],
      ['TwilioAuthToken', `v-${crypto.randomUUID()}`],
    ]);
    await seed(source, secrets);
    const run = async (...extra: string[]) => {
      let stdout = '';
      const code = await runCli(['migrate-secrets', '--source', sourceName, '--target', targetName, ...extra], {
        stdout: (text) => void (stdout += text),
        stderr: () => {},
        env: sandbox.env,
      });
      return { code, stdout };
    };
    const first = await run();
    expect(first.code).toBe(0);
    expect(first.stdout).toContain('Not copied, because production does not use them: AzureOpenAIKey, AzureSpeechRegion.');
    expect((await target.listSecrets()).map((secret) => secret.name)).toEqual(['TwilioAuthToken']);
    const second = await run('--include-unused');
    expect(second.stdout).toContain('Included although production does not use them (include-unused): AzureOpenAIKey, AzureSpeechRegion.');
    expect((await target.listSecrets()).map((secret) => secret.name).sort()).toEqual([
      'AzureOpenAIKey',
      'AzureSpeechRegion',
      'TwilioAuthToken',
    ]);
    expect(containsNoValue(first.stdout + second.stdout, secrets.values())).toBe(true);
  });

  it('killed mid-run and run again, finishes with every value right and one version each', async () => {
    const { source, target, sourceName, targetName } = await vaultPair();
    const secrets = values('resume', 120);
    await seed(source, secrets);
    const args = ['tsx', 'src/cli/main.ts', 'migrate-secrets', '--source', sourceName, '--target', targetName, '--concurrency', '4'];
    const env = { ...process.env, ...sandbox.env };

    // Slow the vault down so the kill lands mid-run.
    sandbox.setLatency(40);
    const child = spawn('npx', args, { cwd: repoRoot, env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    try {
      await new Promise<void>((resolve, reject) => {
        const poll = setInterval(() => {
          if (sandbox.requestCount({ vault: targetName, method: 'PUT' }) >= 20) {
            clearInterval(poll);
            resolve();
          }
        }, 20);
        child.on('exit', () => reject(new Error('the CLI finished before it could be killed')));
      });
    } finally {
      // npx starts tsx, which starts node: kill the whole process group.
      if (child.pid !== undefined) process.kill(-child.pid, 'SIGKILL');
      sandbox.setLatency(0);
    }
    const copiedBeforeKill = sandbox.requestCount({ vault: targetName, method: 'PUT' });
    expect(copiedBeforeKill).toBeLessThan(secrets.size);

    const rerun = await new Promise<{ code: number | null; stdout: string }>((resolve) => {
      const second = spawn('npx', args, { cwd: repoRoot, env, stdio: ['ignore', 'pipe', 'pipe'] });
      let stdout = '';
      second.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
      second.on('close', (code) => resolve({ code, stdout }));
    });
    expect(rerun.code).toBe(0);
    expect(containsNoValue(rerun.stdout, secrets.values())).toBe(true);
    expectValuesMatch(await readAll(target, secrets.keys()), secrets);
    const versionCounts = await Promise.all([...secrets.keys()].map((name) => versionCount(targetName, name)));
    expect(versionCounts.every((count) => count === 1)).toBe(true);
  });
});
