import type { Control, ControlResult } from '../control.js';
import type { JudgedEnvironment, JudgedResource } from '../../arm/deployed.js';
import {
  AUDIT_LOG_SOURCES,
  AZURE_DIAGNOSTICS_TABLE,
  auditLogSourceForScope,
  auditLogSourceOf,
  resourceType,
  type AuditLogSource,
} from '../../azure/resource-types.js';
import { appliedLast, childrenOfType, field, isType, read, shortName, valueAt, type PropertyValue } from './access.js';
import {
  absentDefaultsFrom,
  absentPassesFromDate,
  absentFails,
  equalsIgnoringCase,
  fail,
  notApplicable,
  pass,
  propertyControl,
  publicNetworkControl,
  tlsAtLeast12,
  unknown,
  type PlatformMinimum,
} from './rules.js';

const STORAGE = ['Microsoft.Storage/storageAccounts'];
const WORKSPACE = ['Microsoft.OperationalInsights/workspaces'];
const REGISTRY = ['Microsoft.ContainerRegistry/registries'];
const CONTAINER_APP = ['Microsoft.App/containerApps'];
const DIAGNOSTIC_SETTINGS = 'Microsoft.Insights/diagnosticSettings';

/** Lifecycle actions that remove a base blob (tiering keeps the data, so it is not removal). */
const REMOVAL_CONDITIONS = ['daysAfterModificationGreaterThan', 'daysAfterCreationGreaterThan', 'daysAfterLastAccessTimeGreaterThan'];

/** Whether a storage account keeps backups long enough: the core of storage.backup-retention, shared with logs.retention. */
export function judgeBackupRetention(account: JudgedResource, minimumDays: number): ControlResult {
  for (const policy of childrenOfType(account, 'Microsoft.Storage/storageAccounts/managementPolicies')) {
    const rules = read(policy, ['properties', 'policy', 'rules']);
    if (rules.kind === 'unknown') return unknown(`the lifecycle rules cannot be known offline (${rules.reason})`);
    if (rules.kind === 'known' && (!Array.isArray(rules.value) || rules.value.some((rule) => rule === null || typeof rule !== 'object')))
      return unknown(`the lifecycle rules are ${JSON.stringify(rules.value).slice(0, 80)}, not a list of rules`);
    for (const [index, rule] of (rules.kind === 'known' ? (rules.value as unknown[]) : []).entries()) {
      if (field(rule, 'enabled') === false) continue;
      const name = String(field(rule, 'name') ?? index);
      for (const condition of REMOVAL_CONDITIONS) {
        const days = valueAt(rule, ['definition', 'actions', 'baseBlob', 'delete', condition]);
        if (days.kind === 'absent') continue;
        if (days.kind === 'unknown' || typeof days.value !== 'number')
          return unknown(`lifecycle rule ${name} deletes after a number of days that cannot be known offline`);
        if (days.value < minimumDays)
          return fail(
            `lifecycle rule ${name} deletes base blobs after ${days.value} days (${condition}); backups must be kept at least ${minimumDays} days`,
          );
      }
    }
  }
  const blobServices = childrenOfType(account, 'Microsoft.Storage/storageAccounts/blobServices');
  for (const service of blobServices) {
    const softDelete = read(service, ['properties', 'deleteRetentionPolicy', 'enabled']);
    const versioning = read(service, ['properties', 'isVersioningEnabled']);
    if ((softDelete.kind === 'known' && softDelete.value === true) || (versioning.kind === 'known' && versioning.value === true)) {
      return pass(
        `no lifecycle rule deletes base blobs before ${minimumDays} days, and ${softDelete.kind === 'known' && softDelete.value === true ? 'blob soft delete' : 'versioning'} is on`,
      );
    }
    if (softDelete.kind === 'unknown' || versioning.kind === 'unknown')
      return unknown('blob soft delete or versioning cannot be known offline');
  }
  return fail('neither blob soft delete (blobServices deleteRetentionPolicy.enabled) nor versioning (isVersioningEnabled) is on');
}

/** Azure Storage refuses TLS 1.0 and 1.1 on every account from this date (Microsoft's notice to storage customers; "Migrate to TLS 1.2 for Azure Blob Storage", learn.microsoft.com). */
const STORAGE_TLS_12: PlatformMinimum = {
  since: '2026-02-03',
  what: 'TLS 1.2 or newer',
  source: 'Microsoft retired TLS 1.0 and 1.1 on Azure Storage',
};

