/**
 * The sandbox's own table of Azure's naming rules and regions, written from Microsoft's pages
 * (not from the product's src/azure/naming.ts, so the two cannot agree by construction;
 * test/sandbox/name-rules.test.ts runs sample names and regions through both).
 *
 * Names: learn.microsoft.com/azure/azure-resource-manager/management/resource-name-rules
 * ("Naming rules and restrictions for Azure resources", ms.date 2025-03-14), one entry per row the
 * sandbox checks, in the page's columns: Length, Valid Characters, Scope. Types the page leaves out
 * say their source beside them. Lengths count UTF-16 code units, as .NET's string length does.
 */

/** The character kinds the page's "Valid Characters" column speaks of. */
type CharKind = 'lowercase' | 'uppercase' | 'digit' | 'hyphen' | 'underscore' | 'period' | 'parenthesis' | 'unicodeLetterOrDigit';

/** The page's "alphanumeric": a-z, A-Z, 0-9. */
const ALPHANUMERIC: readonly CharKind[] = ['lowercase', 'uppercase', 'digit'];
const LOWERCASE_OR_DIGIT: readonly CharKind[] = ['lowercase', 'digit'];
const LETTER: readonly CharKind[] = ['lowercase', 'uppercase'];

export interface AzureNameRule {
  /** What the name is, for messages: "Key Vault name". */
  readonly what: string;
  /** The page's Scope column: where the name must be unique ("global" is a DNS name). */
  readonly scope: 'global' | 'resource group' | 'subscription' | 'parent resource' | 'target resource';
  readonly length: { readonly min: number; readonly max: number };
  /** Characters the name may use anywhere, for rules written as "Valid Characters". */
  readonly uses?: readonly CharKind[];
  /** Characters the name may not use, for rules written as "Can't use". */
  readonly refuses?: { readonly characters: string; readonly controlCharacters: boolean };
  readonly first?: readonly CharKind[];
  /** Azure AI Search alone rules on the second character. */
  readonly second?: readonly CharKind[];
  readonly last?: readonly CharKind[];
  /** Characters the name may not end with ("Can't end with period or space"). */
  readonly notLast?: string;
  readonly noConsecutiveHyphens?: boolean;
  /** Names the provider keeps for itself (compared case-insensitively, as Azure compares names). */
  readonly reserved?: readonly string[];
  /** The rule in words: what a valid name looks like. */
  readonly words: string;
}

/** Whether a character (one UTF-16 code unit) is of a kind. */
function isKind(character: string, kind: CharKind): boolean {
  switch (kind) {
    case 'lowercase':
      return character >= 'a' && character <= 'z';
    case 'uppercase':
      return character >= 'A' && character <= 'Z';
    case 'digit':
      return character >= '0' && character <= '9';
    case 'hyphen':
      return character === '-';
    case 'underscore':
      return character === '_';
    case 'period':
      return character === '.';
    case 'parenthesis':
      return character === '(' || character === ')';
    case 'unicodeLetterOrDigit':
      // .NET's Char.IsLetterOrDigit on one UTF-16 unit: a surrogate half is neither.
      return /^[\p{Lu}\p{Ll}\p{Lt}\p{Lm}\p{Lo}\p{Nd}]$/u.test(character);
  }
}

function isAnyKind(character: string | undefined, kinds: readonly CharKind[]): boolean {
  return character !== undefined && kinds.some((kind) => isKind(character, kind));
}

/** Unicode category Cc: U+0000-U+001F and U+007F-U+009F. */
function isControl(character: string): boolean {
  const code = character.charCodeAt(0);
  return code <= 0x1f || (code >= 0x7f && code <= 0x9f);
}

