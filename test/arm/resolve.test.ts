import { describe, expect, it } from 'vitest';
import { TemplateError, evaluateString, type ExpressionScope } from '../../src/arm/expressions.js';
import { resolveTemplate } from '../../src/arm/resolve.js';
import type { JudgedResource } from '../../src/arm/deployed.js';
import { isUnknown } from '../../src/arm/values.js';
import { parseLocatedDocument } from '../../src/core/located-document.js';

const scope: ExpressionScope = {
  parameter: (name) => ({ env: 'prod', count: 3, flag: true, obj: { a: { b: 'deep' } } })[name],
  variable: (name) => ({ prefix: 'seniorly' })[name],
  copyIndex: () => undefined,
  subscriptionId: 'sub',
  tenantId: 'tenant',
  resourceGroup: 'rg',
  location: 'eastus2',
  deploymentName: 'deploy',
  cloud: 'AzureCloud',
};

describe('ARM expressions', () => {
  it.each([
    ["[concat('a', 'b', parameters('env'))]", 'abprod'],
    ["[format('{0}-{1}', variables('prefix'), parameters('env'))]", 'seniorly-prod'],
    ["[toLower('ABC')]", 'abc'],
    ["[toUpper(parameters('env'))]", 'PROD'],
    ["[resourceId('Microsoft.KeyVault/vaults', 'kv')]", '/subscriptions/sub/resourceGroups/rg/providers/Microsoft.KeyVault/vaults/kv'],
    [
      "[resourceId('other-rg', 'Microsoft.Sql/servers/databases', 'srv', 'db')]",
      '/subscriptions/sub/resourceGroups/other-rg/providers/Microsoft.Sql/servers/srv/databases/db',
    ],
    ['[resourceGroup().name]', 'rg'],
    ['[subscription().subscriptionId]', 'sub'],
    ["[if(equals(parameters('env'), 'prod'), 'big', 'small')]", 'big'],
    ["[not(parameters('flag'))]", false],
    ["[and(true, parameters('flag'))]", true],
    ['[or(false, false)]', false],
    ["[empty('')]", true],
    ["[contains(createArray('a', 'b'), 'b')]", true],
    ["[union(createObject('a', 1), createObject('b', 2)).b]", 2],
    ["[string(parameters('count'))]", '3'],
    ["[int('42')]", 42],
    ["[bool('true')]", true],
    ["[parameters('obj').a.b]", 'deep'],
    ["[parameters('obj')['a']['b']]", 'deep'],
    ["[add(parameters('count'), 1)]", 4],
    ["[length(uniqueString('x'))]", 13],
    ['[[literal]', '[literal]'],
    ['not an expression', 'not an expression'],
    ["[concat('it''s', '')]", "it's"],
  ])('%s evaluates to %j', (expression, expected) => {
    expect(evaluateString(expression, scope)).toEqual(expected);
  });

  it.each([
    // Microsoft's lambda function reference, groupBy and mapValues.
    ["[groupBy(createArray('foo', 'bar', 'baz'), lambda('x', substring(lambdaVariables('x'), 0, 1)))]", { f: ['foo'], b: ['bar', 'baz'] }],
    ["[mapValues(createObject('foo', 'foo'), lambda('val', toUpper(lambdaVariables('val'))))]", { foo: 'FOO' }],
    ['[environment().suffixes.keyvaultDns]', '.vault.azure.net'],
    ['[tenant().tenantId]', 'tenant'],
  ])('%s evaluates to %j', (expression, expected) => {
    expect(evaluateString(expression, scope)).toEqual(expected);
  });

  it('gives the same uniqueString and guid for the same inputs', () => {
    expect(evaluateString("[uniqueString('a', 'b')]", scope)).toBe(evaluateString("[uniqueString('a', 'b')]", scope));
    expect(evaluateString("[guid('a')]", scope)).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  });

  it.each([
    "[reference('kv').vaultUri]",
    "[listKeys('x', '2024-01-01').keys[0].value]",
    '[utcNow()]',
    "[concat('a', reference('x').y)]",
    '[someFutureFunction(1)]',
  ])('%s is unknown offline', (expression) => {
    const value = evaluateString(expression, scope);
    expect(isUnknown(value)).toBe(true);
  });

  it('decides with a known condition without evaluating the other branch', () => {
    expect(evaluateString("[if(equals(parameters('env'), 'prod'), true, reference('x'))]", scope)).toBe(true);
    expect(isUnknown(evaluateString("[if(equals(parameters('env'), 'dev'), true, reference('x'))]", scope))).toBe(true);
    expect(evaluateString("[or(parameters('flag'), reference('x'))]", scope)).toBe(true);
  });

  it.each(["[concat('a']", "[concat('a') extra]", "[toLower('a', 'b')]"])('rejects the malformed expression %s naming it', (expression) => {
    expect(() => evaluateString(expression, scope)).toThrowError(TemplateError);
    expect(() => evaluateString(expression, scope)).toThrowError(expression.slice(1, -1));
  });
});

