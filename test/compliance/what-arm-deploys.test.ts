/**
 * What ARM deploys, and where (issue 20, sections 3 and 4): each case a minimal template the gate
 * judged wrong before. Children of a parent whose condition is false still deploy; settings,
 * children and extension resources belong to the resource whose full id they target; templates
 * that only change existing resources are judged on what they write; values of the wrong type
 * are unknown; a log destination needs a log category sent.
 */
import { describe, expect, it } from 'vitest';
import { resolveTemplate } from '../../src/arm/resolve.js';
import { CONTROLS } from '../../src/compliance/catalog.js';
import { evaluate } from '../../src/compliance/evaluate.js';
import { DEFAULT_GATE_POLICY } from '../../src/compliance/model.js';
import { SCHEMA, WORKSPACE, statuses } from '../helpers/compliance.js';

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

/** The findings of one control as `name@resourceGroup: status`, for templates that deploy to several resource groups. */
function statusesWhere(control: string, resources: unknown, extra: Record<string, unknown> = {}): string[] {
  const template = { $schema: SCHEMA, contentVersion: '1.0.0.0', ...extra, resources };
  const environment = resolveTemplate(template, { source: { file: 'main.json', value: template }, resourceGroup: 'main-rg' });
  const report = evaluate(environment, {
    policy: DEFAULT_GATE_POLICY,
    now: new Date('2026-11-29T00:00:00Z'),
    controls: CONTROLS.filter((c) => c.id === control),
  });
  return report.findings
    .filter((f) => f.control === control)
    .map((f) => `${f.resource.name}@${/\/resourceGroups\/([^/]+)/i.exec(f.resource.id)?.[1] ?? '?'}: ${f.status}`);
}
/** An inline nested deployment (a Bicep module) into another resource group. */
const module = (resourceGroup: string, resources: unknown[]) => ({
  type: 'Microsoft.Resources/deployments',
  apiVersion: '2022-09-01',
  name: `into-${resourceGroup}`,
  resourceGroup,
  properties: {
    mode: 'Incremental',
    expressionEvaluationOptions: { scope: 'inner' },
    template: { $schema: SCHEMA, contentVersion: '1.0.0.0', resources },
  },
});
const tde = (state: string) => ({ type: 'transparentDataEncryption', apiVersion: '2023-08-01', name: 'current', properties: { state } });

describe('a condition does not cascade to nested children', () => {
  it('judges the database and its encryption setting nested in a server whose condition is false', () => {
    const server = {
      ...sqlServer(),
      condition: false,
      resources: [
        {
          type: 'databases',
          apiVersion: '2023-08-01',
          name: 'db',
          location: 'eastus2',
          dependsOn: ['sql1'],
          resources: [{ ...tde('Disabled'), dependsOn: ['db'] }],
        },
      ],
    };
    expect(statuses('sql.tde', [server])).toEqual(['sql1/db: fail']);
    expect(statuses('sql.auditing', [server])).toEqual([]);
  });
});