/** Why `name` breaks `rule`, in a few words; undefined when it keeps it. */
export function nameProblem(rule: AzureNameRule, name: string): string | undefined {
  const { min, max } = rule.length;
  if (name.length < min || name.length > max) return `has ${name.length} characters, not ${min}-${max}`;
  const characters = Array.from({ length: name.length }, (_, index) => name.charAt(index));
  const { uses, refuses } = rule;
  if (uses) {
    const bad = characters.find((character) => !isAnyKind(character, uses));
    if (bad !== undefined) return `uses ${JSON.stringify(bad)}`;
  }
  if (refuses) {
    const bad = characters.find(
      (character) => refuses.characters.includes(character) || (refuses.controlCharacters && isControl(character)),
    );
    if (bad !== undefined) return `uses ${JSON.stringify(bad)}`;
  }
  if (rule.first && !isAnyKind(characters[0], rule.first)) return 'starts with a character it may not start with';
  if (rule.second && !isAnyKind(characters[1], rule.second)) return 'has a second character it may not have there';
  if (rule.last && !isAnyKind(characters.at(-1), rule.last)) return 'ends with a character it may not end with';
  if (rule.notLast && rule.notLast.includes(characters.at(-1) ?? '')) return 'ends with a character it may not end with';
  if (rule.noConsecutiveHyphens && name.includes('--')) return 'has consecutive hyphens';
  if (rule.reserved?.some((reserved) => reserved.toLowerCase() === name.toLowerCase())) return 'is a name the provider keeps for itself';
  return undefined;
}

export function isValidName(rule: AzureNameRule, name: string): boolean {
  return nameProblem(rule, name) === undefined;
}

/** Microsoft.Resources resourcegroups: letters and digits as .NET's Char.IsLetterOrDigit has them, so not only ASCII. */
export const RESOURCE_GROUP_NAME: AzureNameRule = {
  what: 'resource group name',
  scope: 'subscription',
  length: { min: 1, max: 90 },
  uses: ['unicodeLetterOrDigit', 'underscore', 'hyphen', 'period', 'parenthesis'],
  notLast: '.',
  words: '1-90 letters, digits, underscores, hyphens, periods and parentheses, not ending with a period',
};

