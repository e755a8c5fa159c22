import { createHash } from 'node:crypto';
import type {
  ManagedEnvironment,
  ContainerApp,
  ContainerAppProbe,
  EnvironmentVar,
  ManagedServiceIdentity,
  TrafficWeight,
} from '@azure/arm-appcontainers';
import type { RoleAssignmentCreateParameters } from '@azure/arm-authorization';
import type { Sku as RegistrySku, RegistryProperties } from '@azure/arm-containerregistry';
import type { DatabaseAccountCreateUpdateParameters, SqlRoleAssignmentCreateUpdateParameters } from '@azure/arm-cosmosdb';
import type { Sku as KeyVaultSku, VaultProperties } from '@azure/arm-keyvault';
import type { DiagnosticSettingsResource, LogSettings } from '@azure/arm-monitor';
import type { Identity } from '@azure/arm-msi';
import type {
  Delegation,
  PrivateDnsZoneConfig,
  PrivateDnsZoneGroup,
  PrivateEndpoint,
  PrivateLinkServiceConnection,
  Subnet,
  VirtualNetwork,
} from '@azure/arm-network';
import type { Table, Workspace } from '@azure/arm-operationalinsights';
import type { PrivateZone, VirtualNetworkLink } from '@azure/arm-privatedns';
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
import { AUDIT_LOG_TABLES } from '../compliance/audit-logs.js';
import { PLACEHOLDER_IMAGE, type EnvironmentConfig } from '../config/schema.js';
import {
  DEPLOYMENT_TEMPLATE_SCHEMA,
  type ArmOutput,
  type ArmResource,
  type ArmTemplate,
  type FlattenedProperties,
  type SubResourceBody,
  type TypedResource,
} from './arm-types.js';
import type { JsonPath } from '../core/json-path.js';

/**
 * Config -> one ARM deployment template. Pure: the same config always renders the same template
 * (role assignment names are `guid(...)` expressions of fixed inputs, so redeploys are idempotent).
 *
 * Resource bodies are typed with the Azure SDK models (type-only imports) and validated at run
 * time against the official ARM schemas in the tests. Where an SDK model lags the api-version used
 * here, or its client-side names differ from the wire names, the type says so at the spot.
 */

/** api-versions: those with a schema file in reference/arm-schemas; Network, ManagedIdentity and private DNS have none there (current stable versions). */
export const API_VERSIONS = {
  keyVault: '2026-02-01',
  cosmos: '2025-10-15',
  sql: '2023-08-01',
  redisEnterprise: '2025-07-01',
  redis: '2024-11-01',
  storage: '2025-06-01',
  registry: '2025-04-01',
  app: '2026-01-01',
  logAnalytics: '2025-02-01',
  diagnosticSettings: '2021-05-01-preview',
  authorization: '2022-04-01',
  network: '2024-05-01',
  privateDns: '2024-06-01',
  managedIdentity: '2023-01-31',
} as const;

/** Built-in role definitions (learn.microsoft.com "Azure built-in roles"; Cosmos DB "data plane RBAC"). */
export const ROLE_DEFINITIONS = {
  acrPull: '7f951dda-4ed3-4680-a7ca-43fe172d538d',
  keyVaultSecretsUser: '4633458b-17de-408a-b874-0445c86b69e6',
  cosmosBuiltInDataContributor: '00000000-0000-0000-0000-000000000002',
} as const;

/** Azure Managed Redis serves TLS on this port only. */
const MANAGED_REDIS_PORT = 10000;
const LEGACY_REDIS_TLS_PORT = 6380;
const WORKLOAD_PROFILE = 'Consumption';

/** What provision keeps from a Container App that already exists: deploy-container owns its image and traffic split. */
export interface LiveContainerApp {
  image: string;
  traffic?: unknown[];
}

export interface RenderOptions {
  liveContainerApp?: LiveContainerApp;
}

export interface RenderedEnvironment {
  template: ArmTemplate;
  /** The config path that produced a resource (e.g. `['keyVault']`), by its type and name as rendered; for locating findings in the config file. */
  configPathOf(type: string, name: string): JsonPath | undefined;
}

export function renderTemplate(config: EnvironmentConfig, options: RenderOptions = {}): ArmTemplate {
  return renderEnvironment(config, options).template;
}

export function renderEnvironment(config: EnvironmentConfig, options: RenderOptions = {}): RenderedEnvironment {
  const builder = new TemplateBuilder(config, options);
  const origins = builder.render();
  return {
    template: builder.template(),
    configPathOf: (type, name) => origins.get(originKey(type, name)),
  };
}

/** The `[resourceId(...)]` (or `[extensionResourceId(...)]`) expression of a rendered resource, as `dependsOn` uses it. */
export function resourceIdExpression(resource: Pick<ArmResource, 'type' | 'name' | 'scope'>): string {
  const nameArguments = isExpression(resource.name) ? [inner(resource.name)] : resource.name.split('/').map(quote);
  if (resource.scope) return `[extensionResourceId(${inner(resource.scope)}, ${quote(resource.type)}, ${nameArguments.join(', ')})]`;
  return `[resourceId(${[quote(resource.type), ...nameArguments].join(', ')})]`;
}