describe('children, settings and extension resources belong to the resource whose full id they target', () => {
  const auditing = {
    type: 'Microsoft.Sql/servers/auditingSettings',
    apiVersion: '2023-08-01',
    name: 'sql1/default',
    properties: { state: 'Enabled', isAzureMonitorTargetEnabled: true },
  };

  it('gives a top-level auditingSettings child to the server of its own resource group, not a same-named server elsewhere', () => {
    expect(statusesWhere('sql.auditing', [sqlServer(), auditing, module('other-rg', [sqlServer()])])).toEqual([
      'sql1@main-rg: pass',
      'sql1@other-rg: fail',
    ]);
    expect(statusesWhere('sql.auditing', [sqlServer(), module('other-rg', [sqlServer(), auditing])])).toEqual([
      'sql1@main-rg: fail',
      'sql1@other-rg: pass',
    ]);
  });

  it('does not count a diagnostic setting sending to a same-named workspace in another resource group for the retention of this one', () => {
    const workspace = {
      type: 'Microsoft.OperationalInsights/workspaces',
      apiVersion: '2025-02-01',
      name: 'logs',
      location: 'eastus2',
      properties: { retentionInDays: 30 },
    };
    const vault = { type: 'Microsoft.KeyVault/vaults', apiVersion: '2026-02-01', name: 'kv', location: 'eastus2', properties: {} };
    const toOther = diagnosticSetting("[resourceId('Microsoft.KeyVault/vaults', 'kv')]", {
      workspaceId: "[resourceId('other-rg', 'Microsoft.OperationalInsights/workspaces', 'logs')]",
      logs: [{ categoryGroup: 'audit', enabled: true }],
    });
    // The audit logs land in other-rg's workspace: this one receives none, so needs no audit table.
    expect(statusesWhere('logs.retention', [workspace, vault, toOther])).toEqual(['logs@main-rg: pass']);
    const toThis = diagnosticSetting("[resourceId('Microsoft.KeyVault/vaults', 'kv')]", {
      workspaceId: WORKSPACE,
      logs: [{ categoryGroup: 'audit', enabled: true }],
    });
    expect(statusesWhere('logs.retention', [workspace, vault, toThis])).toEqual(['logs@main-rg: fail']);
  });

  it('does not let a role assignment at another resource group reach the AI Search service', () => {
    const search = {
      type: 'Microsoft.Search/searchServices',
      apiVersion: '2025-05-01',
      name: 'srch',
      location: 'eastus2',
      sku: { name: 'basic' },
      properties: { disableLocalAuth: true },
    };
    const grant = {
      type: 'Microsoft.Authorization/roleAssignments',
      apiVersion: '2022-04-01',
      name: '11111111-1111-1111-1111-111111111111',
      properties: {
        principalId: '22222222-2222-2222-2222-222222222222',
        principalType: 'ServicePrincipal',
        roleDefinitionId: "[subscriptionResourceId('Microsoft.Authorization/roleDefinitions', '1407120a-92aa-4202-b7e9-c0e197c71c8f')]",
      },
    };
    expect(statusesWhere('ai.app-identity', [search, grant])).toEqual(['srch@main-rg: pass']);
    expect(statusesWhere('ai.app-identity', [search, module('other-rg', [grant])])).toEqual(['srch@main-rg: fail']);
  });
});

describe('templates that only change existing resources are judged on what they write', () => {
  it('fails a transparentDataEncryption child that disables encryption on an existing database', () => {
    const template = {
      languageVersion: '2.0',
      resources: {
        db: { type: 'Microsoft.Sql/servers/databases', apiVersion: '2023-08-01', name: 'sql1/db', existing: true },
        encryption: {
          type: 'Microsoft.Sql/servers/databases/transparentDataEncryption',
          apiVersion: '2023-08-01',
          name: 'sql1/db/current',
          dependsOn: ['db'],
          properties: { state: 'Disabled' },
        },
      },
    };
    expect(statuses('sql.tde', template.resources, { languageVersion: '2.0' })).toEqual(['sql1/db: fail']);
    // A setting on a database the template does not declare at all writes to it all the same.
    expect(statuses('sql.tde', [template.resources.encryption])).toEqual(['sql1/db: fail']);
    expect(statuses('sql.tde', [{ ...template.resources.encryption, properties: { state: 'Enabled' } }])).toEqual(['sql1/db: pass']);
  });

  it('fails a diagnostic setting that turns the audit logs of an existing vault off', () => {
    const removal = diagnosticSetting(
      "[resourceId('Microsoft.KeyVault/vaults', 'kv')]",
      {
        workspaceId: WORKSPACE,
        logs: [{ categoryGroup: 'audit', enabled: false }],
      },
      'audit',
    );
    expect(statuses('diagnostics.audit-logs', [removal])).toEqual(['kv: fail']);
  });

  it('gives an existing resource the template writes nothing to no findings, and judges none of its own properties', () => {
    const template = {
      languageVersion: '2.0',
      resources: {
        vault: { type: 'Microsoft.KeyVault/vaults', apiVersion: '2026-02-01', name: 'kv', existing: true },
        setting: {
          ...diagnosticSetting('vault', { workspaceId: WORKSPACE, logs: [{ categoryGroup: 'audit', enabled: true }] }),
          dependsOn: ['vault'],
        },
      },
    };
    expect(statuses('diagnostics.audit-logs', template.resources, { languageVersion: '2.0' })).toEqual(['kv: pass']);
    for (const control of ['keyvault.purge-protection', 'tags.required', 'baa.scope'])
      expect(statuses(control, template.resources, { languageVersion: '2.0' }).filter((line) => line.startsWith('kv:'))).toEqual([]);
  });
});

