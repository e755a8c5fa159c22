/**
 * What each Azure resource type means to this project, written once: the api-version we deploy
 * and read it with, the children and extension resources the live gate reads, where its audit
 * logs go, the Microsoft service that puts it in the HIPAA BAA's scope, its private link group
 * and the built-in roles granted on it. The renderer, the live reader, the controls, the BAA
 * scope and the sandbox derive what they need from here; a coverage test fails when a type the
 * renderer emits or a control judges is missing.
 *
 * Pure data: this module imports nothing of ours, so every layer may use it.
 */

export interface AuditLogs {
  /**
   * Where the diagnostic setting that carries the audit logs is scoped, relative to the resource:
   * SQL server audit logs go through the `databases/master` database, storage logs through
   * `blobServices/default`. Absent: the resource itself.
   */
  via?: string;
  /** Category groups that include the audit logs. */
  categoryGroups: readonly string[];
  /** Individual categories that are the audit logs (any one of them counts, unless `allCategories`). */
  categories: readonly string[];
  /** Every one of `categories` must be sent: each is part of the audit trail (storage: reads, writes and deletes of blobs). */
  allCategories?: true;
  /** Tables the audit logs land in with `logAnalyticsDestinationType: Dedicated`. */
  dedicatedTables: readonly string[];
}

export interface ResourceTypeEntry {
  /** Full type, in ARM's casing: `Microsoft.Sql/servers/databases`. */
  type: string;
  /** The api-version the renderer deploys with and the live gate reads with. Absent for types we only judge in users' templates. */
  apiVersion?: string;
  /** Child resources the live gate reads under each resource of this type: listed, or the one a type always has (`default`). */
  children?: readonly { type: string; read: 'list' | 'default' }[];
  /** Where this type's audit logs are sent from (see `AuditLogs`). */
  auditLogs?: AuditLogs;
  /** The Azure service of Microsoft's HIPAA BAA in-scope list the type belongs to; child types inherit their parent's. */
  baaService?: string;
  /**
   * The type only configures other resources (a lock, a diagnostic setting, a role assignment, a
   * deployment): it holds no data of its own, so neither the BAA's scope nor asset tags apply.
   */
  configuresOther?: true;
  /** The type holds no data of its own but is an asset to tag (a resource group): the BAA's scope does not apply. */
  holdsNoData?: true;
  /**
   * The private endpoint group id and the private DNS zone of its data plane. Where the data
   * plane's host name depends on the resource's `kind` (a Cognitive Services account of kind
   * OpenAI answers at `*.openai.azure.com`, one of kind SpeechServices at
   * `*.cognitiveservices.azure.com`), `dnsZoneByKind` names the zone of each such kind.
   */
  privateLink?: { groupId: string; dnsZone: string; dnsZoneByKind?: Readonly<Record<string, string>> };
  /** Built-in roles granted on resources of this type, by role name: the role definition's GUID. */
  roles?: Readonly<Record<string, string>>;
  /**
   * The app reaches the data plane with its identity through one of `roles` (keys are off): the
   * live gate reads the role assignments on each resource of this type, and `ai.app-identity`
   * judges them.
   */
  reachedByRole?: true;
  /** Tables it writes straight into a Log Analytics workspace when told to (a Container Apps environment's `log-analytics` destination). */
  workspaceTables?: readonly string[];
}

/** Category groups that include every service's audit logs. */
const AUDIT_GROUPS = ['audit', 'allLogs'] as const;

/** Without `logAnalyticsDestinationType: Dedicated`, resource logs land in this one table; so do the logs of services that have no resource-specific tables. */
export const AZURE_DIAGNOSTICS_TABLE = 'AzureDiagnostics';

/**
 * Sources: api-versions are those with a schema in reference/arm-schemas (current stable for
 * Network, private DNS and ManagedIdentity); audit-log categories and tables from Azure Monitor's
 * "Supported categories for resource logs" and its table reference; roles from "Azure built-in
 * roles" and Cosmos DB's data-plane RBAC; private link groups and zones from "Azure Private
 * Endpoint private DNS zone values"; BAA services named after Microsoft's HIPAA/HITECH compliance
 * offering (recorded 2026-11-29, not re-read from the page: see docs/controls.md, "The BAA scope
 * list"). All from learn.microsoft.com.
 */