function originKey(type: string, name: string): string {
  return `${type.toLowerCase()}|${name}`;
}

function quote(text: string): string {
  return `'${text.replace(/'/g, "''")}'`;
}

function isExpression(text: string): boolean {
  return text.startsWith('[') && !text.startsWith('[[');
}

/** The expression inside `[...]`, to nest it in another expression. */
function inner(expression: string): string {
  return isExpression(expression) ? expression.slice(1, -1) : quote(expression);
}

function resourceId(type: string, ...names: string[]): string {
  return `[resourceId(${[type, ...names].map(quote).join(', ')})]`;
}

function reference(id: string, apiVersion: string, property: string): string {
  return `[reference(${inner(id)}, ${quote(apiVersion)}).${property}]`;
}

interface PrivateLinkTarget {
  origin: JsonPath;
  /** Resource the endpoint connects to. */
  id: string;
  name: string;
  groupId: string;
  dnsZone: string;
}

class TemplateBuilder {
  private readonly resources: ArmResource[] = [];
  private readonly origins = new Map<string, JsonPath>();
  private readonly outputs: Record<string, ArmOutput> = {};
  private readonly privateNetwork: boolean;
  private readonly publicNetworkAccess: 'Enabled' | 'Disabled';
  private readonly location = "[parameters('location')]";

  // Ids every section refers to.
  private readonly identityId: string;
  private readonly principalId: string;
  private readonly workspaceId: string;
  private readonly vaultId: string;
  private readonly registryId: string;
  private readonly cosmosId: string;
  private readonly sqlServerId: string;
  private readonly redisId: string;
  private readonly environmentId: string;
  private readonly storageId: string;
  /** Resources the Container App must wait for: its role grants, and the private endpoints it reads secrets and images through. */
  private readonly appPrerequisites: string[] = [];

  constructor(
    private readonly config: EnvironmentConfig,
    private readonly options: RenderOptions,
  ) {
    this.privateNetwork = config.network.mode === 'private';
    this.publicNetworkAccess = this.privateNetwork ? 'Disabled' : 'Enabled';
    this.identityId = resourceId('Microsoft.ManagedIdentity/userAssignedIdentities', config.identity.name);
    this.principalId = reference(this.identityId, API_VERSIONS.managedIdentity, 'principalId');
    this.workspaceId = resourceId('Microsoft.OperationalInsights/workspaces', config.logAnalytics.name);
    this.vaultId = resourceId('Microsoft.KeyVault/vaults', config.keyVault.name);
    this.registryId = resourceId('Microsoft.ContainerRegistry/registries', config.registry.name);
    this.cosmosId = resourceId('Microsoft.DocumentDB/databaseAccounts', config.cosmos.name);
    this.sqlServerId = resourceId('Microsoft.Sql/servers', config.sql.serverName);
    this.redisId =
      config.redis.kind === 'managed'
        ? resourceId('Microsoft.Cache/redisEnterprise', config.redis.name)
        : resourceId('Microsoft.Cache/redis', config.redis.name);
    this.environmentId = resourceId('Microsoft.App/managedEnvironments', config.containerAppsEnvironment.name);
    this.storageId = resourceId('Microsoft.Storage/storageAccounts', config.storage.name);
  }

  render(): ReadonlyMap<string, JsonPath> {
    this.renderIdentity();
    this.renderLogAnalytics();
    if (this.privateNetwork) this.renderVirtualNetwork();
    this.renderKeyVault();
    this.renderCosmos();
    this.renderSql();
    if (this.config.redis.kind === 'managed') this.renderManagedRedis();
    else this.renderLegacyRedis();
    this.renderStorage();
    this.renderRegistry();
    if (this.privateNetwork) this.renderPrivateEndpoints();
    this.renderContainerAppsEnvironment();
    this.renderContainerApp();
    return this.origins;
  }

  template(): ArmTemplate {
    return {
      $schema: DEPLOYMENT_TEMPLATE_SCHEMA,
      contentVersion: '1.0.0.0',
      metadata: {
        description: `HIPAA-ready production environment in resource group ${this.config.resourceGroup}, rendered from the azure-hipaa environment config.`,
      },
      parameters: {
        location: {
          type: 'string',
          defaultValue: this.config.region,
          metadata: { description: 'Region of every regional resource (the config’s region).' },
        },
      },
      resources: this.resources,
      outputs: this.outputs,
    };
  }

  /** Adds a resource; `Properties` is the SDK model its `properties` must satisfy. */
  private add<Properties extends object>(origin: JsonPath, resource: TypedResource<Properties>): ArmResource {
    this.resources.push(resource);
    this.origins.set(originKey(resource.type, resource.name), origin);
    return resource;
  }

  private tags(): Record<string, string> {
    return { ...this.config.tags };
  }

  private renderIdentity(): void {
    const { identity } = this.config;
    // Created first: every role grant below names its principal.
    this.add<FlattenedProperties<Identity>>(['identity'], {
      type: 'Microsoft.ManagedIdentity/userAssignedIdentities',
      apiVersion: API_VERSIONS.managedIdentity,
      name: identity.name,
      location: this.location,
      tags: this.tags(),
      properties: {},
    });
    this.outputs.identityClientId = { type: 'string', value: reference(this.identityId, API_VERSIONS.managedIdentity, 'clientId') };
    this.outputs.identityPrincipalId = { type: 'string', value: this.principalId };
  }