export const storageControls: Control[] = [
  propertyControl({
    id: 'storage.https-only',
    title: 'Storage accepts HTTPS only',
    severity: 'required',
    hipaa: ['164.312(e)(1)'],
    appliesTo: STORAGE,
    remediation: 'Set properties.supportsHttpsTrafficOnly to true (or leave it unset with API version 2019-04-01 or later).',
    path: ['properties', 'supportsHttpsTrafficOnly'],
    expected: 'true',
    valueType: 'boolean',
    complies: (value) => value !== false,
    whenAbsent: absentDefaultsFrom(['properties', 'supportsHttpsTrafficOnly'], '2019-04-01', 'true', 'true'),
  }),
  propertyControl({
    id: 'storage.min-tls',
    title: 'Storage requires TLS 1.2 or newer',
    severity: 'required',
    hipaa: ['164.312(e)(1)'],
    appliesTo: STORAGE,
    remediation: 'Set properties.minimumTlsVersion to "TLS1_2".',
    path: ['properties', 'minimumTlsVersion'],
    expected: '"TLS1_2" or newer',
    valueType: 'string',
    complies: tlsAtLeast12,
    whenAbsent: absentPassesFromDate(
      ['properties', 'minimumTlsVersion'],
      STORAGE_TLS_12,
      absentFails(['properties', 'minimumTlsVersion'], '"TLS1_2"'),
    ),
  }),
  propertyControl({
    id: 'storage.no-public-blob',
    title: 'Storage allows no anonymous blob access',
    severity: 'required',
    hipaa: ['164.312(a)(1)'],
    appliesTo: STORAGE,
    remediation: 'Set properties.allowBlobPublicAccess to false.',
    path: ['properties', 'allowBlobPublicAccess'],
    expected: 'false',
    valueType: 'boolean',
    complies: (value) => value === false,
    whenAbsent: absentFails(['properties', 'allowBlobPublicAccess'], 'false'),
  }),
  {
    id: 'storage.backup-retention',
    title: 'Backups in storage are kept six years and protected from deletion',
    severity: 'required',
    hipaa: ['164.308(a)(7)(ii)(A)', '164.316(b)(2)'],
    appliesTo: STORAGE,
    remediation:
      'Delete base blobs no sooner than 2190 days in every lifecycle rule (managementPolicies), and turn on blob soft delete (blobServices deleteRetentionPolicy.enabled) or versioning (isVersioningEnabled).',
    evaluate: (account, { policy }) =>
      account ? judgeBackupRetention(account, policy.minAuditRetentionDays) : notApplicable('no resource'),
  },
  publicNetworkControl('storage.public-network', STORAGE, ['164.312(a)(1)'], ''),
];

/** Diagnostic settings anywhere in the environment whose destination is `workspace`, by its full id (a same-named workspace elsewhere is another). */
function settingsSendingTo(workspace: JudgedResource, environment: JudgedEnvironment): JudgedResource[] {
  const id = workspace.id.toLowerCase();
  return environment.resources.filter((resource) => {
    if (!isType(resource, DIAGNOSTIC_SETTINGS)) return false;
    const target = read(resource, ['properties', 'workspaceId']);
    return target.kind === 'known' && typeof target.value === 'string' && target.value.toLowerCase() === id;
  });
}

/**
 * Whether a Container Apps environment's `logAnalyticsConfiguration.customerId` is this workspace:
 * the workspace's own customerId (live), an expression that names the workspace, or the only
 * workspace there is.
 */
function sendsToWorkspace(customerId: PropertyValue, workspace: JudgedResource, environment: JudgedEnvironment): boolean {
  if (customerId.kind === 'known') {
    const own = read(workspace, ['properties', 'customerId']);
    return (
      own.kind === 'known' &&
      typeof own.value === 'string' &&
      typeof customerId.value === 'string' &&
      own.value.toLowerCase() === customerId.value.toLowerCase()
    );
  }
  if (customerId.kind === 'absent') return false;
  const named = new RegExp(`['/]${shortName(workspace).replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}'`, 'i');
  return (
    named.test(customerId.expression ?? '') ||
    environment.resources.filter((r) => isType(r, 'Microsoft.OperationalInsights/workspaces')).length === 1
  );
}

