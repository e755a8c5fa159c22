import { describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { DEFAULT_GATE_POLICY } from '../../src/compliance/model.js';
import { gatePolicyOf } from '../../src/config/gate-policy.js';
import { parseConfigText } from '../../src/config/load.js';
import { AZURE_REGIONS, NAME_RULES } from '../../src/azure/naming.js';
import { closestMatch } from '../../src/config/closest-match.js';
import { customSubDomainOf, defaultConfig, EnvironmentConfigSchema } from '../../src/config/schema.js';
import { ConfigurationError } from '../../src/core/errors.js';

describe('built-in defaults', () => {
  const config = defaultConfig();

  it.each([
    ['region', 'eastus2'],
    ['resourceGroup', 'seniorly-prod-rg'],
    ['tags', { Environment: 'Production', Compliance: 'HIPAA' }],
    ['network.mode', 'private'],
    ['keyVault.name', 'seniorly-prod-secrets'],
    ['keyVault.softDeleteRetentionInDays', 90],
    ['cosmos.name', 'seniorly-prod-cosmos'],
    ['cosmos.continuousBackupTier', 'Continuous30Days'],
    ['sql.serverName', 'seniorly-prod-sql'],
    ['sql.databaseName', 'SeniorHealthAnalytics'],
    ['sql.entraAdmin', undefined],
    ['sql.longTermRetention', { weeklyRetention: 'P12W', monthlyRetention: 'P12M', yearlyRetention: 'P7Y', weekOfYear: 1 }],
    ['redis.kind', 'managed'],
    ['redis.sku', 'Balanced_B0'],
    ['registry.name', 'seniorlyprodacr'],
    ['registry.sku', 'Premium'],
    ['logAnalytics.name', 'seniorly-prod-logs'],
    ['logAnalytics.retentionInDays', 365],
    ['logAnalytics.auditTableTotalRetentionInDays', 2190],
    ['containerAppsEnvironment.name', 'seniorly-prod-env'],
    ['storage.name', 'seniorlyprodbackup'],
    ['storage.deleteAfterDays', 2555],
    ['containerApp.name', 'voice-agent'],
    ['containerApp.image', 'mcr.microsoft.com/k8se/quickstart:latest'],
    ['containerApp.targetPort', 8000],
    ['containerApp.healthPath', '/health'],
    ['containerApp.cpu', 2],
    ['containerApp.memory', '4Gi'],
    ['containerApp.minReplicas', 1],
    ['containerApp.maxReplicas', 10],
    ['containerApp.ingress', 'external'],
    ['edge.enabled', true],
    ['edge.profileName', 'seniorly-prod-edge'],
    ['edge.wafPolicyName', 'seniorlyprodwaf'],
    ['edge.customDomain', undefined],
    ['ai.openai.enabled', true],
    ['ai.openai.name', 'seniorly-prod-openai'],
    ['ai.openai.deployments', [{ name: 'gpt-4o', model: 'gpt-4o', version: '2024-11-20', sku: 'Standard', capacity: 10 }]],
    ['ai.openai.abuseMonitoring', undefined],
    ['ai.speech.enabled', true],
    ['ai.speech.name', 'seniorly-prod-speech'],
    ['ai.search.enabled', true],
    ['ai.search.name', 'seniorly-prod-search'],
    ['ai.search.sku', 'basic'],
    ['baa', undefined],
    ['waivers', undefined],
    ['gate.advisoryBlocks', false],
    ['gate.unknownBlocks', true],
  ])('%s defaults to %j', (path, expected) => {
    const value = path.split('.').reduce<unknown>((node, key) => (node as Record<string, unknown>)[key], config);
    expect(value).toEqual(expected);
  });

  it('round-trips: the defaults written out as YAML parse back to themselves', () => {
    expect(parseConfigText(stringify(config), 'azure-hipaa.yml')).toEqual(config);
  });

  it('an empty file is the defaults', () => {
    expect(parseConfigText('', 'azure-hipaa.yml')).toEqual(config);
  });

  it('maps to the default gate policy', () => {
    expect(gatePolicyOf(config)).toEqual(DEFAULT_GATE_POLICY);
  });
});

describe('gate policy and BAA evidence', () => {
  it('reads "*" as any value and keeps the other settings', () => {
    const config = parseConfigText(
      'gate:\n  requiredTags: {Compliance: HIPAA, Owner: "*", CostCenter: ~}\n  advisoryBlocks: true\n',
      'c.yml',
    );
    expect(gatePolicyOf(config)).toEqual({
      ...DEFAULT_GATE_POLICY,
      requiredTags: { Compliance: 'HIPAA', Owner: null, CostCenter: null },
      advisoryBlocks: true,
    });
  });
});

describe('naming rules', () => {
  it.each([
    ['keyVault', 'seniorly-prod-secrets', true],
    ['keyVault', 'kv', false],
    ['keyVault', '1vault', false],
    ['keyVault', 'my--vault', false],
    ['keyVault', 'vault-', false],
    ['keyVault', 'a'.repeat(25), false],
    ['storageAccount', 'seniorlyprodbackup', true],
    ['storageAccount', 'Seniorly-Backup', false],
    ['registry', 'seniorlyprodacr', true],
    ['registry', 'acr', false],
    ['registry', 'prod-acr', false],
    ['sqlServer', 'seniorly-prod-sql', true],
    ['sqlServer', '-sql', false],
    ['sqlServer', 'Sql', false],
    ['cosmosAccount', 'seniorly-prod-cosmos', true],
    ['cosmosAccount', 'ab', false],
    ['containerApp', 'voice-agent', true],
    ['containerApp', '1agent', false],
    ['containerApp', 'a'.repeat(33), false],
    ['resourceGroup', 'seniorly-prod-rg', true],
    ['resourceGroup', 'rg.', false],
    ['resourceGroup', 'r'.repeat(91), false],
    ['logAnalyticsWorkspace', 'seniorly-prod-logs', true],
    ['logAnalyticsWorkspace', 'log', false],
    ['redisEnterprise', 'seniorly-prod-redis', true],
    ['redisEnterprise', 'r'.repeat(61), false],
    ['sqlDatabase', 'SeniorHealthAnalytics', true],
    ['sqlDatabase', 'master', false],
    ['sqlDatabase', 'db/1', false],
    ['cognitiveServicesAccount', 'seniorly-prod-openai', true],
    ['cognitiveServicesAccount', 'a', false],
    ['customSubDomain', 'seniorly-prod-openai', true],
    ['customSubDomain', 'Seniorly', false],
    ['customSubDomain', 'prod_openai', false],
    ['searchService', 'seniorly-prod-search', true],
    ['searchService', 'a-search', false],
    ['searchService', 'search-', false],
    ['searchService', 'Search', false],
    ['modelDeployment', 'gpt-4o', true],
    ['modelDeployment', '-chat', false],
    // Microsoft's naming page, where the rules used to say otherwise:
    ['resourceGroup', 'grupo-ñandú', true],
    ['resourceGroup', 'データ', true],
    ['resourceGroup', 'rg!', false],
    ['virtualNetwork', 'v', false],
    ['virtualNetwork', 'vn', true],
    ['sqlDatabase', 'db\u0001', false],
    ['sqlDatabase', 'db\u0085', false],
    ['sqlDatabase', 'Master', false],
    ['cognitiveServicesAccount', 'prod_openai', false],
    ['cognitiveServicesAccount', 'prod.openai', false],
    ['cognitiveServicesAccount', 'openai-', false],
    ['containerAppsEnvironment', '1-prod-env', true],
    ['containerAppsEnvironment', 'prod--env', false],
  ] as const)('%s %j valid: %s', (rule, name, valid) => {
    expect(NAME_RULES[rule].pattern.test(name)).toBe(valid);
  });

  it('knows the public regions and suggests the closest', () => {
    for (const region of ['eastus', 'eastus2', 'westus2', 'westus3', 'centralus', 'northeurope', 'westeurope', 'uksouth', 'swedencentral'])
      expect(AZURE_REGIONS).toContain(region);
    expect(closestMatch('estus2', AZURE_REGIONS)).toBe('eastus2');
    expect(closestMatch('mars', AZURE_REGIONS)).toBeUndefined();
  });
});

function problemsOf(text: string): { where: string; message: string }[] {
  try {
    parseConfigText(text, 'azure-hipaa.yml');
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigurationError);
    return [...(error as ConfigurationError).problems];
  }
  throw new Error('expected a ConfigurationError');
}

