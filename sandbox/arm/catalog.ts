import { stableGuid } from '../../src/core/resource-id.js';
import { REGIONS } from './names.js';
import { assignmentScope } from './role-assignments.js';

/**
 * What the sandbox's ARM endpoint knows about each resource type it serves: how long real Azure
 * takes to provision one, the read-only properties its resource provider adds, and which names are
 * global DNS names (names.ts has the name rules; schema.ts the api-versions, from Microsoft's schemas).
 *
 * Provisioning times are typical create times seen in Azure (learn.microsoft.com quickstarts and
 * `az` runs), rounded: Managed Redis and Container Apps environments take minutes, Key Vault
 * seconds. The sandbox divides them by the time scale the caller sets.
 */
export interface ResourceTypeSpec {
  /** Seconds a create takes in Azure. */
  createSeconds: number;
  /** Seconds an update that changes nothing takes (ARM still PUTs it). */
  noopSeconds?: number;
  /** A global DNS name: another subscription may hold it already. */
  globalName?: { code: string; message: (name: string) => string };
  /** Properties the provider sets and returns on GET: endpoints, generated ids. */
  readOnly?: (
    resource: { name: string; id: string; location?: string; kind?: string; properties: Record<string, unknown> },
    propertiesOf: (id: string) => Record<string, unknown> | undefined,
  ) => Record<string, unknown>;
  /** Child resources the provider creates with the parent (`master` database, `default` blob service). */
  implicitChildren?: { type: string; name: string; properties?: Record<string, unknown> }[];
  /** Top-level keys the provider answers beside `properties` unless the caller wrote them (a budget's `eTag`, a rule's empty `tags`). */
  readOnlyEnvelope?: (resource: { id: string; properties: Record<string, unknown> }) => Record<string, unknown>;
  /** False where the provider's answer has no `properties.provisioningState` (its spec defines none: budgets, alert rules). */
  provisioningState?: false;
  /** The provider answers a create 200, not 201 (its spec lists only 200: metric alerts). */
  createdWith200?: true;
  /** Tags the provider adds to the resource (GitHub.Network's `GitHubId`). */
  readOnlyTags?: (resource: { id: string }) => Record<string, string>;
  /** Regions where the provider does not offer the type. */
  unavailableIn?: readonly string[];
  /**
   * Whether a complete-mode deployment deletes a resource of this type that the template leaves out
   * (learn.microsoft.com, "Deletion of Azure resources for complete mode deployments"). When unset:
   * yes for a top-level type, no for a child type; a "No" type still goes when its parent goes.
   */
  completeModeDeletion?: boolean;
}

/** Regions a subscription reaches only after asking Microsoft for access; not offered to the sandbox's subscription. */
export const RESTRICTED_REGIONS = [
  'australiacentral2',
  'brazilsoutheast',
  'francesouth',
  'germanynorth',
  'jioindiacentral',
  'jioindiawest',
  'norwaywest',
  'southafricawest',
  'swedensouth',
  'switzerlandwest',
  'uaecentral',
  'westindia',
];
export const AVAILABLE_REGIONS: readonly string[] = REGIONS.filter((region) => !RESTRICTED_REGIONS.includes(region));
/** Newer regions where Container Apps is not offered yet (the sandbox's model, for LocationNotAvailableForResourceType). */
const WITHOUT_CONTAINER_APPS = [
  'austriaeast',
  'belgiumcentral',
  'chilecentral',
  'denmarkeast',
  'indonesiacentral',
  'malaysiawest',
  'newzealandnorth',
];

/** A stable GUID from a resource id: the same resource gets the same generated ids in every run. */
export function guidFrom(...parts: string[]): string {
  return stableGuid(...parts.map((part) => part.toLowerCase()));
}

const taken = (service: string) => (name: string) =>
  `The ${service} name '${name}' is already in use: ${service} names are global DNS names. Choose another name.`;

