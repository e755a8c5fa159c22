import { describe, expect, it } from 'vitest';
import { ConfigurationError } from '../../src/core/errors.js';
import { resolveVaultReference } from '../../src/azure/keyvault.js';
import { resolveMigrationOptions } from '../../src/secrets/options.js';
import type { MigrationInputs } from '../../src/secrets/options.js';
import { CLI_INPUT_NAMES } from '../../src/cli/commands/migrate-secrets.js';

const names = CLI_INPUT_NAMES;

const inputs: MigrationInputs = {
  source: 'kv-dev',
  target: 'kv-prod',
  include: [],
  exclude: [],
  overwrite: 'if-changed',
  includeDisabled: false,
  recoverDeleted: true,
  dryRun: false,
  verify: true,
};

function configurationMessage(fn: () => unknown): string {
  try {
    fn();
  } catch (error) {
    if (error instanceof ConfigurationError) return error.message;
    throw error;
  }
  throw new Error('expected a ConfigurationError');
}

describe('resolveVaultReference', () => {
  it.each([
    ['kv-prod', { name: 'kv-prod', url: 'https://kv-prod.vault.azure.net' }],
    ['KV-Prod', { name: 'kv-prod', url: 'https://kv-prod.vault.azure.net' }],
    ['https://kv-prod.vault.azure.net/', { name: 'kv-prod', url: 'https://kv-prod.vault.azure.net' }],
    ['https://kv-prod.vault.azure.net', { name: 'kv-prod', url: 'https://kv-prod.vault.azure.net' }],
    ['https://kv-prod.vault.azure.net:8443/', { name: 'kv-prod', url: 'https://kv-prod.vault.azure.net:8443' }],
    ['https://kv-gov.vault.usgovcloudapi.net', { name: 'kv-gov', url: 'https://kv-gov.vault.usgovcloudapi.net' }],
  ])('accepts %s', (input, expected) => {
    expect(resolveVaultReference(input, '--source')).toEqual(expected);
  });

  it.each([
    ['kv', 'is 2 characters long; a Key Vault name has 3 to 24'],
    ['a'.repeat(25), 'is 25 characters long'],
    ['1kv-prod', 'must start with a letter'],
    ['kv_prod', 'may contain only letters, digits and hyphens'],
    ['kv--prod', 'must not contain consecutive hyphens'],
    ['kv-prod-', 'must end with a letter or digit'],
    ['', 'is required'],
    ['http://kv-prod.vault.azure.net', 'is not a Key Vault URL'],
    ['https://kv-prod.example.com', 'is not a Key Vault URL'],
    ['https://kv-prod.vault.azure.net/secrets/x', 'is not a Key Vault URL'],
    ['https://k.vault.azure.net', "'k' in https://k.vault.azure.net is not a valid Key Vault name"],
  ])('rejects %s before any network call', (input, expected) => {
    const message = configurationMessage(() => resolveVaultReference(input, '--source'));
    expect(message).toContain('--source');
    expect(message).toContain(expected);
  });
});

describe('resolveMigrationOptions', () => {
  it('fills in the defaults', () => {
    const options = resolveMigrationOptions(inputs, names);
    expect(options.source.url).toBe('https://kv-dev.vault.azure.net');
    expect(options.concurrency).toBe(32);
    expect(options.budgets.writes.limit).toBe(280);
    expect(options.budgets.reads.limit).toBe(3_600);
  });

  it('rejects the same vault as source and target, however it is spelled', () => {
    expect(configurationMessage(() => resolveMigrationOptions({ ...inputs, target: 'https://KV-DEV.vault.azure.net/' }, names))).toContain(
      'are the same Key Vault',
    );
  });

  it('rejects an unknown overwrite mode', () => {
    expect(configurationMessage(() => resolveMigrationOptions({ ...inputs, overwrite: 'sometimes' }, names))).toContain(
      '--overwrite must be one of if-changed, always, never',
    );
  });

  it.each([
    ['db-[abc', 'is not a valid glob'],
    ['db_*', "contains '_', which no secret name can contain"],
    ['prod/*', "contains '/'"],
    [' ', 'an empty pattern'],
  ])('rejects the glob %j', (pattern, expected) => {
    const message = configurationMessage(() => resolveMigrationOptions({ ...inputs, include: [pattern] }, names));
    expect(message).toContain('--include');
    expect(message).toContain(expected);
  });

  it('matches globs case-insensitively, with braces and negation', () => {
    const { include, exclude } = resolveMigrationOptions({ ...inputs, include: ['{db,cache}-*'], exclude: ['!*-prod'] }, names);
    expect(include[0].matches('DB-password')).toBe(true);
    expect(include[0].matches('api-key')).toBe(false);
    expect(exclude[0].matches('db-test')).toBe(true);
    expect(exclude[0].matches('db-prod')).toBe(false);
  });

  it.each([
    [{ writesPer10s: 301 }, '--writes-per-10s must be a whole number from 1 to 300'],
    [{ readsPer10s: 0 }, '--reads-per-10s must be a whole number from 1 to 4000'],
    [{ concurrency: 1.5 }, '--concurrency must be a whole number'],
  ])('rejects budgets outside Key Vault limits: %j', (override, expected) => {
    expect(configurationMessage(() => resolveMigrationOptions({ ...inputs, ...override }, names))).toContain(expected);
  });
});