  private renderLogAnalytics(): void {
    const { logAnalytics } = this.config;
    // A workspace's sku sits inside `properties` on the wire, so it stays in the properties type.
    this.add<FlattenedProperties<Workspace> & Pick<Workspace, 'sku'>>(['logAnalytics'], {
      type: 'Microsoft.OperationalInsights/workspaces',
      apiVersion: API_VERSIONS.logAnalytics,
      name: logAnalytics.name,
      location: this.location,
      tags: this.tags(),
      properties: {
        sku: { name: 'PerGB2018' },
        retentionInDays: logAnalytics.retentionInDays,
        features: { enableLogAccessUsingOnlyResourcePermissions: true },
      },
    });
    // Long retention is per table (the workspace accepts 30-730 days): every table audit logs can land in.
    for (const table of AUDIT_LOG_TABLES) {
      this.add<FlattenedProperties<Table>>(['logAnalytics', 'auditTableTotalRetentionInDays'], {
        type: 'Microsoft.OperationalInsights/workspaces/tables',
        apiVersion: API_VERSIONS.logAnalytics,
        name: `${logAnalytics.name}/${table}`,
        properties: { totalRetentionInDays: logAnalytics.auditTableTotalRetentionInDays },
        dependsOn: [this.workspaceId],
      });
    }
    this.outputs.logAnalyticsWorkspaceId = { type: 'string', value: reference(this.workspaceId, API_VERSIONS.logAnalytics, 'customerId') };
    this.outputs.logAnalyticsWorkspaceResourceId = { type: 'string', value: this.workspaceId };
  }

  /** A diagnostic setting that sends the resource's audit logs to the workspace. */
  private diagnosticSetting(origin: JsonPath, scope: string, dependsOn: string[]): ArmResource {
    const { diagnostics } = this.config;
    // arm-monitor's LogSettings predates category groups; the 2021-05-01-preview schema has `categoryGroup`.
    const logs: (LogSettings & { categoryGroup?: string })[] = [{ categoryGroup: diagnostics.categoryGroup, enabled: true }];
    return this.add<FlattenedProperties<DiagnosticSettingsResource>>(origin, {
      type: 'Microsoft.Insights/diagnosticSettings',
      apiVersion: API_VERSIONS.diagnosticSettings,
      name: diagnostics.settingName,
      scope,
      properties: {
        workspaceId: this.workspaceId,
        // Resource-specific tables (AZKVAuditLogs, CDBDataPlaneRequests, ...), each kept per logAnalytics.auditTableTotalRetentionInDays.
        logAnalyticsDestinationType: 'Dedicated',
        logs,
      },
      dependsOn: [...dependsOn, this.workspaceId],
    });
  }

  private roleAssignment(origin: JsonPath, scope: string, roleDefinition: string): ArmResource {
    const assignment = this.add<RoleAssignmentCreateParameters>(origin, {
      type: 'Microsoft.Authorization/roleAssignments',
      apiVersion: API_VERSIONS.authorization,
      name: `[guid(${inner(scope)}, ${quote(roleDefinition)}, ${inner(this.identityId)})]`,
      scope,
      properties: {
        roleDefinitionId: `[subscriptionResourceId('Microsoft.Authorization/roleDefinitions', ${quote(roleDefinition)})]`,
        principalId: this.principalId,
        // Lets ARM grant the role before Entra replication reaches every region.
        principalType: 'ServicePrincipal',
      },
      dependsOn: [scope, this.identityId],
    });
    this.appPrerequisites.push(resourceIdExpression(assignment));
    return assignment;
  }

  private renderVirtualNetwork(): void {
    const { network } = this.config;
    const delegation: SubResourceBody<FlattenedProperties<Delegation>> = {
      name: 'Microsoft.App.environments',
      properties: { serviceName: 'Microsoft.App/environments' },
    };
    // Subnets stay inline: declared as child resources they would be deleted and recreated on every redeploy of the network.
    const subnets: SubResourceBody<Omit<FlattenedProperties<Subnet>, 'delegations'> & { delegations?: (typeof delegation)[] }>[] = [
      {
        name: network.containerAppsSubnet.name,
        properties: { addressPrefix: network.containerAppsSubnet.addressPrefix, delegations: [delegation] },
      },
      {
        name: network.privateEndpointsSubnet.name,
        properties: { addressPrefix: network.privateEndpointsSubnet.addressPrefix, privateEndpointNetworkPolicies: 'Disabled' },
      },
    ];
    this.add<Omit<FlattenedProperties<VirtualNetwork>, 'subnets'> & { subnets: typeof subnets }>(['network'], {
      type: 'Microsoft.Network/virtualNetworks',
      apiVersion: API_VERSIONS.network,
      name: network.virtualNetworkName,
      location: this.location,
      tags: this.tags(),
      properties: { addressSpace: { addressPrefixes: [network.addressSpace] }, subnets },
    });
  }

  private subnetId(subnet: 'containerAppsSubnet' | 'privateEndpointsSubnet'): string {
    return resourceId(
      'Microsoft.Network/virtualNetworks/subnets',
      this.config.network.virtualNetworkName,
      this.config.network[subnet].name,
    );
  }

