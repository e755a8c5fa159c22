import { describe, expect, it } from 'vitest';
import type { SecretSummary } from '../../src/azure/keyvault.js';
import { compileNameFilters } from '../../src/secrets/filters.js';
import { planMigration, skipReasons } from '../../src/secrets/plan.js';
import type { CopyAction, PlanOptions, SkipAction, TargetInventory } from '../../src/secrets/plan.js';

function secret(name: string, overrides: Partial<SecretSummary> = {}): SecretSummary {
  return { name, managed: false, enabled: true, tags: {}, ...overrides };
}

const defaults: PlanOptions = {
  include: [],
  exclude: [],
  overwrite: 'if-changed',
  includeDisabled: false,
  recoverDeleted: true,
  dryRun: false,
  verify: true,
};

function options(
  overrides: Partial<Omit<PlanOptions, 'include' | 'exclude'>> & { include?: string[]; exclude?: string[] } = {},
): PlanOptions {
  return {
    ...defaults,
    ...overrides,
    include: compileNameFilters(overrides.include ?? [], 'include'),
    exclude: compileNameFilters(overrides.exclude ?? [], 'exclude'),
  };
}

const emptyTarget: TargetInventory = { secrets: [], deletedNames: [] };

interface Case {
  title: string;
  source: SecretSummary;
  target?: TargetInventory;
  options?: Parameters<typeof options>[0];
  expected: Omit<SkipAction, 'name'> | Omit<CopyAction, 'name'>;
}

const copy = (target: 'absent' | 'live' | 'deleted', compare: boolean, extra: { write?: boolean; verify?: boolean; note?: string } = {}) =>
  ({
    kind: 'copy',
    target,
    compare,
    write: extra.write ?? true,
    verify: extra.verify ?? true,
    ...(extra.note ? { note: extra.note } : {}),
  }) as const;

