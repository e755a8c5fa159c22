import type {
  ContainerApp,
  ContainerAppProbe,
  EnvironmentVar,
  ManagedEnvironment,
  ManagedServiceIdentity,
  TrafficWeight,
} from '@azure/arm-appcontainers';
import type { Sku as RegistrySku, RegistryProperties } from '@azure/arm-containerregistry';
import type {
  Delegation,
  NetworkSecurityGroup,
  PrivateDnsZoneConfig,
  SecurityRule,
  PrivateDnsZoneGroup,
  PrivateEndpoint,
  PrivateLinkServiceConnection,
  Subnet,
  VirtualNetwork,
} from '@azure/arm-network';
import type { Table, Workspace } from '@azure/arm-operationalinsights';
import type { PrivateZone, VirtualNetworkLink } from '@azure/arm-privatedns';
import { AUDIT_LOG_TABLES, privateLinkOf, roleDefinitionOf } from '../azure/resource-types.js';
import { PLACEHOLDER_IMAGE } from '../config/schema.js';
import type { JsonPath } from '../core/json-path.js';
import type { FlattenedProperties, SubResourceBody } from './arm-types.js';
import {
  IDENTITY_TYPE,
  inner,
  literal,
  literalDeep,
  quote,
  reference,
  resourceId,
  resourceIdExpression,
  type TemplateBuilder,
} from './builder.js';
import { aiServiceEnvironment, aiServices } from './ai-services.js';
import { LEGACY_REDIS_TLS_PORT, MANAGED_REDIS_PORT } from './data-services.js';

/** The environment's log category (and table) of its ingress's requests: one record per request, with revision, status and duration. */
export const CONTAINER_APP_HTTP_LOGS = 'ContainerAppHTTPLogs';

/** The platform: identity, logs, network and private endpoints, registry, the Container Apps environment and the app. */

const WORKLOAD_PROFILE = 'Consumption';

export function renderIdentity(b: TemplateBuilder): void {
  const { identity } = b.config;
  // Created first: every role grant below names its principal. The 2023-01-31 schema gives it no properties.
  b.add<undefined>(['identity'], {
    type: 'Microsoft.ManagedIdentity/userAssignedIdentities',
    name: identity.name,
    location: b.location,
    tags: b.tags(),
  });
  b.outputs.identityClientId = { type: 'string', value: reference(b.identityId, IDENTITY_TYPE, 'clientId') };
  b.outputs.identityPrincipalId = { type: 'string', value: b.principalId };
}

export function renderLogAnalytics(b: TemplateBuilder): void {
  const { logAnalytics } = b.config;
  // A workspace's sku sits inside `properties` on the wire, so it stays in the properties type.
  b.add<FlattenedProperties<Workspace> & Pick<Workspace, 'sku'>>(['logAnalytics'], {
    type: 'Microsoft.OperationalInsights/workspaces',
    name: logAnalytics.name,
    location: b.location,
    tags: b.tags(),
    properties: {
      sku: { name: 'PerGB2018' },
      retentionInDays: logAnalytics.retentionInDays,
      features: { enableLogAccessUsingOnlyResourcePermissions: true },
    },
  });
  // Long retention is per table (the workspace accepts 30-730 days): every table audit logs can land in.
  for (const table of AUDIT_LOG_TABLES) {
    b.add<FlattenedProperties<Table>>(['logAnalytics', 'auditTableTotalRetentionInDays'], {
      type: 'Microsoft.OperationalInsights/workspaces/tables',
      name: `${logAnalytics.name}/${table}`,
      properties: { totalRetentionInDays: logAnalytics.auditTableTotalRetentionInDays },
      dependsOn: [b.workspaceId],
    });
  }
  b.outputs.logAnalyticsWorkspaceId = {
    type: 'string',
    value: reference(b.workspaceId, 'Microsoft.OperationalInsights/workspaces', 'customerId'),
  };
  b.outputs.logAnalyticsWorkspaceResourceId = { type: 'string', value: b.workspaceId };
}