/** The resource a diagnostic setting is scoped to, from its id (`<scope>/providers/Microsoft.Insights/diagnosticSettings/<name>`). */
function scopeTypeOf(setting: JudgedResource): string | undefined {
  const scopeId = setting.id.replace(/\/providers\/Microsoft\.Insights\/diagnosticSettings\/[^/]+$/i, '');
  const match = /\/providers\/([^/]+)\/(.+)$/.exec(scopeId);
  if (!match) return undefined;
  const segments = (match[2] as string).split('/');
  return [match[1], ...segments.filter((_, i) => i % 2 === 0)].join('/');
}

export const logsControls: Control[] = [
  {
    id: 'logs.retention',
    title: 'Audit logs are kept six years',
    severity: 'required',
    hipaa: ['164.316(b)(2)', '164.312(b)'],
    appliesTo: WORKSPACE,
    remediation:
      'Keep the workspace retentionInDays within 30-730 (config: logAnalytics.retentionInDays) and give every audit table a Microsoft.OperationalInsights/workspaces/tables child with totalRetentionInDays of at least 2190 (config: logAnalytics.auditTableTotalRetentionInDays), or also archive the logs to storage kept 2190 days.',
    evaluate(workspace, { environment, policy }) {
      if (!workspace) return notApplicable('no resource');
      const retentionPath = ['properties', 'retentionInDays'];
      const retention = read(workspace, retentionPath);
      if (retention.kind === 'unknown') return unknown(`retentionInDays cannot be known offline (${retention.reason})`, retentionPath);
      if (retention.kind === 'known' && (typeof retention.value !== 'number' || retention.value < 30 || retention.value > 730)) {
        return fail(
          `workspace retentionInDays is ${JSON.stringify(retention.value)}; Azure accepts 30-730 (keep long retention per table with totalRetentionInDays, up to 4383)`,
          retentionPath,
        );
      }
      const tables = new Map(
        childrenOfType(workspace, 'Microsoft.OperationalInsights/workspaces/tables').map((table) => [
          shortName(table).toLowerCase(),
          table,
        ]),
      );
      const needed = new Set<string>();
      for (const setting of settingsSendingTo(workspace, environment)) {
        const archive = read(setting, ['properties', 'storageAccountId']);
        if (archive.kind === 'known' && typeof archive.value === 'string') {
          const account = environment.resources.find((r) => r.id.toLowerCase() === (archive.value as string).toLowerCase());
          if (account && judgeBackupRetention(account, policy.minAuditRetentionDays).status === 'pass') continue;
        }
        const dedicated = read(setting, ['properties', 'logAnalyticsDestinationType']);
        const source = auditLogSourceForScope(scopeTypeOf(setting) ?? '');
        const tablesOfSetting =
          dedicated.kind === 'known' && equalsIgnoringCase('Dedicated')(dedicated.value) && source
            ? source.dedicatedTables
            : [AZURE_DIAGNOSTICS_TABLE];
        for (const table of tablesOfSetting) needed.add(table);
      }
      // Container Apps environments writing their app logs straight into this workspace (appLogsConfiguration: log-analytics).
      for (const managed of environment.resources.filter((r) => isType(r, 'Microsoft.App/managedEnvironments'))) {
        const destination = read(managed, ['properties', 'appLogsConfiguration', 'destination']);
        if (!(destination.kind === 'known' && equalsIgnoringCase('log-analytics')(destination.value))) continue;
        const customerId = read(managed, ['properties', 'appLogsConfiguration', 'logAnalyticsConfiguration', 'customerId']);
        if (sendsToWorkspace(customerId, workspace, environment))
          for (const table of resourceType(managed.type)?.workspaceTables ?? []) needed.add(table);
      }
      for (const table of needed) {
        const declared = tables.get(table.toLowerCase());
        if (!declared)
          return fail(
            `audit logs land in table ${table}, which has no tables child setting totalRetentionInDays; it keeps only the workspace retention`,
          );
        const total = read(declared, ['properties', 'totalRetentionInDays']);
        if (total.kind === 'unknown') return unknown(`table ${table} totalRetentionInDays cannot be known offline`);
        if (total.kind !== 'known' || typeof total.value !== 'number' || total.value < policy.minAuditRetentionDays) {
          return fail(
            `table ${table} keeps audit logs ${total.kind === 'known' ? String(total.value) : 'the workspace retention'} days; it must keep them at least ${policy.minAuditRetentionDays}`,
          );
        }
      }
      return pass(
        `workspace retention is ${retention.kind === 'known' ? String(retention.value) : 'the default'} days and ${needed.size} audit table(s) keep logs at least ${policy.minAuditRetentionDays} days`,
        retentionPath,
      );
    },
  },
];

