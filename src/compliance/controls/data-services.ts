import type { Control, ControlResult } from '../control.js';
import type { JudgedResource } from '../../arm/deployed.js';
import { childrenOfType, pathText, read, shortName, type PropertyValue } from './access.js';
import {
  absentDefaultsFrom,
  absentPassesFromDate,
  absentFails,
  durationDays,
  equalsIgnoringCase,
  fail,
  judgeLastDeclared,
  judgeWriters,
  notApplicable,
  pass,
  propertyControl,
  publicNetworkControl,
  tlsAtLeast12,
  unknown,
  type PlatformMinimum,
  type SettingWriter,
} from './rules.js';

const KEY_VAULT = ['Microsoft.KeyVault/vaults'];
const COSMOS = ['Microsoft.DocumentDB/databaseAccounts'];
const SQL_SERVER = ['Microsoft.Sql/servers'];
const SQL_DATABASE = ['Microsoft.Sql/servers/databases'];
const isTrue = (value: unknown) => value === true;

export const keyVaultControls: Control[] = [
  propertyControl({
    id: 'keyvault.purge-protection',
    title: 'Key Vault purge protection is on',
    severity: 'required',
    hipaa: ['164.308(a)(7)(ii)(A)', '164.312(c)(1)'],
    appliesTo: KEY_VAULT,
    remediation: 'Set properties.enablePurgeProtection to true (irreversible; the renderer always sets it).',
    path: ['properties', 'enablePurgeProtection'],
    expected: 'true',
    valueType: 'boolean',
    complies: isTrue,
    whenAbsent: absentFails(['properties', 'enablePurgeProtection'], 'true'),
  }),
  {
    id: 'keyvault.soft-delete',
    title: 'Key Vault soft delete keeps deleted secrets long enough',
    severity: 'required',
    hipaa: ['164.308(a)(7)(ii)(A)'],
    appliesTo: KEY_VAULT,
    remediation:
      'Leave properties.enableSoftDelete unset or true and set properties.softDeleteRetentionInDays to 90 (config: keyVault.softDeleteRetentionInDays). Retention is fixed when the vault is created.',
    evaluate(resource, { policy }) {
      if (!resource) return notApplicable('no resource');
      const enabled = read(resource, ['properties', 'enableSoftDelete']);
      if (enabled.kind === 'unknown')
        return unknown(`properties.enableSoftDelete cannot be known offline (${enabled.reason})`, ['properties', 'enableSoftDelete']);
      if (enabled.kind === 'known' && enabled.value === false)
        return fail('properties.enableSoftDelete is false', ['properties', 'enableSoftDelete']);
      if (enabled.kind === 'known' && typeof enabled.value !== 'boolean')
        return unknown(`properties.enableSoftDelete is ${JSON.stringify(enabled.value)}, not a boolean`, [
          'properties',
          'enableSoftDelete',
        ]);
      const path = ['properties', 'softDeleteRetentionInDays'];
      const days = read(resource, path);
      if (days.kind === 'unknown') return unknown(`properties.softDeleteRetentionInDays cannot be known offline (${days.reason})`, path);
      if (days.kind === 'known' && typeof days.value !== 'number')
        return unknown(`properties.softDeleteRetentionInDays is ${JSON.stringify(days.value)}, not a number`, path);
      const value = days.kind === 'absent' ? 90 : Number(days.value);
      const what = days.kind === 'absent' ? 'not set (default 90)' : String(value);
      return value >= policy.minKeyVaultRetentionDays
        ? pass(`soft delete is on; retention is ${what} days`, path)
        : fail(`softDeleteRetentionInDays is ${what}; the policy needs at least ${policy.minKeyVaultRetentionDays}`, path);
    },
  },
  propertyControl({
    id: 'keyvault.rbac',
    title: 'Key Vault uses Azure RBAC, not access policies',
    severity: 'required',
    hipaa: ['164.312(a)(1)'],
    appliesTo: KEY_VAULT,
    remediation: 'Set properties.enableRbacAuthorization to true and grant "Key Vault Secrets User" to readers instead of access policies.',
    path: ['properties', 'enableRbacAuthorization'],
    expected: 'true',
    valueType: 'boolean',
    complies: isTrue,
    whenAbsent: absentDefaultsFrom(['properties', 'enableRbacAuthorization'], '2026-02-01', 'true', 'true'),
  }),
  publicNetworkControl('keyvault.public-network', KEY_VAULT, ['164.312(a)(1)', '164.312(e)(1)'], ''),
];