const cases: Case[] = [
  { title: 'a secret the target lacks is created without comparing', source: secret('db-password'), expected: copy('absent', false) },
  {
    title: 'an existing secret is compared under if-changed',
    source: secret('db-password'),
    target: { secrets: [secret('db-password')], deletedNames: [] },
    expected: copy('live', true),
  },
  {
    title: 'names match case-insensitively, as Key Vault does',
    source: secret('DB-Password'),
    target: { secrets: [secret('db-password')], deletedNames: [] },
    expected: copy('live', true),
  },
  {
    title: 'always writes without comparing',
    source: secret('a'),
    target: { secrets: [secret('a')], deletedNames: [] },
    options: { overwrite: 'always' },
    expected: copy('live', false),
  },
  {
    title: 'never leaves an existing secret alone',
    source: secret('a'),
    target: { secrets: [secret('a')], deletedNames: [] },
    options: { overwrite: 'never' },
    expected: { kind: 'skip', reason: skipReasons.targetExists },
  },
  { title: 'never still creates a missing secret', source: secret('a'), options: { overwrite: 'never' }, expected: copy('absent', false) },
  {
    title: 'a disabled target version cannot be compared, so it is written',
    source: secret('a'),
    target: { secrets: [secret('a', { enabled: false })], deletedNames: [] },
    expected: copy('live', false, { note: "the target's latest version is disabled, so its value cannot be compared" }),
  },
  {
    title: 'certificate-backed source secrets move with their certificate',
    source: secret('tls', { managed: true }),
    expected: { kind: 'skip', reason: skipReasons.certificateBacked },
  },
  {
    title: 'a certificate-backed target secret is not overwritten',
    source: secret('tls'),
    target: { secrets: [secret('tls', { managed: true })], deletedNames: [] },
    expected: { kind: 'skip', reason: skipReasons.targetCertificateBacked },
  },
  {
    title: 'disabled source secrets are skipped by default',
    source: secret('old', { enabled: false }),
    expected: { kind: 'skip', reason: skipReasons.disabled },
  },
  {
    title: 'include-disabled hands a disabled secret to the executor, which reports what the vault says',
    source: secret('old', { enabled: false }),
    options: { includeDisabled: true },
    expected: copy('absent', false),
  },
  {
    title: 'include: a name matching no pattern is skipped',
    source: secret('api-key'),
    options: { include: ['db-*'] },
    expected: { kind: 'skip', reason: skipReasons.notIncluded },
  },
  {
    title: 'include: a matching name is copied',
    source: secret('DB-main'),
    options: { include: ['db-*', 'x'] },
    expected: copy('absent', false),
  },
  {
    title: 'exclude wins over include and names its pattern',
    source: secret('db-test'),
    options: { include: ['db-*'], exclude: ['*-test'] },
    expected: { kind: 'skip', reason: skipReasons.excluded('*-test') },
  },
  {
    title: 'a soft-deleted target secret is recovered, then compared',
    source: secret('a'),
    target: { secrets: [], deletedNames: ['A'] },
    expected: copy('deleted', true),
  },
  {
    title: 'a soft-deleted target secret is recovered, then written under always',
    source: secret('a'),
    target: { secrets: [], deletedNames: ['a'] },
    options: { overwrite: 'always' },
    expected: copy('deleted', false),
  },
  {
    title: 'recover-deleted off skips a soft-deleted target secret',
    source: secret('a'),
    target: { secrets: [], deletedNames: ['a'] },
    options: { recoverDeleted: false },
    expected: { kind: 'skip', reason: skipReasons.targetDeletedNoRecover },
  },
  {
    title: 'never does not recover a soft-deleted target secret',
    source: secret('a'),
    target: { secrets: [], deletedNames: ['a'] },
    options: { overwrite: 'never' },
    expected: { kind: 'skip', reason: skipReasons.targetDeletedNever },
  },
  {
    title: 'dry-run plans no writes and no verification',
    source: secret('a'),
    options: { dryRun: true },
    expected: copy('absent', false, { write: false, verify: false }),
  },
  {
    title: 'dry-run still compares an existing secret',
    source: secret('a'),
    target: { secrets: [secret('a')], deletedNames: [] },
    options: { dryRun: true },
    expected: copy('live', true, { write: false, verify: false }),
  },
  { title: 'verify off', source: secret('a'), options: { verify: false }, expected: copy('absent', false, { verify: false }) },
  {
    title: 'an AI service key production does not use is skipped, saying why and how to copy it anyway',
    source: secret('AzureOpenAIKey'),
    expected: {
      kind: 'skip',
      reason: skipReasons.unusedInProduction('Azure OpenAI accepts only the app’s identity (key authentication is disabled)'),
      unusedInProduction: true,
    },
  },
  {
    title: 'an unused endpoint secret matches without case',
    source: secret('azuresearchendpoint'),
    expected: {
      kind: 'skip',
      reason: skipReasons.unusedInProduction('the app gets AZURE_SEARCH_ENDPOINT from the template'),
      unusedInProduction: true,
    },
  },
  {
    title: 'include-unused copies it, marked as unused in production',
    source: secret('AzureSpeechKey'),
    options: { includeUnused: true },
    expected: { ...copy('absent', false), unusedInProduction: true },
  },
  {
    title: 'the filters come first: an excluded unused secret is reported as excluded',
    source: secret('AzureSpeechRegion'),
    options: { exclude: ['Azure*'] },
    expected: { kind: 'skip', reason: skipReasons.excluded('Azure*') },
  },
];

describe('planMigration', () => {
  it.each(cases)('$title', ({ source, target, options: overrides, expected }) => {
    expect(planMigration([source], target ?? emptyTarget, options(overrides))).toEqual([{ name: source.name, ...expected }]);
  });

  it('plans every source secret once, sorted by name, ignoring target-only secrets', () => {
    const plan = planMigration(
      [secret('b'), secret('a'), secret('c', { managed: true })],
      { secrets: [secret('z')], deletedNames: ['y'] },
      options(),
    );
    expect(plan.map((action) => [action.name, action.kind])).toEqual([
      ['a', 'copy'],
      ['b', 'copy'],
      ['c', 'skip'],
    ]);
  });

  it('an empty source plans nothing', () => {
    expect(planMigration([], emptyTarget, options())).toEqual([]);
  });
});
