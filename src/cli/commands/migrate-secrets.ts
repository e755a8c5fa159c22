import { parseArgs } from 'node:util';
import { ConfigurationError } from '../../core/errors.js';
import { migrateSecrets } from '../../secrets/migrate.js';
import { resolveMigrationOptions } from '../../secrets/options.js';
import type { InputNames } from '../../secrets/options.js';
import { formatReportJson, formatReportText } from '../../secrets/report.js';
import type { Command } from '../command.js';

const usage = `Usage: azure-hipaa migrate-secrets --source <vault> --target <vault> [options]

Copies the latest version of each secret from one Key Vault to another, in memory only.
A vault is a name (kv-dev) or a URL (https://kv-dev.vault.azure.net).

Options:
  --source <vault>          vault to copy from (needs Key Vault Secrets User)
  --target <vault>          vault to copy to (needs Key Vault Secrets Officer; through Resource Manager,
                            Contributor on its resource group)
  --target-path <path>      auto (default): the target's data plane, or Resource Manager when the vault
                            refuses this network; data-plane; resource-manager
  --subscription-id <id>    the target vault's subscription, for Resource Manager (default
                            AZURE_SUBSCRIPTION_ID)
  --include <globs>         only secrets matching one of these comma-separated globs
  --exclude <globs>         leave out secrets matching any of these globs
  --overwrite <mode>        if-changed (default): write only what differs; always; never
  --include-disabled        try disabled source secrets too (Key Vault refuses to read them)
  --no-recover-deleted      skip secrets soft-deleted in the target instead of recovering them
  --include-unused          also copy the AI services' keys and endpoints (AzureOpenAIKey, ...), which
                            production does not use: it signs in with the app's identity
  --dry-run                 read and compare, write nothing
  --no-verify               do not re-read written secrets
  --format <text|json>      summary format on stdout (default text)
  --concurrency <n>         secrets processed at once (default 32)
  --writes-per-10s <n>      write budget per vault (default 280; Key Vault allows 300)
  --reads-per-10s <n>       read budget per vault (default 3600; Key Vault allows 4000)
  --max-wait-seconds <n>    longest Retry-After a vault may ask for before the run stops (default 120)

Exit status: 0 nothing failed, 1 a secret failed, 2 bad input or missing access.`;

/** How each option is named on the command line, for error messages. */
export const CLI_INPUT_NAMES: InputNames = {
  source: '--source',
  target: '--target',
  include: '--include',
  exclude: '--exclude',
  overwrite: '--overwrite',
  concurrency: '--concurrency',
  targetPath: '--target-path',
  subscriptionId: '--subscription-id',
  writesPer10s: '--writes-per-10s',
  readsPer10s: '--reads-per-10s',
  maxWaitSeconds: '--max-wait-seconds',
};

function list(values: readonly string[] | undefined): string[] {
  return (values ?? [])
    .flatMap((value) => value.split(','))
    .map((item) => item.trim())
    .filter((item) => item.length > 0);
}

function optionalNumber(value: string | undefined, flag: string): number | undefined {
  if (value === undefined) return undefined;
  const number = Number(value);
  if (value.trim() === '' || !Number.isFinite(number)) throw new ConfigurationError(`${flag} must be a number; got '${value}'.`);
  return number;
}

export const migrateSecretsCommand: Command = {
  name: 'migrate-secrets',
  summary: 'copy Key Vault secrets to another vault in memory: masked, idempotent, throttling-aware',
  usage,
  async run({ args, stdout, logger, env }) {
    let parsed;
    try {
      parsed = parseArgs({
        args,
        strict: true,
        allowPositionals: false,
        options: {
          source: { type: 'string' },
          target: { type: 'string' },
          include: { type: 'string', multiple: true },
          exclude: { type: 'string', multiple: true },
          overwrite: { type: 'string', default: 'if-changed' },
          'include-disabled': { type: 'boolean', default: false },
          'no-recover-deleted': { type: 'boolean', default: false },
          'include-unused': { type: 'boolean', default: false },
          'dry-run': { type: 'boolean', default: false },
          'no-verify': { type: 'boolean', default: false },
          format: { type: 'string', default: 'text' },
          concurrency: { type: 'string' },
          'target-path': { type: 'string', default: 'auto' },
          'subscription-id': { type: 'string' },
          'writes-per-10s': { type: 'string' },
          'reads-per-10s': { type: 'string' },
          'max-wait-seconds': { type: 'string' },
        },
      }).values;
    } catch (error) {
      throw new ConfigurationError(`${error instanceof Error ? error.message : String(error)}\n\n${usage}`);
    }
    if (parsed.format !== 'text' && parsed.format !== 'json')
      throw new ConfigurationError(`--format must be text or json; got '${parsed.format}'.`);

    const options = resolveMigrationOptions(
      {
        source: parsed.source ?? '',
        target: parsed.target ?? '',
        include: list(parsed.include),
        exclude: list(parsed.exclude),
        overwrite: parsed.overwrite,
        includeDisabled: parsed['include-disabled'],
        recoverDeleted: !parsed['no-recover-deleted'],
        dryRun: parsed['dry-run'],
        verify: !parsed['no-verify'],
        includeUnused: parsed['include-unused'],
        concurrency: optionalNumber(parsed.concurrency, '--concurrency'),
        targetPath: parsed['target-path'],
        ...(parsed['subscription-id'] ? { subscriptionId: parsed['subscription-id'] } : {}),
        writesPer10s: optionalNumber(parsed['writes-per-10s'], '--writes-per-10s'),
        readsPer10s: optionalNumber(parsed['reads-per-10s'], '--reads-per-10s'),
        maxWaitSeconds: optionalNumber(parsed['max-wait-seconds'], '--max-wait-seconds'),
      },
      CLI_INPUT_NAMES,
    );
    const report = await migrateSecrets(options, { logger, env });
    stdout(parsed.format === 'json' ? formatReportJson(report) : formatReportText(report));
    return report.counts.failed > 0 ? 1 : 0;
  },
};
