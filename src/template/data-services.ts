import type { DatabaseAccountCreateUpdateParameters, SqlRoleAssignmentCreateUpdateParameters } from '@azure/arm-cosmosdb';
import type { Sku as KeyVaultSku, VaultProperties } from '@azure/arm-keyvault';
import type { RedisCacheAccessPolicyAssignment, RedisCreateProperties } from '@azure/arm-rediscache';
import type { Cluster, Database as RedisDatabase, Sku as RedisEnterpriseSku } from '@azure/arm-redisenterprisecache';
import type {
  Database,
  LogicalDatabaseTransparentDataEncryption,
  LongTermRetentionPolicy,
  Server,
  ServerAdvancedThreatProtection,
  ServerBlobAuditingPolicy,
  Sku as SqlSku,
} from '@azure/arm-sql';
import type {
  BlobServicePropertiesProperties,
  ManagementPolicyProperties,
  NetworkRuleSet as StorageNetworkRuleSet,
  Sku as StorageSku,
  StorageAccountPropertiesCreateParameters,
} from '@azure/arm-storage';
import { roleDefinitionOf } from '../azure/resource-types.js';
import { stableGuid } from '../core/resource-id.js';
import type { FlattenedProperties } from './arm-types.js';
import { literal, reference, resourceId, resourceIdExpression, type TemplateBuilder } from './builder.js';

/** The data services: Key Vault, Cosmos DB, SQL, Redis and backup storage, each with its audit logs and the app's data-plane access. */

/** Azure Managed Redis serves TLS on this port only. */
export const MANAGED_REDIS_PORT = 10000;
export const LEGACY_REDIS_TLS_PORT = 6380;
const COSMOS_DATA_CONTRIBUTOR = roleDefinitionOf('Microsoft.DocumentDB/databaseAccounts', 'Cosmos DB Built-in Data Contributor');

export function renderKeyVault(b: TemplateBuilder): void {
  const { keyVault } = b.config;
  const sku: KeyVaultSku = { family: 'A', name: keyVault.sku };
  b.add<VaultProperties>(['keyVault'], {
    type: 'Microsoft.KeyVault/vaults',
    name: keyVault.name,
    location: b.location,
    tags: b.tags(),
    properties: {
      tenantId: '[subscription().tenantId]',
      sku,
      enableRbacAuthorization: true,
      enableSoftDelete: true,
      softDeleteRetentionInDays: keyVault.softDeleteRetentionInDays,
      enablePurgeProtection: true,
      publicNetworkAccess: b.publicNetworkAccess,
      networkAcls: { defaultAction: b.privateNetwork ? 'Deny' : 'Allow', bypass: 'AzureServices' },
    },
  });
  b.diagnosticSetting(['keyVault'], b.vaultId, [b.vaultId]);
  b.roleAssignment(['keyVault'], b.vaultId, roleDefinitionOf('Microsoft.KeyVault/vaults', 'Key Vault Secrets User'));
  b.outputs.keyVaultUri = { type: 'string', value: reference(b.vaultId, 'Microsoft.KeyVault/vaults', 'vaultUri') };
}