export const RESOURCE_TYPES: readonly ResourceTypeEntry[] = [
  {
    type: 'Microsoft.ManagedIdentity/userAssignedIdentities',
    apiVersion: '2023-01-31',
    baaService: 'Microsoft Entra ID (managed identities)',
  },
  {
    type: 'Microsoft.OperationalInsights/workspaces',
    apiVersion: '2025-02-01',
    children: [{ type: 'tables', read: 'list' }],
    baaService: 'Azure Monitor (Log Analytics)',
  },
  { type: 'Microsoft.OperationalInsights/workspaces/tables', apiVersion: '2025-02-01' },
  { type: 'Microsoft.Insights/diagnosticSettings', apiVersion: '2021-05-01-preview', configuresOther: true },
  { type: 'Microsoft.Authorization/roleAssignments', apiVersion: '2022-04-01', configuresOther: true },
  { type: 'Microsoft.Authorization/locks', configuresOther: true },
  { type: 'Microsoft.Network/virtualNetworks', apiVersion: '2024-05-01', baaService: 'Azure Virtual Network' },
  { type: 'Microsoft.Network/privateEndpoints', apiVersion: '2024-05-01', baaService: 'Azure Private Link' },
  { type: 'Microsoft.Network/networkSecurityGroups', apiVersion: '2024-05-01', baaService: 'Azure Virtual Network' },
  // GitHub-hosted runners with Azure private networking: links a delegated subnet to a GitHub organization; holds no data.
  { type: 'GitHub.Network/networkSettings', apiVersion: '2024-04-02', configuresOther: true },
  { type: 'Microsoft.Network/privateEndpoints/privateDnsZoneGroups', apiVersion: '2024-05-01' },
  { type: 'Microsoft.Network/privateDnsZones', apiVersion: '2024-06-01', baaService: 'Azure DNS' },
  { type: 'Microsoft.Network/privateDnsZones/virtualNetworkLinks', apiVersion: '2024-06-01' },
  {
    type: 'Microsoft.KeyVault/vaults',
    apiVersion: '2026-02-01',
    auditLogs: { categoryGroups: AUDIT_GROUPS, categories: ['AuditEvent'], dedicatedTables: ['AZKVAuditLogs'] },
    baaService: 'Key Vault',
    privateLink: { groupId: 'vault', dnsZone: 'privatelink.vaultcore.azure.net' },
    roles: {
      'Key Vault Secrets User': '4633458b-17de-408a-b874-0445c86b69e6',
      'Key Vault Secrets Officer': 'b86a8fe4-44ce-4948-aee5-eccb2c155cd7',
    },
  },
  {
    type: 'Microsoft.DocumentDB/databaseAccounts',
    apiVersion: '2025-10-15',
    auditLogs: {
      categoryGroups: AUDIT_GROUPS,
      categories: ['DataPlaneRequests', 'ControlPlaneRequests'],
      dedicatedTables: ['CDBDataPlaneRequests', 'CDBControlPlaneRequests'],
    },
    baaService: 'Azure Cosmos DB',
    privateLink: { groupId: 'Sql', dnsZone: 'privatelink.documents.azure.com' },
    // Cosmos DB's own data-plane role (sqlRoleDefinitions), not a Microsoft.Authorization role.
    roles: { 'Cosmos DB Built-in Data Contributor': '00000000-0000-0000-0000-000000000002' },
  },
  { type: 'Microsoft.DocumentDB/databaseAccounts/sqlRoleAssignments', apiVersion: '2025-10-15' },
  {
    type: 'Microsoft.Sql/servers',
    apiVersion: '2023-08-01',
    children: [
      { type: 'auditingSettings', read: 'list' },
      { type: 'advancedThreatProtectionSettings', read: 'list' },
      { type: 'azureADOnlyAuthentications', read: 'list' },
      { type: 'databases', read: 'list' },
    ],
    // Server-level auditing reaches Azure Monitor through a diagnostic setting on the master database.
    auditLogs: {
      via: 'databases/master',
      categoryGroups: AUDIT_GROUPS,
      categories: ['SQLSecurityAuditEvents'],
      dedicatedTables: ['SQLSecurityAuditEvents'],
    },
    baaService: 'Azure SQL Database',
    privateLink: { groupId: 'sqlServer', dnsZone: 'privatelink.database.windows.net' },
  },
  {
    type: 'Microsoft.Sql/servers/databases',
    apiVersion: '2023-08-01',
    children: [
      { type: 'transparentDataEncryption', read: 'list' },
      { type: 'backupLongTermRetentionPolicies', read: 'list' },
    ],
  },
  { type: 'Microsoft.Sql/servers/auditingSettings', apiVersion: '2023-08-01' },
  { type: 'Microsoft.Sql/servers/advancedThreatProtectionSettings', apiVersion: '2023-08-01' },
  { type: 'Microsoft.Sql/servers/azureADOnlyAuthentications', apiVersion: '2023-08-01' },
  { type: 'Microsoft.Sql/servers/databases/transparentDataEncryption', apiVersion: '2023-08-01' },
  { type: 'Microsoft.Sql/servers/databases/backupLongTermRetentionPolicies', apiVersion: '2023-08-01' },
  {
    type: 'Microsoft.Cache/redisEnterprise',
    apiVersion: '2025-07-01',
    children: [{ type: 'databases', read: 'list' }],
    auditLogs: { categoryGroups: AUDIT_GROUPS, categories: ['ConnectionEvents'], dedicatedTables: ['REDConnectionEvents'] },
    baaService: 'Azure Managed Redis',
    privateLink: { groupId: 'redisEnterprise', dnsZone: 'privatelink.redis.azure.net' },
  },
  { type: 'Microsoft.Cache/redisEnterprise/databases', apiVersion: '2025-07-01' },
  { type: 'Microsoft.Cache/redisEnterprise/databases/accessPolicyAssignments', apiVersion: '2025-07-01' },
  {
    type: 'Microsoft.Cache/redis',
    apiVersion: '2024-11-01',
    auditLogs: { categoryGroups: AUDIT_GROUPS, categories: ['ConnectedClientList'], dedicatedTables: ['ACRConnectedClientList'] },
    baaService: 'Azure Cache for Redis',
    privateLink: { groupId: 'redisCache', dnsZone: 'privatelink.redis.cache.windows.net' },
  },
  { type: 'Microsoft.Cache/redis/accessPolicyAssignments', apiVersion: '2024-11-01' },
  {
    type: 'Microsoft.Storage/storageAccounts',
    apiVersion: '2025-06-01',
    children: [
      { type: 'blobServices', read: 'list' },
      { type: 'managementPolicies', read: 'default' },
    ],
    // Storage logs are per service: the diagnostic setting is scoped to blobServices/default.
    auditLogs: {
      via: 'blobServices/default',
      categoryGroups: AUDIT_GROUPS,
      categories: ['StorageRead', 'StorageWrite', 'StorageDelete'],
      // Reading PHI is what HIPAA's audit controls record as much as changing it: a blob audit log sends all three.
      allCategories: true,
      dedicatedTables: ['StorageBlobLogs'],
    },
    baaService: 'Azure Storage',
    privateLink: { groupId: 'blob', dnsZone: 'privatelink.blob.core.windows.net' },
  },
  { type: 'Microsoft.Storage/storageAccounts/blobServices', apiVersion: '2025-06-01' },
  { type: 'Microsoft.Storage/storageAccounts/managementPolicies', apiVersion: '2025-06-01' },
  {
    type: 'Microsoft.ContainerRegistry/registries',
    apiVersion: '2025-04-01',
    baaService: 'Container Registry',
    privateLink: { groupId: 'registry', dnsZone: 'privatelink.azurecr.io' },
    roles: {
      AcrPull: '7f951dda-4ed3-4680-a7ca-43fe172d538d',
      AcrPush: '8311e382-0749-4cb8-b61a-304f252e45ec',
      // learn.microsoft.com, "Azure built-in roles for Containers": what ACR's importImage needs on source and target.
      'Container Registry Data Importer and Data Reader': '577a9874-89fd-4f24-9dbd-b5034d0ad23a',
    },
  },
  {
    type: 'Microsoft.App/managedEnvironments',
    apiVersion: '2026-01-01',
    auditLogs: {
      categoryGroups: AUDIT_GROUPS,
      categories: ['ContainerAppSystemLogs', 'ContainerAppConsoleLogs'],
      dedicatedTables: ['ContainerAppSystemLogs', 'ContainerAppConsoleLogs'],
    },
    workspaceTables: ['ContainerAppConsoleLogs_CL', 'ContainerAppSystemLogs_CL'],
    baaService: 'Azure Container Apps',
    // The zone is per region ("Azure Private Endpoint private DNS zone values": privatelink.{regionName}.azurecontainerapps.io).
    privateLink: { groupId: 'managedEnvironments', dnsZone: 'privatelink.{region}.azurecontainerapps.io' },
  },
  { type: 'Microsoft.App/containerApps', apiVersion: '2026-01-01', baaService: 'Azure Container Apps' },
  {
    // Azure Front Door Standard/Premium: the app's public edge (config: edge).
    type: 'Microsoft.Cdn/profiles',
    apiVersion: '2025-06-01',
    children: [
      { type: 'afdEndpoints', read: 'list' },
      { type: 'originGroups', read: 'list' },
      { type: 'securityPolicies', read: 'list' },
      { type: 'customDomains', read: 'list' },
    ],
    // Who called the app and what the WAF did with it: both logs are the edge's audit trail. No resource-specific tables.
    auditLogs: {
      categoryGroups: ['allLogs'],
      categories: ['FrontDoorAccessLog', 'FrontDoorWebApplicationFirewallLog'],
      allCategories: true,
      dedicatedTables: [AZURE_DIAGNOSTICS_TABLE],
    },
    baaService: 'Azure Front Door',
  },
  { type: 'Microsoft.Cdn/profiles/afdEndpoints', apiVersion: '2025-06-01', children: [{ type: 'routes', read: 'list' }] },
  { type: 'Microsoft.Cdn/profiles/afdEndpoints/routes', apiVersion: '2025-06-01' },
  { type: 'Microsoft.Cdn/profiles/originGroups', apiVersion: '2025-06-01', children: [{ type: 'origins', read: 'list' }] },
  { type: 'Microsoft.Cdn/profiles/originGroups/origins', apiVersion: '2025-06-01' },
  { type: 'Microsoft.Cdn/profiles/securityPolicies', apiVersion: '2025-06-01' },
  { type: 'Microsoft.Cdn/profiles/customDomains', apiVersion: '2025-06-01' },
  {
    type: 'Microsoft.Network/FrontDoorWebApplicationFirewallPolicies',
    apiVersion: '2025-11-01',
    baaService: 'Azure Web Application Firewall',
  },
  {
    // Azure OpenAI (kind OpenAI) and Speech (kind SpeechServices) are both Cognitive Services accounts.
    type: 'Microsoft.CognitiveServices/accounts',
    apiVersion: '2026-05-01',
    // Their resource logs have no resource-specific tables: they land in AzureDiagnostics whatever the destination type.
    auditLogs: { categoryGroups: AUDIT_GROUPS, categories: ['Audit', 'RequestResponse'], dedicatedTables: [AZURE_DIAGNOSTICS_TABLE] },
    baaService: 'Azure AI services (Azure OpenAI, Speech)',
    privateLink: {
      groupId: 'account',
      dnsZone: 'privatelink.cognitiveservices.azure.com',
      dnsZoneByKind: { OpenAI: 'privatelink.openai.azure.com' },
    },
    roles: {
      'Cognitive Services OpenAI User': '5e0bd9bd-7b93-4f28-af87-19fc36ad61bd',
      'Cognitive Services OpenAI Contributor': 'a001fd3d-188f-4b5d-821b-7da978bf7442',
      'Cognitive Services Speech User': 'f2dc8367-1007-4938-bd23-fe263f013447',
      'Cognitive Services User': 'a97b65f3-24c7-4388-baec-2e87135dc908',
    },
    reachedByRole: true,
  },
  { type: 'Microsoft.CognitiveServices/accounts/deployments', apiVersion: '2026-05-01' },
  {
    type: 'Microsoft.Search/searchServices',
    apiVersion: '2025-05-01',
    auditLogs: { categoryGroups: AUDIT_GROUPS, categories: ['OperationLogs'], dedicatedTables: [AZURE_DIAGNOSTICS_TABLE] },
    baaService: 'Azure AI Search',
    privateLink: { groupId: 'searchService', dnsZone: 'privatelink.search.windows.net' },
    roles: {
      'Search Index Data Reader': '1407120a-92aa-4202-b7e9-c0e197c71c8f',
      'Search Index Data Contributor': '8ebe5a00-799e-43f5-93ac-243d3dce84a7',
    },
    reachedByRole: true,
  },
  // Operations (src/template/operations.ts): alerts, availability, Azure Policy, Defender for Cloud, cost.
  { type: 'Microsoft.Insights/actionGroups', apiVersion: '2023-01-01', baaService: 'Azure Monitor' },
  { type: 'Microsoft.Insights/metricAlerts', apiVersion: '2026-01-01', baaService: 'Azure Monitor' },
  { type: 'Microsoft.Insights/scheduledQueryRules', apiVersion: '2026-03-01', baaService: 'Azure Monitor' },
  { type: 'Microsoft.Insights/components', apiVersion: '2020-02-02', baaService: 'Azure Monitor (Application Insights)' },
  { type: 'Microsoft.Insights/webtests', apiVersion: '2022-06-15', baaService: 'Azure Monitor (Application Insights)' },
  // An assignment, a subscription's Defender plan and a budget only configure how Azure judges, protects or bills others.
  { type: 'Microsoft.Authorization/policyAssignments', apiVersion: '2025-03-01', configuresOther: true },
  { type: 'Microsoft.Security/pricings', apiVersion: '2024-01-01', configuresOther: true },
  { type: 'Microsoft.Consumption/budgets', apiVersion: '2024-08-01', configuresOther: true },
  { type: 'Microsoft.Resources/deployments', configuresOther: true },
  { type: 'Microsoft.Resources/resourceGroups', holdsNoData: true },
  // Types the renderer does not emit, known for judging users' templates.
  { type: 'Microsoft.Web/sites', baaService: 'Azure App Service' },
  { type: 'Microsoft.Web/serverfarms', baaService: 'Azure App Service' },
  { type: 'Microsoft.Network/publicIPAddresses', baaService: 'Azure Virtual Network' },
  { type: 'Microsoft.EventHub/namespaces', baaService: 'Azure Event Hubs' },
];

