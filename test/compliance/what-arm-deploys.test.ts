/**
 * What ARM deploys, and where (issue 20, sections 3 and 4): each case a minimal template the gate
 * judged wrong before. Children of a parent whose condition is false still deploy; settings,
 * children and extension resources belong to the resource whose full id they target; templates
 * that only change existing resources are judged on what they write; values of the wrong type
 * are unknown; a log destination needs a log category sent.
 */
import { describe, expect, it } from 'vitest';
import { resolveTemplate } from '../../src/compliance/arm/template.js';
import { CONTROLS } from '../../src/compliance/catalog.js';
import { evaluate } from '../../src/compliance/evaluate.js';
import { DEFAULT_GATE_POLICY } from '../../src/compliance/model.js';

const SCHEMA = 'https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#';
const WORKSPACE = "[resourceId('Microsoft.OperationalInsights/workspaces', 'logs')]";

/** The findings one control gives the resources of a template (`name: status`). */
function statuses(control: string, resources: unknown, extra: Record<string, unknown> = {}): string[] {
  const template = { $schema: SCHEMA, contentVersion: '1.0.0.0', ...extra, resources };
  const environment = resolveTemplate(template, { source: { file: 'main.json', value: template } });
  const report = evaluate(environment, {
    policy: DEFAULT_GATE_POLICY,
    now: new Date('2026-11-29T00:00:00Z'),
    controls: CONTROLS.filter((c) => c.id === control),
  });
  return report.findings.filter((f) => f.control === control).map((f) => `${f.resource.name}: ${f.status}`);
}

const sqlServer = (properties: Record<string, unknown> = {}, extra: Record<string, unknown> = {}) => ({
  type: 'Microsoft.Sql/servers',
  apiVersion: '2023-08-01',
  name: 'sql1',
  location: 'eastus2',
  properties,
  ...extra,
});
const environmentResource = (properties: Record<string, unknown>) => ({
  type: 'Microsoft.App/managedEnvironments',
  apiVersion: '2026-01-01',
  name: 'env',
  location: 'eastus2',
  properties,
});
const diagnosticSetting = (scope: string, properties: Record<string, unknown>, name = 'logs') => ({
  type: 'Microsoft.Insights/diagnosticSettings',
  apiVersion: '2021-05-01-preview',
  name,
  scope,
  properties,
});
const account = {
  type: 'Microsoft.Storage/storageAccounts',
  apiVersion: '2025-06-01',
  name: 'st1',
  location: 'eastus2',
  kind: 'StorageV2',
  sku: { name: 'Standard_LRS' },
  properties: {},
};
const blobScope = "[resourceId('Microsoft.Storage/storageAccounts/blobServices', 'st1', 'default')]";
const blobService = {
  type: 'Microsoft.Storage/storageAccounts/blobServices',
  apiVersion: '2025-06-01',
  name: 'st1/default',
  properties: {},
};