export function renderCosmos(b: TemplateBuilder): void {
  const { cosmos } = b.config;
  b.add<FlattenedProperties<DatabaseAccountCreateUpdateParameters>>(['cosmos'], {
    type: 'Microsoft.DocumentDB/databaseAccounts',
    name: cosmos.name,
    location: b.location,
    kind: 'GlobalDocumentDB',
    tags: b.tags(),
    properties: {
      databaseAccountOfferType: 'Standard',
      locations: [{ locationName: b.location, failoverPriority: 0, isZoneRedundant: cosmos.zoneRedundant }],
      consistencyPolicy: { defaultConsistencyLevel: cosmos.consistencyLevel },
      backupPolicy: { type: 'Continuous', continuousModeProperties: { tier: cosmos.continuousBackupTier } },
      enableAnalyticalStorage: cosmos.analyticalStorage,
      disableLocalAuth: true,
      disableKeyBasedMetadataWriteAccess: true,
      minimalTlsVersion: 'Tls12',
      publicNetworkAccess: b.publicNetworkAccess,
    },
  });
  b.diagnosticSetting(['cosmos'], b.cosmosId, [b.cosmosId]);
  // Data-plane RBAC is Cosmos's own (sqlRoleAssignments), not Microsoft.Authorization. The name must be
  // a GUID under the account; derived here from the config, it is as stable as a guid() expression
  // and keeps the name literal, so the resource's id (and what depends on it) is plain resourceId().
  const assignment = b.add<SqlRoleAssignmentCreateUpdateParameters>(['cosmos'], {
    type: 'Microsoft.DocumentDB/databaseAccounts/sqlRoleAssignments',
    name: `${cosmos.name}/${stableGuid(cosmos.name, COSMOS_DATA_CONTRIBUTOR, b.config.identity.name)}`,
    properties: {
      roleDefinitionId: resourceId('Microsoft.DocumentDB/databaseAccounts/sqlRoleDefinitions', cosmos.name, COSMOS_DATA_CONTRIBUTOR),
      principalId: b.principalId,
      scope: b.cosmosId,
    },
    dependsOn: [b.cosmosId, b.identityId],
  });
  b.appPrerequisites.push(resourceIdExpression(assignment));
  b.outputs.cosmosEndpoint = { type: 'string', value: reference(b.cosmosId, 'Microsoft.DocumentDB/databaseAccounts', 'documentEndpoint') };
}

export function renderSql(b: TemplateBuilder): void {
  const { sql } = b.config;
  const server = sql.serverName;
  const databaseId = resourceId('Microsoft.Sql/servers/databases', server, sql.databaseName);
  const masterId = resourceId('Microsoft.Sql/servers/databases', server, 'master');
  const admin = sql.entraAdmin ?? { login: b.config.identity.name, objectId: b.principalId, principalType: 'Application' as const };
  b.add<FlattenedProperties<Server>>(['sql'], {
    type: 'Microsoft.Sql/servers',
    name: server,
    location: b.location,
    tags: b.tags(),
    properties: {
      version: '12.0',
      minimalTlsVersion: '1.2',
      publicNetworkAccess: b.publicNetworkAccess,
      // Entra-only: no SQL login or password exists, at creation or after.
      administrators: {
        administratorType: 'ActiveDirectory',
        azureADOnlyAuthentication: true,
        login: literal(admin.login),
        sid: admin.objectId,
        principalType: admin.principalType,
        tenantId: '[subscription().tenantId]',
      },
    },
    dependsOn: sql.entraAdmin ? [] : [b.identityId],
  });
  const sku: SqlSku = { name: literal(sql.sku.name), tier: literal(sql.sku.tier) };
  b.add<FlattenedProperties<Database>>(['sql', 'databaseName'], {
    type: 'Microsoft.Sql/servers/databases',
    name: `${server}/${sql.databaseName}`,
    location: b.location,
    tags: b.tags(),
    sku,
    properties: { zoneRedundant: sql.zoneRedundant, requestedBackupStorageRedundancy: sql.backupStorageRedundancy },
    dependsOn: [b.sqlServerId],
  });
  // Server-level auditing only (database-level would audit twice), to Log Analytics through the master database's diagnostic setting.
  const masterDiagnostics = b.diagnosticSetting(['sql'], masterId, [b.sqlServerId]);
  b.add<FlattenedProperties<ServerBlobAuditingPolicy>>(['sql', 'auditActionsAndGroups'], {
    type: 'Microsoft.Sql/servers/auditingSettings',
    name: `${server}/default`,
    properties: { state: 'Enabled', isAzureMonitorTargetEnabled: true, auditActionsAndGroups: [...sql.auditActionsAndGroups] },
    dependsOn: [b.sqlServerId, resourceIdExpression(masterDiagnostics)],
  });
  b.add<FlattenedProperties<ServerAdvancedThreatProtection>>(['sql'], {
    type: 'Microsoft.Sql/servers/advancedThreatProtectionSettings',
    name: `${server}/Default`,
    properties: { state: 'Enabled' },
    dependsOn: [b.sqlServerId],
  });
  b.add<FlattenedProperties<LogicalDatabaseTransparentDataEncryption>>(['sql', 'databaseName'], {
    type: 'Microsoft.Sql/servers/databases/transparentDataEncryption',
    name: `${server}/${sql.databaseName}/current`,
    properties: { state: 'Enabled' },
    dependsOn: [databaseId],
  });
  const ltr = sql.longTermRetention;
  b.add<FlattenedProperties<LongTermRetentionPolicy>>(['sql', 'longTermRetention'], {
    type: 'Microsoft.Sql/servers/databases/backupLongTermRetentionPolicies',
    name: `${server}/${sql.databaseName}/default`,
    properties: {
      weeklyRetention: ltr.weeklyRetention,
      monthlyRetention: ltr.monthlyRetention,
      yearlyRetention: ltr.yearlyRetention,
      weekOfYear: ltr.weekOfYear,
    },
    dependsOn: [databaseId],
  });
  b.outputs.sqlServerFqdn = { type: 'string', value: reference(b.sqlServerId, 'Microsoft.Sql/servers', 'fullyQualifiedDomainName') };
}