const byType = new Map(RESOURCE_TYPES.map((entry) => [entry.type.toLowerCase(), entry]));

/** The registry entry of a type (ARM compares types without case). */
export function resourceType(type: string): ResourceTypeEntry | undefined {
  return byType.get(type.toLowerCase());
}

/** The api-version of a registered type; throws for a type the registry does not know (a programming error, caught by the coverage test). */
export function apiVersionOf(type: string): string {
  const apiVersion = resourceType(type)?.apiVersion;
  if (!apiVersion) throw new Error(`${type} has no api-version in src/azure/resource-types.ts; register it there.`);
  return apiVersion;
}

/** The private endpoint group and DNS zone of a registered type's data plane (for a resource of `kind`, where the zone depends on it). */
export function privateLinkOf(type: string, kind?: string, region?: string): { groupId: string; dnsZone: string } {
  const privateLink = resourceType(type)?.privateLink;
  if (!privateLink) throw new Error(`${type} has no private link group in src/azure/resource-types.ts; register it there.`);
  const byKind = kind === undefined ? undefined : privateLink.dnsZoneByKind?.[kind];
  const dnsZone = byKind ?? privateLink.dnsZone;
  if (dnsZone.includes('{region}') && region === undefined)
    throw new Error(`the private DNS zone of ${type} depends on the region; pass it`);
  return { groupId: privateLink.groupId, dnsZone: dnsZone.replace('{region}', region ?? '') };
}

