import { z } from 'zod';
import { DEFAULT_GATE_POLICY } from '../compliance/model.js';
import { AZURE_REGIONS, NAME_RULES, nameRuleMessage, type NameRule } from '../azure/naming.js';
import { closestMatch } from './closest-match.js';
import { OperationsSchema } from './operations-schema.js';

/**
 * The environment config (`azure-hipaa.yml`): one file describes one production environment.
 * Every default reproduces the migration guide's production environment as corrected in
 * README.md's "What the defaults fix", so the built-in defaults pass every control except
 * `baa.evidence` and `openai.abuse-monitoring` (evidence only the user can give).
 * Settings a HIPAA control requires (purge protection, RBAC, Entra-only SQL, TLS 1.2, disabled
 * local auth, ...) are not options: the renderer always sets them.
 */

function azureName(rule: NameRule) {
  return z
    .string({ error: `give the ${rule.what} as a string` })
    .regex(rule.pattern, { error: (issue) => nameRuleMessage(rule, issue.input) });
}

function integer(min: number, max: number, what: string) {
  const message = `${what} must be a whole number from ${min} to ${max}`;
  return z.int({ error: message }).min(min, { error: message }).max(max, { error: message });
}

const ipv4Cidr = z.string().regex(/^(25[0-5]|2[0-4]\d|1?\d?\d)(\.(25[0-5]|2[0-4]\d|1?\d?\d)){3}\/(\d|[12]\d|3[0-2])$/, {
  error: 'write an IPv4 CIDR range such as 10.40.0.0/16',
});

const isoDate = z.iso.date({ error: 'write a calendar date as YYYY-MM-DD' });

const region = z.enum(AZURE_REGIONS, {
  error: (issue) => {
    const suggestion = typeof issue.input === 'string' ? closestMatch(issue.input, AZURE_REGIONS) : undefined;
    return `${JSON.stringify(issue.input)} is not an Azure public region${suggestion ? ` (did you mean "${suggestion}"?)` : ''}; use a programmatic region name such as eastus2, westus3 or northeurope`;
  },
});

const tagName = z.string().regex(/^[^<>%&\\?/]{1,512}$/, { error: 'tag names are 1-512 characters without <>%&\\?/' });
const tagValue = z.string().max(256, { error: 'tag values are at most 256 characters' });

function subnet(defaults: { name: string; addressPrefix: string }, purpose: string) {
  return z
    .strictObject({
      name: azureName(NAME_RULES.subnet).default(defaults.name).describe(`Name of the subnet for ${purpose}.`),
      addressPrefix: ipv4Cidr
        .default(defaults.addressPrefix)
        .describe(`Address range of the subnet for ${purpose}; inside network.addressSpace.`),
    })
    .prefault({});
}

const NetworkSchema = z
  .strictObject({
    mode: z
      .enum(['private', 'public'])
      .default('private')
      .describe(
        'private (default): a virtual network, private endpoints and private DNS zones, and publicNetworkAccess Disabled on Key Vault, Cosmos DB, SQL, Redis, storage, the registry and the AI services. public: no virtual network, public endpoints stay enabled (the advisory *.public-network controls then fail).',
      ),
    virtualNetworkName: azureName(NAME_RULES.virtualNetwork)
      .default('seniorly-prod-vnet')
      .describe('Name of the virtual network (private mode).'),
    addressSpace: ipv4Cidr.default('10.40.0.0/16').describe('Address space of the virtual network (private mode).'),
    containerAppsSubnet: subnet(
      { name: 'container-apps', addressPrefix: '10.40.0.0/23' },
      'the Container Apps environment (delegated to Microsoft.App/environments; /27 or larger)',
    ).describe('Subnet delegated to Microsoft.App/environments that hosts the Container Apps environment.'),
    privateEndpointsSubnet: subnet({ name: 'private-endpoints', addressPrefix: '10.40.2.0/24' }, 'private endpoints').describe(
      'Subnet that holds the private endpoints.',
    ),
    githubRunners: z
      .strictObject({
        businessId: z
          .string()
          .regex(/^\d{1,20}$/, 'the GitHub organization’s (or enterprise’s) databaseId, a number')
          .describe(
            'The GitHub organization’s databaseId (GraphQL: organization(login) { databaseId }), or the enterprise’s for an enterprise-level configuration.',
          ),
        subnet: subnet({ name: 'github-runners', addressPrefix: '10.40.3.0/24' }, 'GitHub-hosted runners').describe(
          'Subnet delegated to GitHub.Network/networkSettings: each running job takes one address.',
        ),
        networkSecurityGroupName: azureName(NAME_RULES.networkSecurityGroup)
          .default('github-runners-nsg')
          .describe('Its network security group, with GitHub’s documented outbound rules.'),
        networkSettingsName: z
          .string()
          .regex(/^[a-zA-Z0-9][a-zA-Z0-9_.-]{0,79}$/, 'letters, digits, _ . - (starting with a letter or digit), at most 80')
          .default('github-runners')
          .describe('The GitHub.Network/networkSettings resource; provision outputs its GitHubId.'),
      })
      .optional()
      .describe(
        'GitHub-hosted runners with Azure private networking (private mode): jobs run inside the virtual network. Optional: the default workflows reach the private environment through Resource Manager.',
      ),
  })
  .superRefine(checkSubnets)
  .prefault({})
  .describe('Network isolation of the environment.');