export function renderVirtualNetwork(b: TemplateBuilder): void {
  const { network } = b.config;
  const delegation: SubResourceBody<FlattenedProperties<Delegation>> = {
    name: 'Microsoft.App.environments',
    properties: { serviceName: 'Microsoft.App/environments' },
  };
  // Subnets stay inline: declared as child resources they would be deleted and recreated on every redeploy of the network.
  const subnets: SubResourceBody<Omit<FlattenedProperties<Subnet>, 'delegations'> & { delegations?: (typeof delegation)[] }>[] = [
    {
      name: network.containerAppsSubnet.name,
      properties: { addressPrefix: network.containerAppsSubnet.addressPrefix, delegations: [delegation] },
    },
    {
      name: network.privateEndpointsSubnet.name,
      properties: { addressPrefix: network.privateEndpointsSubnet.addressPrefix, privateEndpointNetworkPolicies: 'Disabled' },
    },
  ];
  const runners = network.githubRunners;
  const nsgId = runners ? resourceId('Microsoft.Network/networkSecurityGroups', runners.networkSecurityGroupName) : undefined;
  if (runners && nsgId) {
    renderRunnerSecurityGroup(b, runners.networkSecurityGroupName);
    subnets.push({
      name: runners.subnet.name,
      properties: {
        addressPrefix: runners.subnet.addressPrefix,
        delegations: [{ name: 'GitHub.Network.networkSettings', properties: { serviceName: 'GitHub.Network/networkSettings' } }],
        networkSecurityGroup: { id: nsgId },
      } as (typeof subnets)[number]['properties'],
    });
  }
  b.add<Omit<FlattenedProperties<VirtualNetwork>, 'subnets'> & { subnets: typeof subnets }>(['network'], {
    type: 'Microsoft.Network/virtualNetworks',
    name: network.virtualNetworkName,
    location: b.location,
    tags: b.tags(),
    properties: { addressSpace: { addressPrefixes: [network.addressSpace] }, subnets },
    ...(nsgId ? { dependsOn: [nsgId] } : {}),
  });
  if (runners)
    b.add<{ subnetId: string; businessId: string }>(['network', 'githubRunners'], {
      type: 'GitHub.Network/networkSettings',
      name: runners.networkSettingsName,
      location: b.location,
      tags: b.tags(),
      properties: {
        subnetId: resourceId('Microsoft.Network/virtualNetworks/subnets', network.virtualNetworkName, runners.subnet.name),
        businessId: runners.businessId,
      },
      dependsOn: [resourceId('Microsoft.Network/virtualNetworks', network.virtualNetworkName)],
    });
}

/**
 * The runner subnet's network security group: GitHub's documented outbound rules for Azure private
 * networking (docs.github.com, "Configuring Azure resources for private networking with GitHub-hosted
 * runners"): HTTPS to the virtual network, to Azure and to GitHub's and Microsoft's published ranges,
 * everything else to the internet denied.
 */
function renderRunnerSecurityGroup(b: TemplateBuilder, name: string): void {
  const allowHttps = (
    ruleName: string,
    priority: number,
    destination: string | string[],
  ): SubResourceBody<FlattenedProperties<SecurityRule>> => ({
    name: ruleName,
    properties: {
      protocol: 'Tcp' as const,
      sourcePortRange: '*',
      destinationPortRange: '443',
      sourceAddressPrefix: '*',
      ...(Array.isArray(destination) ? { destinationAddressPrefixes: destination } : { destinationAddressPrefix: destination }),
      access: 'Allow' as const,
      priority,
      direction: 'Outbound' as const,
    },
  });
  type Rule = SubResourceBody<FlattenedProperties<SecurityRule>>;
  b.add<Omit<FlattenedProperties<NetworkSecurityGroup>, 'securityRules'> & { securityRules: Rule[] }>(['network', 'githubRunners'], {
    type: 'Microsoft.Network/networkSecurityGroups',
    name,
    location: b.location,
    tags: b.tags(),
    properties: {
      securityRules: [
        allowHttps('AllowVnetOutBoundOverwrite', 200, 'VirtualNetwork'),
        allowHttps('AllowAzureCloudOutBound', 210, 'AzureCloud'),
        allowHttps('AllowInternetOutBoundGitHub', 220, [
          '140.82.112.0/20',
          '142.250.0.0/15',
          '143.55.64.0/20',
          '192.30.252.0/22',
          '185.199.108.0/22',
        ]),
        allowHttps('AllowInternetOutBoundMicrosoft', 230, [
          '13.64.0.0/11',
          '13.96.0.0/13',
          '13.104.0.0/14',
          '20.33.0.0/16',
          '20.34.0.0/15',
          '20.36.0.0/14',
          '20.40.0.0/13',
          '20.48.0.0/12',
          '20.64.0.0/10',
          '20.128.0.0/16',
          '52.224.0.0/11',
          '204.79.197.200',
        ]),
        allowHttps('AllowInternetOutBoundCanonical', 240, '185.125.188.0/22'),
        {
          name: 'DenyInternetOutBoundOverwrite',
          properties: {
            protocol: '*',
            sourcePortRange: '*',
            destinationPortRange: '*',
            sourceAddressPrefix: '*',
            destinationAddressPrefix: 'Internet',
            access: 'Deny',
            priority: 400,
            direction: 'Outbound',
          },
        },
      ],
    },
  });
}

