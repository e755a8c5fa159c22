/**
 * Azure's naming rules for the resources the environment config names, and the public Azure
 * regions. Sources: learn.microsoft.com "Naming rules and restrictions for Azure resources" and
 * `az account list-locations` (physical regions), read 2026-11. The patterns carry the length
 * limits so one regular expression is the whole rule (and ends up in the JSON Schema for editors).
 */
export interface NameRule {
  /** What the name is, for messages: "Key Vault name". */
  readonly what: string;
  readonly pattern: RegExp;
  /** The rule in words: what a valid name looks like. */
  readonly rule: string;
}

function rule(what: string, pattern: RegExp, words: string): NameRule {
  return { what, pattern, rule: words };
}

export const NAME_RULES = {
  // Letters and digits are .NET's Char.IsLetterOrDigit (Unicode categories L and Nd), not only ASCII.
  resourceGroup: rule(
    'resource group name',
    /^[-\p{L}\p{Nd}_.()]{0,89}[-\p{L}\p{Nd}_()]$/u,
    '1-90 letters, digits, underscores, hyphens, periods and parentheses, not ending with a period',
  ),
  keyVault: rule(
    'Key Vault name',
    /^(?!.*--)[a-zA-Z][a-zA-Z0-9-]{1,22}[a-zA-Z0-9]$/,
    '3-24 letters, digits and hyphens, starting with a letter, ending with a letter or digit, with no consecutive hyphens',
  ),
  storageAccount: rule('storage account name', /^[a-z0-9]{3,24}$/, '3-24 lowercase letters and digits (no hyphens)'),
  registry: rule('container registry name', /^[a-zA-Z0-9]{5,50}$/, '5-50 letters and digits (no hyphens)'),
  sqlServer: rule(
    'SQL server name',
    /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/,
    '1-63 lowercase letters, digits and hyphens, not starting or ending with a hyphen',
  ),
  // Names compare case-insensitively, so "Master" is the server's own master database too.
  sqlDatabase: rule(
    'SQL database name',
    /^(?![Mm][Aa][Ss][Tt][Ee][Rr]$)[^<>*%&:\\/?\p{Cc}]{0,127}[^<>*%&:\\/?. \p{Cc}]$/u,
    '1-128 characters without <>*%&:\\/? or control characters, not ending with a period or space, and not "master"',
  ),
  cosmosAccount: rule(
    'Cosmos DB account name',
    /^[a-z0-9][a-z0-9-]{1,42}[a-z0-9]$/,
    '3-44 lowercase letters, digits and hyphens, starting and ending with a letter or digit',
  ),
  containerApp: rule(
    'Container App name',
    /^(?!.*--)[a-z][a-z0-9-]{0,30}[a-z0-9]$/,
    '2-32 lowercase letters, digits and hyphens, starting with a letter, ending with a letter or digit, with no consecutive hyphens',
  ),
  // Not in Microsoft's naming page (it has containerApps only); unlike an app, an environment may start with a digit.
  containerAppsEnvironment: rule(
    'Container Apps environment name',
    /^(?!.*--)[a-z0-9][a-z0-9-]{0,58}[a-z0-9]$/,
    '2-60 lowercase letters, digits and hyphens, starting and ending with a letter or digit, with no consecutive hyphens',
  ),
  logAnalyticsWorkspace: rule(
    'Log Analytics workspace name',
    /^[a-zA-Z0-9][a-zA-Z0-9-]{2,61}[a-zA-Z0-9]$/,
    '4-63 letters, digits and hyphens, starting and ending with a letter or digit',
  ),
  redisEnterprise: rule(
    'Azure Managed Redis name',
    /^(?!.*--)[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,58}[a-zA-Z0-9])?$/,
    '1-60 letters, digits and hyphens, starting and ending with a letter or digit, with no consecutive hyphens',
  ),
  redisCache: rule(
    'Azure Cache for Redis name',
    /^(?!.*--)[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?$/,
    '1-63 letters, digits and hyphens, starting and ending with a letter or digit, with no consecutive hyphens',
  ),
  managedIdentity: rule(
    'managed identity name',
    /^[a-zA-Z0-9][a-zA-Z0-9_-]{2,127}$/,
    '3-128 letters, digits, hyphens and underscores, starting with a letter or digit',
  ),
  virtualNetwork: rule(
    'virtual network name',
    /^[a-zA-Z0-9][a-zA-Z0-9_.-]{0,62}[a-zA-Z0-9_]$/,
    '2-64 letters, digits, underscores, periods and hyphens, starting with a letter or digit, ending with a letter, digit or underscore',
  ),
  // learn.microsoft.com, "Naming rules and restrictions for Azure resources" (Microsoft.Network): 1-80 characters.
  networkSecurityGroup: rule(
    'network security group name',
    /^[a-zA-Z0-9](?:[a-zA-Z0-9_.-]{0,78}[a-zA-Z0-9_])?$/,
    '1-80 letters, digits, underscores, periods and hyphens, starting with a letter or digit, ending with a letter, digit or underscore',
  ),
  subnet: rule(
    'subnet name',
    /^[a-zA-Z0-9](?:[a-zA-Z0-9_.-]{0,78}[a-zA-Z0-9_])?$/,
    '1-80 letters, digits, underscores, periods and hyphens, starting with a letter or digit, ending with a letter, digit or underscore',
  ),
  // The naming page's rule; the ARM schema's pattern also lets underscores and periods through.
  cognitiveServicesAccount: rule(
    'Azure AI services account name',
    /^[a-zA-Z0-9][a-zA-Z0-9-]{0,62}[a-zA-Z0-9]$/,
    '2-64 letters, digits and hyphens, starting and ending with a letter or digit',
  ),
  customSubDomain: rule(
    'custom subdomain name',
    /^[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])$/,
    '2-64 lowercase letters, digits and hyphens, starting and ending with a letter or digit',
  ),
  modelDeployment: rule(
    'model deployment name',
    /^[a-zA-Z0-9][a-zA-Z0-9_.-]{1,63}$/,
    '2-64 letters, digits, underscores, periods and hyphens, starting with a letter or digit',
  ),
  searchService: rule(
    'Azure AI Search service name',
    /^(?=.{2,60}$)[a-z0-9][a-z0-9]+(-[a-z0-9]+)*$/,
    '2-60 lowercase letters, digits and hyphens: the first two are letters or digits, and no hyphen ends it or follows another',
  ),
  // learn.microsoft.com, "Naming rules and restrictions for Azure resources" (Microsoft.Cdn, Microsoft.Network).
  frontDoorProfile: rule(
    'Front Door profile name',
    /^[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,258}[a-zA-Z0-9])?$/,
    '1-260 letters, digits and hyphens, starting and ending with a letter or digit',
  ),
  frontDoorEndpoint: rule(
    'Front Door endpoint name',
    /^[a-zA-Z0-9][a-zA-Z0-9-]{0,44}[a-zA-Z0-9]$/,
    '2-46 letters, digits and hyphens, starting and ending with a letter or digit',
  ),
  frontDoorWafPolicy: rule(
    'Front Door WAF policy name',
    /^[a-zA-Z][a-zA-Z0-9]{0,127}$/,
    '1-128 letters and digits, starting with a letter (no hyphens)',
  ),
  diagnosticSetting: rule('diagnostic setting name', /^[^*<>%&:\\?+/]{1,260}$/, '1-260 characters without *<>%&:\\?+/'),
  containerAppSecret: rule(
    'Container App secret name',
    /^[a-z0-9](?:[a-z0-9.-]{0,251}[a-z0-9])?$/,
    'lowercase letters, digits, hyphens and periods, starting and ending with a letter or digit',
  ),
  keyVaultSecret: rule('Key Vault secret name', /^[0-9a-zA-Z-]{1,127}$/, '1-127 letters, digits and hyphens'),
  environmentVariable: rule(
    'environment variable name',
    /^[A-Za-z_][A-Za-z0-9_]*$/,
    'letters, digits and underscores, not starting with a digit',
  ),
} as const satisfies Record<string, NameRule>;

