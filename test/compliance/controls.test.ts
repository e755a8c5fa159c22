import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CONTROLS, controlById } from '../../src/compliance/catalog.js';
import { UnknownValue } from '../../src/arm/values.js';
import type { AbuseMonitoringRecord, BaaEvidence } from '../../src/compliance/model.js';
import { context, resource, type ResourceSpec } from '../helpers/compliance.js';

function judge(controlId: string, spec: ResourceSpec, kind: 'template' | 'live' = 'template') {
  const control = controlById(controlId);
  if (!control) throw new Error(`no control ${controlId}`);
  const built = resource(spec);
  const ctx = context([built]);
  ctx.environment.input.kind = kind;
  return control.evaluate(built, ctx);
}

describe('the catalog', () => {
  it('has every control of controls.md exactly once, with citations and remediation', () => {
    const ids = CONTROLS.map((c) => c.id);
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids).toHaveLength(64);
    for (const control of CONTROLS) {
      expect(control.hipaa.length, control.id).toBeGreaterThan(0);
      expect(control.remediation.length, control.id).toBeGreaterThan(20);
    }
  });
});

describe('docs/controls.md', () => {
  const docs = readFileSync(join(import.meta.dirname, '..', '..', 'docs', 'controls.md'), 'utf8');
  // A catalog row may start with the anchor the summaries link to (`<a name="id"></a>id`).
  const rows = [...docs.matchAll(/^\| (?:<a name="[a-z0-9.-]+"><\/a>)?([a-z]+\.[a-z0-9-]+) \|(.*)\|$/gm)].map(
    (match) => [match[1] as string, match[2] as string] as const,
  );

  it('lists every control in its catalog table, in order, with its severity, and once in the table of rules', () => {
    const catalog = rows.filter(([, rest]) => / (required|advisory) $/.test(rest));
    expect(catalog.map(([id, rest]) => `${id} ${rest.trim().split('|').at(-1)?.trim()}`)).toEqual(
      CONTROLS.map((control) => `${control.id} ${control.severity}`),
    );
    const rules = rows.filter(([, rest]) => !/ (required|advisory) $/.test(rest)).map(([id]) => id);
    expect(rules).toEqual(CONTROLS.map((control) => control.id));
  });
});

const vault = (properties: Record<string, unknown>, apiVersion = '2026-02-01'): ResourceSpec => ({
  type: 'Microsoft.KeyVault/vaults',
  name: 'kv',
  apiVersion,
  body: { properties },
});
const storage = (properties: Record<string, unknown>, apiVersion = '2025-06-01'): ResourceSpec => ({
  type: 'Microsoft.Storage/storageAccounts',
  name: 'st',
  apiVersion,
  body: { properties },
});

const account = (kind: string, properties: Record<string, unknown>): ResourceSpec => ({
  type: 'Microsoft.CognitiveServices/accounts',
  name: kind === 'OpenAI' ? 'oai' : 'speech',
  apiVersion: '2026-05-01',
  body: { kind, properties },
});
const search = (properties: Record<string, unknown>): ResourceSpec => ({
  type: 'Microsoft.Search/searchServices',
  name: 'srch',
  apiVersion: '2025-05-01',
  body: { properties },
});

