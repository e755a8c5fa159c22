/**
 * The gate fails closed (issue 20, sections 1 and 2): each case a minimal template that passed
 * wrongly before. What the deployment alone knows stays unknown unless the caller gives it, merges
 * keep their unknowns, a writer that may not be deployed is not counted, the setting ARM applies
 * last is the one judged, and property names are read as Azure's resource providers read them.
 */
import { describe, expect, it } from 'vitest';
import { evaluateString } from '../../src/arm/expressions.js';
import { createScope } from '../../src/arm/scope.js';
import { isUnknown } from '../../src/arm/values.js';
import { SCHEMA, WORKSPACE, statuses, templateFindings } from '../helpers/compliance.js';

const vault = (properties: Record<string, unknown>, extra: Record<string, unknown> = {}) => ({
  type: 'Microsoft.KeyVault/vaults',
  apiVersion: '2026-02-01',
  name: 'kv',
  location: '[resourceGroup().location]',
  properties: { tenantId: '[subscription().tenantId]', sku: { family: 'A', name: 'standard' }, ...properties },
  ...extra,
});

describe('deployment context is not invented', () => {
  it.each([
    ['resourceGroup().location', "[equals(resourceGroup().location, 'eastus2')]", { location: 'eastus2' }, { location: 'westus3' }],
    [
      'resourceGroup().name',
      "[equals(resourceGroup().name, 'resource-group')]",
      { resourceGroup: 'resource-group' },
      { resourceGroup: 'rg-prod' },
    ],
    [
      'subscription().subscriptionId',
      "[equals(subscription().subscriptionId, '00000000-0000-0000-0000-000000000000')]",
      { subscriptionId: '00000000-0000-0000-0000-000000000000' },
      { subscriptionId: '11111111-1111-1111-1111-111111111111' },
    ],
    ['deployment().name', "[equals(deployment().name, 'azure-hipaa')]", { deploymentName: 'azure-hipaa' }, { deploymentName: 'other' }],
    ['environment().name', "[equals(environment().name, 'AzureCloud')]", { cloud: 'AzureCloud' }, undefined],
    [
      'a condition on resourceGroup().location',
      "[if(startsWith(resourceGroup().location, 'east'), true(), false())]",
      { location: 'eastus2' },
      { location: 'westus3' },
    ],
  ])('a value built on %s is unknown unless the caller gives the target', (_what, expression, passing, failing) => {
    const template = [vault({ enablePurgeProtection: expression })];
    expect(statuses('keyvault.purge-protection', template)).toEqual(['kv: unknown']);
    expect(templateFindings('keyvault.purge-protection', template)[0]?.message).toMatch(/deployment target|cloud deployed to/);
    expect(statuses('keyvault.purge-protection', template, {}, passing)).toEqual(['kv: pass']);
    if (failing) expect(statuses('keyvault.purge-protection', template, {}, failing)).toEqual(['kv: fail']);
  });

  it('makes a resource whose condition reads the resource group unknown, not deployed-and-judged on a guess', () => {
    const setting = {
      type: 'Microsoft.Insights/diagnosticSettings',
      apiVersion: '2021-05-01-preview',
      name: 'audit',
      condition: "[equals(resourceGroup().name, 'resource-group')]",
      scope: "[resourceId('Microsoft.KeyVault/vaults', 'kv')]",
      properties: { workspaceId: WORKSPACE, logs: [{ categoryGroup: 'audit', enabled: true }] },
    };
    expect(statuses('diagnostics.audit-logs', [vault({}), setting])).toEqual(['kv: unknown']);
    expect(statuses('diagnostics.audit-logs', [vault({}), setting], {}, { resourceGroup: 'resource-group' })).toEqual(['kv: pass']);
    expect(statuses('diagnostics.audit-logs', [vault({}), setting], {}, { resourceGroup: 'other' })).toEqual(['kv: fail']);
  });

  it('still links ids and names built on the target group: a workspace id from resourceId() is a destination', () => {
    const setting = {
      type: 'Microsoft.Insights/diagnosticSettings',
      apiVersion: '2021-05-01-preview',
      name: "[concat('audit-', uniqueString(resourceGroup().id))]",
      scope: "[resourceId('Microsoft.KeyVault/vaults', 'kv')]",
      properties: { workspaceId: WORKSPACE, logs: [{ categoryGroup: 'audit', enabled: true }] },
    };
    expect(statuses('diagnostics.audit-logs', [vault({}), setting])).toEqual(['kv: pass']);
  });

  it('does not invent the resource group tags or the deployment properties', () => {
    const scope = createScope({ resources: [] }, {}, 't.json');
    expect(isUnknown(evaluateString("[resourceGroup().tags['Environment']]", scope))).toBe(true);
    expect(isUnknown(evaluateString('[deployment().properties.templateLink.uri]', scope))).toBe(true);
    expect(isUnknown(evaluateString('[toLower(resourceGroup().location)]', scope))).toBe(false);
    expect(isUnknown(evaluateString('[length(resourceGroup().location)]', scope))).toBe(true);
  });
});

