/**
 * The controls as ARM reads a template, each case a minimal template that a control judged wrong
 * before: several resources writing one setting, diagnostic settings without a destination that
 * keeps logs, property names in another case, values of the wrong type, union() of nested objects,
 * and the controls that read the wrong property or list.
 */
import { describe, expect, it } from 'vitest';
import { resolveTemplate } from '../../src/arm/resolve.js';
import { CONTROLS } from '../../src/compliance/catalog.js';
import { evaluate } from '../../src/compliance/evaluate.js';
import { DEFAULT_GATE_POLICY } from '../../src/compliance/model.js';
import { SCHEMA, WORKSPACE, statuses } from '../helpers/compliance.js';

const message = (control: string, resources: unknown[], extra: Record<string, unknown> = {}) => {
  const template = { $schema: SCHEMA, contentVersion: '1.0.0.0', ...extra, resources };
  const environment = resolveTemplate(template, { source: { file: 'main.json', value: template } });
  return (
    evaluate(environment, { policy: DEFAULT_GATE_POLICY, now: new Date(), controls: CONTROLS.filter((c) => c.id === control) }).findings[0]
      ?.message ?? ''
  );
};

const server = (properties: Record<string, unknown> = {}) => ({
  type: 'Microsoft.Sql/servers',
  apiVersion: '2023-08-01',
  name: 'sql1',
  location: 'eastus2',
  properties,
});
const child = (type: string, name: string, properties: Record<string, unknown>, dependsOn: string[] = []) => ({
  type: `Microsoft.Sql/servers/${type}`,
  apiVersion: '2023-08-01',
  name: `sql1/${name}`,
  properties,
  dependsOn: ["[resourceId('Microsoft.Sql/servers', 'sql1')]", ...dependsOn],
});

describe('several resources writing one setting', () => {
  it('does not pass threat protection when securityAlertPolicies turns it off: unknown when ARM may apply either, fail when it comes last', () => {
    const atp = child('advancedThreatProtectionSettings', 'Default', { state: 'Enabled' });
    const alerts = child('securityAlertPolicies', 'Default', { state: 'Disabled' });
    expect(statuses('sql.threat-protection', [server(), atp, alerts])).toEqual(['sql1: unknown']);
    expect(message('sql.threat-protection', [server(), atp, alerts])).toMatch(
      /securityAlertPolicies\/Default turns .* off and advancedThreatProtectionSettings\/Default turns it on, and neither depends on the other/,
    );
    const last = child('securityAlertPolicies', 'Default', { state: 'Disabled' }, [
      "[resourceId('Microsoft.Sql/servers/advancedThreatProtectionSettings', 'sql1', 'Default')]",
    ]);
    expect(statuses('sql.threat-protection', [server(), atp, last])).toEqual(['sql1: fail']);
  });

  it('does not pass auditing when extendedAuditingSettings disables what auditingSettings enables', () => {
    const auditing = child('auditingSettings', 'default', { state: 'Enabled', isAzureMonitorTargetEnabled: true });
    const extended = child('extendedAuditingSettings', 'default', { state: 'Disabled' }, [
      "[resourceId('Microsoft.Sql/servers/auditingSettings', 'sql1', 'default')]",
    ]);
    expect(statuses('sql.auditing', [server(), auditing, extended])).toEqual(['sql1: fail']);
  });

  it('fails Entra-only authentication when an azureADOnlyAuthentications child sets it false after the server set it true', () => {
    const only = child('azureADOnlyAuthentications', 'Default', { azureADOnlyAuthentication: false });
    expect(statuses('sql.entra-only-auth', [server({ administrators: { azureADOnlyAuthentication: true } }), only])).toEqual([
      'sql1: fail',
    ]);
    expect(statuses('sql.entra-only-auth', [server({ administrators: { azureADOnlyAuthentication: true } })])).toEqual(['sql1: pass']);
  });
});

describe('diagnostic settings', () => {
  const vault = { type: 'Microsoft.KeyVault/vaults', apiVersion: '2026-02-01', name: 'kv', location: 'eastus2', properties: {} };
  const setting = (properties: Record<string, unknown>) => ({
    type: 'Microsoft.Insights/diagnosticSettings',
    apiVersion: '2021-05-01-preview',
    name: 'audit',
    scope: "[resourceId('Microsoft.KeyVault/vaults', 'kv')]",
    properties,
  });

  it('does not count an Event Hub, or a null workspace, as a destination that keeps audit logs', () => {
    const eventHubOnly = setting({
      workspaceId: null,
      storageAccountId: null,
      eventHubAuthorizationRuleId: '/x/authorizationRules/send',
      logs: [{ categoryGroup: 'audit', enabled: true }],
    });
    expect(statuses('diagnostics.audit-logs', [vault, eventHubOnly])).toEqual(['kv: fail']);
    expect(
      statuses('diagnostics.audit-logs', [vault, setting({ workspaceId: WORKSPACE, logs: [{ categoryGroup: 'audit', enabled: true }] })]),
    ).toEqual(['kv: pass']);
  });

  it('is unknown, not enabled, when a log entry’s enabled cannot be evaluated', () => {
    const template = setting({ workspaceId: WORKSPACE, logs: [{ categoryGroup: 'audit', enabled: "[parameters('auditOn')]" }] });
    expect(statuses('diagnostics.audit-logs', [vault, template], { parameters: { auditOn: { type: 'bool' } } })).toEqual(['kv: unknown']);
  });
});

