/**
 * Templates as Bicep writes them and ARM deploys them: inline nested deployments (modules) with
 * their own parameters or the parent's, other resource groups, outputs the parent reads, modules
 * depended on; languageVersion 2.0's symbolic names, existing resources, nullable and
 * user-defined types; and what a template that ARM would refuse, or a missing parameter, does to
 * the judgement. Each case is a minimal template.
 */
import { describe, expect, it } from 'vitest';
import { resolveTemplate } from '../../src/arm/resolve.js';
import { read } from '../../src/compliance/controls/access.js';
import { CONTROLS } from '../../src/compliance/catalog.js';
import { evaluate } from '../../src/compliance/evaluate.js';
import type { JudgedEnvironment, JudgedResource } from '../../src/arm/deployed.js';
import { DEFAULT_GATE_POLICY } from '../../src/compliance/model.js';
import { ConfigurationError } from '../../src/core/errors.js';

const SCHEMA = 'https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#';
const resolve = (template: unknown, parameters?: Record<string, unknown>) =>
  resolveTemplate(template, { source: { file: 'main.json', value: template }, resourceGroup: 'rg', ...(parameters ? { parameters } : {}) });
const find = (env: JudgedEnvironment, type: string) =>
  env.resources.find((r) => r.type.toLowerCase() === type.toLowerCase()) as JudgedResource;
const judge = (env: JudgedEnvironment, ...controls: string[]) =>
  evaluate(env, {
    policy: { ...DEFAULT_GATE_POLICY, unknownBlocks: false },
    now: new Date('2026-11-29T00:00:00Z'),
    controls: CONTROLS.filter((c) => controls.includes(c.id)),
  });

/** A Key Vault the way a careless module writes it. */
const weakVault = (name: string) => ({
  type: 'Microsoft.KeyVault/vaults',
  apiVersion: '2026-02-01',
  name,
  location: 'eastus2',
  properties: {
    tenantId: '[subscription().tenantId]',
    sku: { family: 'A', name: 'standard' },
    enablePurgeProtection: false,
    enableSoftDelete: false,
    enableRbacAuthorization: false,
  },
});

/** A module as Bicep compiles it: inner scope, its parameters given by the parent. */
const module = (
  name: string,
  template: Record<string, unknown>,
  parameters: Record<string, unknown> = {},
  extra: Record<string, unknown> = {},
) => ({
  type: 'Microsoft.Resources/deployments',
  apiVersion: '2022-09-01',
  name,
  properties: {
    expressionEvaluationOptions: { scope: 'inner' },
    mode: 'Incremental',
    parameters,
    template: { $schema: SCHEMA, contentVersion: '1.0.0.0', ...template },
  },
  ...extra,
});