describe('merges keep their unknowns', () => {
  // A module parameter fed by reference() is unknown; a literal list or object holding it keeps it inside.
  const withUnknown = {
    parameters: { fromModule: { type: 'object' } },
    variables: {
      layers: [{ enablePurgeProtection: true }, "[parameters('fromModule')]"],
      base: { p: "[parameters('fromModule')]" },
    },
  };

  it('shallowMerge() with an unknown entry is unknown, never the known entries alone', () => {
    const template = [vault({ enablePurgeProtection: "[shallowMerge(variables('layers')).enablePurgeProtection]" })];
    expect(statuses('keyvault.purge-protection', template, withUnknown)).toEqual(['kv: unknown']);
    const lookedInside = [vault({ enablePurgeProtection: "[not(contains(shallowMerge(variables('layers')), 'off'))]" })];
    expect(statuses('keyvault.purge-protection', lookedInside, withUnknown)).toEqual(['kv: unknown']);
  });

  it('union() where a later object merges into an unknown one is unknown there, not the later object alone', () => {
    const template = [
      vault({
        enablePurgeProtection:
          "[coalesce(tryGet(union(variables('base'), createObject('p', createObject('x', 1))), 'p', 'enablePurgeProtection'), true())]",
      }),
    ];
    expect(statuses('keyvault.purge-protection', template, withUnknown)).toEqual(['kv: unknown']);
  });

  it('tryGet() through an unknown is unknown, not null', () => {
    const template = [vault({ enablePurgeProtection: "[coalesce(tryGet(variables('base'), 'p', 'enablePurgeProtection'), true())]" })];
    expect(statuses('keyvault.purge-protection', template, withUnknown)).toEqual(['kv: unknown']);
  });
});

describe('a writer whose condition is unknown is not counted as present', () => {
  const conditional = { parameters: { withAudit: { type: 'bool' } } };
  const sqlServer = { type: 'Microsoft.Sql/servers', apiVersion: '2023-08-01', name: 'sql1', location: 'eastus2', properties: {} };

  it('a diagnostic setting that may not be deployed does not pass diagnostics.audit-logs', () => {
    const setting = {
      type: 'Microsoft.Insights/diagnosticSettings',
      apiVersion: '2021-05-01-preview',
      name: 'audit',
      condition: "[parameters('withAudit')]",
      scope: "[resourceId('Microsoft.KeyVault/vaults', 'kv')]",
      properties: { workspaceId: WORKSPACE, logs: [{ categoryGroup: 'audit', enabled: true }] },
    };
    expect(statuses('diagnostics.audit-logs', [vault({}), setting], conditional)).toEqual(['kv: unknown']);
    // A second setting that is certainly deployed decides it.
    const certain = { ...setting, name: 'audit2' } as Record<string, unknown>;
    delete certain['condition'];
    expect(statuses('diagnostics.audit-logs', [vault({}), setting, certain], conditional)).toEqual(['kv: pass']);
  });

  it('an auditing setting that may not be deployed does not pass sql.auditing', () => {
    const auditing = {
      type: 'Microsoft.Sql/servers/auditingSettings',
      apiVersion: '2023-08-01',
      name: 'sql1/default',
      condition: "[parameters('withAudit')]",
      properties: { state: 'Enabled', isAzureMonitorTargetEnabled: true },
      dependsOn: ["[resourceId('Microsoft.Sql/servers', 'sql1')]"],
    };
    expect(statuses('sql.auditing', [sqlServer, auditing], conditional)).toEqual(['sql1: unknown']);
  });

  it('a long-term retention policy that may not be deployed does not pass sql.long-term-retention', () => {
    const database = {
      type: 'Microsoft.Sql/servers/databases',
      apiVersion: '2023-08-01',
      name: 'sql1/db',
      location: 'eastus2',
      properties: {},
    };
    const policy = {
      type: 'Microsoft.Sql/servers/databases/backupLongTermRetentionPolicies',
      apiVersion: '2023-08-01',
      name: 'sql1/db/default',
      condition: "[parameters('withAudit')]",
      properties: { yearlyRetention: 'P7Y', weekOfYear: 1 },
    };
    expect(statuses('sql.long-term-retention', [sqlServer, database, policy], conditional)).toEqual(['sql1/db: unknown']);
  });
});