describe('property names and values as ARM reads them', () => {
  const storage = (properties: Record<string, unknown>) => ({
    type: 'Microsoft.Storage/storageAccounts',
    apiVersion: '2025-06-01',
    name: 'st1',
    kind: 'StorageV2',
    sku: { name: 'Standard_LRS' },
    properties,
  });
  const registry = (properties: Record<string, unknown>) => ({
    type: 'Microsoft.ContainerRegistry/registries',
    apiVersion: '2025-04-01',
    name: 'acr1',
    sku: { name: 'Premium' },
    properties,
  });
  const redis = (properties: Record<string, unknown>) => ({
    type: 'Microsoft.Cache/redis',
    apiVersion: '2024-11-01',
    name: 'r1',
    properties,
  });

  it('reads a property written in another case (ARM ignores case)', () => {
    expect(statuses('storage.https-only', [storage({ SupportsHttpsTrafficOnly: false })])).toEqual(['st1: fail']);
    expect(statuses('registry.admin-disabled', [registry({ AdminUserEnabled: true })])).toEqual(['acr1: fail']);
    expect(statuses('redis.tls-only', [redis({ EnableNonSslPort: true })])).toEqual(['r1: fail']);
  });

  it('takes a value of the wrong type as unknown, never as the safe default', () => {
    expect(statuses('storage.https-only', [storage({ supportsHttpsTrafficOnly: 'false' })])).toEqual(['st1: unknown']);
    expect(
      statuses('keyvault.purge-protection', [
        { type: 'Microsoft.KeyVault/vaults', apiVersion: '2026-02-01', name: 'kv', properties: { enablePurgeProtection: 'true' } },
      ]),
    ).toEqual(['kv: unknown']);
  });

  it('merges nested objects in union() as ARM does, so a nested setting is not lost', () => {
    // A shared default with the admin user on, and a team's override of other properties: ARM keeps adminUserEnabled.
    const defaults = { properties: { adminUserEnabled: true, anonymousPullEnabled: true } };
    const overrides = { properties: { anonymousPullEnabled: false } };
    const merged = { ...registry({}), properties: "[union(variables('defaults'), variables('overrides')).properties]" };
    expect(statuses('registry.admin-disabled', [merged], { variables: { defaults, overrides } })).toEqual(['acr1: fail']);
    expect(statuses('registry.anonymous-pull-disabled', [merged], { variables: { defaults, overrides } })).toEqual(['acr1: pass']);
  });
});

describe('controls that read the wrong thing before', () => {
  it('reads transparent data encryption from status on older api-versions', () => {
    const database = { type: 'Microsoft.Sql/servers/databases', apiVersion: '2014-04-01', name: 'sql1/db', properties: {} };
    const tde = (status: string) => ({
      type: 'Microsoft.Sql/servers/databases/transparentDataEncryption',
      apiVersion: '2014-04-01',
      name: 'sql1/db/current',
      properties: { status },
    });
    expect(statuses('sql.tde', [server(), database, tde('Enabled')])).toEqual(['sql1/db: pass']);
    expect(statuses('sql.tde', [server(), database, tde('Disabled')])).toEqual(['sql1/db: fail']);
  });

  it('counts a storage endpoint built with reference() as an auditing destination', () => {
    const auditing = child('auditingSettings', 'default', {
      state: 'Enabled',
      storageEndpoint: "[reference(resourceId('Microsoft.Storage/storageAccounts', 'audit')).primaryEndpoints.blob]",
    });
    expect(statuses('sql.auditing', [server(), auditing])).toEqual(['sql1: pass']);
  });

  it('judges the tables Container Apps write straight into the workspace', () => {
    const workspace = {
      type: 'Microsoft.OperationalInsights/workspaces',
      apiVersion: '2025-02-01',
      name: 'logs',
      properties: { retentionInDays: 30 },
    };
    const environment = {
      type: 'Microsoft.App/managedEnvironments',
      apiVersion: '2026-01-01',
      name: 'env',
      properties: {
        appLogsConfiguration: {
          destination: 'log-analytics',
          logAnalyticsConfiguration: { customerId: `[reference(${WORKSPACE.slice(1, -1)}).customerId]` },
        },
      },
    };
    expect(statuses('logs.retention', [workspace, environment])).toEqual(['logs: fail']);
    expect(message('logs.retention', [workspace, environment])).toMatch(/ContainerAppConsoleLogs_CL/);
  });

  it('puts App Service, Application Insights, network security groups and Event Hubs in the BAA scope, and does not judge a lock', () => {
    const resources = [
      { type: 'Microsoft.Web/sites', apiVersion: '2024-04-01', name: 'web', properties: {} },
      { type: 'Microsoft.Insights/components', apiVersion: '2020-02-02', name: 'ai', kind: 'web', properties: {} },
      { type: 'Microsoft.Network/networkSecurityGroups', apiVersion: '2024-05-01', name: 'nsg', properties: {} },
      { type: 'Microsoft.EventHub/namespaces', apiVersion: '2024-01-01', name: 'eh', properties: {} },
      { type: 'Microsoft.Authorization/locks', apiVersion: '2020-05-01', name: 'keep', properties: { level: 'CanNotDelete' } },
      { type: 'Microsoft.Example/widgets', apiVersion: '2024-01-01', name: 'w', properties: {} },
    ];
    expect(statuses('baa.scope', resources)).toEqual(['web: pass', 'ai: pass', 'nsg: pass', 'eh: pass', 'keep: not-applicable', 'w: fail']);
  });
});