describe.each([
  // [control, resource, expected status]
  ['keyvault.public-network', vault({ publicNetworkAccess: 'Enabled' }), 'fail'],
  ['keyvault.public-network', vault({ publicNetworkAccess: 'disabled' }), 'pass'],
  ['keyvault.rbac', vault({}, '2026-02-01'), 'pass'],
  ['keyvault.rbac', vault({}, '2024-11-01'), 'fail'],
  ['keyvault.rbac', vault({ enableRbacAuthorization: new UnknownValue('reference') }), 'unknown'],
  ['keyvault.soft-delete', vault({}), 'pass'],
  ['keyvault.soft-delete', vault({ enableSoftDelete: false }), 'fail'],
  ['storage.https-only', storage({}, '2019-04-01'), 'pass'],
  ['storage.https-only', storage({}, '2018-11-01'), 'fail'],
  ['storage.https-only', storage({ supportsHttpsTrafficOnly: false }), 'fail'],
  ['storage.min-tls', storage({ minimumTlsVersion: 'TLS1_3' }), 'pass'],
  ['storage.min-tls', storage({ minimumTlsVersion: 'TLS1_1' }), 'fail'],
  ['registry.public-network', { type: 'Microsoft.ContainerRegistry/registries', name: 'acr', body: { properties: {} } }, 'fail'],
  ['registry.admin-disabled', { type: 'Microsoft.ContainerRegistry/registries', name: 'acr', body: { properties: {} } }, 'pass'],
  [
    'containerapp.min-replicas',
    { type: 'Microsoft.App/containerApps', name: 'app', body: { properties: { template: { scale: { minReplicas: 0 } } } } },
    'fail',
  ],
  [
    'containerapp.secrets-from-keyvault',
    {
      type: 'Microsoft.App/containerApps',
      name: 'app',
      body: { properties: { configuration: { secrets: [{ name: 'a', keyVaultUrl: 'https://kv/secrets/a', identity: 'id' }] } } },
    },
    'pass',
  ],
  ['cosmos.tls', { type: 'Microsoft.DocumentDB/databaseAccounts', name: 'db', apiVersion: '2025-10-15', body: { properties: {} } }, 'fail'],
  ['sql.tls', { type: 'Microsoft.Sql/servers', name: 's', body: { properties: { minimalTlsVersion: '1.3' } } }, 'pass'],
  [
    'sql.long-term-retention',
    {
      type: 'Microsoft.Sql/servers/databases',
      name: 'db',
      children: [
        {
          type: 'Microsoft.Sql/servers/databases/backupLongTermRetentionPolicies',
          name: 'default',
          body: { properties: { yearlyRetention: 'P84M' } },
        },
      ],
    },
    'pass',
  ],
  [
    'sql.long-term-retention',
    {
      type: 'Microsoft.Sql/servers/databases',
      name: 'db',
      children: [
        {
          type: 'Microsoft.Sql/servers/databases/backupLongTermRetentionPolicies',
          name: 'default',
          body: { properties: { yearlyRetention: 'PT0S' } },
        },
      ],
    },
    'fail',
  ],
  ['sql.long-term-retention', { type: 'Microsoft.Sql/servers/databases', name: 'master' }, 'not-applicable'],
  ['redis.tls-only', { type: 'Microsoft.Cache/redis', name: 'r', body: { properties: { enableNonSslPort: true } } }, 'fail'],
  [
    'redis.entra-auth',
    { type: 'Microsoft.Cache/redis', name: 'r', body: { properties: { disableAccessKeyAuthentication: true } } },
    'pass',
  ],
  ['redis.min-tls', { type: 'Microsoft.Cache/redis', name: 'r', body: { properties: { minimumTlsVersion: '1.0' } } }, 'fail'],
  [
    'tags.required',
    { type: 'Microsoft.KeyVault/vaults', name: 'kv', body: { tags: { compliance: 'HIPAA', Environment: 'Production' } } },
    'pass',
  ],
  [
    'tags.required',
    { type: 'Microsoft.KeyVault/vaults', name: 'kv', body: { tags: { Compliance: 'SOC2', Environment: 'Production' } } },
    'fail',
  ],
  ['baa.scope', { type: 'Microsoft.Cache/redisEnterprise/databases', name: 'r/default' }, 'pass'],
  ['baa.scope', { type: 'Microsoft.CognitiveServices/accounts/deployments', name: 'oai/gpt-4o' }, 'pass'],
  ['cognitiveservices.local-auth-disabled', account('OpenAI', { disableLocalAuth: true }), 'pass'],
  ['cognitiveservices.local-auth-disabled', account('SpeechServices', {}), 'fail'],
  ['cognitiveservices.local-auth-disabled', account('OpenAI', { disableLocalAuth: false }), 'fail'],
  ['cognitiveservices.local-auth-disabled', account('OpenAI', { DisableLocalAuth: 'true' }), 'unknown'],
  ['cognitiveservices.public-network', account('OpenAI', { publicNetworkAccess: 'Disabled' }), 'pass'],
  ['cognitiveservices.public-network', account('SpeechServices', {}), 'fail'],
  ['search.local-auth-disabled', search({ disableLocalAuth: true }), 'pass'],
  ['search.local-auth-disabled', search({ authOptions: { aadOrApiKey: { aadAuthFailureMode: 'http401WithBearerChallenge' } } }), 'fail'],
  ['search.public-network', search({ publicNetworkAccess: 'disabled' }), 'pass'],
  ['search.public-network', search({ publicNetworkAccess: 'SecuredByPerimeter' }), 'fail'],
] as [string, ResourceSpec, string][])('%s', (control, spec, status) => {
  it(`is ${status} for ${JSON.stringify(spec.body ?? spec.children ?? spec.name).slice(0, 80)} (api ${spec.apiVersion ?? 'n/a'})`, () => {
    expect(judge(control, spec).status).toBe(status);
  });
});