const IdentitySchema = z
  .strictObject({
    name: azureName(NAME_RULES.managedIdentity)
      .default('seniorly-prod-app-identity')
      .describe('Name of the user-assigned managed identity the app runs as.'),
  })
  .prefault({})
  .describe('The app’s user-assigned managed identity. It is created first and granted its roles before the Container App needs them.');

const KeyVaultSchema = z
  .strictObject({
    name: azureName(NAME_RULES.keyVault).default('seniorly-prod-secrets').describe('Key Vault name (globally unique).'),
    sku: z.enum(['standard', 'premium']).default('standard').describe('Key Vault SKU.'),
    softDeleteRetentionInDays: integer(7, 90, 'keyVault.softDeleteRetentionInDays')
      .default(90)
      .describe(
        'Days a deleted vault or secret stays recoverable (7-90; fixed when the vault is created). Purge protection and RBAC authorization are always on.',
      ),
  })
  .prefault({})
  .describe('The production Key Vault (RBAC authorization, purge protection, soft delete).');

const CosmosSchema = z
  .strictObject({
    name: azureName(NAME_RULES.cosmosAccount).default('seniorly-prod-cosmos').describe('Cosmos DB account name (globally unique).'),
    consistencyLevel: z
      .enum(['Eventual', 'ConsistentPrefix', 'Session', 'BoundedStaleness', 'Strong'])
      .default('Session')
      .describe('Default consistency level.'),
    continuousBackupTier: z
      .enum(['Continuous7Days', 'Continuous30Days'])
      .default('Continuous30Days')
      .describe('Point-in-time restore window of the continuous backup.'),
    analyticalStorage: z.boolean().default(true).describe('Enable the analytical store (Azure Synapse Link), as the migration guide does.'),
    zoneRedundant: z.boolean().default(false).describe('Spread the account’s region across availability zones.'),
  })
  .prefault({})
  .describe('The Cosmos DB account (continuous backup, Entra-only data access, TLS 1.2).');

const isoDuration = (unit: 'W' | 'M' | 'Y', max: number, what: string) =>
  z
    .string()
    .regex(new RegExp(`^P\\d+${unit}$`), {
      error: `${what} is an ISO 8601 duration in ${{ W: 'weeks', M: 'months', Y: 'years' }[unit]}, e.g. P1${unit}`,
    })
    .refine((value) => {
      const amount = Number(value.slice(1, -1));
      return amount >= 1 && amount <= max;
    }, `${what} must be from P1${unit} to P${max}${unit}`);

const SqlSchema = z
  .strictObject({
    serverName: azureName(NAME_RULES.sqlServer).default('seniorly-prod-sql').describe('Azure SQL logical server name (globally unique).'),
    databaseName: azureName(NAME_RULES.sqlDatabase).default('SeniorHealthAnalytics').describe('Name of the database.'),
    sku: z
      .strictObject({
        name: z.string().min(1).default('S0').describe('Database SKU name (S0 is the guide’s Standard edition with 10 DTUs).'),
        tier: z.string().min(1).default('Standard').describe('Database SKU tier.'),
      })
      .prefault({})
      .describe('Database SKU.'),
    zoneRedundant: z.boolean().default(false).describe('Zone-redundant database.'),
    backupStorageRedundancy: z
      .enum(['Local', 'Zone', 'Geo', 'GeoZone'])
      .default('Local')
      .describe('Redundancy of the database’s backup storage (the guide uses Local).'),
    entraAdmin: z
      .strictObject({
        login: z.string().min(1).max(128).describe('Display name of the Entra administrator (user, group or app).'),
        objectId: z.uuid({ error: 'objectId is the Entra object id, a GUID' }).describe('Entra object id of the administrator.'),
        principalType: z.enum(['User', 'Group', 'Application']).default('Group').describe('Kind of Entra principal.'),
      })
      .optional()
      .describe(
        'Microsoft Entra administrator of the server. Absent: the app’s managed identity is the administrator. Authentication is always Entra-only (no SQL password).',
      ),
    longTermRetention: z
      .strictObject({
        weeklyRetention: isoDuration('W', 520, 'sql.longTermRetention.weeklyRetention')
          .default('P12W')
          .describe('How long weekly backups are kept (ISO 8601, weeks).'),
        monthlyRetention: isoDuration('M', 120, 'sql.longTermRetention.monthlyRetention')
          .default('P12M')
          .describe('How long monthly backups are kept (ISO 8601, months).'),
        yearlyRetention: isoDuration('Y', 10, 'sql.longTermRetention.yearlyRetention')
          .default('P7Y')
          .describe('How long yearly backups are kept (ISO 8601, years; HIPAA needs at least P6Y).'),
        weekOfYear: integer(1, 52, 'sql.longTermRetention.weekOfYear')
          .default(1)
          .describe('Week of the year whose backup is kept as the yearly backup.'),
      })
      .prefault({})
      .describe('Long-term retention of the database’s backups.'),
    auditActionsAndGroups: z
      .array(z.string().regex(/^[A-Z_]+$/, { error: 'audit action groups are upper-case names such as BATCH_COMPLETED_GROUP' }))
      .min(1)
      .default(['SUCCESSFUL_DATABASE_AUTHENTICATION_GROUP', 'FAILED_DATABASE_AUTHENTICATION_GROUP', 'BATCH_COMPLETED_GROUP'])
      .describe('Server-level audit action groups (auditing goes to Log Analytics).'),
  })
  .prefault({})
  .describe('Azure SQL server and database (Entra-only auth, server-level auditing, Defender, TLS 1.2, long-term retention).');