/** The GUID of a built-in role granted on a type. */
export function roleDefinitionOf(type: string, role: string): string {
  const id = resourceType(type)?.roles?.[role];
  if (!id) throw new Error(`${type} grants no role "${role}" in src/azure/resource-types.ts; register it there.`);
  return id;
}

/** Types whose data plane the app reaches through a role (see ResourceTypeEntry.reachedByRole). */
export const REACHED_BY_ROLE: readonly string[] = RESOURCE_TYPES.filter((entry) => entry.reachedByRole).map((entry) => entry.type);

/** Whether a type only configures other resources (see ResourceTypeEntry.configuresOther). */
export function configuresOther(type: string): boolean {
  return resourceType(type)?.configuresOther === true;
}

/** Whether a type holds no data of its own (see ResourceTypeEntry.holdsNoData and configuresOther). */
export function holdsNoData(type: string): boolean {
  return configuresOther(type) || resourceType(type)?.holdsNoData === true;
}

/** The BAA service of a type, inherited from its nearest registered ancestor. */
export function baaServiceOf(type: string): string | undefined {
  const segments = type.split('/');
  for (let length = segments.length; length >= 2; length--) {
    const service = resourceType(segments.slice(0, length).join('/'))?.baaService;
    if (service) return service;
  }
  return undefined;
}

