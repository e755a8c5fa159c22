import { auditLogSourceOf } from '../azure/resource-types.js';
import type { EnvironmentConfig } from '../config/schema.js';
import { literal, reference, resourceId, resourceIdExpression, type TemplateBuilder } from './builder.js';

type EdgeConfig = EnvironmentConfig['edge'];

/**
 * The app's public edge (config `edge`): Azure Front Door Premium with a WAF policy in Prevention
 * mode, one endpoint whose route takes HTTPS only (HTTP is redirected) and forwards HTTPS only, and
 * an origin that reaches the Container Apps environment through Private Link, so the environment
 * itself takes no traffic from the internet. Front Door's private endpoint arrives at the
 * environment as a pending connection: provision approves it after the deployment.
 *
 * There is no Azure SDK for these types in this project: the bodies are typed here from the
 * official ARM schemas (reference/arm-schemas, Microsoft.Cdn 2025-06-01 and
 * Microsoft.Network.FrontDoor 2025-11-01), which the tests validate every body against.
 *
 * Sources (learn.microsoft.com): "Integrate Azure Front Door with Azure Container Apps using Private
 * Link", "Azure Web Application Firewall DRS rule groups and rules", "Bot protection rule set",
 * "Azure Front Door: routing rule's HTTPS redirect and forwarding protocol", "Monitor metrics and
 * logs in Azure Front Door".
 */

/** Front Door Premium: Private Link origins and the bot manager rule set need it. */
export const FRONT_DOOR_SKU = 'Premium_AzureFrontDoor';
/** The managed rule sets the WAF runs, at their current GA versions. */
export const WAF_RULE_SETS = [
  { ruleSetType: 'Microsoft_DefaultRuleSet', ruleSetVersion: '2.1', ruleSetAction: 'Block' },
  { ruleSetType: 'Microsoft_BotManagerRuleSet', ruleSetVersion: '1.1', ruleSetAction: 'Block' },
] as const;
/** Front Door's private endpoint to a Container Apps environment uses this group. */
export const ENVIRONMENT_PRIVATE_LINK_GROUP = 'managedEnvironments';

interface Reference {
  id: string;
}
interface WafPolicyProperties {
  policySettings: { enabledState: 'Enabled' | 'Disabled'; mode: 'Prevention' | 'Detection'; requestBodyCheck: 'Enabled' | 'Disabled' };
  managedRules: { managedRuleSets: { ruleSetType: string; ruleSetVersion: string; ruleSetAction: 'Block' | 'Log' | 'Redirect' }[] };
}
interface ProfileProperties {
  originResponseTimeoutSeconds: number;
}
interface EndpointProperties {
  enabledState: 'Enabled' | 'Disabled';
}
interface OriginGroupProperties {
  loadBalancingSettings: { sampleSize: number; successfulSamplesRequired: number; additionalLatencyInMilliseconds: number };
  healthProbeSettings: {
    probePath: string;
    probeRequestType: 'GET' | 'HEAD';
    probeProtocol: 'Http' | 'Https';
    probeIntervalInSeconds: number;
  };
  sessionAffinityState: 'Enabled' | 'Disabled';
}
interface OriginProperties {
  hostName: string;
  originHostHeader: string;
  httpPort: number;
  httpsPort: number;
  priority: number;
  weight: number;
  enabledState: 'Enabled' | 'Disabled';
  enforceCertificateNameCheck: boolean;
  sharedPrivateLinkResource: { privateLink: Reference; groupId: string; privateLinkLocation: string; requestMessage: string };
}
interface RouteProperties {
  originGroup: Reference;
  customDomains?: Reference[];
  supportedProtocols: ('Http' | 'Https')[];
  patternsToMatch: string[];
  forwardingProtocol: 'HttpOnly' | 'HttpsOnly' | 'MatchRequest';
  linkToDefaultDomain: 'Enabled' | 'Disabled';
  httpsRedirect: 'Enabled' | 'Disabled';
  enabledState: 'Enabled' | 'Disabled';
}
interface SecurityPolicyProperties {
  parameters: { type: 'WebApplicationFirewall'; wafPolicy: Reference; associations: { domains: Reference[]; patternsToMatch: string[] }[] };
}
interface CustomDomainProperties {
  hostName: string;
  tlsSettings: { certificateType: 'ManagedCertificate'; minimumTlsVersion: 'TLS12' };
}