const settingsIndex = new WeakMap<JudgedEnvironment, Map<string, JudgedResource[]>>();

/** Every diagnostic setting by the (lower-case) id of what it is scoped to; built once per environment. */
function diagnosticSettingsByScope(environment: JudgedEnvironment): Map<string, JudgedResource[]> {
  let index = settingsIndex.get(environment);
  if (!index) {
    index = new Map();
    for (const setting of environment.resources.filter((r) => isType(r, DIAGNOSTIC_SETTINGS))) {
      const scopeId = setting.id.replace(/\/providers\/Microsoft\.Insights\/diagnosticSettings\/[^/]+$/i, '').toLowerCase();
      index.set(scopeId, [...(index.get(scopeId) ?? []), setting]);
    }
    settingsIndex.set(environment, index);
  }
  return index;
}

/**
 * Diagnostic settings of one name on one resource are one setting, written as often as it is
 * declared: the write ARM applies last is the setting. Where ARM's order between the last writes
 * is undefined and they would be judged differently, which one stays is unknown.
 */
function finalSettings(
  settings: JudgedResource[],
  source: AuditLogSource,
  environment: JudgedEnvironment,
): { settings: JudgedResource[]; undecided?: string } {
  const byName = new Map<string, JudgedResource[]>();
  for (const setting of settings) {
    const name = shortName(setting).toLowerCase();
    byName.set(name, [...(byName.get(name) ?? []), setting]);
  }
  const final: JudgedResource[] = [];
  let undecided: string | undefined;
  for (const writes of byName.values()) {
    const last = appliedLast(writes, (write) => write, environment);
    const statuses = new Set(last.map((write) => judgeAuditSettings([write], source).status));
    if (statuses.size === 1) final.push(last[0] as JudgedResource);
    else
      undecided ??= `diagnostic setting ${shortName(writes[0] as JudgedResource)} is declared ${writes.length} times and ARM's order between ${last.length} of them, which differ, is undefined`;
  }
  return { settings: final, ...(undecided ? { undecided } : {}) };
}

/** Whether one of `settings` sends the audit logs of `source` to a workspace or storage. */
function judgeAuditSettings(settings: JudgedResource[], source: AuditLogSource, alreadyUndecided?: string): ControlResult {
  let undecided: string | undefined = alreadyUndecided;
  for (const setting of settings) {
    const logs = read(setting, ['properties', 'logs']);
    // Only a workspace or a storage account keeps the logs: an Event Hub only passes them on, and a null id is no destination.
    const destinations = (['workspaceId', 'storageAccountId'] as const).map((key) => ({ key, value: read(setting, ['properties', key]) }));
    const present = destinations.filter(
      ({ value }) => value.kind === 'unknown' || (value.kind === 'known' && typeof value.value === 'string' && value.value !== ''),
    );
    if (logs.kind === 'unknown') {
      undecided ??= `the logs of diagnostic setting ${shortName(setting)} cannot be known offline (${logs.reason})`;
      continue;
    }
    if (present.length === 0) continue;
    if (logs.kind === 'known' && !Array.isArray(logs.value)) {
      undecided ??= `the logs of diagnostic setting ${shortName(setting)} are ${JSON.stringify(logs.value).slice(0, 60)}, not a list`;
      continue;
    }
    const entries = logs.kind === 'known' ? (logs.value as unknown[]) : [];
    const enabledEntry = (entry: unknown) => {
      const state = valueAt(entry, ['enabled']);
      return state.kind === 'known' && state.value === true;
    };
    const isGroup = (entry: unknown) => source.categoryGroups.some((group) => equalsIgnoringCase(group)(field(entry, 'categoryGroup')));
    const isCategory = (category: string) => (entry: unknown) => equalsIgnoringCase(category)(field(entry, 'category'));
    const audit = entries.filter((entry) => isGroup(entry) || source.categories.some((category) => isCategory(category)(entry)));
    const states = audit.map((entry) => valueAt(entry, ['enabled']));
    // A category group covers every category; single categories count one by one (all of them where the source needs all).
    const covered =
      audit.some((entry) => isGroup(entry) && enabledEntry(entry)) ||
      (source.allCategories
        ? source.categories.every((category) => entries.some((entry) => isCategory(category)(entry) && enabledEntry(entry)))
        : audit.some(enabledEntry));
    if (covered) {
      if (present.every(({ value }) => value.kind === 'unknown')) {
        undecided ??= `the destination of diagnostic setting ${shortName(setting)} cannot be known offline`;
        continue;
      }
      const kept = present.find(({ value }) => value.kind === 'known') as (typeof present)[number];
      return pass(
        `diagnostic setting ${shortName(setting)} sends the audit logs to ${kept.key === 'workspaceId' ? 'Log Analytics' : 'storage'}`,
      );
    }
    const unknownState = states.find((state) => state.kind === 'unknown' || (state.kind === 'known' && typeof state.value !== 'boolean'));
    if (unknownState)
      undecided ??= `whether diagnostic setting ${shortName(setting)} has its audit log entry enabled cannot be known offline`;
  }
  return undecided
    ? unknown(undecided)
    : fail(
        `no diagnostic setting sends the audit logs (category group ${source.categoryGroups.join(' or ')}, or ${source.allCategories ? 'every one of' : 'one of'} ${source.categories.join('/')}) with enabled: true to a Log Analytics workspace or a storage account`,
      );
}