describe("Azure's platform minimums: an absent minimum TLS is judged by the date the platform enforced TLS 1.2", () => {
  function judgeOn(controlId: string, spec: ResourceSpec, today: string) {
    const built = resource(spec);
    return (controlById(controlId) as NonNullable<ReturnType<typeof controlById>>).evaluate(
      built,
      context([built], { now: new Date(`${today}T12:00:00Z`) }),
    );
  }
  const redis: ResourceSpec = { type: 'Microsoft.Cache/redis', name: 'r', apiVersion: '2023-08-01', body: { properties: {} } };
  const account: ResourceSpec = {
    type: 'Microsoft.Storage/storageAccounts',
    name: 'st',
    apiVersion: '2023-01-01',
    body: { properties: {} },
  };

  it.each([
    ['redis.min-tls', '2024-10-31', 'fail', redis],
    ['redis.min-tls', '2024-11-01', 'pass', redis],
    ['storage.min-tls', '2026-02-02', 'fail', account],
    ['storage.min-tls', '2026-02-03', 'pass', account],
  ] as const)('%s with minimumTlsVersion absent, judged on %s, is %s', (control, today, status, spec) => {
    const result = judgeOn(control, spec, today);
    expect(result.status).toBe(status);
    if (status === 'pass') expect(result.message).toMatch(/since 20\d\d-\d\d-\d\d/);
  });

  it('still fails a minimum TLS the template writes below 1.2', () => {
    expect(judgeOn('storage.min-tls', { ...account, body: { properties: { minimumTlsVersion: 'TLS1_0' } } }, '2026-11-01').status).toBe(
      'fail',
    );
  });
});

const site = (properties: Record<string, unknown>, extra: Partial<ResourceSpec> = {}): ResourceSpec => ({
  type: 'Microsoft.Web/sites',
  name: 'app',
  apiVersion: '2024-04-01',
  body: { properties },
  ...extra,
});
const webConfig = (name: string, properties: unknown): ResourceSpec => ({ type: 'Microsoft.Web/sites/config', name, body: { properties } });
const eventHubs = (properties: Record<string, unknown>, apiVersion = '2024-01-01'): ResourceSpec => ({
  type: 'Microsoft.EventHub/namespaces',
  name: 'eh',
  apiVersion,
  body: { properties },
});