describe('config-level checks', () => {
  it.each([
    ['logAnalytics:\n  retentionInDays: 2190\n', 'azure-hipaa.yml:2 logAnalytics.retentionInDays', /30 to 730/],
    ['logAnalytics:\n  retentionInDays: 29\n', 'azure-hipaa.yml:2 logAnalytics.retentionInDays', /30 to 730/],
    [
      'logAnalytics:\n  auditTableTotalRetentionInDays: 5000\n',
      'azure-hipaa.yml:2 logAnalytics.auditTableTotalRetentionInDays',
      /4 to 4383/,
    ],
    ['keyVault:\n  softDeleteRetentionInDays: 120\n', 'azure-hipaa.yml:2 keyVault.softDeleteRetentionInDays', /7 to 90/],
    ['keyVault:\n  name: my_vault\n', 'azure-hipaa.yml:2 keyVault.name', /3-24 letters, digits and hyphens/],
    ['storage:\n  name: Seniorly-Backup\n', 'azure-hipaa.yml:2 storage.name', /lowercase letters and digits/],
    ['region: eastus3x\n', 'azure-hipaa.yml:1 region', /did you mean "eastus/],
    ['registry:\n  sku: Standard\n', 'azure-hipaa.yml:2 registry.sku', /Premium/],
    [
      'registry:\n  build: {name: seniorlybuildacr, resourceGroup: seniorly-prod-rg}\n',
      'azure-hipaa.yml:2 registry.build.resourceGroup',
      /outside the environment’s resource group/,
    ],
    [
      'registry:\n  build: {name: seniorlyprodacr, resourceGroup: seniorly-build-rg}\n',
      'azure-hipaa.yml:2 registry.build.name',
      /another registry than registry.name/,
    ],
    [
      'network:\n  githubRunners: {businessId: "1", subnet: {addressPrefix: 10.40.2.0/25}}\n',
      'azure-hipaa.yml:2 network.githubRunners.subnet.addressPrefix',
      /overlaps privateEndpointsSubnet/,
    ],
    ['network:\n  githubRunners: {businessId: my-org}\n', 'azure-hipaa.yml:2 network.githubRunners.businessId', /databaseId, a number/],
    ['containerApp:\n  cpu: 1\n', 'azure-hipaa.yml:2 containerApp.memory', /set memory to 2Gi/],
    ['containerApp:\n  minReplicas: 5\n  maxReplicas: 2\n', 'azure-hipaa.yml:2 containerApp.minReplicas', /above maxReplicas/],
    [
      'containerApp:\n  env:\n    KEY: {secretRef: missing}\n',
      'azure-hipaa.yml:3 containerApp.env.KEY.secretRef',
      /not in containerApp.secrets/,
    ],
    ['containerApp:\n  env:\n    DEBUG: true\n', 'azure-hipaa.yml:3 containerApp.env.DEBUG', /quote numbers and booleans/],
    [
      'network:\n  containerAppsSubnet: {addressPrefix: 10.99.0.0/23}\n',
      'azure-hipaa.yml:2 network.containerAppsSubnet.addressPrefix',
      /not inside network.addressSpace/,
    ],
    [
      'network:\n  privateEndpointsSubnet: {addressPrefix: 10.40.1.0/24}\n',
      'azure-hipaa.yml:2 network.privateEndpointsSubnet.addressPrefix',
      /overlap/,
    ],
    ['sql:\n  longTermRetention: {yearlyRetention: P11Y}\n', 'azure-hipaa.yml:2 sql.longTermRetention.yearlyRetention', /P1Y to P10Y/],
    ['sql:\n  entraAdmin: {login: admins, objectId: not-a-guid}\n', 'azure-hipaa.yml:2 sql.entraAdmin.objectId', /GUID/],
    ['baa:\n  signedDate: 2026-01-15\n', 'azure-hipaa.yml:2 baa.reviewedDate', /required/],
    [
      'baa: {signedDate: 2026-01-15, reviewedDate: 2026-11-01, file: /etc/baa.pdf, sha256: abc}\n',
      'azure-hipaa.yml:1 baa.file',
      /relative/,
    ],
    ['redis:\n  name: a--b\n', 'azure-hipaa.yml:2 redis.name', /no consecutive hyphens/],
    ['keyVault:\n  nmae: x\n', 'azure-hipaa.yml:2 keyVault.nmae', /unknown key "nmae"; did you mean "name"/],
    ['colour: blue\n', 'azure-hipaa.yml:1 colour', /unknown key "colour"/],
    [
      'ai:\n  openai:\n    deployments:\n      - {name: chat, model: gpt-4o, version: "2024-11-20", sku: Standart}\n',
      'azure-hipaa.yml:4 ai.openai.deployments[0].sku',
      /GlobalStandard/,
    ],
    [
      'ai:\n  openai:\n    deployments:\n      - {name: chat, model: gpt-4o, version: 1}\n',
      'azure-hipaa.yml:4 ai.openai.deployments[0].version',
      /quote it in YAML/,
    ],
    [
      'ai:\n  openai:\n    deployments:\n      - {name: chat, model: gpt-4o, version: "1", capacity: 0}\n',
      'azure-hipaa.yml:4 ai.openai.deployments[0].capacity',
      /1 to 100000/,
    ],
    [
      'ai:\n  openai:\n    deployments:\n      - {name: chat, model: gpt-4o, version: "1"}\n      - {name: Chat, model: gpt-4o-mini, version: "1"}\n',
      'azure-hipaa.yml:5 ai.openai.deployments[1].name',
      /used twice/,
    ],
    ['ai:\n  openai:\n    name: prod_openai\n', 'azure-hipaa.yml:3 ai.openai.customSubDomainName', /set customSubDomainName/],
    [
      'ai:\n  speech:\n    customSubDomainName: seniorly-prod-openai\n',
      'azure-hipaa.yml:3 ai.speech.customSubDomainName',
      /give them different ones/,
    ],
    ['ai:\n  search:\n    replicaCount: 4\n', 'azure-hipaa.yml:3 ai.search.replicaCount', /basic SKU has 1-3 replicas/],
    ['ai:\n  search:\n    partitionCount: 5\n', 'azure-hipaa.yml:3 ai.search.partitionCount', /1, 2, 3, 4, 6 or 12/],
    ['ai:\n  search:\n    sku: free\n', 'azure-hipaa.yml:3 ai.search.sku', /basic/],
    ['ai:\n  openai:\n    abuseMonitoring: {}\n', 'azure-hipaa.yml:3 ai.openai.abuseMonitoring', /either approval .* or waiver/],
    [
      'ai:\n  openai:\n    abuseMonitoring:\n      approval: {approvedDate: 2026-03-02, reference: case 1}\n      waiver: {reason: r, reviewedBy: me, reviewedDate: 2026-03-02}\n',
      'azure-hipaa.yml:4 ai.openai.abuseMonitoring',
      /not both/,
    ],
    [
      'containerApp:\n  ingress: internal\n',
      'azure-hipaa.yml:2 containerApp.ingress',
      /set containerApp.ingress to external.*or edge.enabled to false/,
    ],
    ['edge:\n  wafPolicyName: prod-waf\n', 'azure-hipaa.yml:2 edge.wafPolicyName', /letters and digits, starting with a letter/],
    ['edge:\n  customDomain: {hostName: "https://voice.example.com/"}\n', 'azure-hipaa.yml:2 edge.customDomain.hostName', /DNS host name/],
  ])('%j -> %s', (text, where, message) => {
    const problems = problemsOf(text);
    expect(problems.find((problem) => problem.where === where)?.message).toMatch(message);
  });

  it('leaves an AI service out with enabled: false, and takes the account name as custom subdomain when none is given', () => {
    const config = parseConfigText('ai:\n  search: {enabled: false}\n  speech: {name: Voice-Speech}\n', 'c.yml');
    expect(config.ai.search.enabled).toBe(false);
    expect(customSubDomainOf(config.ai.speech)).toBe('voice-speech');
    expect(customSubDomainOf({ name: 'x', customSubDomainName: 'own-subdomain' })).toBe('own-subdomain');
  });

  it('accepts a public network with a non-Premium registry', () => {
    expect(parseConfigText('network: {mode: public}\nregistry: {sku: Standard}\n', 'c.yml').registry.sku).toBe('Standard');
  });
});

describe('schema documentation', () => {
  it('describes every field (the descriptions become editor help)', () => {
    const undocumented: string[] = [];
    const visit = (node: unknown, path: string): void => {
      if (typeof node !== 'object' || node === null) return;
      const schema = node as Record<string, unknown>;
      for (const [key, child] of Object.entries((schema.properties ?? {}) as Record<string, Record<string, unknown>>)) {
        if (typeof child.description !== 'string' || child.description.length === 0) undocumented.push(`${path}${key}`);
        visit(child, `${path}${key}.`);
      }
      for (const keyword of ['anyOf', 'oneOf', 'allOf'] as const)
        for (const variant of (schema[keyword] ?? []) as unknown[]) visit(variant, path);
    };
    const jsonSchema = EnvironmentConfigSchema.toJSONSchema({ io: 'input' });
    visit(jsonSchema, '');
    expect(undocumented).toEqual([]);
    expect(jsonSchema.description).toMatch(/azure-hipaa.yml/);
  });
});