/** A module as Bicep compiles it (inner scope); `after` names the modules ARM must finish first. */
const module = (name: string, resources: unknown[], after: string[] = []) => ({
  type: 'Microsoft.Resources/deployments',
  apiVersion: '2022-09-01',
  name,
  properties: {
    expressionEvaluationOptions: { scope: 'inner' },
    mode: 'Incremental',
    template: { $schema: SCHEMA, contentVersion: '1.0.0.0', resources },
  },
  dependsOn: after.map((other) => `[resourceId('Microsoft.Resources/deployments', '${other}')]`),
});

describe('one setting written several times: the write ARM applies last is judged', () => {
  const sqlServer = { type: 'Microsoft.Sql/servers', apiVersion: '2023-08-01', name: 'sql1', location: 'eastus2', properties: {} };
  const sqlChild = (type: string, name: string, properties: Record<string, unknown>, dependsOn: string[] = []) => ({
    type: `Microsoft.Sql/servers/${type}`,
    apiVersion: '2023-08-01',
    name: `sql1/${name}`,
    properties,
    dependsOn: ["[resourceId('Microsoft.Sql/servers', 'sql1')]", ...dependsOn],
  });

  it('passes auditing that a later writer, ordered after the one that disables it, turns back on', () => {
    const disabled = sqlChild('auditingSettings', 'default', { state: 'Disabled' });
    const enabled = sqlChild('extendedAuditingSettings', 'default', { state: 'Enabled', isAzureMonitorTargetEnabled: true }, [
      "[resourceId('Microsoft.Sql/servers/auditingSettings', 'sql1', 'default')]",
    ]);
    expect(statuses('sql.auditing', [sqlServer, disabled, enabled])).toEqual(['sql1: pass']);
    // Neither ordered after the other: ARM may apply either last.
    const unordered = sqlChild('extendedAuditingSettings', 'default', { state: 'Enabled', isAzureMonitorTargetEnabled: true });
    expect(statuses('sql.auditing', [sqlServer, disabled, unordered])).toEqual(['sql1: unknown']);
  });

  it('passes threat protection that a later advancedThreatProtectionSettings turns back on after securityAlertPolicies disabled it', () => {
    const alerts = sqlChild('securityAlertPolicies', 'Default', { state: 'Disabled' });
    const atp = sqlChild('advancedThreatProtectionSettings', 'Default', { state: 'Enabled' }, [
      "[resourceId('Microsoft.Sql/servers/securityAlertPolicies', 'sql1', 'Default')]",
    ]);
    expect(statuses('sql.threat-protection', [sqlServer, alerts, atp])).toEqual(['sql1: pass']);
  });

  it('judges the transparentDataEncryption written last, by a module ordered after the one that enabled it', () => {
    const database = {
      type: 'Microsoft.Sql/servers/databases',
      apiVersion: '2023-08-01',
      name: 'sql1/db',
      location: 'eastus2',
      properties: {},
    };
    const tde = (state: string) => ({
      type: 'Microsoft.Sql/servers/databases/transparentDataEncryption',
      apiVersion: '2023-08-01',
      name: 'sql1/db/current',
      properties: { state },
    });
    const resources = [sqlServer, database, module('on', [tde('Enabled')]), module('off', [tde('Disabled')], ['on'])];
    expect(statuses('sql.tde', resources)).toEqual(['sql1/db: fail']);
    const reversed = [sqlServer, database, module('off', [tde('Disabled')]), module('on', [tde('Enabled')], ['off'])];
    expect(statuses('sql.tde', reversed)).toEqual(['sql1/db: pass']);
    const unordered = [sqlServer, database, module('on', [tde('Enabled')]), module('off', [tde('Disabled')])];
    expect(statuses('sql.tde', unordered)).toEqual(['sql1/db: unknown']);
  });

  describe('same-named diagnostic settings on one resource are one setting', () => {
    const setting = (enabled: boolean) => ({
      type: 'Microsoft.Insights/diagnosticSettings',
      apiVersion: '2021-05-01-preview',
      name: 'audit',
      scope: "[resourceId('Microsoft.KeyVault/vaults', 'kv')]",
      properties: { workspaceId: WORKSPACE, logs: [{ categoryGroup: 'audit', enabled }] },
    });

    it('fails when the write applied last turns the audit logs off, passes when it turns them back on', () => {
      expect(
        statuses('diagnostics.audit-logs', [vault({}), module('first', [setting(true)]), module('second', [setting(false)], ['first'])]),
      ).toEqual(['kv: fail']);
      expect(
        statuses('diagnostics.audit-logs', [vault({}), module('first', [setting(false)]), module('second', [setting(true)], ['first'])]),
      ).toEqual(['kv: pass']);
    });

    it('is unknown when ARM may apply either write last', () => {
      expect(statuses('diagnostics.audit-logs', [vault({}), module('first', [setting(true)]), module('second', [setting(false)])])).toEqual(
        ['kv: unknown'],
      );
    });
  });

  describe('a resource declared twice', () => {
    const twice = (first: boolean, second: boolean, ordered: boolean) => [
      module('first', [vault({ enablePurgeProtection: first })]),
      module('second', [vault({ enablePurgeProtection: second })], ordered ? ['first'] : []),
    ];

    it('is judged as ARM leaves it: the declaration applied last', () => {
      expect(statuses('keyvault.purge-protection', twice(true, false, true))).toEqual(['kv: not-applicable', 'kv: fail']);
      expect(statuses('keyvault.purge-protection', twice(false, true, true))).toEqual(['kv: not-applicable', 'kv: pass']);
    });

    it('is unknown where ARM may apply either declaration last and they differ', () => {
      expect(statuses('keyvault.purge-protection', twice(true, false, false))).toEqual(['kv: unknown', 'kv: unknown']);
      expect(statuses('keyvault.purge-protection', twice(true, true, false))).toEqual(['kv: pass', 'kv: pass']);
    });
  });
});