  private renderKeyVault(): void {
    const { keyVault } = this.config;
    const sku: KeyVaultSku = { family: 'A', name: keyVault.sku };
    this.add<VaultProperties>(['keyVault'], {
      type: 'Microsoft.KeyVault/vaults',
      apiVersion: API_VERSIONS.keyVault,
      name: keyVault.name,
      location: this.location,
      tags: this.tags(),
      properties: {
        tenantId: '[subscription().tenantId]',
        sku,
        enableRbacAuthorization: true,
        enableSoftDelete: true,
        softDeleteRetentionInDays: keyVault.softDeleteRetentionInDays,
        enablePurgeProtection: true,
        publicNetworkAccess: this.publicNetworkAccess,
        networkAcls: { defaultAction: this.privateNetwork ? 'Deny' : 'Allow', bypass: 'AzureServices' },
      },
    });
    this.diagnosticSetting(['keyVault'], this.vaultId, [this.vaultId]);
    this.roleAssignment(['keyVault'], this.vaultId, ROLE_DEFINITIONS.keyVaultSecretsUser);
    this.outputs.keyVaultUri = { type: 'string', value: reference(this.vaultId, API_VERSIONS.keyVault, 'vaultUri') };
  }

  private renderCosmos(): void {
    const { cosmos } = this.config;
    this.add<FlattenedProperties<DatabaseAccountCreateUpdateParameters>>(['cosmos'], {
      type: 'Microsoft.DocumentDB/databaseAccounts',
      apiVersion: API_VERSIONS.cosmos,
      name: cosmos.name,
      location: this.location,
      kind: 'GlobalDocumentDB',
      tags: this.tags(),
      properties: {
        databaseAccountOfferType: 'Standard',
        locations: [{ locationName: this.location, failoverPriority: 0, isZoneRedundant: cosmos.zoneRedundant }],
        consistencyPolicy: { defaultConsistencyLevel: cosmos.consistencyLevel },
        backupPolicy: { type: 'Continuous', continuousModeProperties: { tier: cosmos.continuousBackupTier } },
        enableAnalyticalStorage: cosmos.analyticalStorage,
        disableLocalAuth: true,
        disableKeyBasedMetadataWriteAccess: true,
        minimalTlsVersion: 'Tls12',
        publicNetworkAccess: this.publicNetworkAccess,
      },
    });
    this.diagnosticSetting(['cosmos'], this.cosmosId, [this.cosmosId]);
    // Data-plane RBAC is Cosmos's own (sqlRoleAssignments), not Microsoft.Authorization. The name must be
    // a GUID under the account; derived here from the config, it is as stable as a guid() expression
    // and keeps the name literal, so the resource's id (and what depends on it) is plain resourceId().
    const assignment = this.add<SqlRoleAssignmentCreateUpdateParameters>(['cosmos'], {
      type: 'Microsoft.DocumentDB/databaseAccounts/sqlRoleAssignments',
      apiVersion: API_VERSIONS.cosmos,
      name: `${cosmos.name}/${stableGuid(cosmos.name, ROLE_DEFINITIONS.cosmosBuiltInDataContributor, this.config.identity.name)}`,
      properties: {
        roleDefinitionId: resourceId(
          'Microsoft.DocumentDB/databaseAccounts/sqlRoleDefinitions',
          cosmos.name,
          ROLE_DEFINITIONS.cosmosBuiltInDataContributor,
        ),
        principalId: this.principalId,
        scope: this.cosmosId,
      },
      dependsOn: [this.cosmosId, this.identityId],
    });
    this.appPrerequisites.push(resourceIdExpression(assignment));
    this.outputs.cosmosEndpoint = { type: 'string', value: reference(this.cosmosId, API_VERSIONS.cosmos, 'documentEndpoint') };
  }