describe.each([
  // App Service and Function Apps (Microsoft.Web/sites): no control read them before issue 20.
  ['appservice.https-only', site({ httpsOnly: true }), 'pass'],
  ['appservice.https-only', site({}), 'fail'],
  ['appservice.https-only', site({ httpsOnly: 'true' }), 'unknown'],
  ['appservice.min-tls', site({ siteConfig: { minTlsVersion: '1.0' } }), 'fail'],
  ['appservice.min-tls', site({}), 'pass'],
  ['appservice.min-tls', site({}, { children: [webConfig('web', { minTlsVersion: '1.1' })] }), 'fail'],
  ['appservice.min-tls', site({ siteConfig: { minTlsVersion: 1.2 } }), 'unknown'],
  ['appservice.ftps', site({ siteConfig: { ftpsState: 'AllAllowed' } }), 'fail'],
  ['appservice.ftps', site({ siteConfig: { ftpsState: 'FtpsOnly' } }), 'pass'],
  ['appservice.ftps', site({}, { children: [webConfig('web', { ftpsState: 'Disabled' })] }), 'pass'],
  ['appservice.ftps', site({}), 'unknown'],
  ['appservice.managed-identity', site({}), 'fail'],
  ['appservice.managed-identity', site({}, { body: { identity: { type: 'SystemAssigned' }, properties: {} } }), 'pass'],
  ['appservice.no-secret-settings', site({ siteConfig: { appSettings: [{ name: 'DB_PASSWORD', value: 'hunter2' }] } }), 'fail'],
  ['appservice.no-secret-settings', site({}, { children: [webConfig('appsettings', { STORAGE_KEY: 'abc', MODE: 'prod' })] }), 'fail'],
  [
    'appservice.no-secret-settings',
    site({}, { children: [webConfig('connectionstrings', { Db: { value: 'Server=x;Password=p', type: 'SQLAzure' } })] }),
    'fail',
  ],
  [
    'appservice.no-secret-settings',
    site({
      siteConfig: {
        appSettings: [{ name: 'DB_PASSWORD', value: '@Microsoft.KeyVault(SecretUri=https://kv.vault.azure.net/secrets/db/)' }],
      },
    }),
    'pass',
  ],
  [
    'appservice.no-secret-settings',
    site({ siteConfig: { appSettings: [{ name: 'API_TOKEN', value: new UnknownValue('listKeys') }] } }),
    'unknown',
  ],
  ['appservice.no-secret-settings', site({ siteConfig: { appSettings: 'DB_PASSWORD=x' } }), 'unknown'],
  ['appservice.no-secret-settings', site({ siteConfig: { appSettings: [{ name: 'WEBSITE_RUN_FROM_PACKAGE', value: '1' }] } }), 'pass'],
  // Event Hubs namespaces.
  ['eventhubs.min-tls', eventHubs({ minimumTlsVersion: '1.0' }), 'fail'],
  ['eventhubs.min-tls', eventHubs({ minimumTlsVersion: '1.2' }), 'pass'],
  ['eventhubs.min-tls', eventHubs({}, '2021-11-01'), 'pass'],
  ['eventhubs.local-auth-disabled', eventHubs({}), 'fail'],
  ['eventhubs.local-auth-disabled', eventHubs({ disableLocalAuth: true }), 'pass'],
  ['eventhubs.local-auth-disabled', eventHubs({ disableLocalAuth: 'true' }), 'unknown'],
  ['eventhubs.public-network', eventHubs({}), 'fail'],
  ['eventhubs.public-network', eventHubs({ publicNetworkAccess: 'Disabled' }), 'pass'],
] as [string, ResourceSpec, string][])('%s', (control, spec, status) => {
  it(`is ${status} for ${JSON.stringify(spec.body ?? {}).slice(0, 70)} ${JSON.stringify(spec.children ?? []).slice(0, 70)}`, () => {
    expect(judge(control, spec).status).toBe(status);
  });
});

describe('eventhubs.min-tls before the platform minimum', () => {
  it('judges an absent minimum by the api-version default before 2025-10-20', () => {
    const old = resource(eventHubs({}, '2021-11-01'));
    const control = controlById('eventhubs.min-tls') as NonNullable<ReturnType<typeof controlById>>;
    expect(control.evaluate(old, context([old], { now: new Date('2025-10-19T12:00:00Z') })).status).toBe('fail');
    const recent = resource(eventHubs({}, '2022-01-01-preview'));
    expect(control.evaluate(recent, context([recent], { now: new Date('2025-10-19T12:00:00Z') })).status).toBe('pass');
  });
});

