// The gate on twelve real ARM templates written by others (test/fixtures/real, MIT): each
// template's findings match the hand reading in its EXPECTED.md, which names every deployed
// resource and the status each control should give it.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runGate } from '../../src/gate/gate.js';

const REAL = join(import.meta.dirname, '..', 'fixtures', 'real');

/** Per template: the types ARM would deploy, in template order, and every finding that is not not-applicable. */
const EXPECTED: Record<string, { deployed: string[]; judged: string }> = {
  'avm-container-app': {
    deployed: ['Microsoft.Resources/deployments', 'Microsoft.App/containerApps'],
    judged: `
      fail containerapp.https-only Microsoft.App/containerApps
      fail containerapp.managed-identity Microsoft.App/containerApps
      pass containerapp.registry-identity Microsoft.App/containerApps
      pass containerapp.secrets-from-keyvault Microsoft.App/containerApps
      pass containerapp.min-replicas Microsoft.App/containerApps
      fail monitoring.action-group environment
      fail monitoring.alerts environment
      fail monitoring.availability-test environment
      fail defender.plans environment
      fail policy.hipaa-initiative environment
      fail tags.required Microsoft.App/containerApps
      pass baa.scope Microsoft.App/containerApps
      fail baa.evidence environment
      unknown input.resolvable environment`,
  },
  'avm-container-registry': {
    deployed: ['Microsoft.Resources/deployments', 'Microsoft.ContainerRegistry/registries'],
    judged: `
      pass registry.admin-disabled Microsoft.ContainerRegistry/registries
      pass registry.anonymous-pull-disabled Microsoft.ContainerRegistry/registries
      fail registry.public-network Microsoft.ContainerRegistry/registries
      fail monitoring.action-group environment
      fail defender.plans environment
      fail policy.hipaa-initiative environment
      fail tags.required Microsoft.ContainerRegistry/registries
      pass baa.scope Microsoft.ContainerRegistry/registries
      fail baa.evidence environment
      unknown input.resolvable environment`,
  },
  'avm-key-vault': {
    deployed: ['Microsoft.Resources/deployments', 'Microsoft.KeyVault/vaults'],
    judged: `
      pass keyvault.purge-protection Microsoft.KeyVault/vaults
      pass keyvault.soft-delete Microsoft.KeyVault/vaults
      pass keyvault.rbac Microsoft.KeyVault/vaults
      fail keyvault.public-network Microsoft.KeyVault/vaults
      fail diagnostics.audit-logs Microsoft.KeyVault/vaults
      fail monitoring.action-group environment
      fail monitoring.alerts environment
      fail defender.plans environment
      fail policy.hipaa-initiative environment
      fail tags.required Microsoft.KeyVault/vaults
      pass baa.scope Microsoft.KeyVault/vaults
      fail baa.evidence environment
      unknown input.resolvable environment`,
  },
  'avm-storage-account': {
    deployed: [
      'Microsoft.Resources/deployments',
      'Microsoft.Storage/storageAccounts',
      'Microsoft.Resources/deployments',
      'Microsoft.Storage/storageAccounts/blobServices',
    ],
    judged: `
      pass storage.https-only Microsoft.Storage/storageAccounts
      pass storage.min-tls Microsoft.Storage/storageAccounts
      pass storage.no-public-blob Microsoft.Storage/storageAccounts
      pass storage.backup-retention Microsoft.Storage/storageAccounts
      fail storage.public-network Microsoft.Storage/storageAccounts
      fail diagnostics.audit-logs Microsoft.Storage/storageAccounts
      fail monitoring.action-group environment
      fail defender.plans environment
      fail policy.hipaa-initiative environment
      fail tags.required Microsoft.Storage/storageAccounts
      pass baa.scope Microsoft.Storage/storageAccounts
      pass baa.scope Microsoft.Storage/storageAccounts/blobServices
      fail baa.evidence environment
      unknown input.resolvable environment`,
  },
  'qs-container-app-create': {
    deployed: ['Microsoft.OperationalInsights/workspaces', 'Microsoft.App/managedEnvironments', 'Microsoft.App/containerApps'],
    judged: `
      fail logs.retention Microsoft.OperationalInsights/workspaces
      fail diagnostics.audit-logs Microsoft.App/managedEnvironments
      pass containerapp.https-only Microsoft.App/containerApps
      fail containerapp.managed-identity Microsoft.App/containerApps
      pass containerapp.registry-identity Microsoft.App/containerApps
      pass containerapp.secrets-from-keyvault Microsoft.App/containerApps
      pass containerapp.min-replicas Microsoft.App/containerApps
      pass environment.logs Microsoft.App/managedEnvironments
      fail monitoring.action-group environment
      fail monitoring.alerts environment
      fail monitoring.availability-test environment
      fail defender.plans environment
      fail policy.hipaa-initiative environment
      fail tags.required Microsoft.OperationalInsights/workspaces
      fail tags.required Microsoft.App/managedEnvironments
      fail tags.required Microsoft.App/containerApps
      pass baa.scope Microsoft.OperationalInsights/workspaces
      pass baa.scope Microsoft.App/managedEnvironments
      pass baa.scope Microsoft.App/containerApps
      fail baa.evidence environment`,
  },
  'qs-container-registry': {
    deployed: ['Microsoft.ContainerRegistry/registries'],
    judged: `
      pass registry.admin-disabled Microsoft.ContainerRegistry/registries
      pass registry.anonymous-pull-disabled Microsoft.ContainerRegistry/registries
      fail registry.public-network Microsoft.ContainerRegistry/registries
      fail monitoring.action-group environment
      fail defender.plans environment
      fail policy.hipaa-initiative environment
      fail tags.required Microsoft.ContainerRegistry/registries
      pass baa.scope Microsoft.ContainerRegistry/registries
      fail baa.evidence environment`,
  },
  'qs-cosmosdb-sql': {
    deployed: [
      'Microsoft.DocumentDB/databaseAccounts',
      'Microsoft.DocumentDB/databaseAccounts/sqlDatabases',
      'Microsoft.DocumentDB/databaseAccounts/sqlDatabases/containers',
    ],
    judged: `
      fail cosmos.continuous-backup Microsoft.DocumentDB/databaseAccounts
      fail cosmos.local-auth-disabled Microsoft.DocumentDB/databaseAccounts
      fail cosmos.metadata-write-locked Microsoft.DocumentDB/databaseAccounts
      fail cosmos.tls Microsoft.DocumentDB/databaseAccounts
      fail cosmos.public-network Microsoft.DocumentDB/databaseAccounts
      fail diagnostics.audit-logs Microsoft.DocumentDB/databaseAccounts
      fail monitoring.action-group environment
      fail defender.plans environment
      fail policy.hipaa-initiative environment
      fail tags.required Microsoft.DocumentDB/databaseAccounts
      pass baa.scope Microsoft.DocumentDB/databaseAccounts
      pass baa.scope Microsoft.DocumentDB/databaseAccounts/sqlDatabases
      pass baa.scope Microsoft.DocumentDB/databaseAccounts/sqlDatabases/containers
      fail baa.evidence environment`,
  },
  'qs-key-vault-create': {
    deployed: ['Microsoft.KeyVault/vaults', 'Microsoft.KeyVault/vaults/secrets'],
    judged: `
      fail keyvault.purge-protection Microsoft.KeyVault/vaults
      pass keyvault.soft-delete Microsoft.KeyVault/vaults
      fail keyvault.rbac Microsoft.KeyVault/vaults
      fail keyvault.public-network Microsoft.KeyVault/vaults
      fail diagnostics.audit-logs Microsoft.KeyVault/vaults
      fail monitoring.action-group environment
      fail monitoring.alerts environment
      fail defender.plans environment
      fail policy.hipaa-initiative environment
      fail tags.required Microsoft.KeyVault/vaults
      pass baa.scope Microsoft.KeyVault/vaults
      pass baa.scope Microsoft.KeyVault/vaults/secrets
      fail baa.evidence environment`,
  },
  'qs-redis-cache': {
    deployed: ['Microsoft.Cache/redis', 'Microsoft.Insights/diagnosticSettings'],
    judged: `
      pass redis.tls-only Microsoft.Cache/redis
      pass redis.min-tls Microsoft.Cache/redis
      fail redis.entra-auth Microsoft.Cache/redis
      fail redis.public-network Microsoft.Cache/redis
      fail diagnostics.audit-logs Microsoft.Cache/redis
      fail monitoring.action-group environment
      fail defender.plans environment
      fail policy.hipaa-initiative environment
      fail tags.required Microsoft.Cache/redis
      pass baa.scope Microsoft.Cache/redis
      fail baa.evidence environment
      unknown input.resolvable environment`,
  },
  'qs-sql-database': {
    deployed: ['Microsoft.Sql/servers', 'Microsoft.Sql/servers/databases'],
    judged: `
      fail sql.auditing Microsoft.Sql/servers
      fail sql.threat-protection Microsoft.Sql/servers
      pass sql.tde Microsoft.Sql/servers/databases
      fail sql.tls Microsoft.Sql/servers
      fail sql.entra-only-auth Microsoft.Sql/servers
      fail sql.long-term-retention Microsoft.Sql/servers/databases
      fail sql.public-network Microsoft.Sql/servers
      fail diagnostics.audit-logs Microsoft.Sql/servers
      fail monitoring.action-group environment
      fail monitoring.alerts environment
      fail defender.plans environment
      fail policy.hipaa-initiative environment
      fail tags.required Microsoft.Sql/servers
      pass baa.scope Microsoft.Sql/servers
      pass baa.scope Microsoft.Sql/servers/databases
      fail baa.evidence environment`,
  },
  'qs-storage-account-create': {
    deployed: ['Microsoft.Storage/storageAccounts'],
    judged: `
      pass storage.https-only Microsoft.Storage/storageAccounts
      pass storage.min-tls Microsoft.Storage/storageAccounts
      fail storage.no-public-blob Microsoft.Storage/storageAccounts
      fail storage.backup-retention Microsoft.Storage/storageAccounts
      fail storage.public-network Microsoft.Storage/storageAccounts
      fail diagnostics.audit-logs Microsoft.Storage/storageAccounts
      fail monitoring.action-group environment
      fail defender.plans environment
      fail policy.hipaa-initiative environment
      fail tags.required Microsoft.Storage/storageAccounts
      pass baa.scope Microsoft.Storage/storageAccounts
      fail baa.evidence environment`,
  },
  'qs-web-app-loganalytics': {
    deployed: [
      'Microsoft.Resources/deployments',
      'Microsoft.Web/serverfarms',
      'Microsoft.OperationalInsights/workspaces',
      'Microsoft.Insights/components',
      'Microsoft.Resources/deployments',
      'Microsoft.Web/sites',
      'Microsoft.Web/sites/config',
      'Microsoft.Web/sites/config',
      'Microsoft.Web/sites/siteextensions',
      'Microsoft.Resources/deployments',
      'Microsoft.Resources/deployments',
    ],
    judged: `
      pass logs.retention Microsoft.OperationalInsights/workspaces
      pass appservice.https-only Microsoft.Web/sites
      pass appservice.min-tls Microsoft.Web/sites
      unknown appservice.ftps Microsoft.Web/sites
      pass appservice.managed-identity Microsoft.Web/sites
      pass appservice.no-secret-settings Microsoft.Web/sites
      fail monitoring.action-group environment
      fail defender.plans environment
      fail policy.hipaa-initiative environment
      fail tags.required Microsoft.Web/serverfarms
      fail tags.required Microsoft.OperationalInsights/workspaces
      fail tags.required Microsoft.Insights/components
      fail tags.required Microsoft.Web/sites
      pass baa.scope Microsoft.Web/serverfarms
      pass baa.scope Microsoft.OperationalInsights/workspaces
      pass baa.scope Microsoft.Insights/components
      pass baa.scope Microsoft.Web/sites
      pass baa.scope Microsoft.Web/sites/config
      pass baa.scope Microsoft.Web/sites/config
      pass baa.scope Microsoft.Web/sites/siteextensions
      fail baa.evidence environment`,
  },
};