/** The name rule of each resource type whose names the sandbox checks, by lowercase type. */
export const NAME_RULES_BY_TYPE: Readonly<Record<string, AzureNameRule>> = {
  // Microsoft.Cdn and Microsoft.Network rows. The page has no row for profiles/afdEndpoints: their names go unchecked here.
  'microsoft.cdn/profiles': {
    what: 'Front Door profile name',
    scope: 'resource group',
    length: { min: 1, max: 260 },
    uses: [...ALPHANUMERIC, 'hyphen'],
    first: ALPHANUMERIC,
    last: ALPHANUMERIC,
    words: '1-260 letters, digits and hyphens, starting and ending with a letter or digit',
  },
  'microsoft.network/frontdoorwebapplicationfirewallpolicies': {
    what: 'Front Door WAF policy name',
    scope: 'resource group',
    length: { min: 1, max: 128 },
    uses: ALPHANUMERIC,
    first: ['lowercase', 'uppercase'],
    words: '1-128 letters and digits, starting with a letter',
  },
  'microsoft.managedidentity/userassignedidentities': {
    what: 'managed identity name',
    scope: 'resource group',
    length: { min: 3, max: 128 },
    uses: [...ALPHANUMERIC, 'hyphen', 'underscore'],
    first: ALPHANUMERIC,
    words: '3-128 letters, digits, hyphens and underscores, starting with a letter or digit',
  },
  'microsoft.operationalinsights/workspaces': {
    what: 'Log Analytics workspace name',
    scope: 'resource group',
    length: { min: 4, max: 63 },
    uses: [...ALPHANUMERIC, 'hyphen'],
    first: ALPHANUMERIC,
    last: ALPHANUMERIC,
    words: '4-63 letters, digits and hyphens, starting and ending with a letter or digit',
  },
  'microsoft.network/virtualnetworks': {
    what: 'virtual network name',
    scope: 'resource group',
    length: { min: 2, max: 64 },
    uses: [...ALPHANUMERIC, 'underscore', 'period', 'hyphen'],
    first: ALPHANUMERIC,
    last: [...ALPHANUMERIC, 'underscore'],
    words:
      '2-64 letters, digits, underscores, periods and hyphens, starting with a letter or digit, ending with a letter, digit or underscore',
  },
  'microsoft.keyvault/vaults': {
    what: 'Key Vault name',
    scope: 'global',
    length: { min: 3, max: 24 },
    uses: [...ALPHANUMERIC, 'hyphen'],
    first: LETTER,
    last: ALPHANUMERIC,
    noConsecutiveHyphens: true,
    words: '3-24 letters, digits and hyphens, starting with a letter, ending with a letter or digit, without consecutive hyphens',
  },
  // Not on the page. The Azure portal's rule for the name, as Terraform's provider quotes it
  // (hashicorp/terraform-provider-azurerm#10014): any characters but <>*%&:\?+/, at most 260.
  'microsoft.insights/diagnosticsettings': {
    what: 'diagnostic setting name',
    scope: 'target resource',
    length: { min: 1, max: 260 },
    refuses: { characters: '<>*%&:\\?+/', controlCharacters: false },
    words: '1-260 characters other than <>*%&:\\?+/',
  },
  // The page says "start with lowercase letter or number" and no more; the name is the first label of
  // <name>.documents.azure.com, and a DNS host label ends with a letter or digit (RFC 1123), so it must too.
  'microsoft.documentdb/databaseaccounts': {
    what: 'Cosmos DB account name',
    scope: 'global',
    length: { min: 3, max: 44 },
    uses: [...LOWERCASE_OR_DIGIT, 'hyphen'],
    first: LOWERCASE_OR_DIGIT,
    last: LOWERCASE_OR_DIGIT,
    words: '3-44 lowercase letters, digits and hyphens, starting and ending with a lowercase letter or digit',
  },
  'microsoft.sql/servers': {
    what: 'SQL server name',
    scope: 'global',
    length: { min: 1, max: 63 },
    uses: [...LOWERCASE_OR_DIGIT, 'hyphen'],
    first: LOWERCASE_OR_DIGIT,
    last: LOWERCASE_OR_DIGIT,
    words: '1-63 lowercase letters, digits and hyphens, not starting or ending with a hyphen',
  },
  // `master` is the server's own database, made with it (catalog.ts implicitChildren): a template cannot create it.
  'microsoft.sql/servers/databases': {
    what: 'SQL database name',
    scope: 'parent resource',
    length: { min: 1, max: 128 },
    refuses: { characters: '<>*%&:\\/?', controlCharacters: true },
    notLast: '. ',
    reserved: ['master'],
    words: '1-128 characters without <>*%&:\\/? or control characters, not ending with a period or space, other than master',
  },
  // Not on the page. Microsoft's REST reference for Redis Enterprise - Create (clusterName): 1-60
  // letters, digits and hyphens, "no leading nor trailing nor consecutive hyphens".
  'microsoft.cache/redisenterprise': {
    what: 'Azure Managed Redis name',
    scope: 'resource group',
    length: { min: 1, max: 60 },
    uses: [...ALPHANUMERIC, 'hyphen'],
    first: ALPHANUMERIC,
    last: ALPHANUMERIC,
    noConsecutiveHyphens: true,
    words: '1-60 letters, digits and hyphens, starting and ending with a letter or digit, without consecutive hyphens',
  },
  'microsoft.cache/redis': {
    what: 'Azure Cache for Redis name',
    scope: 'global',
    length: { min: 1, max: 63 },
    uses: [...ALPHANUMERIC, 'hyphen'],
    first: ALPHANUMERIC,
    last: ALPHANUMERIC,
    noConsecutiveHyphens: true,
    words: '1-63 letters, digits and hyphens, starting and ending with a letter or digit, without consecutive hyphens',
  },
  'microsoft.storage/storageaccounts': {
    what: 'storage account name',
    scope: 'global',
    length: { min: 3, max: 24 },
    uses: LOWERCASE_OR_DIGIT,
    words: '3-24 lowercase letters and digits',
  },
  'microsoft.containerregistry/registries': {
    what: 'container registry name',
    scope: 'global',
    length: { min: 5, max: 50 },
    uses: ALPHANUMERIC,
    words: '5-50 letters and digits',
  },
  'microsoft.cognitiveservices/accounts': {
    what: 'Azure AI services account name',
    scope: 'resource group',
    length: { min: 2, max: 64 },
    uses: [...ALPHANUMERIC, 'hyphen'],
    first: ALPHANUMERIC,
    last: ALPHANUMERIC,
    words: '2-64 letters, digits and hyphens, starting and ending with a letter or digit',
  },
  // Not on the page, and the 2026-05-01 schema gives no pattern. The rule the provider's other
  // account-level names have in that schema (accounts, raiPolicies, encryptionScopes): a letter or
  // digit, then letters, digits, underscores, periods and hyphens; 2-64 as an account.
  'microsoft.cognitiveservices/accounts/deployments': {
    what: 'model deployment name',
    scope: 'parent resource',
    length: { min: 2, max: 64 },
    uses: [...ALPHANUMERIC, 'underscore', 'period', 'hyphen'],
    first: ALPHANUMERIC,
    words: '2-64 letters, digits, underscores, periods and hyphens, starting with a letter or digit',
  },
  // learn.microsoft.com/rest/api/searchservice/naming-rules: "First, second, and last characters must be
  // a letter or number. No consecutive dashes anywhere."
  'microsoft.search/searchservices': {
    what: 'Azure AI Search service name',
    scope: 'global',
    length: { min: 2, max: 60 },
    uses: [...LOWERCASE_OR_DIGIT, 'hyphen'],
    first: LOWERCASE_OR_DIGIT,
    second: LOWERCASE_OR_DIGIT,
    last: LOWERCASE_OR_DIGIT,
    noConsecutiveHyphens: true,
    words: '2-60 lowercase letters, digits and hyphens, the first two and the last a letter or digit, without consecutive hyphens',
  },
  // Not on the page (it lists containerApps only). 2-60 lowercase letters, digits and hyphens
  // (Azure/azure-sdk-for-net#62388); a leading digit is accepted (Terraform's provider, checked against
  // the REST API: hashicorp/terraform-provider-azurerm#32267). No consecutive hyphens, as for the apps
  // in it: an undocumented choice the sandbox shares with the product.
  'microsoft.app/managedenvironments': {
    what: 'Container Apps environment name',
    scope: 'resource group',
    length: { min: 2, max: 60 },
    uses: [...LOWERCASE_OR_DIGIT, 'hyphen'],
    first: LOWERCASE_OR_DIGIT,
    last: LOWERCASE_OR_DIGIT,
    noConsecutiveHyphens: true,
    words: '2-60 lowercase letters, digits and hyphens, starting and ending with a letter or digit, without consecutive hyphens',
  },
  // The page's row; "cannot have '--'" is from the provider's own ContainerAppInvalidName message
  // (`--` separates an app from its revision suffix).
  'microsoft.app/containerapps': {
    what: 'Container App name',
    scope: 'resource group',
    length: { min: 2, max: 32 },
    uses: [...LOWERCASE_OR_DIGIT, 'hyphen'],
    first: ['lowercase'],
    last: LOWERCASE_OR_DIGIT,
    noConsecutiveHyphens: true,
    words: '2-32 lowercase letters, digits and hyphens, starting with a letter, ending with a letter or digit, without consecutive hyphens',
  },
};

export function nameRuleOf(type: string): AzureNameRule | undefined {
  return NAME_RULES_BY_TYPE[type.toLowerCase()];
}

/**
 * Azure's public regions by programmatic name: learn.microsoft.com/azure/reliability/regions-list
 * ("Azure regions list", ms.date 2025-09-23), plus the three restricted physical regions that
 * `az account list-locations` lists and that page leaves out (jioindiacentral, jioindiawest,
 * swedensouth). Which of them a subscription may use is catalog.ts's RESTRICTED_REGIONS.
 */
export const REGIONS: readonly string[] = [
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
];