export const diagnosticsControls: Control[] = [
  {
    id: 'diagnostics.audit-logs',
    title: 'Audit logs go to Log Analytics or storage',
    severity: 'required',
    hipaa: ['164.312(b)', '164.308(a)(1)(ii)(D)'],
    appliesTo: AUDIT_LOG_SOURCES.map((source) => source.ownerType),
    remediation:
      'Add a Microsoft.Insights/diagnosticSettings extension resource (scope: the resource; for SQL the master database, for storage blobServices/default) with logs [{categoryGroup: "audit", enabled: true}] and workspaceId of the Log Analytics workspace.',
    evaluate(resource, { environment }) {
      const source = resource && auditLogSourceOf(resource.type);
      if (!resource || !source) return notApplicable('no audit logs are known for this type');
      // SQL server audit logs go through the master database (which templates do not declare), storage logs through blobServices/default.
      const scopeId = source.via ? `${resource.id}/${source.via}` : resource.id;
      const { settings, undecided } = finalSettings(
        diagnosticSettingsByScope(environment).get(scopeId.toLowerCase()) ?? [],
        source,
        environment,
      );
      return judgeAuditSettings(settings, source, undecided);
    },
  },
];

const notTrue = (value: unknown) => value !== true;

export const registryControls: Control[] = [
  propertyControl({
    id: 'registry.admin-disabled',
    title: 'Registry admin user is off',
    severity: 'required',
    hipaa: ['164.312(a)(1)'],
    appliesTo: REGISTRY,
    remediation: "Set properties.adminUserEnabled to false; pull with the app's managed identity (AcrPull) instead.",
    path: ['properties', 'adminUserEnabled'],
    expected: 'false',
    valueType: 'boolean',
    complies: notTrue,
    whenAbsent: () => pass('adminUserEnabled is not set; the admin user is off by default', ['properties', 'adminUserEnabled']),
  }),
  propertyControl({
    id: 'registry.anonymous-pull-disabled',
    title: 'Registry allows no anonymous pull',
    severity: 'required',
    hipaa: ['164.312(a)(1)'],
    appliesTo: REGISTRY,
    remediation: 'Set properties.anonymousPullEnabled to false.',
    path: ['properties', 'anonymousPullEnabled'],
    expected: 'false',
    valueType: 'boolean',
    complies: notTrue,
    whenAbsent: () => pass('anonymousPullEnabled is not set; anonymous pull is off by default', ['properties', 'anonymousPullEnabled']),
  }),
  publicNetworkControl('registry.public-network', REGISTRY, ['164.312(a)(1)'], 'registry.sku: Premium'),
];

/** What a check says of an entry it cannot judge: a value unknown offline or of the wrong type. */
const UNDECIDED = Symbol('undecided');

/** A text property of an entry: its value, absent (undefined), or UNDECIDED when unknown or not text. */
function textIn(entry: unknown, key: string): string | undefined | typeof UNDECIDED {
  const value = valueAt(entry, [key]);
  if (value.kind === 'absent') return undefined;
  return value.kind === 'known' && typeof value.value === 'string' ? value.value : UNDECIDED;
}