export function renderManagedRedis(b: TemplateBuilder): void {
  const { redis } = b.config;
  const databaseName = `${redis.name}/default`;
  const databaseId = resourceId('Microsoft.Cache/redisEnterprise/databases', redis.name, 'default');
  const sku: RedisEnterpriseSku = { name: redis.sku };
  // arm-redisenterprisecache 2.x models api 2022-01-01: `publicNetworkAccess`, `highAvailability` and `accessKeysAuthentication` came later (2025-07-01 schema).
  b.add<FlattenedProperties<Cluster> & { publicNetworkAccess: 'Enabled' | 'Disabled'; highAvailability: 'Enabled' | 'Disabled' }>(
    ['redis'],
    {
      type: 'Microsoft.Cache/redisEnterprise',
      name: redis.name,
      location: b.location,
      tags: b.tags(),
      sku,
      properties: { minimumTlsVersion: '1.2', publicNetworkAccess: b.publicNetworkAccess, highAvailability: 'Enabled' },
    },
  );
  b.add<FlattenedProperties<RedisDatabase> & { accessKeysAuthentication: 'Enabled' | 'Disabled' }>(['redis'], {
    type: 'Microsoft.Cache/redisEnterprise/databases',
    name: databaseName,
    properties: {
      clientProtocol: 'Encrypted',
      port: MANAGED_REDIS_PORT,
      clusteringPolicy: 'OSSCluster',
      evictionPolicy: redis.evictionPolicy,
      accessKeysAuthentication: 'Disabled',
    },
    dependsOn: [b.redisId],
  });
  // Entra data access for the app; the SDK has no model for access policy assignments (2025-07-01 schema: accessPolicyName + user.objectId).
  const assignment = b.add<{ accessPolicyName: string; user: { objectId: string } }>(['redis'], {
    type: 'Microsoft.Cache/redisEnterprise/databases/accessPolicyAssignments',
    name: `${databaseName}/${accessPolicyAssignmentName(b.config.identity.name)}`,
    properties: { accessPolicyName: 'default', user: { objectId: b.principalId } },
    dependsOn: [databaseId, b.identityId],
  });
  b.appPrerequisites.push(resourceIdExpression(assignment));
  b.diagnosticSetting(['redis'], b.redisId, [b.redisId]);
  b.outputs.redisHost = { type: 'string', value: reference(b.redisId, 'Microsoft.Cache/redisEnterprise', 'hostName') };
  b.outputs.redisPort = { type: 'int', value: MANAGED_REDIS_PORT };
}