const RedisSchema = z
  .strictObject({
    kind: z
      .enum(['managed', 'legacy'])
      .default('managed')
      .describe(
        'managed (default): Azure Managed Redis (Microsoft.Cache/redisEnterprise). legacy: Azure Cache for Redis (Microsoft.Cache/redis), which retires 2028-09-30; use only when you must.',
      ),
    name: z.string().default('seniorly-prod-redis').describe('Name of the cache.'),
    sku: z
      .string()
      .regex(/^(Balanced_B|MemoryOptimized_M|ComputeOptimized_X|FlashOptimized_A)\d+$/, {
        error: 'Azure Managed Redis SKUs look like Balanced_B0, MemoryOptimized_M10, ComputeOptimized_X3 or FlashOptimized_A250',
      })
      .default('Balanced_B0')
      .describe('Azure Managed Redis SKU (kind managed).'),
    evictionPolicy: z
      .enum(['AllKeysLFU', 'AllKeysLRU', 'AllKeysRandom', 'VolatileLRU', 'VolatileLFU', 'VolatileTTL', 'VolatileRandom', 'NoEviction'])
      .default('VolatileLRU')
      .describe('Eviction policy of the database (kind managed).'),
    legacySku: z
      .strictObject({
        name: z.enum(['Basic', 'Standard', 'Premium']).default('Standard').describe('Azure Cache for Redis tier.'),
        family: z.enum(['C', 'P']).default('C').describe('C for Basic/Standard, P for Premium.'),
        capacity: integer(0, 6, 'redis.legacySku.capacity').default(1).describe('Cache size within the family (0-6).'),
      })
      .prefault({})
      .describe('SKU of the legacy cache (kind legacy).'),
  })
  .superRefine((redis, ctx) => {
    const rule = redis.kind === 'managed' ? NAME_RULES.redisEnterprise : NAME_RULES.redisCache;
    if (!rule.pattern.test(redis.name)) ctx.addIssue({ code: 'custom', path: ['name'], message: nameRuleMessage(rule, redis.name) });
  })
  .prefault({})
  .describe('The Redis cache: TLS only, TLS 1.2, Entra authentication (access keys disabled). Azure Managed Redis listens on port 10000.');

const LogAnalyticsSchema = z
  .strictObject({
    name: azureName(NAME_RULES.logAnalyticsWorkspace).default('seniorly-prod-logs').describe('Log Analytics workspace name.'),
    retentionInDays: integer(30, 730, 'logAnalytics.retentionInDays')
      .default(365)
      .describe(
        'Interactive retention of the workspace (Azure accepts 30-730 days). Long retention is per table: see auditTableTotalRetentionInDays.',
      ),
    auditTableTotalRetentionInDays: integer(4, 4383, 'logAnalytics.auditTableTotalRetentionInDays')
      .default(2190)
      .describe(
        'Total retention (interactive + long-term) of every table that receives audit logs (4-4383 days; HIPAA needs at least 2190, six years).',
      ),
  })
  .prefault({})
  .describe('The Log Analytics workspace that receives every audit log.');

const subscriptionId = z.string().regex(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i, 'a subscription id is a GUID');

const BuildRegistrySchema = z
  .strictObject({
    name: azureName(NAME_RULES.registry).describe('The build registry’s name (globally unique).'),
    resourceGroup: azureName(NAME_RULES.resourceGroup).describe(
      'Its resource group: outside the environment’s group (it holds images, never patient data).',
    ),
    subscriptionId: subscriptionId
      .optional()
      .describe('Its subscription, when not the environment’s (same Microsoft Entra tenant: import crosses subscriptions, not tenants).'),
    create: z
      .boolean()
      .default(false)
      .describe(
        'true: provision creates it (Standard SKU, public endpoint, admin user and anonymous pull off) in a group of its own, and grants the deploy identity AcrPush and the importer role on it. false: it exists (the development registry); provision names the roles to grant on it.',
      ),
  })
  .describe(
    'Where deploy-container pushes images from a runner outside the environment’s network; each image is then imported by digest into the environment’s registry through Resource Manager (ACR importImage), so that registry keeps its public endpoint closed.',
  );

const RegistrySchema = z
  .strictObject({
    name: azureName(NAME_RULES.registry).default('seniorlyprodacr').describe('Container registry name (globally unique).'),
    sku: z
      .enum(['Basic', 'Standard', 'Premium'])
      .default('Premium')
      .describe('Registry SKU. Private endpoints (network.mode private) need Premium.'),
    build: BuildRegistrySchema.optional(),
  })
  .prefault({})
  .describe('The container registry (admin user and anonymous pull disabled; the app pulls with its managed identity).');

const ContainerAppsEnvironmentSchema = z
  .strictObject({
    name: azureName(NAME_RULES.containerAppsEnvironment).default('seniorly-prod-env').describe('Container Apps environment name.'),
    zoneRedundant: z.boolean().default(false).describe('Zone-redundant environment (needs a zone-capable region).'),
  })
  .prefault({})
  .describe('The Container Apps environment (workload profiles; logs to Azure Monitor with a diagnostic setting to Log Analytics).');

const secretReference = z.strictObject({
  secretRef: azureName(NAME_RULES.containerAppSecret).describe('Name of a secret in containerApp.secrets whose value this variable gets.'),
});

/**
 * The default image: a public placeholder that serves HTTP on port 80 at `/`. Probes on the app's
 * own port would fail its first revision, so while it runs, ingress and probes use port 80.
 */
export const PLACEHOLDER_IMAGE = { image: 'mcr.microsoft.com/k8se/quickstart:latest', port: 80, healthPath: '/' } as const;