/** Every entry of an array property passes `check`; none or absent passes; a list of the wrong type is unknown. */
function everyEntry(
  resource: JudgedResource,
  path: string[],
  what: string,
  check: (entry: Record<string, unknown>) => string | undefined | typeof UNDECIDED,
): ControlResult {
  const entries = read(resource, path);
  if (entries.kind === 'unknown') return unknown(`${what} cannot be known offline (${entries.reason})`, path);
  if (entries.kind === 'absent') return pass(`no ${what}`, path);
  if (!Array.isArray(entries.value) || entries.value.some((entry) => entry === null || typeof entry !== 'object' || Array.isArray(entry)))
    return unknown(
      `${what} is ${JSON.stringify(entries.value).slice(0, 80)}, not a list of entries; what Azure does with it is not documented`,
      path,
    );
  if (entries.value.length === 0) return pass(`no ${what}`, path);
  let undecided: ControlResult | undefined;
  for (const [index, entry] of entries.value.entries()) {
    const problem = check(entry as Record<string, unknown>);
    if (problem === UNDECIDED)
      undecided ??= unknown(`${what}[${index}] cannot be judged offline (a value is unknown or of the wrong type)`, [...path, index]);
    else if (problem) return fail(`${what}[${index}] ${problem}`, [...path, index]);
  }
  return undecided ?? pass(`all ${entries.value.length} ${what} comply`, path);
}

export const containerAppControls: Control[] = [
  propertyControl({
    id: 'containerapp.https-only',
    title: 'Container App ingress redirects HTTP to HTTPS',
    severity: 'required',
    hipaa: ['164.312(e)(1)'],
    appliesTo: CONTAINER_APP,
    remediation: 'Set properties.configuration.ingress.allowInsecure to false.',
    path: ['properties', 'configuration', 'ingress', 'allowInsecure'],
    expected: 'false',
    valueType: 'boolean',
    complies: notTrue,
    whenAbsent: () =>
      pass('ingress.allowInsecure is not set (or there is no ingress); HTTP is redirected by default', [
        'properties',
        'configuration',
        'ingress',
      ]),
  }),
  {
    id: 'containerapp.managed-identity',
    title: 'Container App has a managed identity',
    severity: 'required',
    hipaa: ['164.312(a)(1)'],
    appliesTo: CONTAINER_APP,
    remediation: 'Give the app identity.type "UserAssigned" (config: identity.name) or "SystemAssigned".',
    evaluate(app) {
      if (!app) return notApplicable('no resource');
      const type = read(app, ['identity', 'type']);
      if (type.kind === 'unknown') return unknown(`identity.type cannot be known offline (${type.reason})`, ['identity', 'type']);
      return type.kind === 'known' && typeof type.value === 'string' && /(system|user)assigned/i.test(type.value)
        ? pass(`identity.type is ${type.value}`, ['identity', 'type'])
        : fail(`identity.type is ${type.kind === 'known' ? JSON.stringify(type.value) : 'not set'}; the app needs a managed identity`, [
            'identity',
          ]);
    },
  },
  {
    id: 'containerapp.registry-identity',
    title: 'Container App pulls images with its identity, not a password',
    severity: 'required',
    hipaa: ['164.312(a)(1)'],
    appliesTo: CONTAINER_APP,
    remediation:
      "Give each properties.configuration.registries entry an identity (the app's user-assigned identity id, holding AcrPull) and no passwordSecretRef.",
    evaluate: (app) =>
      app
        ? everyEntry(app, ['properties', 'configuration', 'registries'], 'registries', (r) => {
            const password = textIn(r, 'passwordSecretRef');
            const identity = textIn(r, 'identity');
            if (password) return password === UNDECIDED ? UNDECIDED : 'uses a password secret';
            return identity === UNDECIDED ? UNDECIDED : !identity ? 'has no identity' : undefined;
          })
        : notApplicable('no resource'),
  },
  {
    id: 'containerapp.secrets-from-keyvault',
    title: 'Container App secrets are Key Vault references',
    severity: 'required',
    hipaa: ['164.312(a)(2)(iv)'],
    appliesTo: CONTAINER_APP,
    remediation:
      'Give each properties.configuration.secrets entry a keyVaultUrl and identity instead of an inline value (config: containerApp.secrets).',
    evaluate: (app) =>
      app
        ? everyEntry(app, ['properties', 'configuration', 'secrets'], 'secrets', (s) => {
            if (valueAt(s, ['value']).kind !== 'absent') return 'has an inline value';
            const url = textIn(s, 'keyVaultUrl');
            return url === UNDECIDED ? UNDECIDED : !url ? 'has no keyVaultUrl' : undefined;
          })
        : notApplicable('no resource'),
  },
  propertyControl({
    id: 'containerapp.min-replicas',
    title: 'Container App keeps at least one replica running',
    severity: 'advisory',
    hipaa: ['164.308(a)(7)(ii)(C)'],
    appliesTo: CONTAINER_APP,
    remediation: 'Set properties.template.scale.minReplicas to 1 or more (config: containerApp.minReplicas).',
    path: ['properties', 'template', 'scale', 'minReplicas'],
    expected: '1 or more',
    valueType: 'number',
    complies: (value) => typeof value === 'number' && value >= 1,
    whenAbsent: absentFails(['properties', 'template', 'scale', 'minReplicas'], '1 or more (the default is 0)'),
  }),
];