describe('baa.scope on types that hold no data', () => {
  it('is not-applicable to a resource group, which holds no data of its own', () => {
    expect(judge('baa.scope', { type: 'Microsoft.Resources/resourceGroups', name: 'rg' }).status).toBe('not-applicable');
  });
});

describe('sql.tde', () => {
  const database: ResourceSpec = { type: 'Microsoft.Sql/servers/databases', name: 'db' };
  it('trusts the default in a template but must read it from a live database', () => {
    expect(judge('sql.tde', database, 'template').status).toBe('pass');
    expect(judge('sql.tde', database, 'live').status).toBe('unknown');
  });
});

describe('baa.evidence', () => {
  const digest = 'a1'.repeat(32);
  const evidence: BaaEvidence = {
    signedDate: '2026-10-01',
    reviewedDate: '2026-11-01',
    file: 'baa.pdf',
    sha256: digest,
    found: { sha256: digest },
  };
  it.each([
    ['no evidence', undefined, 'fail', /records no BAA evidence/],
    ['a hash that does not match', { found: { sha256: '0'.repeat(64) } }, 'fail', /is 0{64}, not the recorded/],
    ['a review older than the policy allows', { reviewedDate: '2025-01-01' }, 'fail', /last reviewed/],
    ['a signing date in the future', { signedDate: '2027-01-01' }, 'fail', /not a date in the past/],
    ['a file that could not be read', { found: { problem: 'does not exist' } }, 'fail', /baa.pdf does not exist/],
    ['matching, recent evidence', {}, 'pass', /matches its sha256/],
  ] as const)('with %s is %s', (_label, override, status, message) => {
    const control = controlById('baa.evidence');
    const result = control?.evaluate(undefined, context([], override === undefined ? {} : { baa: { ...evidence, ...override } }));
    expect(result?.status).toBe(status);
    expect(result?.message).toMatch(message);
  });
});

