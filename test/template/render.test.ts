import { describe, expect, it } from 'vitest';
import { AUDIT_LOG_TABLES, configuresOther, roleDefinitionOf } from '../../src/azure/resource-types.js';
import { parseConfigText } from '../../src/config/load.js';
import { defaultConfig, type EnvironmentConfig } from '../../src/config/schema.js';
import type { ArmResource } from '../../src/template/arm-types.js';
import { hasSchemaFor, validateResourceBody } from '../../sandbox/arm/schema.js';
import { renderEnvironment, renderTemplate, resourceIdExpression } from '../../src/template/render.js';

const withSecrets = 'containerApp:\n  secrets: {openai-key: AzureOpenAIKey}\n  env: {AZURE_OPENAI_KEY: {secretRef: openai-key}}\n';
const variants: [string, EnvironmentConfig][] = [
  ['defaults (private, Azure Managed Redis)', defaultConfig()],
  ['public network', parseConfigText('network: {mode: public}\n', 'c.yml')],
  ['legacy Redis', parseConfigText('redis: {kind: legacy}\n', 'c.yml')],
  [
    'public network, legacy Redis, Standard registry',
    parseConfigText('network: {mode: public}\nredis: {kind: legacy}\nregistry: {sku: Standard}\n', 'c.yml'),
  ],
  [
    'Key Vault secrets and a named SQL admin',
    parseConfigText(`${withSecrets}sql:\n  entraAdmin: {login: sql-admins, objectId: 6f1c2a8e-4b0d-4c55-9a2e-3b1f0c7d9e11}\n`, 'c.yml'),
  ],
  ['the audit category group only', parseConfigText('diagnostics: {categoryGroup: audit}\n', 'c.yml')],
  ['GitHub-hosted runners in the network', parseConfigText('network:\n  githubRunners: {businessId: "123456789"}\n', 'c.yml')],
  ['no AI services', parseConfigText('ai: {openai: {enabled: false}, speech: {enabled: false}, search: {enabled: false}}\n', 'c.yml')],
  ['no edge (staging)', parseConfigText('edge: {enabled: false}\n', 'c.yml')],
  ['an edge with a custom domain', parseConfigText('edge: {customDomain: {hostName: voice.example.com}}\n', 'c.yml')],
  [
    'public network behind the edge',
    parseConfigText('network: {mode: public}\nedge: {customDomain: {hostName: voice.example.com}}\n', 'c.yml'),
  ],
  [
    'public network, Speech only, two model deployments',
    parseConfigText(
      'network: {mode: public}\nai:\n  search: {enabled: false}\n  openai:\n    deployments:\n      - {name: chat, model: gpt-4o, version: "2024-11-20", sku: DataZoneStandard, capacity: 30}\n      - {name: embeddings, model: text-embedding-3-small, version: "1"}\n',
      'c.yml',
    ),
  ],
];

/** The AI services a config deploys: type, name and the data role the app gets on each. */
function aiServicesOf(config: EnvironmentConfig): { type: string; name: string; role: string }[] {
  const { openai, speech, search } = config.ai;
  return [
    ...(openai.enabled ? [{ type: COGNITIVE, name: openai.name, role: 'Cognitive Services OpenAI User' }] : []),
    ...(speech.enabled ? [{ type: COGNITIVE, name: speech.name, role: 'Cognitive Services Speech User' }] : []),
    ...(search.enabled ? [{ type: SEARCH, name: search.name, role: 'Search Index Data Reader' }] : []),
  ];
}
const COGNITIVE = 'Microsoft.CognitiveServices/accounts';
const SEARCH = 'Microsoft.Search/searchServices';

function find(resources: ArmResource[], type: string, name?: string): ArmResource {
  const found = resources.find((resource) => resource.type === type && (name === undefined || resource.name === name));
  if (!found) throw new Error(`no ${type} ${name ?? ''}`);
  return found;
}

function propertyOf(resource: ArmResource, path: string): unknown {
  return path.split('.').reduce<unknown>((node, key) => (node as Record<string, unknown> | undefined)?.[key], resource.properties);
}