  private renderSql(): void {
    const { sql } = this.config;
    const server = sql.serverName;
    const databaseId = resourceId('Microsoft.Sql/servers/databases', server, sql.databaseName);
    const masterId = resourceId('Microsoft.Sql/servers/databases', server, 'master');
    const admin = sql.entraAdmin ?? { login: this.config.identity.name, objectId: this.principalId, principalType: 'Application' as const };
    this.add<FlattenedProperties<Server>>(['sql'], {
      type: 'Microsoft.Sql/servers',
      apiVersion: API_VERSIONS.sql,
      name: server,
      location: this.location,
      tags: this.tags(),
      properties: {
        version: '12.0',
        minimalTlsVersion: '1.2',
        publicNetworkAccess: this.publicNetworkAccess,
        // Entra-only: no SQL login or password exists, at creation or after.
        administrators: {
          administratorType: 'ActiveDirectory',
          azureADOnlyAuthentication: true,
          login: admin.login,
          sid: admin.objectId,
          principalType: admin.principalType,
          tenantId: '[subscription().tenantId]',
        },
      },
      dependsOn: sql.entraAdmin ? [] : [this.identityId],
    });
    const sku: SqlSku = { name: sql.sku.name, tier: sql.sku.tier };
    this.add<FlattenedProperties<Database>>(['sql', 'databaseName'], {
      type: 'Microsoft.Sql/servers/databases',
      apiVersion: API_VERSIONS.sql,
      name: `${server}/${sql.databaseName}`,
      location: this.location,
      tags: this.tags(),
      sku,
      properties: { zoneRedundant: sql.zoneRedundant, requestedBackupStorageRedundancy: sql.backupStorageRedundancy },
      dependsOn: [this.sqlServerId],
    });
    // Server-level auditing only (database-level would audit twice), to Log Analytics through the master database's diagnostic setting.
    const masterDiagnostics = this.diagnosticSetting(['sql'], masterId, [this.sqlServerId]);
    this.add<FlattenedProperties<ServerBlobAuditingPolicy>>(['sql', 'auditActionsAndGroups'], {
      type: 'Microsoft.Sql/servers/auditingSettings',
      apiVersion: API_VERSIONS.sql,
      name: `${server}/default`,
      properties: { state: 'Enabled', isAzureMonitorTargetEnabled: true, auditActionsAndGroups: [...sql.auditActionsAndGroups] },
      dependsOn: [this.sqlServerId, resourceIdExpression(masterDiagnostics)],
    });
    this.add<FlattenedProperties<ServerAdvancedThreatProtection>>(['sql'], {
      type: 'Microsoft.Sql/servers/advancedThreatProtectionSettings',
      apiVersion: API_VERSIONS.sql,
      name: `${server}/Default`,
      properties: { state: 'Enabled' },
      dependsOn: [this.sqlServerId],
    });
    this.add<FlattenedProperties<LogicalDatabaseTransparentDataEncryption>>(['sql', 'databaseName'], {
      type: 'Microsoft.Sql/servers/databases/transparentDataEncryption',
      apiVersion: API_VERSIONS.sql,
      name: `${server}/${sql.databaseName}/current`,
      properties: { state: 'Enabled' },
      dependsOn: [databaseId],
    });
    const ltr = sql.longTermRetention;
    this.add<FlattenedProperties<LongTermRetentionPolicy>>(['sql', 'longTermRetention'], {
      type: 'Microsoft.Sql/servers/databases/backupLongTermRetentionPolicies',
      apiVersion: API_VERSIONS.sql,
      name: `${server}/${sql.databaseName}/default`,
      properties: {
        weeklyRetention: ltr.weeklyRetention,
        monthlyRetention: ltr.monthlyRetention,
        yearlyRetention: ltr.yearlyRetention,
        weekOfYear: ltr.weekOfYear,
      },
      dependsOn: [databaseId],
    });
    this.outputs.sqlServerFqdn = { type: 'string', value: reference(this.sqlServerId, API_VERSIONS.sql, 'fullyQualifiedDomainName') };
  }

  private renderManagedRedis(): void {
    const { redis } = this.config;
    const databaseName = `${redis.name}/default`;
    const databaseId = resourceId('Microsoft.Cache/redisEnterprise/databases', redis.name, 'default');
    const sku: RedisEnterpriseSku = { name: redis.sku };
    // arm-redisenterprisecache 2.x models api 2022-01-01: `publicNetworkAccess`, `highAvailability` and `accessKeysAuthentication` came later (2025-07-01 schema).
    this.add<FlattenedProperties<Cluster> & { publicNetworkAccess: 'Enabled' | 'Disabled'; highAvailability: 'Enabled' | 'Disabled' }>(
      ['redis'],
      {
        type: 'Microsoft.Cache/redisEnterprise',
        apiVersion: API_VERSIONS.redisEnterprise,
        name: redis.name,
        location: this.location,
        tags: this.tags(),
        sku,
        properties: { minimumTlsVersion: '1.2', publicNetworkAccess: this.publicNetworkAccess, highAvailability: 'Enabled' },
      },
    );
    this.add<FlattenedProperties<RedisDatabase> & { accessKeysAuthentication: 'Enabled' | 'Disabled' }>(['redis'], {
      type: 'Microsoft.Cache/redisEnterprise/databases',
      apiVersion: API_VERSIONS.redisEnterprise,
      name: databaseName,
      properties: {
        clientProtocol: 'Encrypted',
        port: MANAGED_REDIS_PORT,
        clusteringPolicy: 'OSSCluster',
        evictionPolicy: redis.evictionPolicy,
        accessKeysAuthentication: 'Disabled',
      },
      dependsOn: [this.redisId],
    });
    // Entra data access for the app; the SDK has no model for access policy assignments (2025-07-01 schema: accessPolicyName + user.objectId).
    const assignment = this.add<{ accessPolicyName: string; user: { objectId: string } }>(['redis'], {
      type: 'Microsoft.Cache/redisEnterprise/databases/accessPolicyAssignments',
      apiVersion: API_VERSIONS.redisEnterprise,
      name: `${databaseName}/${accessPolicyAssignmentName(this.config.identity.name)}`,
      properties: { accessPolicyName: 'default', user: { objectId: this.principalId } },
      dependsOn: [databaseId, this.identityId],
    });
    this.appPrerequisites.push(resourceIdExpression(assignment));
    this.diagnosticSetting(['redis'], this.redisId, [this.redisId]);
    this.outputs.redisHost = { type: 'string', value: reference(this.redisId, API_VERSIONS.redisEnterprise, 'hostName') };
    this.outputs.redisPort = { type: 'int', value: MANAGED_REDIS_PORT };
  }