describe('ARM reads user-defined functions and module outputs inside copy loops', () => {
  const auditingWith = (storageEndpoint: string) => ({
    type: 'Microsoft.Sql/servers/auditingSettings',
    apiVersion: '2023-08-01',
    name: 'sql1/default',
    dependsOn: ["[resourceId('Microsoft.Sql/servers', 'sql1')]"],
    properties: { state: 'Enabled', storageEndpoint },
  });

  it("evaluates a function of the template's functions section (ARM), instead of taking its unknown value as a destination", () => {
    const functions = [
      {
        namespace: 'audit',
        members: {
          endpoint: {
            parameters: [{ name: 'account', type: 'string' }],
            output: {
              type: 'string',
              value: "[if(empty(parameters('account')), '', format('https://{0}.blob.core.windows.net/', parameters('account')))]",
            },
          },
        },
      },
    ];
    expect(statuses('sql.auditing', [sqlServer(), auditingWith("[audit.endpoint('')]")], { functions })).toEqual(['sql1: fail']);
    expect(statuses('sql.auditing', [sqlServer(), auditingWith("[audit.endpoint('st1')]")], { functions })).toEqual(['sql1: pass']);
  });

  it('evaluates a Bicep func (languageVersion 2.0, namespace __bicep)', () => {
    const functions = [
      {
        namespace: '__bicep',
        members: {
          endpoint: {
            parameters: [{ type: 'string', name: 'account' }],
            output: { type: 'string', value: "[if(equals(parameters('account'), 'none'), '', 'https://x.blob.core.windows.net/')]" },
          },
        },
      },
    ];
    const resources = { server: sqlServer(), auditing: auditingWith("[__bicep.endpoint('none')]") };
    expect(statuses('sql.auditing', resources, { languageVersion: '2.0', functions })).toEqual(['sql1: fail']);
  });

  it("reads the outputs of a module deployed in a copy loop, by the copy's name", () => {
    const copiedModule = {
      type: 'Microsoft.Resources/deployments',
      apiVersion: '2022-09-01',
      name: "[format('endpoint-{0}', copyIndex())]",
      copy: { name: 'endpoints', count: 2 },
      properties: {
        mode: 'Incremental',
        expressionEvaluationOptions: { scope: 'inner' },
        parameters: { index: { value: '[copyIndex()]' } },
        template: {
          $schema: SCHEMA,
          contentVersion: '1.0.0.0',
          parameters: { index: { type: 'int' } },
          resources: [],
          outputs: {
            endpoint: { type: 'string', value: "[if(equals(parameters('index'), 0), 'https://st0.blob.core.windows.net/', '')]" },
          },
        },
      },
    };
    const server = (index: number) => ({ ...sqlServer(), name: `sql${index}`, copy: undefined });
    const auditing = {
      type: 'Microsoft.Sql/servers/auditingSettings',
      apiVersion: '2023-08-01',
      name: "[format('sql{0}/default', copyIndex())]",
      copy: { name: 'audits', count: 2 },
      dependsOn: ['endpoints'],
      properties: {
        state: 'Enabled',
        storageEndpoint:
          "[reference(resourceId('Microsoft.Resources/deployments', format('endpoint-{0}', copyIndex()))).outputs.endpoint.value]",
      },
    };
    expect(statuses('sql.auditing', [server(0), server(1), copiedModule, auditing])).toEqual(['sql0: pass', 'sql1: fail']);
  });
});