export interface AuditLogSource extends AuditLogs {
  /** The type whose audit logs these are (`Microsoft.Sql/servers`). */
  ownerType: string;
  /** The type the diagnostic setting is scoped to (`Microsoft.Sql/servers/databases`). */
  scopeType: string;
}

/** Every audit-log source, with the type its diagnostic setting is scoped to. */
export const AUDIT_LOG_SOURCES: readonly AuditLogSource[] = RESOURCE_TYPES.flatMap((entry) => {
  if (!entry.auditLogs) return [];
  // `databases/master` is a type segment and a name segment: the scope's type takes the type segments.
  const viaTypes = (entry.auditLogs.via?.split('/') ?? []).filter((_, index) => index % 2 === 0);
  return [{ ...entry.auditLogs, ownerType: entry.type, scopeType: [entry.type, ...viaTypes].join('/') }];
});

/** The audit-log source of a type (`Microsoft.Sql/servers`), wherever its diagnostic setting is scoped. */
export function auditLogSourceOf(ownerType: string): AuditLogSource | undefined {
  const wanted = ownerType.toLowerCase();
  return AUDIT_LOG_SOURCES.find((source) => source.ownerType.toLowerCase() === wanted);
}

/** The audit-log source whose diagnostic setting is scoped to `scopeType`. */
export function auditLogSourceForScope(scopeType: string): AuditLogSource | undefined {
  const wanted = scopeType.toLowerCase();
  return AUDIT_LOG_SOURCES.find((source) => source.scopeType.toLowerCase() === wanted);
}

/** Every table that can receive audit logs from the services above. */
export const AUDIT_LOG_TABLES: readonly string[] = [
  ...new Set([AZURE_DIAGNOSTICS_TABLE, ...AUDIT_LOG_SOURCES.flatMap((source) => source.dedicatedTables)]),
];

/** The built-in initiative "HITRUST/HIPAA" (https://github.com/Azure/azure-policy/blob/master/built-in-policies/policySetDefinitions/Regulatory%20Compliance/HIPAA_HITRUST_audit.json). */
export const HIPAA_HITRUST_INITIATIVE = '/providers/Microsoft.Authorization/policySetDefinitions/a169a624-5599-4385-a696-c8d643089fab';