const tags = { Compliance: 'HIPAA' };
function names(resources: JudgedResource[]): string[] {
  return resources.map((r) => `${r.type}|${r.name}`);
}

describe('resolveTemplate', () => {
  const base = {
    $schema: 'https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#',
    contentVersion: '1.0.0.0',
    parameters: { env: { type: 'string', defaultValue: 'prod', allowedValues: ['prod', 'dev'] }, vaults: { type: 'int', defaultValue: 2 } },
    variables: { prefix: "[concat('seniorly-', parameters('env'))]", server: "[concat(variables('prefix'), '-sql')]" },
  };

  it('expands copy loops, applies conditions and flags unknown ones', () => {
    const env = resolveTemplate(
      {
        ...base,
        resources: [
          {
            type: 'Microsoft.KeyVault/vaults',
            apiVersion: '2026-02-01',
            name: "[format('{0}-kv{1}', variables('prefix'), copyIndex(1))]",
            tags,
            copy: { name: 'vaults', count: "[parameters('vaults')]" },
            properties: {},
          },
          {
            type: 'Microsoft.Storage/storageAccounts',
            apiVersion: '2025-06-01',
            name: 'skipped',
            condition: "[equals(parameters('env'), 'dev')]",
            properties: {},
          },
          {
            type: 'Microsoft.Storage/storageAccounts',
            apiVersion: '2025-06-01',
            name: 'maybe',
            condition: "[reference('x').enabled]",
            properties: {},
          },
        ],
      },
      { source: { file: 't.json', value: null } },
    );
    expect(names(env.resources)).toEqual([
      'Microsoft.KeyVault/vaults|seniorly-prod-kv1',
      'Microsoft.KeyVault/vaults|seniorly-prod-kv2',
      'Microsoft.Storage/storageAccounts|maybe',
    ]);
    expect(env.resources[2]?.conditionUnknown).toBeDefined();
  });

  it('expands property-level copy arrays', () => {
    const env = resolveTemplate(
      {
        ...base,
        resources: [
          {
            type: 'Microsoft.App/containerApps',
            apiVersion: '2026-01-01',
            name: 'app',
            properties: {
              configuration: {
                copy: [{ name: 'secrets', count: 2, input: { name: "[concat('s', copyIndex('secrets'))]", keyVaultUrl: 'https://kv' } }],
              },
            },
          },
        ],
      },
      { source: { file: 't.json', value: null } },
    );
    expect(
      (env.resources[0]?.body['properties'] as { configuration: { secrets: { name: string }[] } }).configuration.secrets.map((s) => s.name),
    ).toEqual(['s0', 's1']);
  });

  it('evaluates expressions used as property names, as ARM does for userAssignedIdentities keys', () => {
    const env = resolveTemplate(
      {
        ...base,
        parameters: { tagName: { type: 'string', defaultValue: 'Owner' }, later: { type: 'string' } },
        resources: [
          {
            type: 'Microsoft.App/containerApps',
            apiVersion: '2026-01-01',
            name: 'app',
            identity: {
              type: 'UserAssigned',
              userAssignedIdentities: { "[resourceId('Microsoft.ManagedIdentity/userAssignedIdentities', 'app-id')]": {} },
            },
            tags: { "[parameters('tagName')]": 'team', '[[literal]': 'kept', "[parameters('later')]": 'unknown offline' },
            properties: {},
          },
        ],
      },
      { source: { file: 't.json', value: null } },
    );
    const body = env.resources[0]?.body as { identity: { userAssignedIdentities: object }; tags: object };
    expect(Object.keys(body.identity.userAssignedIdentities)).toEqual([
      '/subscriptions/⟦@subscription⟧/resourceGroups/⟦@resourceGroup⟧/providers/Microsoft.ManagedIdentity/userAssignedIdentities/app-id',
    ]);
    expect(Object.keys(body.tags)).toEqual(['Owner', '[literal]', "[parameters('later')]"]);
  });

  it('links nested children, top-level children and extension resources (both forms) to their parents', () => {
    const env = resolveTemplate(
      {
        ...base,
        resources: [
          {
            type: 'Microsoft.Sql/servers',
            apiVersion: '2023-08-01',
            name: "[variables('server')]",
            properties: {},
            resources: [{ type: 'databases', apiVersion: '2023-08-01', name: 'db', properties: {} }],
          },
          {
            type: 'Microsoft.Sql/servers/auditingSettings',
            apiVersion: '2023-08-01',
            name: "[concat(variables('server'), '/default')]",
            properties: { state: 'Enabled' },
          },
          { type: 'Microsoft.KeyVault/vaults', apiVersion: '2026-02-01', name: 'kv', properties: {} },
          {
            type: 'Microsoft.Insights/diagnosticSettings',
            apiVersion: '2021-05-01-preview',
            name: 'audit',
            scope: "[resourceId('Microsoft.KeyVault/vaults', 'kv')]",
            properties: {},
          },
          {
            type: 'Microsoft.KeyVault/vaults/providers/diagnosticSettings',
            apiVersion: '2021-05-01-preview',
            name: 'kv/Microsoft.Insights/legacy',
            properties: {},
          },
        ],
      },
      { source: { file: 't.json', value: null } },
    );
    const server = env.resources.find((r) => r.type === 'Microsoft.Sql/servers') as JudgedResource;
    expect(names(server.children)).toEqual([
      'Microsoft.Sql/servers/databases|seniorly-prod-sql/db',
      'Microsoft.Sql/servers/auditingSettings|seniorly-prod-sql/default',
    ]);
    const vault = env.resources.find((r) => r.type === 'Microsoft.KeyVault/vaults') as JudgedResource;
    expect(vault.extensions.map((e) => e.name)).toEqual(['audit', 'legacy']);
    expect(vault.extensions[0]?.id).toBe(
      '/subscriptions/⟦@subscription⟧/resourceGroups/⟦@resourceGroup⟧/providers/Microsoft.KeyVault/vaults/kv/providers/Microsoft.Insights/diagnosticSettings/audit',
    );
    expect(env.resources).toHaveLength(6);
  });

  it('takes values from a parameters file over defaults, and checks allowedValues', () => {
    const template = {
      ...base,
      resources: [{ type: 'Microsoft.KeyVault/vaults', apiVersion: '2026-02-01', name: "[variables('prefix')]", properties: {} }],
    };
    const parametersFile = {
      $schema: 'https://schema.management.azure.com/schemas/2019-04-01/deploymentParameters.json#',
      contentVersion: '1.0.0.0',
      parameters: { env: { value: 'dev' } },
    };
    expect(resolveTemplate(template, { source: { file: 't.json', value: null }, parameters: parametersFile }).resources[0]?.name).toBe(
      'seniorly-dev',
    );
    const refused = resolveTemplate(template, { source: { file: 't.json', value: null }, parameters: { env: 'staging' } });
    expect(refused.problems?.map((p) => p.message)).toEqual([
      expect.stringMatching(/'"staging"' for the template parameter 'env' is not valid: it must be one of \["prod","dev"\]/),
    ]);
    expect(isUnknown(refused.resources[0]?.body['name'])).toBe(true);
  });

  it('names a parameter that has no value and the option that gives one', () => {
    const template = {
      ...base,
      parameters: { adminGroup: { type: 'string' } },
      resources: [{ type: 'Microsoft.KeyVault/vaults', apiVersion: '2026-02-01', name: "[parameters('adminGroup')]", properties: {} }],
    };
    const env = resolveTemplate(template, { source: { file: 't.json', value: null } });
    expect(env.missingParameters).toEqual(['adminGroup']);
    // A string parameter without a value stands in names as a placeholder, so ids and links still hold.
    expect(env.resources[0]?.name).toBe('\u27e6adminGroup\u27e7');
    expect(env.problems).toBeUndefined();
  });

  it('rejects a file that is not a template', () => {
    expect(() => resolveTemplate({ hello: 'world' }, { source: { file: 'x.json', value: null } })).toThrowError(
      /not an ARM deployment template/,
    );
  });

  it('reports linked deployments and unknowable names instead of dropping them', () => {
    const env = resolveTemplate(
      {
        ...base,
        resources: [
          {
            type: 'Microsoft.Resources/deployments',
            apiVersion: '2022-09-01',
            name: 'inner',
            properties: { templateLink: { uri: 'https://example.com/t.json' } },
          },
          { type: 'Microsoft.KeyVault/vaults', apiVersion: '2026-02-01', name: "[reference('x').name]", properties: {} },
        ],
      },
      { source: { file: 't.json', value: null } },
    );
    expect(env.resources).toHaveLength(2);
    expect(env.unresolved.map((u) => u.message)).toEqual([
      expect.stringContaining('nested deployment "inner" links its template (https://example.com/t.json)'),
      expect.stringContaining("reference('x').name"),
    ]);
  });

  it('locates a property on its line in the file', () => {
    const text = JSON.stringify(
      {
        ...base,
        resources: [
          { type: 'Microsoft.KeyVault/vaults', apiVersion: '2026-02-01', name: 'kv', properties: { enablePurgeProtection: false } },
        ],
      },
      null,
      2,
    );
    const document = parseLocatedDocument(text, 'main.json');
    const vault = resolveTemplate(document.value, { source: document }).resources[0] as JudgedResource;
    const location = vault.locate?.(['properties', 'enablePurgeProtection']);
    expect(text.split('\n')[(location?.line ?? 0) - 1]).toContain('"enablePurgeProtection": false');
  });
});