describe('values of the wrong type are unknown, never read as the safe value', () => {
  it('sql.threat-protection: disabledAlerts written as a string, not a list of alert types', () => {
    const atp = {
      type: 'Microsoft.Sql/servers/securityAlertPolicies',
      apiVersion: '2023-08-01',
      name: 'sql1/Default',
      properties: { state: 'Enabled', disabledAlerts: 'Sql_Injection' },
    };
    expect(statuses('sql.threat-protection', [sqlServer(), atp])).toEqual(['sql1: unknown']);
  });

  it('containerapp.registry-identity and secrets-from-keyvault: a list written as a string or an object', () => {
    const app = (configuration: Record<string, unknown>) => ({
      type: 'Microsoft.App/containerApps',
      apiVersion: '2026-01-01',
      name: 'app',
      location: 'eastus2',
      properties: { configuration },
    });
    expect(statuses('containerapp.registry-identity', [app({ registries: 'acr.azurecr.io' })])).toEqual(['app: unknown']);
    expect(statuses('containerapp.secrets-from-keyvault', [app({ secrets: { name: 'db', value: 'x' } })])).toEqual(['app: unknown']);
    expect(
      statuses('containerapp.registry-identity', [
        app({ registries: [{ server: 'acr.azurecr.io', passwordSecretRef: true, identity: 'id' }] }),
      ]),
    ).toEqual(['app: unknown']);
  });

  it('keyvault.soft-delete: a retention or a switch written as text', () => {
    const vault = (properties: Record<string, unknown>) => ({
      type: 'Microsoft.KeyVault/vaults',
      apiVersion: '2026-02-01',
      name: 'kv',
      location: 'eastus2',
      properties,
    });
    expect(statuses('keyvault.soft-delete', [vault({ softDeleteRetentionInDays: '90' })])).toEqual(['kv: unknown']);
    expect(statuses('keyvault.soft-delete', [vault({ enableSoftDelete: 'false' })])).toEqual(['kv: unknown']);
  });

  it('storage.backup-retention: lifecycle rules written as an object', () => {
    const policy = {
      type: 'Microsoft.Storage/storageAccounts/managementPolicies',
      apiVersion: '2025-06-01',
      name: 'st1/default',
      properties: {
        policy: { rules: { name: 'purge', definition: { actions: { baseBlob: { delete: { daysAfterModificationGreaterThan: 1 } } } } } },
      },
    };
    const soft = { ...blobService, properties: { deleteRetentionPolicy: { enabled: true, days: 7 } } };
    expect(statuses('storage.backup-retention', [account, policy, soft])).toEqual(['st1: unknown']);
  });

  it('environment.logs: a destination that is not text', () => {
    expect(statuses('environment.logs', [environmentResource({ appLogsConfiguration: { destination: true } })])).toEqual(['env: unknown']);
  });
});

describe('a log destination needs a log category sent', () => {
  const env = environmentResource({ appLogsConfiguration: { destination: 'azure-monitor' } });
  const scope = "[resourceId('Microsoft.App/managedEnvironments', 'env')]";

  it('environment.logs fails a diagnostic setting that sends only metrics to the workspace', () => {
    const metricsOnly = diagnosticSetting(scope, { workspaceId: WORKSPACE, metrics: [{ category: 'AllMetrics', enabled: true }] });
    expect(statuses('environment.logs', [env, metricsOnly])).toEqual(['env: fail']);
    const disabled = diagnosticSetting(scope, { workspaceId: WORKSPACE, logs: [{ categoryGroup: 'allLogs', enabled: false }] });
    expect(statuses('environment.logs', [env, disabled])).toEqual(['env: fail']);
  });

  it('environment.logs passes a setting that sends a log category to the workspace, and is unknown when enabled cannot be known', () => {
    const logs = diagnosticSetting(scope, { workspaceId: WORKSPACE, logs: [{ category: 'ContainerAppConsoleLogs', enabled: true }] });
    expect(statuses('environment.logs', [env, logs])).toEqual(['env: pass']);
    const undecided = diagnosticSetting(scope, {
      workspaceId: WORKSPACE,
      logs: [{ categoryGroup: 'allLogs', enabled: "[parameters('on')]" }],
    });
    expect(statuses('environment.logs', [env, undecided], { parameters: { on: { type: 'bool' } } })).toEqual(['env: unknown']);
  });

  it('diagnostics.audit-logs on storage wants reads, writes and deletes: StorageDelete alone is no blob audit log', () => {
    const deletes = diagnosticSetting(blobScope, { workspaceId: WORKSPACE, logs: [{ category: 'StorageDelete', enabled: true }] });
    expect(statuses('diagnostics.audit-logs', [account, blobService, deletes])).toEqual(['st1: fail']);
    const all = diagnosticSetting(blobScope, {
      workspaceId: WORKSPACE,
      logs: ['StorageRead', 'StorageWrite', 'StorageDelete'].map((category) => ({ category, enabled: true })),
    });
    expect(statuses('diagnostics.audit-logs', [account, blobService, all])).toEqual(['st1: pass']);
    const group = diagnosticSetting(blobScope, { workspaceId: WORKSPACE, logs: [{ categoryGroup: 'audit', enabled: true }] });
    expect(statuses('diagnostics.audit-logs', [account, blobService, group])).toEqual(['st1: pass']);
  });
});