describe('openai.abuse-monitoring', () => {
  const approval: AbuseMonitoringRecord = { approval: { approvedDate: '2026-03-02', reference: 'Limited Access case 123' } };
  const waiver: AbuseMonitoringRecord = {
    waiver: { reason: 'prompts carry no PHI', reviewedBy: 'security-officer@example.com', reviewedDate: '2026-11-01' },
  };
  const contentLoggingOff = [{ name: 'VirtualNetworks' }, { name: 'ContentLogging', value: 'false' }];
  function abuse(
    kind: unknown,
    record: AbuseMonitoringRecord | undefined,
    input: 'template' | 'live',
    properties: Record<string, unknown> = {},
  ) {
    const built = resource({ type: 'Microsoft.CognitiveServices/accounts', name: 'oai', body: { kind, properties } });
    const ctx = context([built], record ? { abuseMonitoring: record } : {});
    ctx.environment.input.kind = input;
    return (controlById('openai.abuse-monitoring') as NonNullable<ReturnType<typeof controlById>>).evaluate(built, ctx);
  }

  it.each([
    ['nothing recorded', 'OpenAI', undefined, 'template', {}, 'fail', /records neither Microsoft’s approval .* nor a reviewed waiver/],
    ['nothing recorded, live', 'OpenAI', undefined, 'live', { capabilities: [] }, 'fail', /ai.openai.abuseMonitoring/],
    ['an approval, in a template', 'OpenAI', approval, 'template', {}, 'pass', /^approval: .*2026-03-02 \(Limited Access case 123\)/],
    [
      'an approval the live account confirms',
      'OpenAI',
      approval,
      'live',
      { capabilities: contentLoggingOff },
      'pass',
      /ContentLogging=false.*approval of 2026-03-02/,
    ],
    [
      'an approval the live account does not show',
      'OpenAI',
      approval,
      'live',
      { capabilities: [{ name: 'VirtualNetworks' }] },
      'fail',
      /does not show the capability ContentLogging=false/,
    ],
    [
      'an approval with unreadable capabilities',
      'OpenAI',
      approval,
      'live',
      { capabilities: new UnknownValue('HTTP 403') },
      'unknown',
      /cannot be read/,
    ],
    [
      'an approval dated in the future',
      'OpenAI',
      { approval: { approvedDate: '2027-01-01', reference: 'x' } },
      'template',
      {},
      'fail',
      /not a date in the past/,
    ],
    [
      'the capability alone (live)',
      'AIServices',
      undefined,
      'live',
      { capabilities: contentLoggingOff },
      'pass',
      /turned abuse-monitoring storage off/,
    ],
    [
      'a reviewed waiver',
      'OpenAI',
      waiver,
      'live',
      { capabilities: [] },
      'pass',
      /^waiver: abuse monitoring stays on .*security-officer@example.com reviewed 21 days ago/,
    ],
    [
      'a waiver reviewed too long ago',
      'OpenAI',
      { waiver: { ...waiver.waiver, reviewedDate: '2025-01-01' } as NonNullable<AbuseMonitoringRecord['waiver']> },
      'template',
      {},
      'fail',
      /last reviewed 690 days ago/,
    ],
    ['a Speech account', 'SpeechServices', undefined, 'template', {}, 'not-applicable', /serves no Azure OpenAI/],
    ['an unknown kind', new UnknownValue("parameters('kind')"), undefined, 'template', {}, 'unknown', /kind cannot be known/],
  ] as const)('with %s', (_label, kind, record, input, properties, status, message) => {
    const result = abuse(kind, record, input, properties);
    expect(result.status).toBe(status);
    expect(result.message).toMatch(message);
  });
});

