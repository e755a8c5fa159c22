/**
 * Which diagnostic log categories are a service's audit logs, and which Log Analytics tables they
 * land in. Shared by the template renderer (which declares the tables and diagnostic settings)
 * and the controls (which check both), so the two cannot drift apart.
 *
 * Sources: Azure Monitor "Supported categories for Azure Monitor resource logs" and the
 * resource-specific table reference (learn.microsoft.com), read 2026-11.
 */
export interface AuditLogSource {
  /** The resource type the diagnostic setting is scoped to. */
  scopeType: string;
  /** Category groups that include the audit logs. */
  categoryGroups: readonly string[];
  /** Individual categories that are the audit logs (any one of them counts). */
  categories: readonly string[];
  /** Tables the audit logs land in with `logAnalyticsDestinationType: Dedicated`. */
  dedicatedTables: readonly string[];
}

/** Without `logAnalyticsDestinationType: Dedicated`, resource logs land in this one table. */
export const AZURE_DIAGNOSTICS_TABLE = 'AzureDiagnostics';

const AUDIT_GROUPS = ['audit', 'allLogs'] as const;

export const AUDIT_LOG_SOURCES: readonly AuditLogSource[] = [
  { scopeType: 'Microsoft.KeyVault/vaults', categoryGroups: AUDIT_GROUPS, categories: ['AuditEvent'], dedicatedTables: ['AZKVAuditLogs'] },
  {
    scopeType: 'Microsoft.DocumentDB/databaseAccounts',
    categoryGroups: AUDIT_GROUPS,
    categories: ['DataPlaneRequests', 'ControlPlaneRequests'],
    dedicatedTables: ['CDBDataPlaneRequests', 'CDBControlPlaneRequests'],
  },
  // Server-level SQL auditing reaches Log Analytics through a diagnostic setting on the master database.
  {
    scopeType: 'Microsoft.Sql/servers/databases',
    categoryGroups: AUDIT_GROUPS,
    categories: ['SQLSecurityAuditEvents'],
    dedicatedTables: ['SQLSecurityAuditEvents'],
  },
  {
    scopeType: 'Microsoft.Cache/redisEnterprise',
    categoryGroups: AUDIT_GROUPS,
    categories: ['ConnectionEvents'],
    dedicatedTables: ['REDConnectionEvents'],
  },
  {
    scopeType: 'Microsoft.Cache/redis',
    categoryGroups: AUDIT_GROUPS,
    categories: ['ConnectedClientList'],
    dedicatedTables: ['ACRConnectedClientList'],
  },
  // Storage logs are per service: the diagnostic setting is scoped to blobServices/default.
  {
    scopeType: 'Microsoft.Storage/storageAccounts/blobServices',
    categoryGroups: AUDIT_GROUPS,
    categories: ['StorageRead', 'StorageWrite', 'StorageDelete'],
    dedicatedTables: ['StorageBlobLogs'],
  },
  {
    scopeType: 'Microsoft.App/managedEnvironments',
    categoryGroups: AUDIT_GROUPS,
    categories: ['ContainerAppSystemLogs', 'ContainerAppConsoleLogs'],
    dedicatedTables: ['ContainerAppSystemLogs', 'ContainerAppConsoleLogs'],
  },
];

export function auditLogSourceFor(scopeType: string): AuditLogSource | undefined {
  const wanted = scopeType.toLowerCase();
  return AUDIT_LOG_SOURCES.find((source) => source.scopeType.toLowerCase() === wanted);
}

/** Every table that can receive audit logs from the services above. */
export const AUDIT_LOG_TABLES: readonly string[] = [
  AZURE_DIAGNOSTICS_TABLE,
  ...new Set(AUDIT_LOG_SOURCES.flatMap((source) => source.dedicatedTables)),
];