describe('nested deployments', () => {
  it('judges a Key Vault inside a module: purge protection off fails, and the gate fails with fail-on required', () => {
    const env = resolve({
      $schema: SCHEMA,
      contentVersion: '1.0.0.0',
      parameters: { vaultName: { type: 'string', defaultValue: 'kv-in-module' } },
      resources: [
        module(
          'vault',
          { parameters: { name: { type: 'string' } }, resources: [weakVault("[parameters('name')]")] },
          { name: { value: "[parameters('vaultName')]" } },
        ),
      ],
    });
    const vault = find(env, 'Microsoft.KeyVault/vaults');
    expect(vault.name).toBe('kv-in-module');
    const report = judge(env, 'keyvault.purge-protection', 'keyvault.soft-delete', 'keyvault.rbac');
    expect(report.findings.map((f) => `${f.control}:${f.status}`)).toEqual([
      'keyvault.purge-protection:fail',
      'keyvault.soft-delete:fail',
      'keyvault.rbac:fail',
    ]);
    expect(report.verdict).toBe('fail');
    expect(env.unresolved).toEqual([]);
  });

  it("evaluates an outer-scope nested template with the parent's parameters and variables", () => {
    const env = resolve({
      $schema: SCHEMA,
      contentVersion: '1.0.0.0',
      variables: { name: 'kv-outer' },
      resources: [
        {
          type: 'Microsoft.Resources/deployments',
          apiVersion: '2022-09-01',
          name: 'outer',
          properties: {
            mode: 'Incremental',
            template: { $schema: SCHEMA, contentVersion: '1.0.0.0', resources: [weakVault("[variables('name')]")] },
          },
        },
      ],
    });
    expect(find(env, 'Microsoft.KeyVault/vaults').name).toBe('kv-outer');
  });

  it('puts a module for another resource group in that group, and reads the outputs the parent uses', () => {
    const env = resolve({
      $schema: SCHEMA,
      contentVersion: '1.0.0.0',
      resources: [
        module(
          'data',
          { resources: [weakVault('kv-data')], outputs: { vaultName: { type: 'string', value: 'kv-data' } } },
          {},
          { resourceGroup: 'data-rg' },
        ),
        {
          type: 'Microsoft.Storage/storageAccounts',
          apiVersion: '2025-06-01',
          name: 'logs01',
          kind: 'StorageV2',
          sku: { name: 'Standard_LRS' },
          tags: { source: "[reference(resourceId('Microsoft.Resources/deployments', 'data'), '2022-09-01').outputs.vaultName.value]" },
          properties: {},
        },
      ],
    });
    expect(find(env, 'Microsoft.KeyVault/vaults').id).toBe(
      '/subscriptions/⟦@subscription⟧/resourceGroups/data-rg/providers/Microsoft.KeyVault/vaults/kv-data',
    );
    expect(find(env, 'Microsoft.Storage/storageAccounts').body['tags']).toEqual({ source: 'kv-data' });
  });

  it('orders what depends on a module after every resource the module deploys', () => {
    const env = resolve({
      $schema: SCHEMA,
      languageVersion: '2.0',
      contentVersion: '1.0.0.0',
      resources: {
        vaultModule: module('vault', { resources: [weakVault('kv-a')] }),
        account: {
          type: 'Microsoft.Storage/storageAccounts',
          apiVersion: '2025-06-01',
          name: 'acct01',
          properties: {},
          dependsOn: ['vaultModule'],
        },
      },
    });
    const vault = find(env, 'Microsoft.KeyVault/vaults');
    expect(find(env, 'Microsoft.Storage/storageAccounts').dependsOn).toContain(vault.id.toLowerCase());
  });

  it('names a deployment whose template is linked and cannot be read offline', () => {
    const env = resolve({
      $schema: SCHEMA,
      contentVersion: '1.0.0.0',
      resources: [
        {
          type: 'Microsoft.Resources/deployments',
          apiVersion: '2022-09-01',
          name: 'linked',
          properties: { mode: 'Incremental', templateLink: { uri: 'https://example.com/vault.json' } },
        },
      ],
    });
    expect(env.unresolved.map((u) => u.message)).toEqual([
      expect.stringMatching(/nested deployment "linked" links its template \(https:\/\/example\.com\/vault\.json\)/),
    ]);
  });
});