describe('ai.app-identity', () => {
  const SEARCH_DATA_READER = '1407120a-92aa-4202-b7e9-c0e197c71c8f';
  const READER = 'acdd72a7-3385-48ef-bd42-f606fba81ae7';
  const identityId = (name: string) => `[resourceId('Microsoft.ManagedIdentity/userAssignedIdentities', '${name}')]`;
  const principalOf = (name: string) =>
    new UnknownValue(
      'reference() is only known at deployment time',
      `[reference(${identityId(name).slice(1, -1)}, '2023-01-31').principalId]`,
    );
  const grant = (role: unknown, principalId: unknown, principalType = 'ServicePrincipal'): ResourceSpec => ({
    type: 'Microsoft.Authorization/roleAssignments',
    name: 'grant',
    body: {
      properties: {
        roleDefinitionId: typeof role === 'string' ? `/subscriptions/s/providers/Microsoft.Authorization/roleDefinitions/${role}` : role,
        principalId,
        principalType,
      },
    },
  });
  const app = (userAssignedIdentities: Record<string, unknown>): ResourceSpec => ({
    type: 'Microsoft.App/containerApps',
    name: 'voice-agent',
    body: { identity: { type: 'UserAssigned', userAssignedIdentities }, properties: {} },
  });
  function judgeService(
    spec: ResourceSpec,
    grants: ResourceSpec[],
    apps: ResourceSpec[],
    kind: 'template' | 'live' = 'template',
    others: ResourceSpec[] = [],
  ) {
    const service = resource({ ...spec, extensions: grants });
    const ctx = context([service, ...[...apps, ...others].map((other) => resource(other))]);
    ctx.environment.input.kind = kind;
    return (controlById('ai.app-identity') as NonNullable<ReturnType<typeof controlById>>).evaluate(service, ctx);
  }
  const judgeSearch = (grants: ResourceSpec[], apps: ResourceSpec[], kind: 'template' | 'live' = 'template') =>
    judgeService(search({ disableLocalAuth: true }), grants, apps, kind);
  const appWithIdentity = app({ [identityId('app-id')]: {} });

  it.each([
    [
      'the app’s identity holds the data role',
      [grant(SEARCH_DATA_READER, principalOf('app-id'))],
      [appWithIdentity],
      'template',
      'pass',
      /the app's identity holds Search Index Data Reader on srch/,
    ],
    [
      'no role is granted at all',
      [],
      [appWithIdentity],
      'template',
      'fail',
      /no role assignment on srch grants a data role \(Search Index Data Reader, Search Index Data Contributor\)/,
    ],
    [
      'only a control-plane role is granted',
      [grant(READER, principalOf('app-id'))],
      [appWithIdentity],
      'template',
      'fail',
      /grants a data role/,
    ],
    [
      'the role goes to an identity the app does not use',
      [grant(SEARCH_DATA_READER, principalOf('other-id'))],
      [appWithIdentity],
      'template',
      'fail',
      /granted only to identities no container app/,
    ],
    [
      'the grantee is a parameter',
      [grant(SEARCH_DATA_READER, new UnknownValue("parameters('principal')"))],
      [appWithIdentity],
      'template',
      'unknown',
      /cannot be known offline/,
    ],
    [
      'the role is a parameter',
      [grant(new UnknownValue("parameters('role')"), principalOf('app-id'))],
      [appWithIdentity],
      'template',
      'unknown',
      /the role of grant cannot be known/,
    ],
    [
      'no app in the environment, a managed identity holds it',
      [grant(SEARCH_DATA_READER, principalOf('app-id'))],
      [],
      'template',
      'pass',
      /granted to a service principal/,
    ],
    [
      'no app in the environment, a person holds it',
      [grant(SEARCH_DATA_READER, 'user-object-id', 'User')],
      [],
      'template',
      'unknown',
      /no principal known to be a managed identity/,
    ],
    [
      'live: the app’s principal id holds it',
      [grant(SEARCH_DATA_READER, 'AAAA-1')],
      [app({ '/subscriptions/s/x/app-id': { principalId: 'aaaa-1' } })],
      'live',
      'pass',
      /holds Search Index Data Reader/,
    ],
    [
      'live: another principal holds it',
      [grant(SEARCH_DATA_READER, 'bbbb-2')],
      [app({ '/subscriptions/s/x/app-id': { principalId: 'aaaa-1' } })],
      'live',
      'fail',
      /no container app/,
    ],
  ] as const)('%s', (_label, grants, apps, kind, status, message) => {
    const result = judgeSearch([...grants], [...apps], kind);
    expect(result.status).toBe(status);
    expect(result.message).toMatch(message);
  });

  it('counts only the roles that reach the account’s kind: OpenAI User gives nothing on a Speech account', () => {
    const openAiUser = grant('5e0bd9bd-7b93-4f28-af87-19fc36ad61bd', principalOf('app-id'));
    const speech = judgeService(account('SpeechServices', { disableLocalAuth: true }), [openAiUser], [appWithIdentity]);
    expect(speech.status).toBe('fail');
    expect(speech.message).toMatch(/grants a data role \(Cognitive Services Speech User, Cognitive Services User\)/);
    expect(judgeService(account('OpenAI', { disableLocalAuth: true }), [openAiUser], [appWithIdentity]).status).toBe('pass');
  });

  it('counts a data role granted at the resource group (an assignment without scope), as ARM applies it to the services below', () => {
    const atGroup = { ...grant(SEARCH_DATA_READER, principalOf('app-id')), name: 'group-grant' };
    const result = judgeService(search({ disableLocalAuth: true }), [], [appWithIdentity], 'template', [atGroup]);
    expect(result.status).toBe('pass');
  });

  it('is unknown, not a failure, when a template grants a principal id but names the app’s identity only by resource', () => {
    const result = judgeSearch([grant(SEARCH_DATA_READER, '33333333-cccc-4ccc-8ccc-333333333333')], [appWithIdentity]);
    expect(result.status).toBe('unknown');
  });
});