describe('the AI services', () => {
  const openai = {
    type: 'Microsoft.CognitiveServices/accounts',
    apiVersion: '2026-05-01',
    name: 'oai',
    kind: 'OpenAI',
    location: 'eastus2',
    sku: { name: 'S0' },
    properties: { customSubDomainName: 'oai', disableLocalAuth: true },
  };
  const search = {
    type: 'Microsoft.Search/searchServices',
    apiVersion: '2025-05-01',
    name: 'srch',
    location: 'eastus2',
    sku: { name: 'basic' },
    properties: { disableLocalAuth: true },
  };
  const setting = (scope: string, logs: unknown[], properties: Record<string, unknown> = {}) => ({
    type: 'Microsoft.Insights/diagnosticSettings',
    apiVersion: '2021-05-01-preview',
    name: 'audit',
    scope,
    properties: { workspaceId: WORKSPACE, logs, ...properties },
  });
  const OPENAI_ID = "[resourceId('Microsoft.CognitiveServices/accounts', 'oai')]";
  const SEARCH_ID = "[resourceId('Microsoft.Search/searchServices', 'srch')]";

  it('counts their own audit categories as audit logs, and no other', () => {
    expect(statuses('diagnostics.audit-logs', [openai, setting(OPENAI_ID, [{ category: 'Audit', enabled: true }])])).toEqual(['oai: pass']);
    expect(statuses('diagnostics.audit-logs', [openai, setting(OPENAI_ID, [{ category: 'Trace', enabled: true }])])).toEqual(['oai: fail']);
    expect(statuses('diagnostics.audit-logs', [search, setting(SEARCH_ID, [{ category: 'OperationLogs', enabled: true }])])).toEqual([
      'srch: pass',
    ]);
    expect(statuses('diagnostics.audit-logs', [search])).toEqual(['srch: fail']);
  });

  it('keeps their logs six years in AzureDiagnostics, where they land even with resource-specific tables asked for', () => {
    const workspace = {
      type: 'Microsoft.OperationalInsights/workspaces',
      apiVersion: '2025-02-01',
      name: 'logs',
      properties: { retentionInDays: 365 },
    };
    const table = (days: number) => ({
      type: 'Microsoft.OperationalInsights/workspaces/tables',
      apiVersion: '2025-02-01',
      name: 'logs/AzureDiagnostics',
      properties: { totalRetentionInDays: days },
    });
    const dedicated = setting(SEARCH_ID, [{ categoryGroup: 'allLogs', enabled: true }], { logAnalyticsDestinationType: 'Dedicated' });
    expect(statuses('logs.retention', [workspace, search, dedicated])).toEqual(['logs: fail']);
    expect(message('logs.retention', [workspace, search, dedicated])).toMatch(/table AzureDiagnostics/);
    expect(statuses('logs.retention', [workspace, search, dedicated, table(730)])).toEqual(['logs: fail']);
    expect(statuses('logs.retention', [workspace, search, dedicated, table(2190)])).toEqual(['logs: pass']);
  });

  it('reads disableLocalAuth in any case, and takes a string for it as unknown', () => {
    expect(statuses('search.local-auth-disabled', [{ ...search, properties: { DisableLocalAuth: false } }])).toEqual(['srch: fail']);
    expect(statuses('cognitiveservices.local-auth-disabled', [{ ...openai, properties: { disableLocalAuth: 'true' } }])).toEqual([
      'oai: unknown',
    ]);
  });

  it('judges abuse monitoring only on accounts that serve Azure OpenAI, by their kind', () => {
    const speech = { ...openai, name: 'speech', kind: 'SpeechServices' };
    expect(statuses('openai.abuse-monitoring', [openai, speech])).toEqual(['oai: fail', 'speech: not-applicable']);
    expect(
      statuses('openai.abuse-monitoring', [{ ...openai, kind: "[parameters('kind')]" }], { parameters: { kind: { type: 'string' } } }),
    ).toEqual(['oai: unknown']);
  });
});
