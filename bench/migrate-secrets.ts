/**
 * Throughput of migrate-secrets: 1,000 secrets through the sandbox at 15 ms latency, against
 * Key Vault's bound of 300 writes per 10 s (1,000 writes cannot finish in under ~33 s).
 * Run: npx tsx bench/migrate-secrets.ts
 */
import { spawnSync } from 'node:child_process';
import { silentLogger } from '../src/core/logger.js';
import { migrateSecrets } from '../src/secrets/migrate.js';
import { resolveMigrationOptions } from '../src/secrets/options.js';
import { startSandbox } from '../sandbox/index.js';

const SECRETS = 1_000;
const LATENCY_MS = 15;
const KEY_VAULT_WRITES_PER_10S = 300;

/** What the guide's method costs: `az keyvault secret show` + `set` per secret, two CLI start-ups each. */
function azStartupMs(): number | undefined {
  if (spawnSync('az', ['version'], { stdio: 'ignore' }).error) return undefined;
  const started = performance.now();
  spawnSync('az', ['version'], { stdio: 'ignore' });
  return performance.now() - started;
}

const sandbox = await startSandbox();
try {
  await sandbox.createVault('kv-bench-src');
  await sandbox.createVault('kv-bench-dst');
  // Seeded straight into the store: seeding through the API would spend the write budget being measured.
  const source = sandbox.server.keyVaults.vaults.get('kv-bench-src');
  for (let i = 0; i < SECRETS; i++) source?.put(`bench-${i}`, { value: crypto.randomUUID(), enabled: true });
  sandbox.setLatency(LATENCY_MS);
  const options = resolveMigrationOptions(
    {
      source: 'kv-bench-src',
      target: 'kv-bench-dst',
      include: [],
      exclude: [],
      overwrite: 'if-changed',
      includeDisabled: false,
      recoverDeleted: true,
      dryRun: false,
      verify: true,
    },
    {
      source: 'source',
      target: 'target',
      include: 'include',
      exclude: 'exclude',
      overwrite: 'overwrite',
      concurrency: 'concurrency',
      targetPath: 'target-path',
      subscriptionId: 'subscription-id',
      maxWaitSeconds: 'maxWaitSeconds',
      writesPer10s: 'writes',
      readsPer10s: 'reads',
    },
  );
  const started = performance.now();
  const report = await migrateSecrets(options, { logger: silentLogger, env: sandbox.env });
  const elapsedS = (performance.now() - started) / 1000;
  const boundS = (SECRETS / KEY_VAULT_WRITES_PER_10S) * 10;
  const az = azStartupMs();
  console.log(`migrate-secrets: ${SECRETS} secrets at ${LATENCY_MS} ms latency`);
  console.log(
    `  copied ${report.counts.copied}, failed ${report.counts.failed}, 429 responses seen ${report.throttledResponses} (sandbox sent ${sandbox.server.keyVaults.vaults.get('kv-bench-dst')?.throttled ?? 0})`,
  );
  console.log(
    `  elapsed ${elapsedS.toFixed(1)} s; Key Vault's write bound ${boundS.toFixed(1)} s; ratio ${(elapsedS / boundS).toFixed(2)} (target <= 1.1)`,
  );
  console.log(
    az === undefined
      ? "  the guide's method (two az processes per secret): not measured (az not installed)"
      : `  the guide's method (two az processes per secret): >= ${((2 * SECRETS * az) / 1000).toFixed(0)} s (az start-up ${az.toFixed(0)} ms x ${2 * SECRETS})`,
  );
} finally {
  await sandbox.stop();
}
