/**
 * The type registry covers everything that depends on it: every type the renderer emits, every
 * type a control judges, every audit-log scope and child the live gate reads, and the sandbox
 * serves each rendered type. Adding a type is one registry entry; these fail when it is missing.
 */
import { describe, expect, it } from 'vitest';
import { typeSpec } from '../../sandbox/arm/catalog.js';
import {
  AUDIT_LOG_SOURCES,
  AUDIT_LOG_TABLES,
  RESOURCE_TYPES,
  apiVersionOf,
  baaServiceOf,
  configuresOther,
  privateLinkOf,
  resourceType,
} from '../../src/azure/resource-types.js';
import { CONTROLS } from '../../src/compliance/catalog.js';
import { defaultConfig } from '../../src/config/schema.js';
import { parseConfigText } from '../../src/config/load.js';
import { hasSchemaFor } from '../../sandbox/arm/schema.js';
import { renderTemplate } from '../../src/template/render.js';

const variants = {
  'the defaults (private network, Managed Redis)': defaultConfig(),
  'a public network with Azure Cache for Redis': parseConfigText('network: {mode: public}\nredis: {kind: legacy}\n', 'c.yml'),
};
const renderedTypes = [...new Set(Object.values(variants).flatMap((config) => renderTemplate(config).resources.map((r) => r.type)))];

describe('the resource type registry', () => {
  it.each(Object.entries(variants))('registers every type the renderer emits for %s, at the api-version it deploys', (_label, config) => {
    for (const resource of renderTemplate(config).resources)
      expect(resource.apiVersion, resource.type).toBe(resourceType(resource.type)?.apiVersion);
  });

  it('gives every registered api-version a schema in reference/arm-schemas, so each body is validated', () => {
    const missing = RESOURCE_TYPES.filter((entry) => entry.apiVersion && !hasSchemaFor(entry.type, entry.apiVersion));
    expect(missing.map((entry) => `${entry.type}@${entry.apiVersion}`)).toEqual([]);
  });

  it('registers every type a control judges, with the api-version the live gate reads it at', () => {
    const judged = CONTROLS.flatMap((control) => (Array.isArray(control.appliesTo) ? control.appliesTo : []));
    expect(judged.length).toBeGreaterThan(10);
    // Judged in users' templates only, until reference/arm-schemas holds their schema: live, the
    // gate reads their properties as unknown, so their controls block (fail closed).
    const templateOnly = ['Microsoft.Web/sites', 'Microsoft.EventHub/namespaces'];
    for (const type of judged.filter((t) => !templateOnly.includes(t))) expect(() => apiVersionOf(type), type).not.toThrow();
    for (const type of templateOnly) expect(resourceType(type)?.apiVersion, type).toBeUndefined();
  });

  it('registers every child the live gate reads and every type an audit-log setting is scoped to', () => {
    for (const entry of RESOURCE_TYPES)
      for (const child of entry.children ?? []) expect(() => apiVersionOf(`${entry.type}/${child.type}`)).not.toThrow();
    for (const source of AUDIT_LOG_SOURCES) expect(resourceType(source.scopeType), source.scopeType).toBeDefined();
  });

  it('puts every rendered type in the BAA scope (children through their parent), or marks it as only configuring others', () => {
    for (const type of renderedTypes) expect(baaServiceOf(type) ?? configuresOther(type), type).toBeTruthy();
    expect(configuresOther('Microsoft.Insights/diagnosticSettings')).toBe(true);
    expect(baaServiceOf('Microsoft.Sql/servers/databases/transparentDataEncryption')).toBe('Azure SQL Database');
    expect(baaServiceOf('Microsoft.Example/widgets')).toBeUndefined();
  });

  it('has the sandbox serve every rendered type', () => {
    for (const type of renderedTypes) expect(typeSpec(type), type).toBeDefined();
  });

  it('gives an AI services account the private DNS zone of its kind', () => {
    expect(privateLinkOf('Microsoft.CognitiveServices/accounts', 'OpenAI')).toEqual({
      groupId: 'account',
      dnsZone: 'privatelink.openai.azure.com',
    });
    expect(privateLinkOf('Microsoft.CognitiveServices/accounts', 'SpeechServices')).toEqual({
      groupId: 'account',
      dnsZone: 'privatelink.cognitiveservices.azure.com',
    });
    expect(privateLinkOf('Microsoft.Search/searchServices')).toEqual({
      groupId: 'searchService',
      dnsZone: 'privatelink.search.windows.net',
    });
    // Their logs have no resource-specific tables: AzureDiagnostics is listed once among the audit tables.
    expect(AUDIT_LOG_TABLES.filter((table) => table === 'AzureDiagnostics')).toHaveLength(1);
  });

  it('answers for a type in any casing, as ARM compares types', () => {
    expect(resourceType('microsoft.keyvault/VAULTS')?.type).toBe('Microsoft.KeyVault/vaults');
  });
});
