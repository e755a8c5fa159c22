import { describe, expect, it } from 'vitest';
import { hasSchemaFor, validateResourceBody, type ResourceBody } from '../../sandbox/arm/schema.js';

const vault: ResourceBody = {
  type: 'Microsoft.KeyVault/vaults',
  apiVersion: '2026-02-01',
  name: 'seniorly-prod-secrets',
  location: 'eastus2',
  properties: {
    tenantId: '[subscription().tenantId]',
    sku: { family: 'A', name: 'standard' },
    enablePurgeProtection: true,
    softDeleteRetentionInDays: 90,
  },
};
const workspace: ResourceBody = {
  type: 'Microsoft.OperationalInsights/workspaces',
  apiVersion: '2025-02-01',
  name: 'seniorly-prod-logs',
  location: 'eastus2',
  properties: { sku: { name: 'PerGB2018' }, retentionInDays: 365 },
};
const table: ResourceBody = {
  type: 'Microsoft.OperationalInsights/workspaces/tables',
  apiVersion: '2025-02-01',
  name: 'seniorly-prod-logs/AZKVAuditLogs',
  properties: { totalRetentionInDays: 2190 },
};
const auditing: ResourceBody = {
  type: 'Microsoft.Sql/servers/auditingSettings',
  apiVersion: '2023-08-01',
  name: 'seniorly-prod-sql/default',
  properties: { state: 'Enabled', isAzureMonitorTargetEnabled: true },
};

function withProperties(resource: ResourceBody, properties: Record<string, unknown>): ResourceBody {
  return { ...resource, properties: { ...(resource.properties as object), ...properties } };
}

describe('validateResourceBody', () => {
  it.each([
    ['a Key Vault', vault],
    ['a workspace', workspace],
    ['a table declared at the top level (parent/child name)', table],
    ['SQL auditing, whose schema writes the name rule for the full name', auditing],
    [
      'deployment keys (dependsOn, condition, scope) beside the body',
      { ...vault, dependsOn: ["[resourceId('x/y', 'z')]"], condition: true, comments: 'c' },
    ],
    ['an expression where the schema wants an integer', withProperties(vault, { softDeleteRetentionInDays: "[parameters('retention')]" })],
    [
      'an expression where the schema wants a boolean',
      withProperties(vault, { enablePurgeProtection: "[equals(parameters('env'), 'prod')]" }),
    ],
    ['an expression as a whole object', withProperties(vault, { sku: "[variables('sku')]" })],
    ['an expression as the whole properties', { ...vault, properties: "[variables('vaultProperties')]" }],
    ['an expression as a name the schema constrains', { ...table, name: "[format('{0}/{1}', parameters('w'), 'AZKVAuditLogs')]" }],
  ])('accepts %s', (_what, resource) => {
    expect(validateResourceBody(resource)).toEqual({ ok: true });
  });

  it.each([
    [
      'a misspelled property',
      withProperties(vault, { enableRbacAuthorizaton: true }),
      /properties: unknown property "enableRbacAuthorizaton"/,
    ],
    [
      'a misspelled nested property',
      withProperties(vault, { networkAcls: { defaultActon: 'Deny' } }),
      /properties.networkAcls: unknown property "defaultActon"/,
    ],
    ['a misspelled top-level key', { ...vault, tag: {} }, /\(resource\): unknown property "tag"/],
    [
      'workspace retention 2190 (Azure accepts 30-730)',
      withProperties(workspace, { retentionInDays: 2190 }),
      /properties.retentionInDays: must be <= 730/,
    ],
    [
      'table totalRetentionInDays 5000 (4-4383)',
      withProperties(table, { totalRetentionInDays: 5000 }),
      /properties.totalRetentionInDays: must be <= 4383/,
    ],
    [
      'a value outside an enum',
      withProperties(vault, { sku: { family: 'A', name: 'gold' } }),
      /properties.sku.name: must be one of "premium", "standard"|must be one of "standard", "premium"/,
    ],
    [
      'a string where an integer belongs',
      withProperties(vault, { softDeleteRetentionInDays: 'ninety' }),
      /properties.softDeleteRetentionInDays: must be integer/,
    ],
    [
      'a missing required property',
      { ...vault, properties: { sku: { family: 'A', name: 'standard' } } },
      /properties: missing required property "tenantId"/,
    ],
    ['a child name with the wrong number of segments', { ...table, name: 'AZKVAuditLogs' }, /name: "AZKVAuditLogs" has 1 segment/],
    [
      'an api-version with no schema file',
      { ...vault, apiVersion: '2019-09-01' },
      /no ARM schema for Microsoft.KeyVault\/vaults at api-version 2019-09-01/,
    ],
  ])('rejects %s', (_what, resource, message) => {
    const result = validateResourceBody(resource);
    expect(result.ok).toBe(false);
    expect(result.ok ? [] : result.errors.join('\n')).toMatch(message);
  });

  it('validates a child declared inside its parent (nested)', () => {
    const secret = {
      type: 'Microsoft.KeyVault/vaults/secrets',
      apiVersion: '2026-02-01',
      name: 'AzureOpenAIKey',
      properties: { contentType: 'text/plain' },
    };
    expect(validateResourceBody(secret, { nested: true })).toEqual({ ok: true });
    expect(validateResourceBody({ ...secret, properties: { contentTyp: 'x' } }, { nested: true }).ok).toBe(false);
  });
});