export const cosmosControls: Control[] = [
  propertyControl({
    id: 'cosmos.continuous-backup',
    title: 'Cosmos DB has continuous backup (point-in-time restore)',
    severity: 'required',
    hipaa: ['164.308(a)(7)(ii)(A)'],
    appliesTo: COSMOS,
    remediation: 'Set properties.backupPolicy.type to "Continuous" (config: cosmos.continuousBackupTier).',
    path: ['properties', 'backupPolicy', 'type'],
    expected: '"Continuous"',
    valueType: 'string',
    complies: equalsIgnoringCase('Continuous'),
    whenAbsent: absentFails(['properties', 'backupPolicy', 'type'], '"Continuous" (the default is Periodic)'),
  }),
  propertyControl({
    id: 'cosmos.local-auth-disabled',
    title: 'Cosmos DB accepts Entra ID only, not account keys',
    severity: 'required',
    hipaa: ['164.312(a)(1)', '164.312(d)'],
    appliesTo: COSMOS,
    remediation: 'Set properties.disableLocalAuth to true and give the app a Cosmos DB data-plane role assignment.',
    path: ['properties', 'disableLocalAuth'],
    expected: 'true',
    valueType: 'boolean',
    complies: isTrue,
    whenAbsent: absentFails(['properties', 'disableLocalAuth'], 'true'),
  }),
  propertyControl({
    id: 'cosmos.metadata-write-locked',
    title: 'Cosmos DB metadata cannot be changed with account keys',
    severity: 'required',
    hipaa: ['164.312(b)'],
    appliesTo: COSMOS,
    remediation:
      'Set properties.disableKeyBasedMetadataWriteAccess to true so databases and containers change only through Azure Resource Manager, where it is audited.',
    path: ['properties', 'disableKeyBasedMetadataWriteAccess'],
    expected: 'true',
    valueType: 'boolean',
    complies: isTrue,
    whenAbsent: absentFails(['properties', 'disableKeyBasedMetadataWriteAccess'], 'true'),
  }),
  propertyControl({
    id: 'cosmos.tls',
    title: 'Cosmos DB requires TLS 1.2 or newer',
    severity: 'required',
    hipaa: ['164.312(e)(1)'],
    appliesTo: COSMOS,
    remediation: 'Set properties.minimalTlsVersion to "Tls12".',
    path: ['properties', 'minimalTlsVersion'],
    expected: '"Tls12" or newer',
    valueType: 'string',
    complies: tlsAtLeast12,
    // Accounts created before 2023 default to TLS 1.0; the API version does not tell the account's age, so absent is not enough.
    whenAbsent: absentFails(['properties', 'minimalTlsVersion'], '"Tls12" (the default depends on when the account was created)'),
  }),
  publicNetworkControl('cosmos.public-network', COSMOS, ['164.312(a)(1)'], ''),
];

/** A server child such as `auditingSettings`, in either of the types ARM accepts. */
function serverSettings(server: JudgedResource, ...types: string[]): JudgedResource[] {
  return types.flatMap((type) => childrenOfType(server, `Microsoft.Sql/servers/${type}`));
}

const notMaster = (resource: JudgedResource) => shortName(resource).toLowerCase() !== 'master';