const ContainerAppSchema = z
  .strictObject({
    name: azureName(NAME_RULES.containerApp).default('voice-agent').describe('Container App name.'),
    image: z
      .string()
      .min(1)
      .default(PLACEHOLDER_IMAGE.image)
      .describe(
        'Container image the app is created with. The default is a public placeholder (served on port 80 until the first deploy pushes the real image). Once the app exists, deploy-container owns its image: provision keeps the one running.',
      ),
    targetPort: integer(1, 65535, 'containerApp.targetPort').default(8000).describe('Port the app listens on.'),
    healthPath: z
      .string()
      .regex(/^\/\S*$/, { error: 'healthPath is a URL path starting with /' })
      .default('/health')
      .describe('HTTP path of the health endpoint used by the liveness, readiness and startup probes.'),
    cpu: z
      .number()
      .min(0.25, { error: 'containerApp.cpu is 0.25 to 4 cores in steps of 0.25' })
      .max(4, { error: 'containerApp.cpu is 0.25 to 4 cores in steps of 0.25' })
      .multipleOf(0.25, { error: 'containerApp.cpu is 0.25 to 4 cores in steps of 0.25' })
      .default(2)
      .describe('CPU cores (Consumption profile: 0.25-4 in steps of 0.25).'),
    memory: z
      .string()
      .regex(/^\d+(\.\d+)?Gi$/, { error: 'containerApp.memory is written like 4Gi' })
      .default('4Gi')
      .describe('Memory, twice the CPU in Gi (Consumption profile), e.g. 4Gi for 2 cores.'),
    minReplicas: integer(0, 1000, 'containerApp.minReplicas')
      .default(1)
      .describe('Minimum replicas (keep at least 1 so phone webhooks never wait on a cold start).'),
    maxReplicas: integer(1, 1000, 'containerApp.maxReplicas').default(10).describe('Maximum replicas.'),
    ingress: z
      .enum(['external', 'internal'])
      .default('external')
      .describe(
        'external (default): reachable from the internet, as the phone provider’s webhooks need. internal: only from inside the environment’s network.',
      ),
    env: z
      .record(
        azureName(NAME_RULES.environmentVariable),
        z.union([z.string(), secretReference], {
          error: 'an environment variable is a string (quote numbers and booleans) or {secretRef: <secret name>}',
        }),
      )
      .default({ PRODUCTION_MODE: 'true' })
      .describe(
        'Environment variables: a string value, or {secretRef: <secret name>}. The renderer adds AZURE_CLIENT_ID, AZURE_KEY_VAULT_NAME, AZURE_KEY_VAULT_URI, AZURE_COSMOS_ENDPOINT, AZURE_SQL_SERVER, AZURE_SQL_DATABASE, AZURE_REDIS_HOST and AZURE_REDIS_PORT, and for each AI service deployed AZURE_OPENAI_ENDPOINT, AZURE_SPEECH_ENDPOINT, AZURE_SPEECH_REGION, AZURE_SPEECH_RESOURCE_ID and AZURE_SEARCH_ENDPOINT; a variable here overrides one of those.',
      ),
    secrets: z
      .record(azureName(NAME_RULES.containerAppSecret), azureName(NAME_RULES.keyVaultSecret))
      .default({})
      .describe(
        'Container App secret name -> Key Vault secret name. Each becomes a Key Vault reference read with the app’s identity; the vault secret must exist before provisioning (run migrate-secrets first).',
      ),
  })
  .superRefine((app, ctx) => {
    if (app.minReplicas > app.maxReplicas) {
      ctx.addIssue({
        code: 'custom',
        path: ['minReplicas'],
        message: `minReplicas (${app.minReplicas}) is above maxReplicas (${app.maxReplicas}); lower it or raise maxReplicas`,
      });
    }
    if (Number.parseFloat(app.memory) !== app.cpu * 2) {
      ctx.addIssue({
        code: 'custom',
        path: ['memory'],
        message: `the Consumption profile pairs ${app.cpu} cores with ${app.cpu * 2}Gi: set memory to ${app.cpu * 2}Gi or change cpu`,
      });
    }
    for (const [variable, value] of Object.entries(app.env)) {
      if (typeof value !== 'string' && !(value.secretRef in app.secrets)) {
        ctx.addIssue({
          code: 'custom',
          path: ['env', variable, 'secretRef'],
          message: `secret "${value.secretRef}" is not in containerApp.secrets; add it there (app secret name -> Key Vault secret name)`,
        });
      }
    }
  })
  .prefault({})
  .describe('The Container App (the voice agent).');