export function renderRegistry(b: TemplateBuilder): void {
  const { registry } = b.config;
  const sku: RegistrySku = { name: registry.sku };
  b.add<RegistryProperties>(['registry'], {
    type: 'Microsoft.ContainerRegistry/registries',
    name: registry.name,
    location: b.location,
    tags: b.tags(),
    sku,
    properties: {
      adminUserEnabled: false,
      anonymousPullEnabled: false,
      publicNetworkAccess: b.publicNetworkAccess,
      networkRuleBypassOptions: 'AzureServices',
      dataEndpointEnabled: false,
    },
  });
  b.roleAssignment(['registry'], b.registryId, roleDefinitionOf('Microsoft.ContainerRegistry/registries', 'AcrPull'));
  b.outputs.registryLoginServer = {
    type: 'string',
    value: reference(b.registryId, 'Microsoft.ContainerRegistry/registries', 'loginServer'),
  };
}

export function renderPrivateEndpoints(b: TemplateBuilder): void {
  const vnetId = resourceId('Microsoft.Network/virtualNetworks', b.config.network.virtualNetworkName);
  for (const target of privateLinkTargets(b)) {
    const zoneId = resourceId('Microsoft.Network/privateDnsZones', target.dnsZone);
    b.add<FlattenedProperties<PrivateZone>>(['network'], {
      type: 'Microsoft.Network/privateDnsZones',
      name: target.dnsZone,
      location: 'global',
      tags: b.tags(),
      properties: {},
    });
    b.add<FlattenedProperties<VirtualNetworkLink>>(['network'], {
      type: 'Microsoft.Network/privateDnsZones/virtualNetworkLinks',
      name: `${target.dnsZone}/${b.config.network.virtualNetworkName}`,
      location: 'global',
      tags: b.tags(),
      properties: { registrationEnabled: false, virtualNetwork: { id: vnetId } },
      dependsOn: [zoneId, vnetId],
    });
    const endpointName = `${target.name}-pe`;
    const endpointId = resourceId('Microsoft.Network/privateEndpoints', endpointName);
    const connections: SubResourceBody<FlattenedProperties<PrivateLinkServiceConnection>>[] = [
      { name: `${target.name}-${target.groupId}`, properties: { privateLinkServiceId: target.id, groupIds: [target.groupId] } },
    ];
    b.add<
      Omit<FlattenedProperties<PrivateEndpoint>, 'privateLinkServiceConnections'> & { privateLinkServiceConnections: typeof connections }
    >(target.origin, {
      type: 'Microsoft.Network/privateEndpoints',
      name: endpointName,
      location: b.location,
      tags: b.tags(),
      properties: { subnet: { id: b.subnetId('privateEndpointsSubnet') }, privateLinkServiceConnections: connections },
      // Connecting the endpoint changes the service: it waits for the service's own changes (an account's model deployments).
      dependsOn: [vnetId, target.id, ...target.busyWith],
    });
    const zoneConfigs: SubResourceBody<FlattenedProperties<PrivateDnsZoneConfig>>[] = [
      { name: target.dnsZone.replace(/\./g, '-'), properties: { privateDnsZoneId: zoneId } },
    ];
    const zoneGroup = b.add<
      Omit<FlattenedProperties<PrivateDnsZoneGroup>, 'privateDnsZoneConfigs'> & { privateDnsZoneConfigs: typeof zoneConfigs }
    >(target.origin, {
      type: 'Microsoft.Network/privateEndpoints/privateDnsZoneGroups',
      name: `${endpointName}/default`,
      properties: { privateDnsZoneConfigs: zoneConfigs },
      dependsOn: [endpointId, zoneId],
    });
    // The app reads secrets and pulls images through these endpoints: they must resolve before its first revision starts.
    if (target.groupId === 'vault' || target.groupId === 'registry') b.appPrerequisites.push(resourceIdExpression(zoneGroup));
  }
}