export function renderLegacyRedis(b: TemplateBuilder): void {
  const { redis } = b.config;
  b.add<RedisCreateProperties>(['redis'], {
    type: 'Microsoft.Cache/redis',
    name: redis.name,
    location: b.location,
    tags: b.tags(),
    properties: {
      sku: { name: redis.legacySku.name, family: redis.legacySku.family, capacity: redis.legacySku.capacity },
      enableNonSslPort: false,
      minimumTlsVersion: '1.2',
      publicNetworkAccess: b.publicNetworkAccess,
      disableAccessKeyAuthentication: true,
      redisConfiguration: { 'aad-enabled': 'true' },
    },
  });
  const assignment = b.add<FlattenedProperties<RedisCacheAccessPolicyAssignment>>(['redis'], {
    type: 'Microsoft.Cache/redis/accessPolicyAssignments',
    name: `${redis.name}/${accessPolicyAssignmentName(b.config.identity.name)}`,
    properties: { accessPolicyName: 'Data Contributor', objectId: b.principalId, objectIdAlias: b.config.identity.name },
    dependsOn: [b.redisId, b.identityId],
  });
  b.appPrerequisites.push(resourceIdExpression(assignment));
  b.diagnosticSetting(['redis'], b.redisId, [b.redisId]);
  b.outputs.redisHost = { type: 'string', value: reference(b.redisId, 'Microsoft.Cache/redis', 'hostName') };
  b.outputs.redisPort = { type: 'int', value: LEGACY_REDIS_TLS_PORT };
}

export function renderStorage(b: TemplateBuilder): void {
  const { storage } = b.config;
  const blobServiceId = resourceId('Microsoft.Storage/storageAccounts/blobServices', storage.name, 'default');
  const sku: StorageSku = { name: storage.sku };
  // arm-storage 20 names two wire properties differently on the client (enableHttpsTrafficOnly -> supportsHttpsTrafficOnly, networkRuleSet -> networkAcls).
  type StorageAccountProperties = Omit<StorageAccountPropertiesCreateParameters, 'enableHttpsTrafficOnly' | 'networkRuleSet'> & {
    supportsHttpsTrafficOnly?: boolean;
    networkAcls?: StorageNetworkRuleSet;
  };
  b.add<StorageAccountProperties>(['storage'], {
    type: 'Microsoft.Storage/storageAccounts',
    name: storage.name,
    location: b.location,
    kind: 'StorageV2',
    tags: b.tags(),
    sku,
    properties: {
      supportsHttpsTrafficOnly: true,
      minimumTlsVersion: 'TLS1_2',
      allowBlobPublicAccess: false,
      // Entra-only data access: no account keys or SAS tokens to leak.
      allowSharedKeyAccess: false,
      defaultToOAuthAuthentication: true,
      allowCrossTenantReplication: false,
      accessTier: 'Hot',
      publicNetworkAccess: b.publicNetworkAccess,
      networkAcls: { defaultAction: b.privateNetwork ? 'Deny' : 'Allow', bypass: 'AzureServices' },
    },
  });
  b.add<BlobServicePropertiesProperties>(['storage'], {
    type: 'Microsoft.Storage/storageAccounts/blobServices',
    name: `${storage.name}/default`,
    properties: {
      deleteRetentionPolicy: { enabled: true, days: storage.blobSoftDeleteDays },
      containerDeleteRetentionPolicy: { enabled: true, days: storage.containerSoftDeleteDays },
      isVersioningEnabled: true,
    },
    dependsOn: [b.storageId],
  });
  // The only lifecycle rule deletes, never tiers, and not before storage.deleteAfterDays (default 2555, at least the 2190 HIPAA needs):
  // base blobs by age since last modification, their old versions by age since the version was made.
  b.add<ManagementPolicyProperties>(['storage', 'deleteAfterDays'], {
    type: 'Microsoft.Storage/storageAccounts/managementPolicies',
    name: `${storage.name}/default`,
    properties: {
      policy: {
        rules: [
          {
            enabled: true,
            name: `DeleteAfter${storage.deleteAfterDays}Days`,
            type: 'Lifecycle',
            definition: {
              actions: {
                baseBlob: { delete: { daysAfterModificationGreaterThan: storage.deleteAfterDays } },
                version: { delete: { daysAfterCreationGreaterThan: storage.deleteAfterDays } },
              },
              filters: { blobTypes: ['blockBlob'] },
            },
          },
        ],
      },
    },
    dependsOn: [b.storageId, blobServiceId],
  });
  b.diagnosticSetting(['storage'], blobServiceId, [blobServiceId]);
}

/** Access policy assignment names allow letters and digits only. */
function accessPolicyAssignmentName(identityName: string): string {
  return identityName.replace(/[^a-zA-Z0-9]/g, '');
}