const hostName = z.string().regex(/^(?=.{1,253}$)([a-zA-Z0-9]([a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?\.)+[a-zA-Z]{2,63}$/, {
  error: 'write a DNS host name such as voice.example.com (no scheme, no path)',
});

const EdgeSchema = z
  .strictObject({
    enabled: z
      .boolean()
      .default(true)
      .describe(
        'true (default, production): Azure Front Door Premium with a WAF is the app’s public address and the Container Apps environment takes no traffic from the internet (publicNetworkAccess Disabled; Front Door reaches it through Private Link). false: the app’s own ingress address is public (staging, or an environment whose callers all sit in its network).',
      ),
    profileName: azureName(NAME_RULES.frontDoorProfile).default('seniorly-prod-edge').describe('Front Door profile name.'),
    endpointName: azureName(NAME_RULES.frontDoorEndpoint)
      .default('seniorly-prod')
      .describe('Front Door endpoint name; its host name is <name>-<hash>.<zone>.azurefd.net.'),
    wafPolicyName: azureName(NAME_RULES.frontDoorWafPolicy)
      .default('seniorlyprodwaf')
      .describe('WAF policy name (letters and digits): Prevention mode, Microsoft_DefaultRuleSet and Microsoft_BotManagerRuleSet, always.'),
    customDomain: z
      .strictObject({
        hostName: hostName.describe('The host name callers use, e.g. voice.example.com (a CNAME to the endpoint’s host name).'),
      })
      .optional()
      .describe(
        'A custom domain on the edge with a Front Door managed certificate (TLS 1.2); the app’s address becomes https://<hostName>.',
      ),
  })
  .prefault({})
  .describe(
    'The app’s public edge: Azure Front Door Premium with a Web Application Firewall in Prevention mode, HTTPS only, a Private Link origin to the Container Apps environment (approved by provision), and access and WAF logs sent to the workspace.',
  );

const StorageSchema = z
  .strictObject({
    name: azureName(NAME_RULES.storageAccount).default('seniorlyprodbackup').describe('Backup storage account name (globally unique).'),
    sku: z
      .enum(['Standard_LRS', 'Standard_ZRS', 'Standard_GRS', 'Standard_RAGRS', 'Standard_GZRS', 'Standard_RAGZRS'])
      .default('Standard_LRS')
      .describe('Replication of the backup storage (the guide uses Standard_LRS).'),
    blobSoftDeleteDays: integer(1, 365, 'storage.blobSoftDeleteDays').default(30).describe('Days a deleted blob stays recoverable.'),
    containerSoftDeleteDays: integer(1, 365, 'storage.containerSoftDeleteDays')
      .default(30)
      .describe('Days a deleted container stays recoverable.'),
    // 2555 days (seven years) rather than the guide's 2190: lifecycle age counts from a blob's last
    // modification, and HIPAA's six years run from creation or the date a document was last in effect,
    // so a year of margin keeps an export that was written late in its period for the full six years.
    deleteAfterDays: integer(1, 99999, 'storage.deleteAfterDays')
      .default(2555)
      .describe(
        'Lifecycle rule: delete backup blobs (and their old versions) this many days after they were last modified. HIPAA needs at least 2190 (six years); nothing is tiered away earlier.',
      ),
  })
  .prefault({})
  .describe('Storage account for backups (Cosmos exports): HTTPS only, TLS 1.2, no public blob access, soft delete and versioning.');

/**
 * Model deployment types of Azure OpenAI ("Deployment types", learn.microsoft.com, read 2026-11).
 * The ARM schema takes any string for a deployment's SKU name, so a misspelt one would fail only
 * when ARM deploys it; listing them here fails it in the config, where it is written.
 */
const MODEL_DEPLOYMENT_SKUS = [
  'Standard',
  'DataZoneStandard',
  'GlobalStandard',
  'ProvisionedManaged',
  'DataZoneProvisionedManaged',
  'GlobalProvisionedManaged',
  'DataZoneBatch',
  'GlobalBatch',
] as const;

const modelText = (what: string, example: string) =>
  z
    .string({ error: `give the model ${what} as a string (quote it in YAML, e.g. "${example}")` })
    .regex(/^[a-zA-Z0-9][a-zA-Z0-9._-]{0,99}$/, {
      error: `the model ${what} is letters, digits, periods, underscores and hyphens, e.g. ${example}`,
    });

const ModelDeploymentSchema = z.strictObject({
  name: azureName(NAME_RULES.modelDeployment).describe(
    'Deployment name: what the app names in its requests (/openai/deployments/<name>/...).',
  ),
  model: modelText('name', 'gpt-4o').describe('Model name, e.g. gpt-4o (format OpenAI).'),
  version: modelText('version', '2024-11-20').describe('Model version, e.g. "2024-11-20" (quote it in YAML).'),
  sku: z
    .enum(MODEL_DEPLOYMENT_SKUS)
    .default('Standard')
    .describe(
      'Deployment type. Standard (default) processes prompts in the account’s region; DataZone* may process them anywhere in the data zone (US, EU) and Global* in any Azure region, while data at rest stays in the account’s geography.',
    ),
  capacity: integer(1, 100000, 'a model deployment’s capacity')
    .default(10)
    .describe(
      'Capacity: thousands of tokens per minute for Standard, DataZone and Global deployments; provisioned throughput units for Provisioned ones.',
    ),
});

const customSubDomainName = azureName(NAME_RULES.customSubDomain)
  .optional()
  .describe(
    'Custom subdomain of the account’s endpoint (a global DNS name; required for Microsoft Entra sign-in). Absent: the account name in lower case.',
  );

/** The custom subdomain an AI services account gets: the configured one, or its name in lower case. */
export function customSubDomainOf(account: { name: string; customSubDomainName?: string | undefined }): string {
  return account.customSubDomainName ?? account.name.toLowerCase();
}

/** An account without customSubDomainName takes its name as subdomain: that name must then be a valid DNS label. */
function checkSubDomain(account: { name: string; customSubDomainName?: string | undefined }, ctx: z.RefinementCtx): void {
  if (account.customSubDomainName === undefined && !NAME_RULES.customSubDomain.pattern.test(account.name.toLowerCase())) {
    ctx.addIssue({
      code: 'custom',
      path: ['customSubDomainName'],
      message: `the account name "${account.name}" cannot be its custom subdomain, which takes ${NAME_RULES.customSubDomain.rule}: set customSubDomainName`,
    });
  }
}

const AbuseMonitoringSchema = z
  .strictObject({
    approval: z
      .strictObject({
        approvedDate: isoDate.describe('Date of Microsoft’s email approving modified abuse monitoring.'),
        reference: z
          .string()
          .min(1)
          .max(200)
          .describe('Where the approval is kept: the email’s subject or case number, or the path of a copy in the repository.'),
      })
      .optional()
      .describe(
        'Microsoft approved the request to turn off abuse-monitoring storage for this subscription. The live gate also checks the account shows the capability ContentLogging=false.',
      ),
    waiver: z
      .strictObject({
        reason: z.string().min(1).max(500).describe('Why prompts and completions Microsoft may keep for abuse review are acceptable here.'),
        reviewedBy: z.string().min(1).max(200).describe('Who reviewed the decision (a name or an email address).'),
        reviewedDate: isoDate.describe('When it was last reviewed; the gate asks for a review within gate.baaReviewMaxAgeDays.'),
      })
      .optional()
      .describe('A reviewed decision to keep Microsoft’s default abuse monitoring (no approval to turn it off).'),
  })
  .superRefine((record, ctx) => {
    if ((record.approval === undefined) === (record.waiver === undefined)) {
      ctx.addIssue({
        code: 'custom',
        path: [],
        message:
          'record either approval (Microsoft approved turning abuse-monitoring storage off) or waiver (a reviewed decision to keep it), not both or neither',
      });
    }
  })
  .optional()
  .describe(
    'Azure OpenAI keeps prompts and completions flagged by abuse monitoring for human review unless Microsoft approves a request to turn that off. Record the approval, or a reviewed waiver; the gate’s openai.abuse-monitoring control fails without either.',
  );

const OpenAiSchema = z
  .strictObject({
    enabled: z.boolean().default(true).describe('Deploy the Azure OpenAI account (default true).'),
    name: azureName(NAME_RULES.cognitiveServicesAccount).default('seniorly-prod-openai').describe('Azure OpenAI account name.'),
    customSubDomainName,
    deployments: z
      .array(ModelDeploymentSchema)
      .default([{ name: 'gpt-4o', model: 'gpt-4o', version: '2024-11-20', sku: 'Standard', capacity: 10 }])
      .describe('Model deployments of the account, deployed one after another (ARM refuses concurrent changes to one account).'),
    abuseMonitoring: AbuseMonitoringSchema,
  })
  .superRefine((openai, ctx) => {
    checkSubDomain(openai, ctx);
    const seen = new Set<string>();
    for (const [index, deployment] of openai.deployments.entries()) {
      const key = deployment.name.toLowerCase();
      if (seen.has(key))
        ctx.addIssue({
          code: 'custom',
          path: ['deployments', index, 'name'],
          message: `deployment name "${deployment.name}" is used twice; give each deployment its own name`,
        });
      seen.add(key);
    }
  })
  .prefault({})
  .describe(
    'Azure OpenAI (Microsoft.CognitiveServices/accounts, kind OpenAI): key authentication disabled; the app signs in with its identity (Cognitive Services OpenAI User).',
  );

const SpeechSchema = z
  .strictObject({
    enabled: z.boolean().default(true).describe('Deploy the Speech account (default true).'),
    name: azureName(NAME_RULES.cognitiveServicesAccount).default('seniorly-prod-speech').describe('Speech account name.'),
    customSubDomainName,
  })
  .superRefine(checkSubDomain)
  .prefault({})
  .describe(
    'Azure AI Speech (Microsoft.CognitiveServices/accounts, kind SpeechServices): key authentication disabled; the app signs in with its identity (Cognitive Services Speech User).',
  );

const SearchSchema = z
  .strictObject({
    enabled: z.boolean().default(true).describe('Deploy the Azure AI Search service (default true).'),
    name: azureName(NAME_RULES.searchService).default('seniorly-prod-search').describe('Azure AI Search service name (globally unique).'),
    sku: z
      .enum(['basic', 'standard', 'standard2', 'standard3', 'storage_optimized_l1', 'storage_optimized_l2'])
      .default('basic')
      .describe('Search SKU (the shared free tier has no private endpoints and is not offered).'),
    replicaCount: integer(1, 12, 'ai.search.replicaCount').default(1).describe('Replicas (basic: 1-3; two or more for a read SLA).'),
    partitionCount: z
      .union([z.literal(1), z.literal(2), z.literal(3), z.literal(4), z.literal(6), z.literal(12)], {
        error: 'ai.search.partitionCount is 1, 2, 3, 4, 6 or 12',
      })
      .default(1)
      .describe('Partitions: 1, 2, 3, 4, 6 or 12 (basic: 1).'),
  })
  .superRefine((search, ctx) => {
    if (search.sku !== 'basic') return;
    if (search.replicaCount > 3)
      ctx.addIssue({
        code: 'custom',
        path: ['replicaCount'],
        message: 'the basic SKU has 1-3 replicas; lower replicaCount or pick a standard SKU',
      });
    if (search.partitionCount > 1)
      ctx.addIssue({
        code: 'custom',
        path: ['partitionCount'],
        message: 'the basic SKU has one partition; set partitionCount to 1 or pick a standard SKU',
      });
  })
  .prefault({})
  .describe(
    'Azure AI Search (Microsoft.Search/searchServices): API keys disabled (Microsoft Entra only); the app signs in with its identity (Search Index Data Reader).',
  );

const AiSchema = z
  .strictObject({
    openai: OpenAiSchema,
    speech: SpeechSchema,
    search: SearchSchema,
  })
  .superRefine((ai, ctx) => {
    if (ai.openai.enabled && ai.speech.enabled && customSubDomainOf(ai.openai) === customSubDomainOf(ai.speech)) {
      ctx.addIssue({
        code: 'custom',
        path: ['speech', 'customSubDomainName'],
        message: `the OpenAI and Speech accounts both have the custom subdomain "${customSubDomainOf(ai.speech)}"; custom subdomains are global, so give them different ones`,
      });
    }
  })
  .prefault({})
  .describe(
    'The AI services the voice agent calls, each reached with the app’s identity, never a key: their endpoints reach the app as AZURE_OPENAI_ENDPOINT, AZURE_SPEECH_ENDPOINT (with AZURE_SPEECH_REGION and AZURE_SPEECH_RESOURCE_ID) and AZURE_SEARCH_ENDPOINT. Each is on by default; set enabled: false to leave one out.',
  );

const DiagnosticsSchema = z
  .strictObject({
    settingName: azureName(NAME_RULES.diagnosticSetting)
      .default('hipaa-audit-logs')
      .describe('Name of the diagnostic setting created on every audited resource.'),
    categoryGroup: z
      .enum(['allLogs', 'audit'])
      .default('allLogs')
      .describe(
        'Category group the diagnostic settings send to Log Analytics: allLogs (default; every service supports it) or audit (less volume).',
      ),
  })
  .prefault({})
  .describe('Diagnostic settings that send audit logs to the Log Analytics workspace.');

const BaaSchema = z
  .strictObject({
    signedDate: isoDate.describe('Date the Business Associate Agreement took effect.'),
    reviewedDate: isoDate.describe('Date someone last reviewed that the BAA still covers the environment.'),
    file: z
      .string()
      .min(1)
      .refine((file) => !/^([a-zA-Z]:)?[\\/]/.test(file), 'baa.file is relative to the config file’s directory, not absolute')
      .describe('The BAA evidence file (e.g. the Product Terms / DPA copy), relative to the config file.'),
    sha256: z
      .string()
      .regex(/^[a-fA-F0-9]{64}$/, { error: 'baa.sha256 is the 64-hex-digit SHA-256 of the file (sha256sum <file>)' })
      .describe('SHA-256 of the file, so the gate can tell it has not changed.'),
  })
  .optional()
  .describe('Evidence of the Business Associate Agreement with Microsoft. The gate’s baa.evidence control fails without it.');

const GateSchema = z
  .strictObject({
    requiredTags: z
      .record(tagName, z.union([tagValue, z.null()]))
      .default({ ...DEFAULT_GATE_POLICY.requiredTags })
      .describe('Tags every resource must carry: name -> required value, or null (or "*") for any non-empty value.'),
    minKeyVaultRetentionDays: integer(7, 90, 'gate.minKeyVaultRetentionDays')
      .default(DEFAULT_GATE_POLICY.minKeyVaultRetentionDays)
      .describe('Minimum Key Vault soft-delete retention.'),
    minAuditRetentionDays: integer(1, 4383, 'gate.minAuditRetentionDays')
      .default(DEFAULT_GATE_POLICY.minAuditRetentionDays)
      .describe('Minimum days audit logs and backups are kept (HIPAA 164.316(b)(2): six years = 2190).'),
    minSqlYearlyRetention: isoDuration('Y', 10, 'gate.minSqlYearlyRetention')
      .default(DEFAULT_GATE_POLICY.minSqlYearlyRetention)
      .describe('Minimum SQL long-term retention of yearly backups.'),
    baaReviewMaxAgeDays: integer(1, 3650, 'gate.baaReviewMaxAgeDays')
      .default(DEFAULT_GATE_POLICY.baaReviewMaxAgeDays)
      .describe('The BAA evidence must have been reviewed within this many days.'),
    maxWaiverDays: integer(1, 3650, 'gate.maxWaiverDays')
      .default(DEFAULT_GATE_POLICY.maxWaiverDays)
      .describe('The longest a waiver may run, counted from the day the gate judges; a longer waiver is refused.'),
    advisoryBlocks: z.boolean().default(DEFAULT_GATE_POLICY.advisoryBlocks).describe('Whether a failed advisory control blocks promotion.'),
    unknownBlocks: z
      .boolean()
      .default(DEFAULT_GATE_POLICY.unknownBlocks)
      .describe('Whether an unknown result blocks promotion (fail closed; lower only deliberately).'),
  })
  .prefault({})
  .describe('The HIPAA gate’s policy.');

const EnvironmentShape = z.strictObject({
  region: region.default('eastus2').describe('Azure region of every regional resource.'),
  resourceGroup: azureName(NAME_RULES.resourceGroup)
    .default('seniorly-prod-rg')
    .describe('Resource group the environment is deployed into.'),
  tags: z
    .record(tagName, tagValue)
    .default({ Environment: 'Production', Compliance: 'HIPAA' })
    .describe('Tags on the resource group and every resource (the gate requires Compliance=HIPAA and Environment by default).'),
  network: NetworkSchema,
  identity: IdentitySchema,
  keyVault: KeyVaultSchema,
  cosmos: CosmosSchema,
  sql: SqlSchema,
  redis: RedisSchema,
  logAnalytics: LogAnalyticsSchema,
  registry: RegistrySchema,
  containerAppsEnvironment: ContainerAppsEnvironmentSchema,
  containerApp: ContainerAppSchema,
  edge: EdgeSchema,
  storage: StorageSchema,
  ai: AiSchema,
  diagnostics: DiagnosticsSchema,
  operations: OperationsSchema,
  baa: BaaSchema,
  waivers: z.string().min(1).optional().describe('Path of the waivers file, relative to the config file.'),
  gate: GateSchema,
});

interface NetworkRanges {
  mode: 'private' | 'public';
  addressSpace: string;
  containerAppsSubnet: { addressPrefix: string };
  privateEndpointsSubnet: { addressPrefix: string };
  githubRunners?: { subnet: { addressPrefix: string } } | undefined;
}

/** In private mode the subnets must sit inside the address space, apart, and the apps subnet be /27 or larger. */
function checkSubnets(network: NetworkRanges, ctx: z.RefinementCtx): void {
  if (network.mode !== 'private') return;
  const report = (path: string[], message: string) => ctx.addIssue({ code: 'custom', path, message });
  const space = parseCidr(network.addressSpace);
  const subnets = [
    ['containerAppsSubnet', network.containerAppsSubnet],
    ['privateEndpointsSubnet', network.privateEndpointsSubnet],
  ] as const;
  for (const [key, { addressPrefix }] of subnets) {
    const range = parseCidr(addressPrefix);
    if (range.bits < space.bits || (range.start & space.mask) >>> 0 !== space.start) {
      report([key, 'addressPrefix'], `${addressPrefix} is not inside network.addressSpace ${network.addressSpace}; pick a range inside it`);
    }
  }
  const runners = network.githubRunners?.subnet;
  if (runners) {
    const range = parseCidr(runners.addressPrefix);
    if (range.bits < space.bits || (range.start & space.mask) >>> 0 !== space.start)
      report(
        ['githubRunners', 'subnet', 'addressPrefix'],
        `${runners.addressPrefix} is not inside network.addressSpace ${network.addressSpace}; pick a range inside it`,
      );
    for (const [key, other] of subnets)
      if (overlaps(range, parseCidr(other.addressPrefix)))
        report(['githubRunners', 'subnet', 'addressPrefix'], `the runner subnet overlaps ${key}; give it a range of its own`);
  }
  const apps = parseCidr(network.containerAppsSubnet.addressPrefix);
  const endpoints = parseCidr(network.privateEndpointsSubnet.addressPrefix);
  if (apps.bits > 27) {
    report(
      ['containerAppsSubnet', 'addressPrefix'],
      'a workload-profiles Container Apps environment needs a /27 or larger subnet; use a prefix length of 27 or less',
    );
  }
  const widerMask = maskOf(Math.min(apps.bits, endpoints.bits));
  if ((apps.start & widerMask) >>> 0 === (endpoints.start & widerMask) >>> 0) {
    report(['privateEndpointsSubnet', 'addressPrefix'], 'the two subnets overlap; give them separate ranges');
  }
}

function overlaps(a: { start: number; bits: number }, b: { start: number; bits: number }): boolean {
  const mask = maskOf(Math.min(a.bits, b.bits));
  return (a.start & mask) >>> 0 === (b.start & mask) >>> 0;
}

function maskOf(bits: number): number {
  return bits === 0 ? 0 : (~0 << (32 - bits)) >>> 0;
}

function parseCidr(cidr: string): { start: number; bits: number; mask: number } {
  const [address = '', bitsText = '0'] = cidr.split('/');
  const bits = Number(bitsText);
  const mask = maskOf(bits);
  const value = address.split('.').reduce((sum, octet) => sum * 256 + Number(octet), 0);
  return { start: (value & mask) >>> 0, bits, mask };
}

export const EnvironmentConfigSchema = EnvironmentShape.refine(
  // Runs even when other sections have problems, so one pass reports everything; `when` checks the two values it reads.
  (config) => config.network.mode !== 'private' || config.registry.sku === 'Premium',
  {
    path: ['registry', 'sku'],
    message: 'private endpoints need the Premium registry SKU: set registry.sku to Premium, or network.mode to public',
    when: (payload) => {
      const value = payload.value as { network?: { mode?: unknown }; registry?: { sku?: unknown } } | undefined;
      return value?.network?.mode === 'private' && ['Basic', 'Standard'].includes(String(value.registry?.sku));
    },
  },
)
  .refine((config) => config.registry.build?.resourceGroup.toLowerCase() !== config.resourceGroup.toLowerCase(), {
    path: ['registry', 'build', 'resourceGroup'],
    message:
      'the build registry belongs outside the environment’s resource group (it is pushed to from runners outside the network, and holds no patient data): name a group of its own',
  })
  .refine((config) => config.registry.build?.name.toLowerCase() !== config.registry.name.toLowerCase(), {
    path: ['registry', 'build', 'name'],
    message: 'the build registry must be another registry than registry.name: images are imported from it into the environment’s registry',
  })
  .refine((config) => !config.edge.enabled || config.containerApp.ingress === 'external', {
    path: ['containerApp', 'ingress'],
    message:
      'the edge reaches the app through the environment’s Private Link, which carries external ingress only: set containerApp.ingress to external (the environment itself stays closed to the internet), or edge.enabled to false',
  })
  .describe(
    'azure-hipaa.yml: one HIPAA-ready Azure production environment for a container app. Every field is optional; the defaults are the seniorly-prod environment of the migration guide, corrected.',
  );

/** The config after defaults: every field is present. */
export type EnvironmentConfig = z.output<typeof EnvironmentConfigSchema>;
/** What a config file may contain: every field optional. */
export type EnvironmentConfigInput = z.input<typeof EnvironmentConfigSchema>;

/** The built-in defaults, freshly built so callers may not share mutations. */
export function defaultConfig(): EnvironmentConfig {
  return EnvironmentConfigSchema.parse({});
}