/** Azure public-cloud physical regions, by the programmatic name ARM expects. */
export const AZURE_REGIONS = [
  'australiacentral',
  'australiacentral2',
  'australiaeast',
  'australiasoutheast',
  'austriaeast',
  'belgiumcentral',
  'brazilsouth',
  'brazilsoutheast',
  'canadacentral',
  'canadaeast',
  'centralindia',
  'centralus',
  'chilecentral',
  'denmarkeast',
  'eastasia',
  'eastus',
  'eastus2',
  'francecentral',
  'francesouth',
  'germanynorth',
  'germanywestcentral',
  'indonesiacentral',
  'israelcentral',
  'italynorth',
  'japaneast',
  'japanwest',
  'jioindiacentral',
  'jioindiawest',
  'koreacentral',
  'koreasouth',
  'malaysiawest',
  'mexicocentral',
  'newzealandnorth',
  'northcentralus',
  'northeurope',
  'norwayeast',
  'norwaywest',
  'polandcentral',
  'qatarcentral',
  'southafricanorth',
  'southafricawest',
  'southcentralus',
  'southeastasia',
  'southindia',
  'spaincentral',
  'swedencentral',
  'swedensouth',
  'switzerlandnorth',
  'switzerlandwest',
  'uaecentral',
  'uaenorth',
  'uksouth',
  'ukwest',
  'westcentralus',
  'westeurope',
  'westindia',
  'westus',
  'westus2',
  'westus3',
] as const;

export type AzureRegion = (typeof AZURE_REGIONS)[number];

/** The message for a name that breaks its rule: what it must look like, so the user knows what to change. */
export function nameRuleMessage(rule: NameRule, value: unknown): string {
  return `${JSON.stringify(value)} is not a valid ${rule.what}: use ${rule.rule}`;
}