export function renderEdge(b: TemplateBuilder): void {
  const { edge, containerApp: app } = b.config;
  if (!edge.enabled) return;
  const profileId = resourceId('Microsoft.Cdn/profiles', edge.profileName);
  const wafId = resourceId('Microsoft.Network/FrontDoorWebApplicationFirewallPolicies', edge.wafPolicyName);
  const endpointId = resourceId('Microsoft.Cdn/profiles/afdEndpoints', edge.profileName, edge.endpointName);
  const originGroupId = resourceId('Microsoft.Cdn/profiles/originGroups', edge.profileName, app.name);
  const appId = resourceId('Microsoft.App/containerApps', app.name);
  const appFqdn = reference(appId, 'Microsoft.App/containerApps', 'configuration.ingress.fqdn');

  b.add<WafPolicyProperties>(['edge'], {
    type: 'Microsoft.Network/FrontDoorWebApplicationFirewallPolicies',
    name: edge.wafPolicyName,
    location: 'Global',
    tags: b.tags(),
    sku: { name: FRONT_DOOR_SKU },
    properties: {
      // Prevention blocks what the rules match; Detection only logs it.
      policySettings: { enabledState: 'Enabled', mode: 'Prevention', requestBodyCheck: 'Enabled' },
      managedRules: { managedRuleSets: WAF_RULE_SETS.map((set) => ({ ...set })) },
    },
  });
  b.add<ProfileProperties>(['edge'], {
    type: 'Microsoft.Cdn/profiles',
    name: edge.profileName,
    location: 'global',
    tags: b.tags(),
    sku: { name: FRONT_DOOR_SKU },
    properties: { originResponseTimeoutSeconds: 60 },
  });
  b.add<EndpointProperties>(['edge'], {
    type: 'Microsoft.Cdn/profiles/afdEndpoints',
    name: `${edge.profileName}/${edge.endpointName}`,
    location: 'global',
    tags: b.tags(),
    properties: { enabledState: 'Enabled' },
    dependsOn: [profileId],
  });
  b.add<OriginGroupProperties>(['edge'], {
    type: 'Microsoft.Cdn/profiles/originGroups',
    name: `${edge.profileName}/${app.name}`,
    properties: {
      loadBalancingSettings: { sampleSize: 4, successfulSamplesRequired: 3, additionalLatencyInMilliseconds: 50 },
      // The app's health path even while the placeholder runs: Front Door sends traffic to every origin of a group
      // whose origins are all unhealthy, and a path that never changes keeps a re-provision free of changes.
      healthProbeSettings: { probePath: app.healthPath, probeRequestType: 'GET', probeProtocol: 'Https', probeIntervalInSeconds: 30 },
      sessionAffinityState: 'Disabled',
    },
    dependsOn: [profileId],
  });
  const origin = b.add<OriginProperties>(['edge'], {
    type: 'Microsoft.Cdn/profiles/originGroups/origins',
    name: `${edge.profileName}/${app.name}/${app.name}`,
    properties: {
      hostName: appFqdn,
      originHostHeader: appFqdn,
      httpPort: 80,
      httpsPort: 443,
      priority: 1,
      weight: 1000,
      enabledState: 'Enabled',
      enforceCertificateNameCheck: true,
      // Front Door's own private endpoint into the environment: it arrives pending, and provision approves it.
      sharedPrivateLinkResource: {
        privateLink: { id: b.environmentId },
        groupId: ENVIRONMENT_PRIVATE_LINK_GROUP,
        privateLinkLocation: b.location,
        requestMessage: `Azure Front Door ${edge.profileName} to ${b.config.containerAppsEnvironment.name}`,
      },
    },
    dependsOn: [originGroupId, appId, b.environmentId],
  });
  const customDomain = edge.customDomain
    ? b.add<CustomDomainProperties>(['edge', 'customDomain'], {
        type: 'Microsoft.Cdn/profiles/customDomains',
        name: `${edge.profileName}/${edge.customDomain.hostName.replace(/\./g, '-')}`,
        properties: {
          hostName: edge.customDomain.hostName,
          tlsSettings: { certificateType: 'ManagedCertificate', minimumTlsVersion: 'TLS12' },
        },
        dependsOn: [profileId],
      })
    : undefined;
  const customDomainId = customDomain ? resourceIdExpression(customDomain) : undefined;
  b.add<RouteProperties>(['edge'], {
    type: 'Microsoft.Cdn/profiles/afdEndpoints/routes',
    name: `${edge.profileName}/${edge.endpointName}/${app.name}`,
    properties: {
      originGroup: { id: originGroupId },
      ...(customDomainId ? { customDomains: [{ id: customDomainId }] } : {}),
      // HTTP is accepted only to be redirected; the origin is reached over HTTPS alone.
      supportedProtocols: ['Http', 'Https'],
      httpsRedirect: 'Enabled',
      forwardingProtocol: 'HttpsOnly',
      patternsToMatch: ['/*'],
      linkToDefaultDomain: 'Enabled',
      enabledState: 'Enabled',
    },
    // A route needs an origin in its group to be created.
    dependsOn: [endpointId, originGroupId, resourceIdExpression(origin), ...(customDomainId ? [customDomainId] : [])],
  });
  b.add<SecurityPolicyProperties>(['edge'], {
    type: 'Microsoft.Cdn/profiles/securityPolicies',
    name: `${edge.profileName}/${edge.wafPolicyName}`,
    properties: {
      parameters: {
        type: 'WebApplicationFirewall',
        wafPolicy: { id: wafId },
        associations: [{ domains: [{ id: endpointId }, ...(customDomainId ? [{ id: customDomainId }] : [])], patternsToMatch: ['/*'] }],
      },
    },
    dependsOn: [profileId, wafId, endpointId, ...(customDomainId ? [customDomainId] : [])],
  });
  const edgeLogs = auditLogSourceOf('Microsoft.Cdn/profiles')?.categories;
  b.diagnosticSetting(['edge'], profileId, [profileId], edgeLogs ? { only: edgeLogs } : {});

  b.outputs.edgeHostName = { type: 'string', value: edgeHostExpression(edge) };
  b.outputs.appHostName = { type: 'string', value: appHostExpression(edge) };
}

/** The endpoint's host name Front Door makes up (`<endpoint>-<hash>.z01.azurefd.net`), as an ARM expression. */
function edgeHostExpression(edge: EdgeConfig): string {
  return reference(
    resourceId('Microsoft.Cdn/profiles/afdEndpoints', edge.profileName, edge.endpointName),
    'Microsoft.Cdn/profiles/afdEndpoints',
    'hostName',
  );
}

/** The address callers (and the phone provider's webhooks) use: the custom domain, else the endpoint's host. */
export function appHostExpression(edge: EdgeConfig): string {
  return edge.customDomain ? literal(edge.customDomain.hostName) : edgeHostExpression(edge);
}