describe('languageVersion 2.0', () => {
  it('reads symbolic resources, leaves existing ones unjudged, and links a relative scope to its resource', () => {
    const env = resolve({
      $schema: SCHEMA,
      languageVersion: '2.0',
      contentVersion: '1.0.0.0',
      parameters: { secretName: { type: 'string', defaultValue: 's1' } },
      resources: {
        vault: { existing: true, type: 'Microsoft.KeyVault/vaults', apiVersion: '2026-02-01', name: 'kv-existing' },
        secret: {
          type: 'Microsoft.KeyVault/vaults/secrets',
          apiVersion: '2026-02-01',
          name: "[format('{0}/{1}', 'kv-existing', parameters('secretName'))]",
          properties: { value: 'x' },
        },
        own: weakVault('kv-own'),
        audit: {
          type: 'Microsoft.Insights/diagnosticSettings',
          apiVersion: '2021-05-01-preview',
          scope: "[format('Microsoft.KeyVault/vaults/{0}', 'kv-own')]",
          name: 'audit',
          properties: {
            workspaceId: '/subscriptions/x/resourceGroups/rg/providers/Microsoft.OperationalInsights/workspaces/w',
            logs: [{ categoryGroup: 'audit', enabled: true }],
          },
          dependsOn: ['own'],
        },
      },
    });
    expect(env.resources.filter((r) => r.type === 'Microsoft.KeyVault/vaults').map((r) => r.name)).toEqual(['kv-own']);
    expect(judge(env, 'keyvault.purge-protection').findings.map((f) => f.resource.name)).toEqual(['kv-own']);
    const own = find(env, 'Microsoft.KeyVault/vaults');
    expect(own.extensions.map((e) => e.name)).toEqual(['audit']);
    expect(judge(env, 'diagnostics.audit-logs').findings.map((f) => f.status)).toEqual(['pass']);
  });

  it('gives a nullable parameter without a default null, takes an explicit null despite allowedValues, and reads $ref types', () => {
    const env = resolve(
      {
        $schema: SCHEMA,
        languageVersion: '2.0',
        contentVersion: '1.0.0.0',
        definitions: { skuType: { type: 'string', allowedValues: ['standard', 'premium'], nullable: true } },
        parameters: {
          tier: { type: 'string', nullable: true, allowedValues: ['standard', 'premium'] },
          sku: { $ref: '#/definitions/skuType' },
          label: { type: 'string', nullable: true },
        },
        resources: {
          vault: {
            ...weakVault('kv'),
            tags: {
              tier: "[coalesce(parameters('tier'), 'none')]",
              sku: "[coalesce(parameters('sku'), 'none')]",
              label: "[coalesce(parameters('label'), 'none')]",
            },
          },
        },
      },
      { tier: null },
    );
    expect(find(env, 'Microsoft.KeyVault/vaults').body['tags']).toEqual({ tier: 'none', sku: 'none', label: 'none' });
    expect(env.missingParameters).toBeUndefined();
    expect(env.problems).toBeUndefined();
  });

  it('expands variable copy loops', () => {
    const env = resolve({
      $schema: SCHEMA,
      contentVersion: '1.0.0.0',
      variables: { copy: [{ name: 'names', count: 2, input: "[format('kv-{0}', copyIndex('names'))]" }] },
      resources: [{ ...weakVault("[variables('names')[copyIndex()]]"), copy: { name: 'vaults', count: "[length(variables('names'))]" } }],
    });
    expect(env.resources.map((r) => r.name)).toEqual(['kv-0', 'kv-1']);
  });
});

describe('judging what can be judged', () => {
  const withParameter = {
    $schema: SCHEMA,
    contentVersion: '1.0.0.0',
    parameters: { adminPassword: { type: 'securestring' }, purge: { type: 'bool', defaultValue: true } },
    resources: [
      {
        ...weakVault('kv'),
        properties: { ...weakVault('kv').properties, enablePurgeProtection: "[parameters('purge')]", enableSoftDelete: true },
      },
      {
        type: 'Microsoft.Sql/servers',
        apiVersion: '2023-08-01',
        name: 'sql1',
        properties: { administratorLoginPassword: "[parameters('adminPassword')]" },
      },
    ],
  };

  it('makes only what depends on a missing parameter unknown, and lists the parameter once', () => {
    const env = resolve(withParameter);
    expect(env.missingParameters).toEqual(['adminPassword']);
    const report = judge(env, 'keyvault.purge-protection');
    expect(report.findings.map((f) => `${f.control}:${f.status}`)).toEqual(['keyvault.purge-protection:pass', 'input.resolvable:unknown']);
    expect(report.findings[1]?.message).toMatch(/parameter "adminPassword" has no value/);
    expect(report.findings[1]?.remediation).toMatch(/parameters file/);
    // The password stands as its parameter's placeholder; a control reading it gets an unknown, never the placeholder.
    expect(read(find(env, 'Microsoft.Sql/servers'), ['properties', 'administratorLoginPassword'])).toMatchObject({
      kind: 'unknown',
      reason: expect.stringMatching(/parameter "adminPassword"/),
    });
  });

  it('makes a broken expression or an undeclared variable unknown with one template.valid failure each, and judges the rest', () => {
    const env = resolve({
      $schema: SCHEMA,
      contentVersion: '1.0.0.0',
      resources: [
        { ...weakVault('kv'), tags: { team: "[concat('a', variables('nope'))]", owner: "[concat('a']" } },
        { ...weakVault('kv2') },
      ],
    });
    expect(env.problems?.map((p) => p.message)).toEqual([
      expect.stringMatching(/The template variable 'nope' is not found/),
      expect.stringMatching(/The template language expression 'concat\('a'' is not valid: a missing ',' or '\)' at position 11/),
    ]);
    const report = evaluate(env, {
      policy: DEFAULT_GATE_POLICY,
      now: new Date(),
      controls: CONTROLS.filter((c) => c.id === 'keyvault.purge-protection'),
    });
    expect(report.findings.map((f) => `${f.control}:${f.status}`)).toEqual([
      'keyvault.purge-protection:fail',
      'keyvault.purge-protection:fail',
      'template.valid:fail',
      'template.valid:fail',
    ]);
    expect(report.findings[2]?.location).toBeUndefined();
  });

  it.each([
    ['a negative copy count', -1],
    ['a fractional copy count', 1.5],
  ])('refuses %s as ARM does, instead of dropping the resource silently', (_label, count) => {
    const env = resolve({
      $schema: SCHEMA,
      contentVersion: '1.0.0.0',
      resources: [{ ...weakVault("[concat('kv', copyIndex())]"), copy: { name: 'v', count } }],
    });
    expect(env.problems?.map((p) => p.message)).toEqual([expect.stringMatching(new RegExp(`the copy loop "v" has the count ${count}`))]);
  });
});