  private renderLegacyRedis(): void {
    const { redis } = this.config;
    this.add<RedisCreateProperties>(['redis'], {
      type: 'Microsoft.Cache/redis',
      apiVersion: API_VERSIONS.redis,
      name: redis.name,
      location: this.location,
      tags: this.tags(),
      properties: {
        sku: { name: redis.legacySku.name, family: redis.legacySku.family, capacity: redis.legacySku.capacity },
        enableNonSslPort: false,
        minimumTlsVersion: '1.2',
        publicNetworkAccess: this.publicNetworkAccess,
        disableAccessKeyAuthentication: true,
        redisConfiguration: { 'aad-enabled': 'true' },
      },
    });
    const assignment = this.add<FlattenedProperties<RedisCacheAccessPolicyAssignment>>(['redis'], {
      type: 'Microsoft.Cache/redis/accessPolicyAssignments',
      apiVersion: API_VERSIONS.redis,
      name: `${redis.name}/${accessPolicyAssignmentName(this.config.identity.name)}`,
      properties: { accessPolicyName: 'Data Contributor', objectId: this.principalId, objectIdAlias: this.config.identity.name },
      dependsOn: [this.redisId, this.identityId],
    });
    this.appPrerequisites.push(resourceIdExpression(assignment));
    this.diagnosticSetting(['redis'], this.redisId, [this.redisId]);
    this.outputs.redisHost = { type: 'string', value: reference(this.redisId, API_VERSIONS.redis, 'hostName') };
    this.outputs.redisPort = { type: 'int', value: LEGACY_REDIS_TLS_PORT };
  }