/** Every receiver list of an action group, as Azure answers them (2022-06-01 and 2023-01-01 examples). */
const RECEIVER_LISTS = [
  'emailReceivers',
  'smsReceivers',
  'webhookReceivers',
  'itsmReceivers',
  'azureAppPushReceivers',
  'automationRunbookReceivers',
  'voiceReceivers',
  'logicAppReceivers',
  'azureFunctionReceivers',
  'armRoleReceivers',
  'eventHubReceivers',
];
/** Lists whose receivers may take the common alert schema: Azure answers `useCommonAlertSchema` false where it was left out. */
const COMMON_SCHEMA_LISTS = [
  'emailReceivers',
  'webhookReceivers',
  'automationRunbookReceivers',
  'logicAppReceivers',
  'azureFunctionReceivers',
  'armRoleReceivers',
  'eventHubReceivers',
];

/** An action group's receivers: each list present (empty when unused), email and SMS receivers Enabled (nobody unsubscribed). */
function actionGroupReceivers(properties: Record<string, unknown>): Record<string, unknown> {
  const lists = RECEIVER_LISTS.map((list) => {
    const receivers = (Array.isArray(properties[list]) ? properties[list] : []) as Record<string, unknown>[];
    return [
      list,
      receivers.map((receiver) => ({
        ...(COMMON_SCHEMA_LISTS.includes(list) ? { useCommonAlertSchema: false } : {}),
        ...receiver,
        ...(list === 'emailReceivers' || list === 'smsReceivers' ? { status: 'Enabled' } : {}),
      })),
    ];
  });
  return Object.fromEntries(lists);
}