/** Whether a diagnostic setting sends at least one log category or group, enabled, to a workspace; undefined when that cannot be known. */
function sendsLogsToWorkspace(setting: JudgedResource): boolean | undefined {
  const workspace = read(setting, ['properties', 'workspaceId']);
  const logs = read(setting, ['properties', 'logs']);
  if (workspace.kind === 'absent' || (workspace.kind === 'known' && (typeof workspace.value !== 'string' || workspace.value === '')))
    return false;
  if (logs.kind === 'absent') return false;
  if (logs.kind === 'unknown' || !Array.isArray(logs.value)) return undefined;
  const states = logs.value
    .filter((entry) => valueAt(entry, ['category']).kind !== 'absent' || valueAt(entry, ['categoryGroup']).kind !== 'absent')
    .map((entry) => valueAt(entry, ['enabled']));
  if (states.some((state) => state.kind === 'known' && state.value === true)) return workspace.kind === 'unknown' ? undefined : true;
  return states.some((state) => state.kind === 'unknown' || (state.kind === 'known' && typeof state.value !== 'boolean'))
    ? undefined
    : false;
}

export const environmentControls: Control[] = [
  {
    id: 'environment.logs',
    title: 'Container Apps environment sends app logs to Log Analytics',
    severity: 'required',
    hipaa: ['164.312(b)'],
    appliesTo: ['Microsoft.App/managedEnvironments'],
    remediation:
      'Set properties.appLogsConfiguration.destination to "azure-monitor" with a diagnostic setting to the workspace, or to "log-analytics" with logAnalyticsConfiguration.',
    evaluate(environmentResource, { environment }) {
      if (!environmentResource) return notApplicable('no resource');
      const path = ['properties', 'appLogsConfiguration', 'destination'];
      const destination = read(environmentResource, path);
      if (destination.kind === 'unknown')
        return unknown(`appLogsConfiguration.destination cannot be known offline (${destination.reason})`, path);
      if (destination.kind === 'known' && typeof destination.value !== 'string')
        return unknown(`appLogsConfiguration.destination is ${JSON.stringify(destination.value)}, not text`, path);
      if (destination.kind === 'known' && equalsIgnoringCase('log-analytics')(destination.value)) {
        const customer = read(environmentResource, ['properties', 'appLogsConfiguration', 'logAnalyticsConfiguration', 'customerId']);
        return customer.kind === 'absent'
          ? fail('destination is log-analytics but logAnalyticsConfiguration.customerId is not set', path)
          : pass('app logs go to Log Analytics', path);
      }
      if (destination.kind === 'known' && equalsIgnoringCase('azure-monitor')(destination.value)) {
        const settings = diagnosticSettingsByScope(environment).get(environmentResource.id.toLowerCase()) ?? [];
        const sent = settings.map(sendsLogsToWorkspace);
        if (sent.includes(true))
          return pass('app logs go to Azure Monitor and a diagnostic setting sends a log category to Log Analytics', path);
        if (sent.includes(undefined))
          return unknown(
            'whether a diagnostic setting on the environment sends a log category to a workspace cannot be known offline',
            path,
          );
        return fail('destination is azure-monitor but no diagnostic setting sends a log category (enabled: true) to a workspace', path);
      }
      return fail(
        `appLogsConfiguration.destination is ${destination.kind === 'known' ? JSON.stringify(destination.value) : 'not set'}; app logs are not kept`,
        path,
      );
    },
  },
];