export const sqlControls: Control[] = [
  {
    id: 'sql.auditing',
    title: 'SQL server auditing is on, with a destination',
    severity: 'required',
    hipaa: ['164.312(b)'],
    appliesTo: SQL_SERVER,
    remediation:
      'Add a Microsoft.Sql/servers/auditingSettings child named "default" with state "Enabled" and isAzureMonitorTargetEnabled true (plus a diagnostic setting on the master database for SQLSecurityAuditEvents), and no auditingSettings or extendedAuditingSettings that disables it. Audit at server level only.',
    evaluate(server, { environment }) {
      if (!server) return notApplicable('no resource');
      // Both child types write the server's one auditing policy: every one of them is read.
      const writers = serverSettings(server, 'auditingSettings', 'extendedAuditingSettings').map((setting): SettingWriter => {
        const state = read(setting, ['properties', 'state']);
        const monitor = read(setting, ['properties', 'isAzureMonitorTargetEnabled']);
        // A storage endpoint built with reference() is a destination all the same: only its URL is unknown offline.
        const storage = read(setting, ['properties', 'storageEndpoint']);
        const destination =
          (monitor.kind === 'known' && monitor.value === true) ||
          storage.kind === 'unknown' ||
          (storage.kind === 'known' && typeof storage.value === 'string' && storage.value !== '');
        let on: boolean | undefined;
        if (state.kind === 'unknown' || (state.kind === 'known' && typeof state.value !== 'string')) on = undefined;
        else if (!(state.kind === 'known' && equalsIgnoringCase('Enabled')(state.value))) on = false;
        else if (destination) on = true;
        else on = monitor.kind === 'unknown' ? undefined : false;
        return { resource: setting, label: `${setting.type.split('/').at(-1)}/${shortName(setting)}`, on };
      });
      if (writers.length === 0) return fail('the server has no auditingSettings child');
      const judged = judgeWriters(writers, environment, 'server auditing with a destination') as ControlResult;
      return judged.status === 'fail'
        ? fail(`${judged.message} (state must be "Enabled" with isAzureMonitorTargetEnabled true or a storageEndpoint)`)
        : judged;
    },
  },
  {
    id: 'sql.threat-protection',
    title: 'Microsoft Defender for SQL (advanced threat protection) is on',
    severity: 'required',
    hipaa: ['164.308(a)(1)(ii)(D)', '164.308(a)(6)(ii)'],
    appliesTo: SQL_SERVER,
    remediation:
      'Add a Microsoft.Sql/servers/advancedThreatProtectionSettings child "Default" with state "Enabled", and no securityAlertPolicies that disables it or any alert type (the guide\'s `az sql db threat-policy` is deprecated).',
    evaluate(server, { environment }) {
      if (!server) return notApplicable('no resource');
      // advancedThreatProtectionSettings and the older securityAlertPolicies write the same Defender setting.
      const writers = serverSettings(server, 'advancedThreatProtectionSettings', 'securityAlertPolicies').map((setting): SettingWriter => {
        const state = read(setting, ['properties', 'state']);
        const disabled = read(setting, ['properties', 'disabledAlerts']);
        const alertsOff = disabled.kind === 'known' && Array.isArray(disabled.value) && disabled.value.some((alert) => alert !== '');
        // A list of alert types written as anything but a list of text is of the wrong type: what Azure does with it is unknown.
        const disabledMistyped =
          disabled.kind === 'known' && (!Array.isArray(disabled.value) || disabled.value.some((alert) => typeof alert !== 'string'));
        const on =
          state.kind !== 'known' || typeof state.value !== 'string' || disabled.kind === 'unknown' || disabledMistyped
            ? undefined
            : equalsIgnoringCase('Enabled')(state.value) && !alertsOff;
        return {
          resource: setting,
          label: `${setting.type.split('/').at(-1)}/${shortName(setting)}`,
          on: state.kind === 'absent' ? false : on,
        };
      });
      if (writers.length === 0) return fail('the server has neither advancedThreatProtectionSettings nor securityAlertPolicies');
      return judgeWriters(writers, environment, 'threat protection with every alert type') as ControlResult;
    },
  },
  {
    id: 'sql.tde',
    title: 'SQL database transparent data encryption is on',
    severity: 'required',
    hipaa: ['164.312(a)(2)(iv)'],
    appliesTo: SQL_DATABASE,
    remediation: 'Add a Microsoft.Sql/servers/databases/transparentDataEncryption child "current" with state "Enabled".',
    evaluate(database, { environment }) {
      if (!database || !notMaster(database)) return notApplicable('the master database is encrypted by Azure');
      const settings = childrenOfType(database, 'Microsoft.Sql/servers/databases/transparentDataEncryption');
      if (settings.length === 0) {
        return environment.input.kind === 'live'
          ? unknown("the database's transparentDataEncryption setting was not read")
          : pass('no transparentDataEncryption child: new databases are encrypted by default');
      }
      return judgeLastDeclared(settings, environment, 'transparentDataEncryption', (setting) => {
        // Older api-versions of transparentDataEncryption call the property `status`.
        const current = read(setting, ['properties', 'state']);
        const state = current.kind === 'absent' ? read(setting, ['properties', 'status']) : current;
        if (state.kind === 'unknown') return unknown(`transparentDataEncryption state cannot be known offline (${state.reason})`);
        return state.kind === 'known' && equalsIgnoringCase('Enabled')(state.value)
          ? pass('transparent data encryption is Enabled')
          : fail(
              `transparentDataEncryption state is ${JSON.stringify(state.kind === 'known' ? state.value : 'not set')}; it must be "Enabled"`,
            );
      });
    },
  },
  propertyControl({
    id: 'sql.tls',
    title: 'SQL server requires TLS 1.2 or newer',
    severity: 'required',
    hipaa: ['164.312(e)(1)'],
    appliesTo: SQL_SERVER,
    remediation: 'Set properties.minimalTlsVersion to "1.2".',
    path: ['properties', 'minimalTlsVersion'],
    expected: '"1.2" or newer',
    valueType: 'string',
    complies: tlsAtLeast12,
    whenAbsent: absentFails(['properties', 'minimalTlsVersion'], '"1.2"'),
  }),
  {
    id: 'sql.entra-only-auth',
    title: 'SQL server accepts Microsoft Entra authentication only',
    severity: 'required',
    hipaa: ['164.312(a)(1)', '164.312(d)'],
    appliesTo: SQL_SERVER,
    remediation:
      'Set properties.administrators.azureADOnlyAuthentication to true with an Entra administrator (config: sql.entraAdmin), use no SQL admin password, and declare no azureADOnlyAuthentications child that sets it false.',
    evaluate(server, { environment }) {
      if (!server) return notApplicable('no resource');
      const path = ['properties', 'administrators', 'azureADOnlyAuthentication'];
      const booleanOf = (value: PropertyValue) =>
        value.kind === 'known' ? (typeof value.value === 'boolean' ? value.value : undefined) : undefined;
      // The server's administrators block and an azureADOnlyAuthentications child write the same setting; the child is applied after the server.
      const inline = read(server, path);
      const writers: SettingWriter[] = [
        ...(inline.kind === 'absent'
          ? []
          : [{ resource: server, label: 'administrators.azureADOnlyAuthentication', on: booleanOf(inline) }]),
        ...childrenOfType(server, 'Microsoft.Sql/servers/azureADOnlyAuthentications').map((child): SettingWriter => {
          const value = read(child, ['properties', 'azureADOnlyAuthentication']);
          return { resource: child, label: `azureADOnlyAuthentications/${shortName(child)}`, on: booleanOf(value) };
        }),
      ];
      if (writers.length === 0) return fail(`${pathText(path)} is not set; it must be true`, path);
      return { ...(judgeWriters(writers, environment, 'Entra-only authentication') as ControlResult), path };
    },
  },
  {
    id: 'sql.long-term-retention',
    title: 'SQL long-term retention keeps yearly backups for six years or more',
    severity: 'required',
    hipaa: ['164.308(a)(7)(ii)(A)', '164.316(b)(2)'],
    appliesTo: SQL_DATABASE,
    remediation:
      'Add a Microsoft.Sql/servers/databases/backupLongTermRetentionPolicies child "default" with yearlyRetention "P7Y" and weekOfYear 1 (config: sql.longTermRetention.yearlyRetention).',
    evaluate(database, { policy, environment }) {
      if (!database || !notMaster(database)) return notApplicable('the master database has no long-term retention');
      const minimum = durationDays(policy.minSqlYearlyRetention) ?? 2190;
      const policies = childrenOfType(database, 'Microsoft.Sql/servers/databases/backupLongTermRetentionPolicies');
      if (policies.length === 0)
        return fail(
          `the database has no backupLongTermRetentionPolicies child; yearly backups must be kept ${policy.minSqlYearlyRetention} or longer`,
        );
      return judgeLastDeclared(policies, environment, 'backupLongTermRetentionPolicies', (retention) => {
        const yearly = read(retention, ['properties', 'yearlyRetention']);
        if (yearly.kind === 'unknown') return unknown(`yearlyRetention cannot be known offline (${yearly.reason})`);
        const days = yearly.kind === 'known' && typeof yearly.value === 'string' ? durationDays(yearly.value) : undefined;
        const shown = yearly.kind === 'known' ? JSON.stringify(yearly.value) : 'not set';
        if (days === undefined || days === 0)
          return fail(`yearlyRetention is ${shown}; it must be ${policy.minSqlYearlyRetention} or longer`);
        return days >= minimum
          ? pass(`yearly backups are kept ${shown}`)
          : fail(`yearlyRetention is ${shown}; it must be ${policy.minSqlYearlyRetention} or longer`);
      });
    },
  },
  publicNetworkControl('sql.public-network', SQL_SERVER, ['164.312(a)(1)'], ''),
];