describe('a discriminated union the generator wrote as a closed base beside its variants', () => {
  // Microsoft.Cdn's SecurityPolicyPropertiesParameters: allOf [{additionalProperties: false, properties: {type}}, oneOf [variants]].
  const securityPolicy = (parameters: Record<string, unknown>): ResourceBody => ({
    type: 'Microsoft.Cdn/profiles/securityPolicies',
    apiVersion: '2025-06-01',
    name: 'edge/waf',
    properties: { parameters },
  });
  const waf = {
    type: 'WebApplicationFirewall',
    wafPolicy: { id: "[resourceId('Microsoft.Network/FrontDoorWebApplicationFirewallPolicies', 'waf')]" },
    associations: [{ domains: [{ id: "[resourceId('Microsoft.Cdn/profiles/afdEndpoints', 'edge', 'app')]" }], patternsToMatch: ['/*'] }],
  };

  it('accepts a variant with its own properties', () => {
    expect(validateResourceBody(securityPolicy(waf))).toEqual({ ok: true });
  });

  it('still closes the variant: a misspelled property is refused', () => {
    const result = validateResourceBody(securityPolicy({ ...waf, wafPolicyy: waf.wafPolicy }));
    expect(result.ok ? [] : result.errors.join('\n')).toMatch(/unknown property "wafPolicyy"/);
  });

  it('still checks the discriminator', () => {
    expect(validateResourceBody(securityPolicy({ ...waf, type: 'Firewall' })).ok).toBe(false);
  });
});

describe('hasSchemaFor', () => {
  it.each([
    ['Microsoft.KeyVault/vaults', '2026-02-01', true],
    ['microsoft.keyvault/VAULTS', '2026-02-01', true],
    ['Microsoft.Sql/servers/databases/transparentDataEncryption', '2023-08-01', true],
    ['Microsoft.Insights/diagnosticSettings', '2021-05-01-preview', true],
    ['Microsoft.KeyVault/vaults', '2019-09-01', false],
    ['Microsoft.Network/virtualNetworks', '2024-05-01', true],
    ['Microsoft.Network/privateDnsZones/virtualNetworkLinks', '2024-06-01', true],
    ['Microsoft.Network/virtualNetworks', '2023-04-01', false],
    ['Microsoft.KeyVault/nothings', '2026-02-01', false],
    ['Microsoft.Cdn/profiles/afdEndpoints/routes', '2025-06-01', true],
    ['Microsoft.Network/FrontDoorWebApplicationFirewallPolicies', '2025-11-01', true],
  ])('%s@%s: %s', (type, apiVersion, expected) => {
    expect(hasSchemaFor(type, apiVersion)).toBe(expected);
  });
});
