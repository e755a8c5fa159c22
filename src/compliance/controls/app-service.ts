import type { Control, ControlResult } from '../control.js';
import type { JudgedResource } from '../../arm/deployed.js';
import { childrenOfType, pathText, read, shortName, valueAt, type PropertyValue } from './access.js';
import {
  absentDefaultsFrom,
  absentFails,
  absentPassesFromDate,
  equalsIgnoringCase,
  fail,
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

const SITE = ['Microsoft.Web/sites'];
const SITE_CONFIG = 'Microsoft.Web/sites/config';

/** The site's `config` child of one name (`web`, `appsettings`, `connectionstrings`): ARM applies it after the site. */
function configChildren(site: JudgedResource, name: string): JudgedResource[] {
  return childrenOfType(site, SITE_CONFIG).filter((child) => shortName(child).toLowerCase() === name);
}

/**
 * A siteConfig setting: written by the site's `properties.siteConfig` and by its `config/web` child
 * (whose properties are a siteConfig). Every writer is read (the several-writers rule).
 */
function siteConfigWriters(site: JudgedResource, key: string, on: (value: unknown) => boolean | undefined): SettingWriter[] {
  const judge = (value: PropertyValue): boolean | undefined => (value.kind === 'known' ? on(value.value) : undefined);
  const inline = read(site, ['properties', 'siteConfig', key]);
  return [
    ...(inline.kind === 'absent' ? [] : [{ resource: site, label: `properties.siteConfig.${key}`, on: judge(inline) }]),
    ...configChildren(site, 'web').flatMap((child): SettingWriter[] => {
      const value = read(child, ['properties', key]);
      return value.kind === 'absent' ? [] : [{ resource: child, label: `config/web ${key}`, on: judge(value) }];
    }),
  ];
}

/** Names of settings that hold a credential by convention. */
const SECRET_NAME = /pass(word)?|pwd|secret|token|(^|[_\-.])key($|[_\-.])|apikey|accountkey|accesskey|connectionstring|credential/i;
/** Application Insights' instrumentation key and connection string identify where telemetry goes; Microsoft documents them as not secret. */
const NOT_SECRET = new Set(['appinsights_instrumentationkey', 'applicationinsights_connection_string']);
/** Parts of a connection string that carry a credential. */
const CREDENTIAL_PART = /(password|pwd|accountkey|sharedaccesskey|accesskey)\s*=/i;
const KEY_VAULT_REFERENCE = /^@Microsoft\.KeyVault\(/i;

/** What one app setting or connection string holds: undefined when it is fine, else the finding. */
function judgeSetting(name: string, value: PropertyValue, connectionString: boolean): ControlResult | undefined {
  if (value.kind === 'absent') return undefined;
  if (!connectionString && (!SECRET_NAME.test(name) || NOT_SECRET.has(name.toLowerCase()))) return undefined;
  if (value.kind === 'unknown')
    return unknown(`${name} is set from a value that cannot be known offline (${value.reason}); it may hold a secret`);
  if (typeof value.value !== 'string')
    return unknown(`${name} is ${JSON.stringify(value.value)}, not text; what Azure does with it is not documented`);
  if (KEY_VAULT_REFERENCE.test(value.value.trim()) || value.value === '') return undefined;
  if (connectionString && !CREDENTIAL_PART.test(value.value)) return undefined;
  return fail(`${name} holds a secret written into the template; make it a Key Vault reference (@Microsoft.KeyVault(SecretUri=...))`);
}

/** Every app setting and connection string the site and its config children write, as [name, value, is connection string]. */
function settingsOf(site: JudgedResource): ControlResult | [string, PropertyValue, boolean][] {
  const entries: [string, PropertyValue, boolean][] = [];
  const lists: [string[], string, boolean][] = [
    [['properties', 'siteConfig', 'appSettings'], 'value', false],
    [['properties', 'siteConfig', 'connectionStrings'], 'connectionString', true],
  ];
  for (const [path, valueKey, connection] of lists) {
    const list = read(site, path);
    if (list.kind === 'unknown') return unknown(`${pathText(path)} cannot be known offline (${list.reason})`, path);
    if (list.kind === 'absent') continue;
    if (!Array.isArray(list.value))
      return unknown(`${pathText(path)} is ${JSON.stringify(list.value)}, not a list of {name, ${valueKey}}`, path);
    for (const [index, entry] of list.value.entries()) {
      const name = valueAt(entry, ['name']);
      if (name.kind !== 'known' || typeof name.value !== 'string')
        return unknown(`${pathText(path)}[${index}] has a name that cannot be known offline`, [...path, index]);
      entries.push([name.value, valueAt(entry, [valueKey]), connection]);
    }
  }
  for (const [child, connection] of [
    ...configChildren(site, 'appsettings').map((c) => [c, false] as const),
    ...configChildren(site, 'connectionstrings').map((c) => [c, true] as const),
  ]) {
    const properties = read(child, ['properties']);
    if (properties.kind === 'unknown') return unknown(`config/${shortName(child)} cannot be known offline (${properties.reason})`);
    if (properties.kind === 'absent') continue;
    if (properties.value === null || typeof properties.value !== 'object' || Array.isArray(properties.value))
      return unknown(`config/${shortName(child)} properties are not an object of settings`);
    for (const name of Object.keys(properties.value))
      entries.push([name, valueAt(properties.value, connection ? [name, 'value'] : [name]), connection]);
  }
  return entries;
}

const ftpsOn = (value: unknown) =>
  typeof value !== 'string' ? undefined : equalsIgnoringCase('FtpsOnly')(value) || equalsIgnoringCase('Disabled')(value);

export const appServiceControls: Control[] = [
  propertyControl({
    id: 'appservice.https-only',
    title: 'App Service accepts HTTPS only',
    severity: 'required',
    hipaa: ['164.312(e)(1)'],
    appliesTo: SITE,
    remediation: 'Set properties.httpsOnly to true on the site (web app or function app).',
    path: ['properties', 'httpsOnly'],
    expected: 'true',
    valueType: 'boolean',
    complies: (value) => value === true,
    whenAbsent: absentFails(['properties', 'httpsOnly'], 'true (the default is false: HTTP is served)'),
  }),
  {
    id: 'appservice.min-tls',
    title: 'App Service requires TLS 1.2 or newer',
    severity: 'required',
    hipaa: ['164.312(e)(1)'],
    appliesTo: SITE,
    remediation: 'Set properties.siteConfig.minTlsVersion to "1.2" (and no config/web child that lowers it).',
    evaluate(site, { environment }) {
      if (!site) return notApplicable('no resource');
      const writers = siteConfigWriters(site, 'minTlsVersion', (value) => (typeof value === 'string' ? tlsAtLeast12(value) : undefined));
      if (writers.length === 0) return pass('minTlsVersion is not set; App Service sets new apps to TLS 1.2 by default');
      return judgeWriters(writers, environment, 'a minimum of TLS 1.2') as ControlResult;
    },
  },
  {
    id: 'appservice.ftps',
    title: 'App Service allows FTPS only, or no FTP',
    severity: 'required',
    hipaa: ['164.312(e)(1)'],
    appliesTo: SITE,
    remediation: 'Set properties.siteConfig.ftpsState to "Disabled" (or "FtpsOnly" where FTP deployment is needed).',
    evaluate(site, { environment }) {
      if (!site) return notApplicable('no resource');
      const writers = siteConfigWriters(site, 'ftpsState', ftpsOn);
      if (writers.length === 0)
        return unknown('ftpsState is not set, and Microsoft documents no default for apps deployed through Resource Manager: set it', [
          'properties',
          'siteConfig',
        ]);
      return judgeWriters(writers, environment, 'FTPS only (or FTP disabled)') as ControlResult;
    },
  },
  {
    id: 'appservice.managed-identity',
    title: 'App Service app has a managed identity',
    severity: 'required',
    hipaa: ['164.312(a)(1)'],
    appliesTo: SITE,
    remediation: 'Give the site identity.type "SystemAssigned" or "UserAssigned" and reach other services with it.',
    evaluate(site) {
      if (!site) return notApplicable('no resource');
      const type = read(site, ['identity', 'type']);
      if (type.kind === 'unknown') return unknown(`identity.type cannot be known offline (${type.reason})`, ['identity', 'type']);
      if (type.kind === 'known' && typeof type.value !== 'string')
        return unknown(`identity.type is ${JSON.stringify(type.value)}, not text`, ['identity', 'type']);
      return type.kind === 'known' && /(system|user)assigned/i.test(type.value as string)
        ? pass(`identity.type is ${String(type.value)}`, ['identity', 'type'])
        : fail(`identity.type is ${type.kind === 'known' ? JSON.stringify(type.value) : 'not set'}; the app needs a managed identity`, [
            'identity',
          ]);
    },
  },
  {
    id: 'appservice.no-secret-settings',
    title: 'App Service app settings hold no secrets written in the template',
    severity: 'required',
    hipaa: ['164.312(a)(2)(iv)'],
    appliesTo: SITE,
    remediation:
      "Put secrets in Key Vault and set the app setting or connection string to a Key Vault reference (@Microsoft.KeyVault(SecretUri=...)), read with the app's managed identity.",
    evaluate(site) {
      if (!site) return notApplicable('no resource');
      const settings = settingsOf(site);
      if (!Array.isArray(settings)) return settings;
      let undecided: ControlResult | undefined;
      for (const [name, value, connection] of settings) {
        const problem = judgeSetting(name, value, connection);
        if (problem?.status === 'fail') return problem;
        undecided ??= problem;
      }
      return undecided ?? pass(`${settings.length} app setting(s) and connection string(s) hold no secret written in the template`);
    },
  },
];

const EVENT_HUBS = ['Microsoft.EventHub/namespaces'];

/** Event Hubs refuses TLS 1.0 and 1.1 on every namespace from this date ("Enforce a minimum required version of TLS ... Event Hubs namespace", learn.microsoft.com). */
const EVENT_HUBS_TLS_12: PlatformMinimum = {
  since: '2025-10-20',
  what: 'TLS 1.2 or newer',
  source: 'Microsoft retired TLS 1.0 and 1.1 on Azure Event Hubs',
};

export const eventHubsControls: Control[] = [
  propertyControl({
    id: 'eventhubs.min-tls',
    title: 'Event Hubs requires TLS 1.2 or newer',
    severity: 'required',
    hipaa: ['164.312(e)(1)'],
    appliesTo: EVENT_HUBS,
    remediation: 'Set properties.minimumTlsVersion to "1.2".',
    path: ['properties', 'minimumTlsVersion'],
    expected: '"1.2" or newer',
    valueType: 'string',
    complies: tlsAtLeast12,
    // Namespaces created with an API before 2022-01-01-preview default to TLS 1.0 (Microsoft's "Configure the minimum TLS version for an Event Hubs namespace").
    whenAbsent: absentPassesFromDate(
      ['properties', 'minimumTlsVersion'],
      EVENT_HUBS_TLS_12,
      absentDefaultsFrom(['properties', 'minimumTlsVersion'], '2022-01-01-preview', '"1.2"', '"1.2"'),
    ),
  }),
  propertyControl({
    id: 'eventhubs.local-auth-disabled',
    title: 'Event Hubs accepts Entra ID only, not shared access keys',
    severity: 'required',
    hipaa: ['164.312(a)(1)', '164.312(d)'],
    appliesTo: EVENT_HUBS,
    remediation: 'Set properties.disableLocalAuth to true and grant the app an Azure Event Hubs Data Sender or Receiver role.',
    path: ['properties', 'disableLocalAuth'],
    expected: 'true',
    valueType: 'boolean',
    complies: (value) => value === true,
    whenAbsent: absentFails(['properties', 'disableLocalAuth'], 'true (shared access keys are accepted by default)'),
  }),
  publicNetworkControl('eventhubs.public-network', EVENT_HUBS, ['164.312(a)(1)', '164.312(e)(1)'], ''),
];