  private renderStorage(): void {
    const { storage } = this.config;
    const blobServiceId = resourceId('Microsoft.Storage/storageAccounts/blobServices', storage.name, 'default');
    const sku: StorageSku = { name: storage.sku };
    // arm-storage 20 names two wire properties differently on the client (enableHttpsTrafficOnly -> supportsHttpsTrafficOnly, networkRuleSet -> networkAcls).
    type StorageAccountProperties = Omit<StorageAccountPropertiesCreateParameters, 'enableHttpsTrafficOnly' | 'networkRuleSet'> & {
      supportsHttpsTrafficOnly?: boolean;
      networkAcls?: StorageNetworkRuleSet;
    };
    this.add<StorageAccountProperties>(['storage'], {
      type: 'Microsoft.Storage/storageAccounts',
      apiVersion: API_VERSIONS.storage,
      name: storage.name,
      location: this.location,
      kind: 'StorageV2',
      tags: this.tags(),
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
        publicNetworkAccess: this.publicNetworkAccess,
        networkAcls: { defaultAction: this.privateNetwork ? 'Deny' : 'Allow', bypass: 'AzureServices' },
      },
    });
    this.add<BlobServicePropertiesProperties>(['storage'], {
      type: 'Microsoft.Storage/storageAccounts/blobServices',
      apiVersion: API_VERSIONS.storage,
      name: `${storage.name}/default`,
      properties: {
        deleteRetentionPolicy: { enabled: true, days: storage.blobSoftDeleteDays },
        containerDeleteRetentionPolicy: { enabled: true, days: storage.containerSoftDeleteDays },
        isVersioningEnabled: true,
      },
      dependsOn: [this.storageId],
    });
    // The only lifecycle rule deletes, never tiers, and not before storage.deleteAfterDays (default 2555, at least the 2190 HIPAA needs):
    // base blobs by age since last modification, their old versions by age since the version was made.
    this.add<ManagementPolicyProperties>(['storage', 'deleteAfterDays'], {
      type: 'Microsoft.Storage/storageAccounts/managementPolicies',
      apiVersion: API_VERSIONS.storage,
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
      dependsOn: [this.storageId, blobServiceId],
    });
    this.diagnosticSetting(['storage'], blobServiceId, [blobServiceId]);
  }

  private renderRegistry(): void {
    const { registry } = this.config;
    const sku: RegistrySku = { name: registry.sku };
    this.add<RegistryProperties>(['registry'], {
      type: 'Microsoft.ContainerRegistry/registries',
      apiVersion: API_VERSIONS.registry,
      name: registry.name,
      location: this.location,
      tags: this.tags(),
      sku,
      properties: {
        adminUserEnabled: false,
        anonymousPullEnabled: false,
        publicNetworkAccess: this.publicNetworkAccess,
        networkRuleBypassOptions: 'AzureServices',
        dataEndpointEnabled: false,
      },
    });
    this.roleAssignment(['registry'], this.registryId, ROLE_DEFINITIONS.acrPull);
    this.outputs.registryLoginServer = { type: 'string', value: reference(this.registryId, API_VERSIONS.registry, 'loginServer') };
  }

  private privateLinkTargets(): PrivateLinkTarget[] {
    const { config } = this;
    const managedRedis = config.redis.kind === 'managed';
    return [
      { origin: ['keyVault'], id: this.vaultId, name: config.keyVault.name, groupId: 'vault', dnsZone: 'privatelink.vaultcore.azure.net' },
      { origin: ['cosmos'], id: this.cosmosId, name: config.cosmos.name, groupId: 'Sql', dnsZone: 'privatelink.documents.azure.com' },
      {
        origin: ['sql'],
        id: this.sqlServerId,
        name: config.sql.serverName,
        groupId: 'sqlServer',
        dnsZone: 'privatelink.database.windows.net',
      },
      managedRedis
        ? {
            origin: ['redis'],
            id: this.redisId,
            name: config.redis.name,
            groupId: 'redisEnterprise',
            dnsZone: 'privatelink.redis.azure.net',
          }
        : {
            origin: ['redis'],
            id: this.redisId,
            name: config.redis.name,
            groupId: 'redisCache',
            dnsZone: 'privatelink.redis.cache.windows.net',
          },
      { origin: ['storage'], id: this.storageId, name: config.storage.name, groupId: 'blob', dnsZone: 'privatelink.blob.core.windows.net' },
      { origin: ['registry'], id: this.registryId, name: config.registry.name, groupId: 'registry', dnsZone: 'privatelink.azurecr.io' },
    ];
  }

  private renderPrivateEndpoints(): void {
    const vnetId = resourceId('Microsoft.Network/virtualNetworks', this.config.network.virtualNetworkName);
    for (const target of this.privateLinkTargets()) {
      const zoneId = resourceId('Microsoft.Network/privateDnsZones', target.dnsZone);
      this.add<FlattenedProperties<PrivateZone>>(['network'], {
        type: 'Microsoft.Network/privateDnsZones',
        apiVersion: API_VERSIONS.privateDns,
        name: target.dnsZone,
        location: 'global',
        tags: this.tags(),
        properties: {},
      });
      this.add<FlattenedProperties<VirtualNetworkLink>>(['network'], {
        type: 'Microsoft.Network/privateDnsZones/virtualNetworkLinks',
        apiVersion: API_VERSIONS.privateDns,
        name: `${target.dnsZone}/${this.config.network.virtualNetworkName}`,
        location: 'global',
        tags: this.tags(),
        properties: { registrationEnabled: false, virtualNetwork: { id: vnetId } },
        dependsOn: [zoneId, vnetId],
      });
      const endpointName = `${target.name}-pe`;
      const endpointId = resourceId('Microsoft.Network/privateEndpoints', endpointName);
      const connections: SubResourceBody<FlattenedProperties<PrivateLinkServiceConnection>>[] = [
        { name: `${target.name}-${target.groupId}`, properties: { privateLinkServiceId: target.id, groupIds: [target.groupId] } },
      ];
      this.add<
        Omit<FlattenedProperties<PrivateEndpoint>, 'privateLinkServiceConnections'> & { privateLinkServiceConnections: typeof connections }
      >(target.origin, {
        type: 'Microsoft.Network/privateEndpoints',
        apiVersion: API_VERSIONS.network,
        name: endpointName,
        location: this.location,
        tags: this.tags(),
        properties: { subnet: { id: this.subnetId('privateEndpointsSubnet') }, privateLinkServiceConnections: connections },
        dependsOn: [vnetId, target.id],
      });
      const zoneConfigs: SubResourceBody<FlattenedProperties<PrivateDnsZoneConfig>>[] = [
        { name: target.dnsZone.replace(/\./g, '-'), properties: { privateDnsZoneId: zoneId } },
      ];
      const zoneGroup = this.add<
        Omit<FlattenedProperties<PrivateDnsZoneGroup>, 'privateDnsZoneConfigs'> & { privateDnsZoneConfigs: typeof zoneConfigs }
      >(target.origin, {
        type: 'Microsoft.Network/privateEndpoints/privateDnsZoneGroups',
        apiVersion: API_VERSIONS.network,
        name: `${endpointName}/default`,
        properties: { privateDnsZoneConfigs: zoneConfigs },
        dependsOn: [endpointId, zoneId],
      });
      // The app reads secrets and pulls images through these endpoints: they must resolve before its first revision starts.
      if (target.groupId === 'vault' || target.groupId === 'registry') this.appPrerequisites.push(resourceIdExpression(zoneGroup));
    }
  }

  private renderContainerAppsEnvironment(): void {
    const { containerAppsEnvironment: environment } = this.config;
    const vnetId = resourceId('Microsoft.Network/virtualNetworks', this.config.network.virtualNetworkName);
    this.add<FlattenedProperties<ManagedEnvironment>>(['containerAppsEnvironment'], {
      type: 'Microsoft.App/managedEnvironments',
      apiVersion: API_VERSIONS.app,
      name: environment.name,
      location: this.location,
      tags: this.tags(),
      properties: {
        workloadProfiles: [{ name: WORKLOAD_PROFILE, workloadProfileType: WORKLOAD_PROFILE }],
        // Azure Monitor + the diagnostic setting below: no workspace shared key in the template.
        appLogsConfiguration: { destination: 'azure-monitor' },
        zoneRedundant: environment.zoneRedundant,
        // internal: false keeps the external ingress the phone provider's webhooks call.
        ...(this.privateNetwork
          ? { vnetConfiguration: { infrastructureSubnetId: this.subnetId('containerAppsSubnet'), internal: false } }
          : {}),
      },
      dependsOn: this.privateNetwork ? [vnetId] : [],
    });
    this.diagnosticSetting(['containerAppsEnvironment'], this.environmentId, [this.environmentId]);
    this.outputs.containerAppsEnvironmentId = { type: 'string', value: this.environmentId };
    this.outputs.containerAppsDefaultDomain = { type: 'string', value: reference(this.environmentId, API_VERSIONS.app, 'defaultDomain') };
  }

  private renderContainerApp(): void {
    const { containerApp: app, keyVault, sql, redis } = this.config;
    const vaultUri = reference(this.vaultId, API_VERSIONS.keyVault, 'vaultUri');
    const managedRedis = redis.kind === 'managed';
    const identity: ManagedServiceIdentity = { type: 'UserAssigned', userAssignedIdentities: { [this.identityId]: {} } };
    const serviceEnvironment: Record<string, string> = {
      AZURE_CLIENT_ID: reference(this.identityId, API_VERSIONS.managedIdentity, 'clientId'),
      AZURE_KEY_VAULT_NAME: keyVault.name,
      AZURE_KEY_VAULT_URI: vaultUri,
      AZURE_COSMOS_ENDPOINT: reference(this.cosmosId, API_VERSIONS.cosmos, 'documentEndpoint'),
      AZURE_SQL_SERVER: reference(this.sqlServerId, API_VERSIONS.sql, 'fullyQualifiedDomainName'),
      AZURE_SQL_DATABASE: sql.databaseName,
      AZURE_REDIS_HOST: reference(this.redisId, managedRedis ? API_VERSIONS.redisEnterprise : API_VERSIONS.redis, 'hostName'),
      AZURE_REDIS_PORT: String(managedRedis ? MANAGED_REDIS_PORT : LEGACY_REDIS_TLS_PORT),
    };
    const env: EnvironmentVar[] = Object.entries({ ...serviceEnvironment, ...app.env }).map(([name, value]) =>
      typeof value === 'string' ? { name, value } : { name, secretRef: value.secretRef },
    );
    const image = this.options.liveContainerApp?.image ?? app.image;
    const placeholder = image === PLACEHOLDER_IMAGE.image;
    const port = placeholder ? PLACEHOLDER_IMAGE.port : app.targetPort;
    const httpGet = { path: placeholder ? PLACEHOLDER_IMAGE.healthPath : app.healthPath, port, scheme: 'HTTP' as const };
    const probes: ContainerAppProbe[] = [
      { type: 'Startup', httpGet, periodSeconds: 10, failureThreshold: 10, timeoutSeconds: 5 },
      { type: 'Liveness', httpGet, periodSeconds: 10, failureThreshold: 3, timeoutSeconds: 5 },
      { type: 'Readiness', httpGet, periodSeconds: 5, failureThreshold: 3, timeoutSeconds: 5 },
    ];
    this.add<FlattenedProperties<ContainerApp>>(['containerApp'], {
      type: 'Microsoft.App/containerApps',
      apiVersion: API_VERSIONS.app,
      name: app.name,
      location: this.location,
      tags: this.tags(),
      identity,
      properties: {
        environmentId: this.environmentId,
        workloadProfileName: WORKLOAD_PROFILE,
        configuration: {
          // Multiple: the deploy action starts each revision with no traffic and shifts it once healthy.
          activeRevisionsMode: 'Multiple',
          ingress: {
            external: app.ingress === 'external',
            targetPort: port,
            transport: 'auto',
            allowInsecure: false,
            traffic: (this.options.liveContainerApp?.traffic as TrafficWeight[] | undefined) ?? [{ latestRevision: true, weight: 100 }],
          },
          registries: [{ server: reference(this.registryId, API_VERSIONS.registry, 'loginServer'), identity: this.identityId }],
          secrets: Object.entries(app.secrets).map(([name, vaultSecret]) => ({
            name,
            keyVaultUrl: `[format('{0}secrets/{1}', ${inner(vaultUri)}, ${quote(vaultSecret)})]`,
            identity: this.identityId,
          })),
        },
        template: {
          containers: [{ name: app.name, image, resources: { cpu: app.cpu, memory: app.memory }, env, probes }],
          scale: { minReplicas: app.minReplicas, maxReplicas: app.maxReplicas },
        },
      },
      dependsOn: [
        this.identityId,
        this.environmentId,
        this.registryId,
        this.vaultId,
        this.cosmosId,
        this.sqlServerId,
        this.redisId,
        ...this.appPrerequisites,
      ],
    });
    this.outputs.containerAppFqdn = {
      type: 'string',
      value: reference(resourceId('Microsoft.App/containerApps', app.name), API_VERSIONS.app, 'configuration.ingress.fqdn'),
    };
  }
}

/** A name-based GUID (SHA-256 of the parts, RFC 4122 version 5 layout): the same parts always give the same GUID. */
export function stableGuid(...parts: string[]): string {
  const hex = createHash('sha256').update(parts.join('\n')).digest('hex');
  const variant = ((Number.parseInt(hex.charAt(16), 16) & 0x3) | 0x8).toString(16);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-5${hex.slice(13, 16)}-${variant}${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

/** Access policy assignment names allow letters and digits only. */
function accessPolicyAssignmentName(identityName: string): string {
  return identityName.replace(/[^a-zA-Z0-9]/g, '');
}