describe('a resource declared twice, with a writer of unknown condition', () => {
  it('does not count the setting of unknown condition on the declaration judged', () => {
    const setting = {
      type: 'Microsoft.Insights/diagnosticSettings',
      apiVersion: '2021-05-01-preview',
      name: 'audit',
      condition: "[parameters('withAudit')]",
      scope: "[resourceId('Microsoft.KeyVault/vaults', 'kv')]",
      properties: { workspaceId: WORKSPACE, logs: [{ categoryGroup: 'audit', enabled: true }] },
    };
    const resources = [module('first', [vault({})]), module('second', [vault({})], ['first']), setting];
    expect(statuses('diagnostics.audit-logs', resources, { parameters: { withAudit: { type: 'bool' } } })).toEqual([
      'kv: not-applicable',
      'kv: unknown',
    ]);
  });
});

describe('property names as Azure’s resource providers read them', () => {
  const redis = (properties: Record<string, unknown>) => ({
    type: 'Microsoft.Cache/redis',
    apiVersion: '2024-11-01',
    name: 'r1',
    location: 'eastus2',
    properties,
  });
  const cosmos = (properties: Record<string, unknown>) => ({
    type: 'Microsoft.DocumentDB/databaseAccounts',
    apiVersion: '2025-04-15',
    name: 'db1',
    location: 'eastus2',
    properties,
  });

  it('is unknown where one object has the property twice in different cases with different values', () => {
    expect(statuses('keyvault.purge-protection', [vault({ enablePurgeProtection: true, EnablePurgeProtection: false })])).toEqual([
      'kv: unknown',
    ]);
    expect(
      templateFindings('keyvault.purge-protection', [vault({ EnablePurgeProtection: false, enablePurgeProtection: true })])[0]?.message,
    ).toMatch(/2 times in different cases .* not documented/);
    // The same value twice is that value.
    expect(statuses('keyvault.purge-protection', [vault({ enablePurgeProtection: true, ENABLEPURGEPROTECTION: true })])).toEqual([
      'kv: pass',
    ]);
  });

  it('reads ASCII letters without case, but a non-ASCII look-alike (the Kelvin sign K) names another property', () => {
    expect(statuses('redis.entra-auth', [redis({ DisableAccessKeyAuthentication: true })])).toEqual(['r1: pass']);
    expect(statuses('redis.entra-auth', [redis({ 'disableAccess\u212AeyAuthentication': true })])).toEqual(['r1: fail']);
    expect(statuses('cosmos.metadata-write-locked', [cosmos({ 'disable\u212AeyBasedMetadataWriteAccess': true })])).toEqual(['db1: fail']);
  });

  it('reads template expressions the same way: a look-alike key is not the property', () => {
    const template = [vault({ enablePurgeProtection: "[coalesce(tryGet(variables('settings'), 'purge\u212Aey'), false())]" })];
    expect(statuses('keyvault.purge-protection', template, { variables: { settings: { purgeKey: true } } })).toEqual(['kv: fail']);
  });
});