export const RESOURCE_TYPES: Record<string, ResourceTypeSpec> = {
  'microsoft.managedidentity/userassignedidentities': {
    createSeconds: 5,
    readOnly: ({ id }) => ({ principalId: guidFrom('principal', id), clientId: guidFrom('client', id), tenantId: guidFrom('tenant') }),
  },
  'microsoft.operationalinsights/workspaces': {
    createSeconds: 20,
    readOnly: ({ id }) => ({ customerId: guidFrom('workspace', id), provisioningState: 'Succeeded' }),
  },
  'microsoft.operationalinsights/workspaces/tables': { createSeconds: 10 },
  'microsoft.network/virtualnetworks': { createSeconds: 10 },
  'microsoft.network/virtualnetworks/subnets': { createSeconds: 5 },
  'microsoft.network/networksecuritygroups': { createSeconds: 10 },
  // GitHub-hosted runners with Azure private networking: the provider tags the resource with the id GitHub's
  // network configuration takes (docs.github.com, "Configuring Azure resources for private networking").
  'github.network/networksettings': {
    createSeconds: 20,
    readOnlyTags: ({ id }) => ({ GitHubId: guidFrom('github-network', id).replace(/-/g, '').toUpperCase() }),
  },
  'microsoft.keyvault/vaults': {
    createSeconds: 15,
    globalName: {
      code: 'VaultAlreadyExists',
      message: (name) =>
        `The vault name '${name}' is already in use. Vault names are globally unique so it is possible that the name is already taken.`,
    },
    readOnly: ({ name }) => ({ vaultUri: `https://${name.toLowerCase()}.vault.azure.net/`, provisioningState: 'Succeeded' }),
  },
  // A new version of a secret in the vault, written through the control plane (vault-secrets.ts).
  'microsoft.keyvault/vaults/secrets': { createSeconds: 2 },
  'microsoft.insights/diagnosticsettings': { createSeconds: 3, completeModeDeletion: false },
  'microsoft.authorization/roleassignments': {
    createSeconds: 5,
    completeModeDeletion: false,
    // ARM reports where the assignment applies: the resource, group or subscription its id is under.
    readOnly: ({ id }) => ({ scope: assignmentScope(id) }),
  },
  'microsoft.documentdb/databaseaccounts': {
    createSeconds: 420,
    globalName: { code: 'BadRequest', message: (name) => `DatabaseAccount name '${name}' already exists.` },
    readOnly: ({ name }) => ({ documentEndpoint: `https://${name}.documents.azure.com:443/`, provisioningState: 'Succeeded' }),
  },
  'microsoft.documentdb/databaseaccounts/sqlroleassignments': { createSeconds: 20 },
  'microsoft.sql/servers': {
    createSeconds: 60,
    globalName: {
      code: 'ServerNameAlreadyExists',
      message: (name) => `The name '${name}.database.windows.net' already exists. Choose a different name.`,
    },
    readOnly: ({ name }) => ({ fullyQualifiedDomainName: `${name}.database.windows.net`, state: 'Ready' }),
    implicitChildren: [{ type: 'Microsoft.Sql/servers/databases', name: 'master', properties: { zoneRedundant: false } }],
  },
  'microsoft.sql/servers/databases': {
    createSeconds: 90,
    readOnly: () => ({ status: 'Online' }),
    completeModeDeletion: true,
  },
  'microsoft.sql/servers/auditingsettings': { createSeconds: 20 },
  'microsoft.sql/servers/advancedthreatprotectionsettings': { createSeconds: 10 },
  'microsoft.sql/servers/databases/transparentdataencryption': { createSeconds: 5 },
  'microsoft.sql/servers/databases/backuplongtermretentionpolicies': { createSeconds: 10 },
  'microsoft.cache/redisenterprise': {
    createSeconds: 900,
    readOnly: ({ name, location }) => ({
      hostName: `${name}.${location ?? 'eastus2'}.redis.azure.net`,
      provisioningState: 'Succeeded',
      resourceState: 'Running',
    }),
  },
  'microsoft.cache/redisenterprise/databases': { createSeconds: 120 },
  'microsoft.cache/redisenterprise/databases/accesspolicyassignments': { createSeconds: 30 },
  'microsoft.cache/redis': {
    createSeconds: 1200,
    readOnly: ({ name }) => ({ hostName: `${name}.redis.cache.windows.net`, port: 6379, sslPort: 6380, provisioningState: 'Succeeded' }),
  },
  'microsoft.cache/redis/accesspolicyassignments': { createSeconds: 30 },
  'microsoft.storage/storageaccounts': {
    createSeconds: 25,
    globalName: { code: 'StorageAccountAlreadyTaken', message: (name) => `The storage account named ${name} is already taken.` },
    readOnly: ({ name }) => ({ primaryEndpoints: { blob: `https://${name}.blob.core.windows.net/` }, provisioningState: 'Succeeded' }),
    implicitChildren: [{ type: 'Microsoft.Storage/storageAccounts/blobServices', name: 'default', properties: {} }],
  },
  'microsoft.storage/storageaccounts/blobservices': { createSeconds: 3 },
  'microsoft.storage/storageaccounts/managementpolicies': { createSeconds: 3 },
  'microsoft.containerregistry/registries': {
    createSeconds: 20,
    globalName: { code: 'AlreadyInUse', message: taken('registry') },
    readOnly: ({ name }) => ({ loginServer: `${name.toLowerCase()}.azurecr.io`, provisioningState: 'Succeeded' }),
  },
  'microsoft.cognitiveservices/accounts': {
    // An Azure OpenAI or Speech account is ready in well under a minute; each model deployment takes longer.
    createSeconds: 40,
    readOnly: ({ kind, location, properties }) => {
      const subdomain = typeof properties['customSubDomainName'] === 'string' ? properties['customSubDomainName'].toLowerCase() : undefined;
      // With a custom subdomain the endpoint is the account's own host (kind OpenAI: openai.azure.com); without one, the region's shared host.
      const endpoint = subdomain
        ? `https://${subdomain}.${kind?.toLowerCase() === 'openai' ? 'openai' : 'cognitiveservices'}.azure.com/`
        : `https://${location ?? 'eastus2'}.api.cognitive.microsoft.com/`;
      // No ContentLogging capability: Microsoft has not turned abuse-monitoring storage off for the sandbox's subscription.
      // Microsoft sets capabilities, not the customer: the admin API's direct patch stands for that (ContentLogging=false).
      const capabilities = Array.isArray(properties['capabilities'])
        ? properties['capabilities']
        : [{ name: 'VirtualNetworks' }, { name: 'CustomerManagedKey' }];
      return { endpoint, capabilities, provisioningState: 'Succeeded' };
    },
  },
  'microsoft.cognitiveservices/accounts/deployments': { createSeconds: 90 },
  'microsoft.search/searchservices': {
    // A dedicated search service is provisioned on its own nodes: several minutes.
    createSeconds: 300,
    readOnly: ({ name }) => ({ endpoint: `https://${name}.search.windows.net`, status: 'running', statusDetails: '' }),
  },
  'microsoft.network/privatednszones': { createSeconds: 40 },
  'microsoft.network/privatednszones/virtualnetworklinks': { createSeconds: 45 },
  'microsoft.network/privateendpoints': { createSeconds: 60 },
  'microsoft.network/privateendpoints/privatednszonegroups': { createSeconds: 20 },
  'microsoft.app/managedenvironments': {
    createSeconds: 480,
    unavailableIn: WITHOUT_CONTAINER_APPS,
    readOnly: ({ id, location }) => ({
      defaultDomain: `${guidFrom('domain', id).slice(0, 13).replace('-', '')}.${location ?? 'eastus2'}.azurecontainerapps.io`,
      staticIp: '20.0.0.10',
      provisioningState: 'Succeeded',
    }),
  },
  // Approving a connection takes Azure a minute or so (the private endpoint's side is updated too).
  'microsoft.app/managedenvironments/privateendpointconnections': { createSeconds: 60 },
  'microsoft.app/containerapps': {
    createSeconds: 45,
    noopSeconds: 5,
    unavailableIn: WITHOUT_CONTAINER_APPS,
    readOnly: ({ name, properties }, propertiesOf) => ({
      provisioningState: 'Succeeded',
      configuration: {
        ingress: {
          fqdn: `${name}.${String(propertiesOf(String(properties['environmentId']))?.['defaultDomain'] ?? 'unknown.azurecontainerapps.io')}`,
        },
      },
    }),
  },
  // Operations (src/template/operations.ts): alert rules and action groups are ready in seconds; a component and its test too.
  'microsoft.insights/actiongroups': {
    createSeconds: 5,
    provisioningState: false,
    readOnly: ({ properties }) => actionGroupReceivers(properties),
  },
  // Metric alerts (2018-03-01 examples): created with 200, durations answered in upper case, no provisioningState.
  'microsoft.insights/metricalerts': {
    createSeconds: 10,
    createdWith200: true,
    provisioningState: false,
    readOnly: ({ properties }) => ({
      ...(typeof properties['evaluationFrequency'] === 'string'
        ? { evaluationFrequency: properties['evaluationFrequency'].toUpperCase() }
        : {}),
      ...(typeof properties['windowSize'] === 'string' ? { windowSize: properties['windowSize'].toUpperCase() } : {}),
    }),
  },
  // Log search alert rules (2026-03-01 examples): tags answered even when none were written, no provisioningState; no
  // workspace in the sandbox has alert storage configured.
  'microsoft.insights/scheduledqueryrules': {
    createSeconds: 10,
    provisioningState: false,
    readOnly: () => ({ isWorkspaceAlertsStorageConfigured: false }),
    readOnlyEnvelope: () => ({ tags: {} }),
  },
  // Application Insights (2020-02-02 examples): created with 200; keys and ids of its own, defaults for what was left out.
  'microsoft.insights/components': {
    createSeconds: 15,
    createdWith200: true,
    readOnly: ({ id, name, properties }) => {
      const instrumentationKey = guidFrom('instrumentation-key', id);
      return {
        ApplicationId: name,
        AppId: guidFrom('appinsights', id),
        InstrumentationKey: instrumentationKey,
        ConnectionString: `InstrumentationKey=${instrumentationKey}`,
        CreationDate: '2026-01-01T00:00:00+00:00',
        TenantId: guidFrom('tenant'),
        HockeyAppId: '',
        HockeyAppToken: '',
        SamplingPercentage: properties['SamplingPercentage'] ?? 100,
        DisableIpMasking: properties['DisableIpMasking'] ?? false,
        publicNetworkAccessForQuery: properties['publicNetworkAccessForQuery'] ?? 'Enabled',
        publicNetworkAccessForIngestion: properties['publicNetworkAccessForIngestion'] ?? 'Enabled',
        IngestionMode: properties['WorkspaceResourceId'] ? 'LogAnalytics' : (properties['IngestionMode'] ?? 'ApplicationInsights'),
        provisioningState: 'Succeeded',
      };
    },
  },
  // Availability tests (2022-06-15 examples): created with 200, as components.
  'microsoft.insights/webtests': { createSeconds: 10, createdWith200: true },
  // Azure Policy's assignment (2025-03-01 examples): its scope, an instance id, defaults for what the caller left out.
  'microsoft.authorization/policyassignments': {
    createSeconds: 5,
    completeModeDeletion: false,
    provisioningState: false,
    readOnly: ({ id, properties }) => ({
      scope: id.split(/\/providers\/Microsoft\.Authorization\/policyAssignments\//i)[0],
      notScopes: properties['notScopes'] ?? [],
      definitionVersion: properties['definitionVersion'] ?? '1.*.*',
      instanceId: guidFrom('policy-assignment', id),
    }),
  },
  // Consumption's budget (2024-08-01 examples): an eTag that changes with each write, the spend so far (none in the sandbox).
  'microsoft.consumption/budgets': {
    createSeconds: 3,
    completeModeDeletion: false,
    provisioningState: false,
    readOnly: () => ({ currentSpend: { amount: 0, unit: 'USD' } }),
    readOnlyEnvelope: ({ id, properties }) => ({
      eTag: `"${guidFrom('etag', id, JSON.stringify(properties)).replace(/-/g, '').slice(0, 15)}"`,
    }),
  },
  'microsoft.security/pricings': { createSeconds: 5, completeModeDeletion: false },
  // Azure Front Door Standard/Premium and its WAF policies: global resources, minutes to propagate to the edge.
  'microsoft.network/frontdoorwebapplicationfirewallpolicies': {
    createSeconds: 60,
    readOnly: () => ({ provisioningState: 'Succeeded', resourceState: 'Enabled' }),
  },
  'microsoft.cdn/profiles': {
    createSeconds: 60,
    readOnly: ({ id }) => ({ frontDoorId: guidFrom('front-door', id), resourceState: 'Active', provisioningState: 'Succeeded' }),
  },
  'microsoft.cdn/profiles/afdendpoints': {
    createSeconds: 60,
    // The endpoint's host name carries a hash of the endpoint, so the same name in two profiles gets two hosts.
    readOnly: ({ id, name }) => ({
      hostName: `${name.toLowerCase()}-${guidFrom('endpoint', id).replace(/-/g, '').slice(0, 16)}.z01.azurefd.net`,
      deploymentStatus: 'Succeeded',
      provisioningState: 'Succeeded',
    }),
  },
  'microsoft.cdn/profiles/afdendpoints/routes': { createSeconds: 120, readOnly: () => ({ deploymentStatus: 'Succeeded' }) },
  'microsoft.cdn/profiles/origingroups': { createSeconds: 30, readOnly: () => ({ deploymentStatus: 'Succeeded' }) },
  'microsoft.cdn/profiles/origingroups/origins': { createSeconds: 60, readOnly: () => ({ deploymentStatus: 'Succeeded' }) },
  'microsoft.cdn/profiles/securitypolicies': { createSeconds: 60, readOnly: () => ({ deploymentStatus: 'Succeeded' }) },
  'microsoft.cdn/profiles/customdomains': {
    createSeconds: 60,
    // A managed certificate is issued once the CNAME and the validation TXT record exist: the sandbox takes them as made.
    readOnly: () => ({ domainValidationState: 'Approved', deploymentStatus: 'Succeeded' }),
  },
};

/** Images whose listening port the sandbox knows; any other image is taken to serve what its probes ask. */
export const KNOWN_IMAGE_PORTS: Record<string, number> = { 'mcr.microsoft.com/k8se/quickstart': 80 };

export function typeSpec(type: string): ResourceTypeSpec | undefined {
  return RESOURCE_TYPES[type.toLowerCase()];
}