export function renderContainerAppsEnvironment(b: TemplateBuilder): void {
  const { containerAppsEnvironment: environment } = b.config;
  const vnetId = resourceId('Microsoft.Network/virtualNetworks', b.config.network.virtualNetworkName);
  b.add<FlattenedProperties<ManagedEnvironment>>(['containerAppsEnvironment'], {
    type: 'Microsoft.App/managedEnvironments',
    name: environment.name,
    location: b.location,
    tags: b.tags(),
    properties: {
      workloadProfiles: [{ name: WORKLOAD_PROFILE, workloadProfileType: WORKLOAD_PROFILE }],
      // Azure Monitor + the diagnostic setting below: no workspace shared key in the template.
      appLogsConfiguration: { destination: 'azure-monitor' },
      zoneRedundant: environment.zoneRedundant,
      // Behind the edge the environment takes no traffic from the internet: Front Door reaches it through Private Link.
      publicNetworkAccess: b.config.edge.enabled ? 'Disabled' : 'Enabled',
      // internal: false keeps the external ingress the phone provider's webhooks call.
      ...(b.privateNetwork ? { vnetConfiguration: { infrastructureSubnetId: b.subnetId('containerAppsSubnet'), internal: false } } : {}),
    },
    dependsOn: b.privateNetwork ? [vnetId] : [],
  });
  // The ingress's HTTP logs too: deploy-container's canary analysis reads each revision's latency from them.
  b.diagnosticSetting(['containerAppsEnvironment'], b.environmentId, [b.environmentId], { also: [CONTAINER_APP_HTTP_LOGS] });
  b.outputs.containerAppsEnvironmentId = { type: 'string', value: b.environmentId };
  b.outputs.containerAppsDefaultDomain = {
    type: 'string',
    value: reference(b.environmentId, 'Microsoft.App/containerApps', 'defaultDomain'),
  };
}