const LEGACY_REDIS = 'Microsoft.Cache/redis';
const MANAGED_REDIS = 'Microsoft.Cache/redisEnterprise';
const MANAGED_REDIS_DATABASE = 'Microsoft.Cache/redisEnterprise/databases';
const isLegacy = (resource: JudgedResource) => resource.type.toLowerCase() === LEGACY_REDIS.toLowerCase();

/** Azure Cache for Redis refuses TLS 1.0 and 1.1 on every cache from this date ("What are the configuration settings for TLS?", learn.microsoft.com). */
const REDIS_TLS_12: PlatformMinimum = {
  since: '2024-11-01',
  what: 'TLS 1.2 or newer',
  source: 'Microsoft retired TLS 1.0 and 1.1 on Azure Cache for Redis',
};

export const redisControls: Control[] = [
  {
    id: 'redis.tls-only',
    title: 'Redis accepts TLS connections only',
    severity: 'required',
    hipaa: ['164.312(e)(1)'],
    appliesTo: [LEGACY_REDIS, MANAGED_REDIS_DATABASE],
    remediation:
      'Managed Redis: set the database\'s properties.clientProtocol to "Encrypted". Azure Cache for Redis: set properties.enableNonSslPort to false.',
    evaluate(resource, context) {
      if (!resource) return notApplicable('no resource');
      return isLegacy(resource)
        ? propertyControl({
            ...this,
            path: ['properties', 'enableNonSslPort'],
            expected: 'false',
            valueType: 'boolean',
            complies: (v) => v === false,
            whenAbsent: () => pass('enableNonSslPort is not set; the non-TLS port is closed by default'),
          }).evaluate(resource, context)
        : propertyControl({
            ...this,
            path: ['properties', 'clientProtocol'],
            expected: '"Encrypted"',
            valueType: 'string',
            complies: equalsIgnoringCase('Encrypted'),
            whenAbsent: () => pass('clientProtocol is not set; Managed Redis defaults to Encrypted'),
          }).evaluate(resource, context);
    },
  },
  propertyControl({
    id: 'redis.min-tls',
    title: 'Redis requires TLS 1.2 or newer',
    severity: 'required',
    hipaa: ['164.312(e)(1)'],
    appliesTo: [LEGACY_REDIS, MANAGED_REDIS],
    remediation: 'Set properties.minimumTlsVersion to "1.2".',
    path: ['properties', 'minimumTlsVersion'],
    expected: '"1.2" or newer',
    valueType: 'string',
    complies: tlsAtLeast12,
    whenAbsent: (resource, context) =>
      isLegacy(resource)
        ? absentPassesFromDate(['properties', 'minimumTlsVersion'], REDIS_TLS_12, () =>
            fail('properties.minimumTlsVersion is not set; set it to "1.2"', ['properties', 'minimumTlsVersion']),
          )(resource, context)
        : absentDefaultsFrom(['properties', 'minimumTlsVersion'], '2025-07-01', '"1.2"', '"1.2"')(resource),
  }),
  {
    id: 'redis.entra-auth',
    title: 'Redis access keys are off (Entra ID authentication)',
    severity: 'required',
    hipaa: ['164.312(a)(1)', '164.312(d)'],
    appliesTo: [LEGACY_REDIS, MANAGED_REDIS_DATABASE],
    remediation:
      'Managed Redis: set the database\'s properties.accessKeysAuthentication to "Disabled" and add an access policy assignment for the app\'s identity. Azure Cache for Redis: set properties.disableAccessKeyAuthentication to true.',
    evaluate(resource, context) {
      if (!resource) return notApplicable('no resource');
      return isLegacy(resource)
        ? propertyControl({
            ...this,
            path: ['properties', 'disableAccessKeyAuthentication'],
            expected: 'true',
            valueType: 'boolean',
            complies: isTrue,
            whenAbsent: absentFails(['properties', 'disableAccessKeyAuthentication'], 'true'),
          }).evaluate(resource, context)
        : propertyControl({
            ...this,
            path: ['properties', 'accessKeysAuthentication'],
            expected: '"Disabled"',
            valueType: 'string',
            complies: equalsIgnoringCase('Disabled'),
            whenAbsent: absentFails(['properties', 'accessKeysAuthentication'], '"Disabled"'),
          }).evaluate(resource, context);
    },
  },
  publicNetworkControl('redis.public-network', [LEGACY_REDIS, MANAGED_REDIS], ['164.312(a)(1)'], ''),
];