describe("ARM's limits bound the work", () => {
  const vaults = (count: unknown) => ({
    $schema: SCHEMA,
    contentVersion: '1.0.0.0',
    resources: [{ ...weakVault("[concat('kv', copyIndex())]"), copy: { name: 'v', count } }],
  });

  it('refuses a copy count beyond 800 at once', () => {
    const started = performance.now();
    expect(() => resolve(vaults(1e9))).toThrowError(/the copy loop "v" counts 1000000000; ARM allows at most 800/);
    expect(() => resolve(vaults(1e9))).toThrowError(ConfigurationError);
    expect(performance.now() - started).toBeLessThan(1000);
  });

  it('refuses property copies beyond 800, and a range() beyond 10000 is a template problem', () => {
    const copies = {
      $schema: SCHEMA,
      contentVersion: '1.0.0.0',
      resources: [
        {
          ...weakVault('kv'),
          properties: { copy: [{ name: 'rules', count: 100000, input: { copy: [{ name: 'inner', count: 100000, input: 'x' }] } }] },
        },
      ],
    };
    expect(() => resolve(copies)).toThrowError(/property copy loop "rules" counts 100000; ARM allows at most 800/);
    const range = resolve({
      $schema: SCHEMA,
      contentVersion: '1.0.0.0',
      variables: { big: '[range(0, 500000000)]' },
      resources: [{ ...weakVault('kv'), tags: { n: "[string(length(variables('big')))]" } }],
    });
    expect(range.problems?.map((p) => p.message)).toEqual([expect.stringMatching(/range\(\) counts 0 to 10000 integers, not 500000000/)]);
  });

  it('refuses more than 800 resources in one template', () => {
    expect(() =>
      resolve({ $schema: SCHEMA, contentVersion: '1.0.0.0', resources: Array.from({ length: 801 }, (_, i) => weakVault(`kv${i}`)) }),
    ).toThrowError(/more than 800 resources/);
  });

  it.each([
    ['resources that are a string', { resources: 'x' }, /"resources" is string; it must be a list/],
    ['a null resource', { resources: [null] }, /resources\.0 is null, not a resource declaration/],
    ['a numeric resource', { resources: [5] }, /resources\.0 is number, not a resource declaration/],
  ])('refuses %s with the file and what is wrong', (_label, template, message) => {
    expect(() => resolve({ $schema: SCHEMA, contentVersion: '1.0.0.0', ...template })).toThrowError(message);
    expect(() => resolve({ $schema: SCHEMA, contentVersion: '1.0.0.0', ...template })).toThrowError(/^main\.json/);
  });
});