export function renderContainerApp(b: TemplateBuilder): void {
  const { containerApp: app, keyVault, sql, redis } = b.config;
  const vaultUri = reference(b.vaultId, 'Microsoft.KeyVault/vaults', 'vaultUri');
  const managedRedis = redis.kind === 'managed';
  const identity: ManagedServiceIdentity = { type: 'UserAssigned', userAssignedIdentities: { [b.identityId]: {} } };
  const serviceEnvironment: Record<string, string> = {
    AZURE_CLIENT_ID: reference(b.identityId, IDENTITY_TYPE, 'clientId'),
    AZURE_KEY_VAULT_NAME: literal(keyVault.name),
    AZURE_KEY_VAULT_URI: vaultUri,
    AZURE_COSMOS_ENDPOINT: reference(b.cosmosId, 'Microsoft.DocumentDB/databaseAccounts', 'documentEndpoint'),
    AZURE_SQL_SERVER: reference(b.sqlServerId, 'Microsoft.Sql/servers', 'fullyQualifiedDomainName'),
    AZURE_SQL_DATABASE: literal(sql.databaseName),
    AZURE_REDIS_HOST: reference(b.redisId, managedRedis ? 'Microsoft.Cache/redisEnterprise' : 'Microsoft.Cache/redis', 'hostName'),
    AZURE_REDIS_PORT: String(managedRedis ? MANAGED_REDIS_PORT : LEGACY_REDIS_TLS_PORT),
    ...aiServiceEnvironment(b),
  };
  const userEnvironment = Object.fromEntries(
    Object.entries(app.env).map(([name, value]) => [name, typeof value === 'string' ? literal(value) : value]),
  );
  const env: EnvironmentVar[] = Object.entries({ ...serviceEnvironment, ...userEnvironment }).map(([name, value]) =>
    typeof value === 'string' ? { name, value } : { name, secretRef: value.secretRef },
  );
  // The running image comes from Azure and the configured one from the user: both are literals.
  const image = b.options.liveContainerApp?.image ?? app.image;
  const placeholder = image === PLACEHOLDER_IMAGE.image;
  const port = placeholder ? PLACEHOLDER_IMAGE.port : app.targetPort;
  const httpGet = { path: placeholder ? PLACEHOLDER_IMAGE.healthPath : app.healthPath, port, scheme: 'HTTP' as const };
  const probes: ContainerAppProbe[] = [
    { type: 'Startup', httpGet, periodSeconds: 10, failureThreshold: 10, timeoutSeconds: 5 },
    { type: 'Liveness', httpGet, periodSeconds: 10, failureThreshold: 3, timeoutSeconds: 5 },
    { type: 'Readiness', httpGet, periodSeconds: 5, failureThreshold: 3, timeoutSeconds: 5 },
  ];
  b.add<FlattenedProperties<ContainerApp>>(['containerApp'], {
    type: 'Microsoft.App/containerApps',
    name: app.name,
    location: b.location,
    tags: b.tags(),
    identity,
    properties: {
      environmentId: b.environmentId,
      workloadProfileName: WORKLOAD_PROFILE,
      configuration: {
        // Multiple: the deploy action starts each revision with no traffic and shifts it once healthy.
        activeRevisionsMode: 'Multiple',
        ingress: {
          external: app.ingress === 'external',
          targetPort: port,
          transport: 'auto',
          allowInsecure: false,
          traffic: literalDeep(b.options.liveContainerApp?.traffic as TrafficWeight[] | undefined) ?? [
            { latestRevision: true, weight: 100 },
          ],
        },
        registries: [{ server: reference(b.registryId, 'Microsoft.ContainerRegistry/registries', 'loginServer'), identity: b.identityId }],
        secrets: Object.entries(app.secrets).map(([name, vaultSecret]) => ({
          name,
          keyVaultUrl: `[format('{0}secrets/{1}', ${inner(vaultUri)}, ${quote(vaultSecret)})]`,
          identity: b.identityId,
        })),
      },
      template: {
        containers: [{ name: app.name, image: literal(image), resources: { cpu: app.cpu, memory: app.memory }, env, probes }],
        scale: { minReplicas: app.minReplicas, maxReplicas: app.maxReplicas },
      },
    },
    dependsOn: [
      b.identityId,
      b.environmentId,
      b.registryId,
      b.vaultId,
      b.cosmosId,
      b.sqlServerId,
      b.redisId,
      ...aiServices(b).map((service) => service.id),
      ...b.appPrerequisites,
    ],
  });
  b.outputs.containerAppFqdn = {
    type: 'string',
    value: reference(resourceId('Microsoft.App/containerApps', app.name), 'Microsoft.App/containerApps', 'configuration.ingress.fqdn'),
  };
  // The app's public address; the edge (edge.ts) replaces it with its own.
  b.outputs.appHostName = b.outputs.containerAppFqdn;
}

/** The services the app reaches through private endpoints, each with its private link group and DNS zone from the type registry. */
function privateLinkTargets(
  b: TemplateBuilder,
): { origin: JsonPath; id: string; name: string; groupId: string; dnsZone: string; busyWith: string[] }[] {
  const { config } = b;
  const targets: { origin: JsonPath; type: string; name: string; kind?: string; busyWith?: string[] }[] = [
    { origin: ['keyVault'], type: 'Microsoft.KeyVault/vaults', name: config.keyVault.name },
    { origin: ['cosmos'], type: 'Microsoft.DocumentDB/databaseAccounts', name: config.cosmos.name },
    { origin: ['sql'], type: 'Microsoft.Sql/servers', name: config.sql.serverName },
    { origin: ['redis'], type: b.redisType, name: config.redis.name },
    { origin: ['storage'], type: 'Microsoft.Storage/storageAccounts', name: config.storage.name },
    { origin: ['registry'], type: 'Microsoft.ContainerRegistry/registries', name: config.registry.name },
    ...aiServices(b),
    // Behind the edge the environment is closed to the internet: runners in the network reach revisions through this endpoint.
    ...(config.edge.enabled
      ? [{ origin: ['edge'], type: 'Microsoft.App/managedEnvironments', name: config.containerAppsEnvironment.name }]
      : []),
  ];
  return targets.map(({ origin, type, name, kind, busyWith }) => ({
    origin,
    id: resourceId(type, name),
    name,
    busyWith: busyWith ?? [],
    ...privateLinkOf(type, kind, config.region),
  }));
}
