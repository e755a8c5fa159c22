/**
 * The sandbox's name and region tables (sandbox/arm/names.ts) and the product's
 * (src/azure/naming.ts) are written apart, each from Microsoft's pages. The same sample names and
 * regions go through both; any answer they differ on is listed, so one of them is wrong.
 */
import { describe, expect, it } from 'vitest';
import { AZURE_REGIONS, NAME_RULES } from '../../src/azure/naming.js';
import { NAME_RULES_BY_TYPE, REGIONS, RESOURCE_GROUP_NAME, isValidName, nameRuleOf, type AzureNameRule } from '../../sandbox/arm/names.js';

/** Each product rule beside the resource type the sandbox checks it for. */
const PAIRS: readonly (readonly [keyof typeof NAME_RULES, string])[] = [
  ['managedIdentity', 'Microsoft.ManagedIdentity/userAssignedIdentities'],
  ['logAnalyticsWorkspace', 'Microsoft.OperationalInsights/workspaces'],
  ['virtualNetwork', 'Microsoft.Network/virtualNetworks'],
  ['keyVault', 'Microsoft.KeyVault/vaults'],
  ['diagnosticSetting', 'Microsoft.Insights/diagnosticSettings'],
  ['cosmosAccount', 'Microsoft.DocumentDB/databaseAccounts'],
  ['sqlServer', 'Microsoft.Sql/servers'],
  ['sqlDatabase', 'Microsoft.Sql/servers/databases'],
  ['redisEnterprise', 'Microsoft.Cache/redisEnterprise'],
  ['redisCache', 'Microsoft.Cache/redis'],
  ['storageAccount', 'Microsoft.Storage/storageAccounts'],
  ['registry', 'Microsoft.ContainerRegistry/registries'],
  ['cognitiveServicesAccount', 'Microsoft.CognitiveServices/accounts'],
  ['modelDeployment', 'Microsoft.CognitiveServices/accounts/deployments'],
  ['searchService', 'Microsoft.Search/searchServices'],
  ['containerAppsEnvironment', 'Microsoft.App/managedEnvironments'],
  ['containerApp', 'Microsoft.App/containerApps'],
  ['frontDoorProfile', 'Microsoft.Cdn/profiles'],
  ['frontDoorWafPolicy', 'Microsoft.Network/FrontDoorWebApplicationFirewallPolicies'],
];

/** The limits of every rule above and one either side, so each length rule is probed at its edges. */
const LENGTHS = [
  1, 2, 3, 4, 5, 6, 23, 24, 25, 31, 32, 33, 43, 44, 45, 49, 50, 51, 59, 60, 61, 62, 63, 64, 65, 89, 90, 91, 127, 128, 129, 259, 260, 261,
];

/** The same samples for every type: valid-looking names, each kind of mistake, and every length edge. */
const SAMPLE_NAMES: readonly string[] = [
  'contoso',
  'contoso1',
  'contoso-prod',
  'contoso-prod-1',
  'Contoso',
  'CONTOSO',
  'contosoProd',
  '1contoso',
  '12',
  'ab',
  'a-b',
  'ab-c',
  '-contoso',
  'contoso-',
  'contoso--prod',
  'contoso_prod',
  '_contoso',
  'contoso_',
  'contoso.prod',
  '.contoso',
  'contoso.',
  'contoso(1)',
  '(contoso)',
  'con toso',
  'contoso ',
  ' contoso',
  'contoso!',
  'contoso/1',
  'contoso\\1',
  'contoso*',
  'contoso%',
  'contoso&',
  'contoso:',
  'contoso?',
  'contoso+',
  'contoso<',
  'contoso>',
  'contoso#',
  'contoso@',
  'contoso=',
  'contoso\u0001',
  'contoso\u007f',
  'contoso\u0085',
  'grupo-ñandú',
  'ドメイン',
  'contoso-é',
  'master',
  'Master',
  'default',
  '',
  ...LENGTHS.flatMap((length) => ['a'.repeat(length), `x${'1'.repeat(length - 1)}`, `${'a'.repeat(length - 1)}-`]),
];

const SAMPLE_REGIONS: readonly string[] = [
  ...new Set([...AZURE_REGIONS, ...REGIONS]),
  'eastus3',
  'westus4',
  'global',
  'usgovvirginia',
  'chinanorth3',
  'centraluseuap',
  'East US',
  'EastUS',
];

interface Disagreement {
  type: string;
  sample: string;
  product: 'accepts' | 'refuses';
  sandbox: 'accepts' | 'refuses';
}

function says(valid: boolean): 'accepts' | 'refuses' {
  return valid ? 'accepts' : 'refuses';
}

function disagreements(type: string, productRule: RegExp, sandboxRule: AzureNameRule): Disagreement[] {
  return SAMPLE_NAMES.flatMap((sample) => {
    const product = productRule.test(sample);
    const sandbox = isValidName(sandboxRule, sample);
    return product === sandbox ? [] : [{ type, sample, product: says(product), sandbox: says(sandbox) }];
  });
}

/** A sample as a reader can tell it apart: long ones shortened, anything outside printable ASCII escaped. */
function shown(sample: string): string {
  const quoted = sample.length > 24 ? `${JSON.stringify(sample.slice(0, 12))}... (${sample.length} characters)` : JSON.stringify(sample);
  return quoted.replace(/[^\x20-\x7e]/g, (character) => `\\u${character.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

function report(found: readonly Disagreement[]): string[] {
  return found.map(({ type, sample, product, sandbox }) => `${type} ${shown(sample)}: product ${product}, sandbox ${sandbox}`);
}

describe('the sandbox name and region tables against the product', () => {
  it('cover every type whose names the sandbox checks', () => {
    expect(PAIRS.map(([, type]) => type.toLowerCase()).sort()).toEqual(Object.keys(NAME_RULES_BY_TYPE).sort());
  });

  it('agree on every sample name, for every type and for resource groups', () => {
    const found = [
      ...PAIRS.flatMap(([key, type]) => disagreements(type, NAME_RULES[key].pattern, nameRuleOf(type) as AzureNameRule)),
      ...disagreements('resource group', NAME_RULES.resourceGroup.pattern, RESOURCE_GROUP_NAME),
    ];
    expect(report(found)).toEqual([]);
  });

  it('ask something of every sample set: each rule accepts some samples and refuses others', () => {
    for (const rule of [...Object.values(NAME_RULES_BY_TYPE), RESOURCE_GROUP_NAME]) {
      const answers = new Set(SAMPLE_NAMES.map((sample) => isValidName(rule, sample)));
      expect([rule.what, [...answers].sort()]).toEqual([rule.what, [false, true]]);
    }
  });

  it('agree on every sample region', () => {
    const found = SAMPLE_REGIONS.filter((region) => AZURE_REGIONS.includes(region as never) !== REGIONS.includes(region)).map(
      (region) => `${shown(region)}: product ${says(AZURE_REGIONS.includes(region as never))}, sandbox ${says(REGIONS.includes(region))}`,
    );
    expect(found).toEqual([]);
  });
});