const lines = (text: string): string[] =>
  text
    .split('\n')
    .map((line) => line.trim())
    .filter(Boolean);

describe('the gate on real templates', () => {
  for (const [name, expected] of Object.entries(EXPECTED)) {
    it(`${name}: every deployed resource judged as EXPECTED.md reads it`, async () => {
      const folder = join(REAL, name);
      const run = await runGate({
        cwd: folder,
        template: 'template.json',
        ...(existsSync(join(folder, 'parameters.json')) ? { parameters: 'parameters.json' } : {}),
        now: new Date('2026-11-29T00:00:00Z'),
      });
      expect(run.environment.resources.map((resource) => resource.type)).toEqual(expected.deployed);
      const judged = run.report.findings
        .filter((finding) => finding.status !== 'not-applicable')
        .map((finding) => `${finding.status} ${finding.control} ${finding.resource.type}`);
      expect(judged).toEqual(lines(expected.judged));
      // Only the missing BAA evidence, and nothing the template left unresolvable, keeps a template
      // whose resources all pass from passing: no template here is that good, so each fails.
      expect(run.report.verdict).toBe('fail');
    });
  }

  it('a deployment object is never judged for tags or BAA scope: it holds no data and the caller cannot tag AVM telemetry', async () => {
    const run = await runGate({ cwd: join(REAL, 'avm-key-vault'), template: 'template.json', now: new Date('2026-11-29T00:00:00Z') });
    const onDeployments = run.report.findings.filter((finding) => finding.resource.type === 'Microsoft.Resources/deployments');
    expect(onDeployments.map((finding) => [finding.control, finding.status])).toEqual([
      ['tags.required', 'not-applicable'],
      ['baa.scope', 'not-applicable'],
    ]);
  });
});