describe.each(variants)('rendering %s', (_name, config) => {
  const template = renderTemplate(config);

  it('validates every resource body against the official ARM schema for its api-version', () => {
    const failures: string[] = [];
    for (const resource of template.resources) {
      if (!hasSchemaFor(resource.type, resource.apiVersion)) {
        failures.push(`${resource.type}@${resource.apiVersion}: no schema file`);
        continue;
      }
      const result = validateResourceBody({ ...resource });
      if (!result.ok) failures.push(`${resource.type} ${resource.name}: ${result.errors.join('; ')}`);
    }
    expect(failures).toEqual([]);
  });

  it('depends only on resources in the template, and never on itself', () => {
    const ids = new Set(template.resources.map(resourceIdExpression));
    const dangling = template.resources.flatMap((resource) =>
      (resource.dependsOn ?? [])
        .filter((dependency) => !ids.has(dependency) || dependency === resourceIdExpression(resource))
        .map((dependency) => `${resource.type} ${resource.name} -> ${dependency}`),
    );
    expect(dangling).toEqual([]);
  });

  it('has unique resources', () => {
    const ids = template.resources.map(resourceIdExpression);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('holds no password or secret value', () => {
    const secretKeys: string[] = [];
    const visit = (node: unknown, path: string): void => {
      if (typeof node !== 'object' || node === null) return;
      for (const [key, child] of Object.entries(node)) {
        if (/password|^sharedKey$|^primaryKey$|^secondaryKey$|connectionString|^storageAccountAccessKey$/i.test(key))
          secretKeys.push(`${path}.${key}`);
        visit(child, `${path}.${key}`);
      }
    };
    visit(template, '');
    expect(secretKeys).toEqual([]);
    expect(JSON.stringify(template)).not.toMatch(/list(Keys|Secrets|ConnectionStrings|Credentials)\(/);
    const app = find(template.resources, 'Microsoft.App/containerApps');
    for (const secret of propertyOf(app, 'configuration.secrets') as Record<string, unknown>[]) {
      expect(Object.keys(secret).sort()).toEqual(['identity', 'keyVaultUrl', 'name']);
    }
  });

  it('tags every tracked resource', () => {
    // A policy assignment has a location only for its identity: it is no tracked resource and takes no tags.
    const untagged = template.resources.filter(
      (resource) => resource.location !== undefined && !configuresOther(resource.type) && resource.tags?.Compliance !== 'HIPAA',
    );
    expect(untagged.map((resource) => resource.type)).toEqual([]);
  });

  it('declares a Log Analytics table for every audit table with the configured total retention', () => {
    // The HTTP logs' table too, at the workspace's retention: the 5xx-share alert queries it (test/template/operations.test.ts).
    const tables = template.resources.filter(
      (resource) => resource.type === 'Microsoft.OperationalInsights/workspaces/tables' && !resource.name.endsWith('/ContainerAppHTTPLogs'),
    );
    expect(tables.map((table) => table.name.split('/')[1]).sort()).toEqual([...AUDIT_LOG_TABLES].sort());
    for (const table of tables) expect(propertyOf(table, 'totalRetentionInDays')).toBe(config.logAnalytics.auditTableTotalRetentionInDays);
  });

  it('grants the app its roles before the Container App is created', () => {
    const app = find(template.resources, 'Microsoft.App/containerApps');
    const grants = template.resources.filter((resource) =>
      [
        'Microsoft.Authorization/roleAssignments',
        'Microsoft.DocumentDB/databaseAccounts/sqlRoleAssignments',
        'Microsoft.Cache/redisEnterprise/databases/accessPolicyAssignments',
        'Microsoft.Cache/redis/accessPolicyAssignments',
      ].includes(resource.type),
    );
    const ai = aiServicesOf(config);
    expect(grants).toHaveLength(4 + ai.length);
    for (const grant of grants) expect(app.dependsOn).toContain(resourceIdExpression(grant));
    const roles = grants
      .filter((grant) => grant.type === 'Microsoft.Authorization/roleAssignments')
      .map((grant) => [grant.scope, propertyOf(grant, 'roleDefinitionId')]);
    expect(roles).toEqual(
      expect.arrayContaining([
        [expect.any(String), expect.stringContaining(roleDefinitionOf('Microsoft.ContainerRegistry/registries', 'AcrPull'))],
        [expect.any(String), expect.stringContaining(roleDefinitionOf('Microsoft.KeyVault/vaults', 'Key Vault Secrets User'))],
        // The narrowest data role on each AI service, scoped to that service.
        ...ai.map(({ type, name, role }) => [`[resourceId('${type}', '${name}')]`, expect.stringContaining(roleDefinitionOf(type, role))]),
      ]),
    );
  });

  it('sends audit logs from every audited resource to the workspace', () => {
    const scopes = template.resources
      .filter((resource) => resource.type === 'Microsoft.Insights/diagnosticSettings')
      .map((setting) => setting.scope);
    const redisType = config.redis.kind === 'managed' ? 'Microsoft.Cache/redisEnterprise' : 'Microsoft.Cache/redis';
    expect(scopes.sort()).toEqual(
      [
        `[resourceId('Microsoft.KeyVault/vaults', '${config.keyVault.name}')]`,
        `[resourceId('Microsoft.DocumentDB/databaseAccounts', '${config.cosmos.name}')]`,
        `[resourceId('Microsoft.Sql/servers/databases', '${config.sql.serverName}', 'master')]`,
        `[resourceId('${redisType}', '${config.redis.name}')]`,
        `[resourceId('Microsoft.Storage/storageAccounts/blobServices', '${config.storage.name}', 'default')]`,
        `[resourceId('Microsoft.App/managedEnvironments', '${config.containerAppsEnvironment.name}')]`,
        ...aiServicesOf(config).map(({ type, name }) => `[resourceId('${type}', '${name}')]`),
        ...(config.edge.enabled ? [`[resourceId('Microsoft.Cdn/profiles', '${config.edge.profileName}')]`] : []),
      ].sort(),
    );
  });

  it('sends the environment’s HTTP logs (ContainerAppHTTPLogs, what the canary analysis reads latency from) to the workspace', () => {
    const environment = `[resourceId('Microsoft.App/managedEnvironments', '${config.containerAppsEnvironment.name}')]`;
    const setting = template.resources.find(
      (resource) => resource.type === 'Microsoft.Insights/diagnosticSettings' && resource.scope === environment,
    );
    const logs = propertyOf(setting as ArmResource, 'logs') as { category?: string; categoryGroup?: string; enabled: boolean }[];
    expect(logs.some((entry) => entry.enabled && (entry.categoryGroup === 'allLogs' || entry.category === 'ContainerAppHTTPLogs'))).toBe(
      true,
    );
  });

  it('sets publicNetworkAccess by network mode and declares private endpoints only when private', () => {
    const expected = config.network.mode === 'private' ? 'Disabled' : 'Enabled';
    const redisType = config.redis.kind === 'managed' ? 'Microsoft.Cache/redisEnterprise' : 'Microsoft.Cache/redis';
    for (const type of [
      'Microsoft.KeyVault/vaults',
      'Microsoft.DocumentDB/databaseAccounts',
      'Microsoft.Sql/servers',
      redisType,
      'Microsoft.Storage/storageAccounts',
      'Microsoft.ContainerRegistry/registries',
    ]) {
      expect([type, propertyOf(find(template.resources, type), 'publicNetworkAccess')]).toEqual([type, expected]);
    }
    const ai = aiServicesOf(config);
    for (const { type, name } of ai)
      expect([name, propertyOf(find(template.resources, type, name), 'publicNetworkAccess')]).toEqual([name, expected]);
    const endpoints = template.resources.filter((resource) => resource.type === 'Microsoft.Network/privateEndpoints');
    // Behind the edge the environment has one too: runners in the network reach its revisions through it.
    expect(endpoints).toHaveLength(config.network.mode === 'private' ? 6 + ai.length + (config.edge.enabled ? 1 : 0) : 0);
  });

  it('closes the environment to the internet exactly when the edge fronts it, and points the app address at the edge', () => {
    const environment = find(template.resources, 'Microsoft.App/managedEnvironments');
    expect(propertyOf(environment, 'publicNetworkAccess')).toBe(config.edge.enabled ? 'Disabled' : 'Enabled');
    const profiles = template.resources.filter((resource) => resource.type === 'Microsoft.Cdn/profiles');
    expect(profiles).toHaveLength(config.edge.enabled ? 1 : 0);
    const appHostName = template.outputs.appHostName?.value;
    if (!config.edge.enabled) expect(appHostName).toBe(template.outputs.containerAppFqdn?.value);
    else
      expect(appHostName).toBe(
        config.edge.customDomain?.hostName ??
          `[reference(resourceId('Microsoft.Cdn/profiles/afdEndpoints', '${config.edge.profileName}', '${config.edge.endpointName}'), '2025-06-01').hostName]`,
      );
  });

  it('turns key authentication off on every AI service and tells the app each endpoint', () => {
    const ai = aiServicesOf(config);
    for (const { type, name } of ai)
      expect([name, propertyOf(find(template.resources, type, name), 'disableLocalAuth')]).toEqual([name, true]);
    const app = find(template.resources, 'Microsoft.App/containerApps');
    const env = Object.fromEntries(
      ((propertyOf(app, 'template.containers') as { env: { name: string; value?: string }[] }[])[0]?.env ?? []).map((v) => [
        v.name,
        v.value,
      ]),
    );
    const { openai, speech, search } = config.ai;
    const endpoint = (type: string, name: string, version: string) =>
      `[reference(resourceId('${type}', '${name}'), '${version}').endpoint]`;
    expect(env['AZURE_OPENAI_ENDPOINT']).toBe(openai.enabled ? endpoint(COGNITIVE, openai.name, '2026-05-01') : undefined);
    expect(env['AZURE_SPEECH_ENDPOINT']).toBe(speech.enabled ? endpoint(COGNITIVE, speech.name, '2026-05-01') : undefined);
    expect(env['AZURE_SPEECH_REGION']).toBe(speech.enabled ? "[parameters('location')]" : undefined);
    expect(env['AZURE_SEARCH_ENDPOINT']).toBe(search.enabled ? endpoint(SEARCH, search.name, '2025-05-01') : undefined);
    for (const { type, name } of ai) expect(app.dependsOn).toContain(`[resourceId('${type}', '${name}')]`);
  });

  it('deploys the model deployments one after another, and connects the private endpoint after them', () => {
    const deployments = template.resources.filter((resource) => resource.type === 'Microsoft.CognitiveServices/accounts/deployments');
    const { openai } = config.ai;
    expect(deployments.map((deployment) => deployment.name)).toEqual(
      openai.enabled ? openai.deployments.map((deployment) => `${openai.name}/${deployment.name}`) : [],
    );
    for (const [index, deployment] of deployments.entries()) {
      const previous = deployments[index - 1];
      expect(deployment.dependsOn).toEqual([
        `[resourceId('${COGNITIVE}', '${openai.name}')]`,
        ...(previous ? [resourceIdExpression(previous)] : []),
      ]);
    }
    const last = deployments.at(-1);
    if (config.network.mode === 'private' && last)
      expect(find(template.resources, 'Microsoft.Network/privateEndpoints', `${openai.name}-pe`).dependsOn).toContain(
        resourceIdExpression(last),
      );
  });

  it('points every resource back at the config path that produced it', () => {
    const rendered = renderEnvironment(config);
    const unmapped = rendered.template.resources.filter((resource) => rendered.configPathOf(resource.type, resource.name) === undefined);
    expect(unmapped).toEqual([]);
  });
});

describe('the default template', () => {
  const template = renderTemplate(defaultConfig());
  const { resources } = template;

  it.each([
    ['Microsoft.KeyVault/vaults', 'enableRbacAuthorization', true],
    ['Microsoft.KeyVault/vaults', 'enablePurgeProtection', true],
    ['Microsoft.KeyVault/vaults', 'softDeleteRetentionInDays', 90],
    ['Microsoft.DocumentDB/databaseAccounts', 'backupPolicy.type', 'Continuous'],
    ['Microsoft.DocumentDB/databaseAccounts', 'disableLocalAuth', true],
    ['Microsoft.DocumentDB/databaseAccounts', 'disableKeyBasedMetadataWriteAccess', true],
    ['Microsoft.DocumentDB/databaseAccounts', 'minimalTlsVersion', 'Tls12'],
    ['Microsoft.Sql/servers', 'minimalTlsVersion', '1.2'],
    ['Microsoft.Sql/servers', 'administrators.azureADOnlyAuthentication', true],
    [
      'Microsoft.Sql/servers',
      'administrators.sid',
      "[reference(resourceId('Microsoft.ManagedIdentity/userAssignedIdentities', 'seniorly-prod-app-identity'), '2023-01-31').principalId]",
    ],
    ['Microsoft.Sql/servers/auditingSettings', 'state', 'Enabled'],
    ['Microsoft.Sql/servers/auditingSettings', 'isAzureMonitorTargetEnabled', true],
    ['Microsoft.Sql/servers/advancedThreatProtectionSettings', 'state', 'Enabled'],
    ['Microsoft.Sql/servers/databases/transparentDataEncryption', 'state', 'Enabled'],
    ['Microsoft.Sql/servers/databases/backupLongTermRetentionPolicies', 'yearlyRetention', 'P7Y'],
    ['Microsoft.Sql/servers/databases/backupLongTermRetentionPolicies', 'weeklyRetention', 'P12W'],
    ['Microsoft.Cache/redisEnterprise', 'minimumTlsVersion', '1.2'],
    ['Microsoft.Cache/redisEnterprise/databases', 'clientProtocol', 'Encrypted'],
    ['Microsoft.Cache/redisEnterprise/databases', 'port', 10000],
    ['Microsoft.Cache/redisEnterprise/databases', 'accessKeysAuthentication', 'Disabled'],
    ['Microsoft.OperationalInsights/workspaces', 'retentionInDays', 365],
    ['Microsoft.ContainerRegistry/registries', 'adminUserEnabled', false],
    ['Microsoft.ContainerRegistry/registries', 'anonymousPullEnabled', false],
    ['Microsoft.Storage/storageAccounts', 'supportsHttpsTrafficOnly', true],
    ['Microsoft.Storage/storageAccounts', 'minimumTlsVersion', 'TLS1_2'],
    ['Microsoft.Storage/storageAccounts', 'allowBlobPublicAccess', false],
    ['Microsoft.Storage/storageAccounts/blobServices', 'deleteRetentionPolicy.enabled', true],
    ['Microsoft.Storage/storageAccounts/blobServices', 'isVersioningEnabled', true],
    ['Microsoft.App/managedEnvironments', 'vnetConfiguration.internal', false],
    ['Microsoft.App/managedEnvironments', 'appLogsConfiguration.destination', 'azure-monitor'],
    ['Microsoft.App/containerApps', 'configuration.ingress.external', true],
    ['Microsoft.App/containerApps', 'configuration.ingress.allowInsecure', false],
    // The placeholder image listens on 80; the app's own port takes over once deploy-container runs it.
    ['Microsoft.App/containerApps', 'configuration.ingress.targetPort', 80],
    ['Microsoft.App/containerApps', 'template.scale', { minReplicas: 1, maxReplicas: 10 }],
    ['Microsoft.CognitiveServices/accounts', 'customSubDomainName', 'seniorly-prod-openai'],
    ['Microsoft.CognitiveServices/accounts', 'disableLocalAuth', true],
    ['Microsoft.CognitiveServices/accounts/deployments', 'model', { format: 'OpenAI', name: 'gpt-4o', version: '2024-11-20' }],
    ['Microsoft.Search/searchServices', 'disableLocalAuth', true],
    ['Microsoft.Search/searchServices', 'replicaCount', 1],
  ])('%s %s = %j', (type, path, expected) => {
    expect(propertyOf(find(resources, type), path)).toEqual(expected);
  });

  it('never deletes or tiers away base blobs before 2190 days', () => {
    const policy = find(resources, 'Microsoft.Storage/storageAccounts/managementPolicies');
    const rules = propertyOf(policy, 'policy.rules') as {
      definition: { actions: Record<string, Record<string, Record<string, number>>> };
    }[];
    for (const rule of rules) {
      for (const action of Object.values(rule.definition.actions)) {
        for (const condition of Object.values(action))
          for (const days of Object.values(condition)) expect(days).toBeGreaterThanOrEqual(2190);
      }
    }
  });

  it('runs the app as its user-assigned identity, pulling images and reading secrets with it', () => {
    const app = find(resources, 'Microsoft.App/containerApps');
    const identityId = "[resourceId('Microsoft.ManagedIdentity/userAssignedIdentities', 'seniorly-prod-app-identity')]";
    expect(app.identity).toEqual({ type: 'UserAssigned', userAssignedIdentities: { [identityId]: {} } });
    expect(propertyOf(app, 'configuration.registries')).toEqual([
      { server: expect.stringContaining('loginServer') as unknown, identity: identityId },
    ]);
    const container = (
      propertyOf(app, 'template.containers') as { image: string; probes: { type: string; httpGet: { path: string; port: number } }[] }[]
    )[0];
    expect(container?.image).toBe('mcr.microsoft.com/k8se/quickstart:latest');
    expect(container?.probes.map((probe) => [probe.type, probe.httpGet.path, probe.httpGet.port])).toEqual([
      ['Startup', '/', 80],
      ['Liveness', '/', 80],
      ['Readiness', '/', 80],
    ]);
    expect(resources[0]?.type).toBe('Microsoft.ManagedIdentity/userAssignedIdentities');
  });

  it('keeps the image and traffic split of an app that exists, and probes the app on its own port', () => {
    const traffic = [{ revisionName: 'voice-agent--v2', weight: 100 }];
    const app = find(
      renderTemplate(parseConfigText('', 'c.yml'), {
        liveContainerApp: { image: 'seniorlyprodacr.azurecr.io/voice-agent:abc123', traffic },
      }).resources,
      'Microsoft.App/containerApps',
    );
    const container = (
      propertyOf(app, 'template.containers') as { image: string; probes: { httpGet: { path: string; port: number } }[] }[]
    )[0];
    expect(container?.image).toBe('seniorlyprodacr.azurecr.io/voice-agent:abc123');
    expect(container?.probes.map((probe) => [probe.httpGet.path, probe.httpGet.port])).toEqual([
      ['/health', 8000],
      ['/health', 8000],
      ['/health', 8000],
    ]);
    expect(propertyOf(app, 'configuration.ingress.targetPort')).toBe(8000);
    expect(propertyOf(app, 'configuration.ingress.traffic')).toEqual(traffic);
  });

  it('turns configured secrets into Key Vault references', () => {
    const config = parseConfigText(withSecrets, 'c.yml');
    const app = find(renderTemplate(config).resources, 'Microsoft.App/containerApps');
    expect(propertyOf(app, 'configuration.secrets')).toEqual([
      {
        name: 'openai-key',
        keyVaultUrl:
          "[format('{0}secrets/{1}', reference(resourceId('Microsoft.KeyVault/vaults', 'seniorly-prod-secrets'), '2026-02-01').vaultUri, 'AzureOpenAIKey')]",
        identity: "[resourceId('Microsoft.ManagedIdentity/userAssignedIdentities', 'seniorly-prod-app-identity')]",
      },
    ]);
    const env = (propertyOf(app, 'template.containers') as { env: { name: string }[] }[])[0]?.env;
    expect(env).toContainEqual({ name: 'AZURE_OPENAI_KEY', secretRef: 'openai-key' });
  });

  it('has the deployment template envelope and the outputs the actions read', () => {
    expect(template.$schema).toBe('https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#');
    expect(template.parameters.location?.defaultValue).toBe('eastus2');
    expect(Object.keys(template.outputs)).toEqual(
      expect.arrayContaining([
        'keyVaultUri',
        'registryLoginServer',
        'containerAppsEnvironmentId',
        'containerAppsDefaultDomain',
        'cosmosEndpoint',
        'sqlServerFqdn',
        'redisHost',
        'redisPort',
        'logAnalyticsWorkspaceId',
        'identityClientId',
      ]),
    );
  });

  it('puts each AI service behind a private endpoint in the DNS zone of its kind', () => {
    const endpoint = (name: string) => find(resources, 'Microsoft.Network/privateEndpoints', `${name}-pe`);
    const group = (name: string) => find(resources, 'Microsoft.Network/privateEndpoints/privateDnsZoneGroups', `${name}-pe/default`);
    for (const [name, groupId, zone] of [
      ['seniorly-prod-openai', 'account', 'privatelink.openai.azure.com'],
      ['seniorly-prod-speech', 'account', 'privatelink.cognitiveservices.azure.com'],
      ['seniorly-prod-search', 'searchService', 'privatelink.search.windows.net'],
    ] as const) {
      expect(propertyOf(endpoint(name), 'privateLinkServiceConnections')).toEqual([
        {
          name: `${name}-${groupId}`,
          properties: { privateLinkServiceId: expect.stringContaining(`'${name}'`) as unknown, groupIds: [groupId] },
        },
      ]);
      expect(JSON.stringify(propertyOf(group(name), 'privateDnsZoneConfigs'))).toContain(`'${zone}'`);
      expect(find(resources, 'Microsoft.Network/privateDnsZones', zone).location).toBe('global');
      expect(find(resources, 'Microsoft.Network/privateDnsZones/virtualNetworkLinks', `${zone}/seniorly-prod-vnet`)).toBeDefined();
    }
    expect(find(resources, 'Microsoft.CognitiveServices/accounts', 'seniorly-prod-speech').kind).toBe('SpeechServices');
    expect(find(resources, 'Microsoft.CognitiveServices/accounts', 'seniorly-prod-openai').kind).toBe('OpenAI');
    expect(Object.keys(template.outputs)).toEqual(expect.arrayContaining(['openaiEndpoint', 'speechEndpoint', 'searchEndpoint']));
  });

  it('puts Front Door Premium with a WAF in Prevention mode in front of the app, reaching it through Private Link', () => {
    const waf = find(resources, 'Microsoft.Network/FrontDoorWebApplicationFirewallPolicies', 'seniorlyprodwaf');
    expect(waf.sku).toEqual({ name: 'Premium_AzureFrontDoor' });
    expect(propertyOf(waf, 'policySettings')).toMatchObject({ enabledState: 'Enabled', mode: 'Prevention' });
    expect((propertyOf(waf, 'managedRules.managedRuleSets') as { ruleSetType: string }[]).map((set) => set.ruleSetType)).toEqual([
      'Microsoft_DefaultRuleSet',
      'Microsoft_BotManagerRuleSet',
    ]);
    expect(find(resources, 'Microsoft.Cdn/profiles', 'seniorly-prod-edge').sku).toEqual({ name: 'Premium_AzureFrontDoor' });
    const route = find(resources, 'Microsoft.Cdn/profiles/afdEndpoints/routes', 'seniorly-prod-edge/seniorly-prod/voice-agent');
    expect(route.properties).toMatchObject({ httpsRedirect: 'Enabled', forwardingProtocol: 'HttpsOnly', patternsToMatch: ['/*'] });
    const origin = find(resources, 'Microsoft.Cdn/profiles/originGroups/origins', 'seniorly-prod-edge/voice-agent/voice-agent');
    expect(propertyOf(origin, 'sharedPrivateLinkResource')).toMatchObject({
      privateLink: { id: "[resourceId('Microsoft.App/managedEnvironments', 'seniorly-prod-env')]" },
      groupId: 'managedEnvironments',
    });
    expect(propertyOf(origin, 'hostName')).toContain('configuration.ingress.fqdn');
    const policy = find(resources, 'Microsoft.Cdn/profiles/securityPolicies', 'seniorly-prod-edge/seniorlyprodwaf');
    expect(propertyOf(policy, 'parameters')).toEqual({
      type: 'WebApplicationFirewall',
      wafPolicy: { id: "[resourceId('Microsoft.Network/FrontDoorWebApplicationFirewallPolicies', 'seniorlyprodwaf')]" },
      associations: [
        {
          domains: [{ id: "[resourceId('Microsoft.Cdn/profiles/afdEndpoints', 'seniorly-prod-edge', 'seniorly-prod')]" }],
          patternsToMatch: ['/*'],
        },
      ],
    });
    const setting = resources.find(
      (resource) => resource.type === 'Microsoft.Insights/diagnosticSettings' && resource.scope?.includes('Microsoft.Cdn/profiles'),
    );
    expect(propertyOf(setting as ArmResource, 'logs')).toEqual([
      { category: 'FrontDoorAccessLog', enabled: true },
      { category: 'FrontDoorWebApplicationFirewallLog', enabled: true },
    ]);
    // The environment's own private endpoint resolves in the region's Container Apps zone.
    expect(find(resources, 'Microsoft.Network/privateDnsZones', 'privatelink.eastus2.azurecontainerapps.io')).toBeDefined();
    expect(
      propertyOf(find(resources, 'Microsoft.Network/privateEndpoints', 'seniorly-prod-env-pe'), 'privateLinkServiceConnections'),
    ).toEqual([
      {
        name: 'seniorly-prod-env-managedEnvironments',
        properties: {
          privateLinkServiceId: "[resourceId('Microsoft.App/managedEnvironments', 'seniorly-prod-env')]",
          groupIds: ['managedEnvironments'],
        },
      },
    ]);
  });

  it('gives a custom domain a managed certificate and puts it on the route and under the WAF', () => {
    const custom = renderTemplate(parseConfigText('edge: {customDomain: {hostName: voice.example.com}}\n', 'c.yml')).resources;
    const domain = find(custom, 'Microsoft.Cdn/profiles/customDomains', 'seniorly-prod-edge/voice-example-com');
    expect(domain.properties).toEqual({
      hostName: 'voice.example.com',
      tlsSettings: { certificateType: 'ManagedCertificate', minimumTlsVersion: 'TLS12' },
    });
    const domainId = "[resourceId('Microsoft.Cdn/profiles/customDomains', 'seniorly-prod-edge', 'voice-example-com')]";
    expect(propertyOf(find(custom, 'Microsoft.Cdn/profiles/afdEndpoints/routes'), 'customDomains')).toEqual([{ id: domainId }]);
    expect(JSON.stringify(propertyOf(find(custom, 'Microsoft.Cdn/profiles/securityPolicies'), 'parameters.associations'))).toContain(
      domainId,
    );
  });

  it('is deterministic', () => {
    expect(renderTemplate(defaultConfig())).toEqual(template);
  });

  it('maps resources to config paths', () => {
    const rendered = renderEnvironment(defaultConfig());
    expect(rendered.configPathOf('Microsoft.KeyVault/vaults', 'seniorly-prod-secrets')).toEqual(['keyVault']);
    expect(
      rendered.configPathOf(
        'Microsoft.Sql/servers/databases/backupLongTermRetentionPolicies',
        'seniorly-prod-sql/SeniorHealthAnalytics/default',
      ),
    ).toEqual(['sql', 'longTermRetention']);
    expect(rendered.configPathOf('Microsoft.KeyVault/vaults', 'other')).toBeUndefined();
  });
});
