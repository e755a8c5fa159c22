import { randomUUID } from 'node:crypto';
import { validateResourceBody } from './schema.js';
import type { Reply } from '../http.js';
import type { ArmPlane } from './plane.js';
import { ArmError, isObject, type Json } from './resources.js';

/**
 * What the sandbox's Resource Manager serves above and beside the resource group's resources:
 * deployments at subscription scope (Deployments_CreateOrUpdateAtSubscriptionScope, for Defender's
 * plans), Microsoft.Security/pricings (Pricings_List, _Get, _Update at subscription scope), a
 * group's policy assignments (PolicyAssignments_ListForResourceGroup) and Policy Insights' latest
 * policy states of a group (PolicyStates_ListQueryResultsForResourceGroup), which tests seed
 * through the admin API as Azure Policy's evaluation would leave them.
 */

const PRICING = 'Microsoft.Security/pricings';
/** The plans a subscription has, each Free until someone turns it on (Pricings_List answers them all). */
const PLANS = [
  'VirtualMachines',
  'SqlServers',
  'AppServices',
  'StorageAccounts',
  'SqlServerVirtualMachines',
  'KeyVaults',
  'Arm',
  'OpenSourceRelationalDatabases',
  'CosmosDbs',
  'Containers',
  'CloudPosture',
  'Api',
  'AI',
];
/** Roles that may write Microsoft.Security/pricings and deploy at subscription scope (learn.microsoft.com, "Azure built-in roles"). */
const SUBSCRIPTION_WRITERS = ['Owner', 'Contributor', 'Security Admin'];

export interface PolicyStateSeed {
  resourceId: string;
  policyAssignmentId: string;
  policyDefinitionId: string;
  policyDefinitionReferenceId?: string;
  policySetDefinitionId?: string;
  policyDefinitionAction?: string;
  policyDefinitionGroupNames?: string[];
  complianceState?: 'NonCompliant' | 'Compliant';
}

interface SubscriptionDeployment {
  id: string;
  name: string;
  location: string;
  properties: Json;
}

export class SubscriptionScope {
  /** The caller's roles at subscription scope, where they differ from its roles on the groups (`arm.roles`): unset, the same. */
  roles: string[] | undefined;
  readonly pricings = new Map<string, Json>();
  readonly policyStates: PolicyStateSeed[] = [];
  private readonly deployments = new Map<string, SubscriptionDeployment>();

  constructor(private readonly plane: ArmPlane) {}

  private get subscription(): string {
    return `/subscriptions/${this.plane.identity.subscriptionId}`;
  }

  /** Answers the request when it is one of this module's; undefined otherwise. */
  route(method: string, segments: string[], url: URL, body: Json): Reply | undefined {
    const lower = segments.map((segment) => segment.toLowerCase());
    const apiVersion = url.searchParams.get('api-version') ?? '';
    if (
      lower[2] === 'providers' &&
      lower[3] === 'microsoft.resources' &&
      lower[4] === 'deployments' &&
      segments[5] &&
      segments.length === 6
    )
      return this.deployment(method, segments[5], body);
    if (lower[2] === 'providers' && lower[3] === 'microsoft.security' && lower[4] === 'pricings')
      return this.pricing(method, segments[5], body, apiVersion);
    if (lower[2] !== 'resourcegroups' || !segments[3]) return undefined;
    const group = segments[3];
    if (
      lower[4] === 'providers' &&
      lower[5] === 'microsoft.authorization' &&
      lower[6] === 'policyassignments' &&
      segments.length === 7 &&
      method === 'GET'
    )
      return this.assignments(group);
    if (
      lower[4] === 'providers' &&
      lower[5] === 'microsoft.policyinsights' &&
      lower[6] === 'policystates' &&
      lower[7] === 'latest' &&
      lower[8] === 'queryresults' &&
      method === 'POST'
    )
      return this.queryResults(group, url);
    return undefined;
  }

  private authorizeWrite(action: string): void {
    const roles = this.roles ?? this.plane.roles;
    if (roles.some((role) => SUBSCRIPTION_WRITERS.includes(role))) return;
    throw new ArmError(
      403,
      'AuthorizationFailed',
      `The client '${this.plane.identity.clientId}' with object id '${this.plane.identity.clientId}' does not have authorization to perform action '${action}' over scope '${this.subscription}' or the scope is invalid. If access was recently granted, please refresh your credentials.`,
    );
  }

  /** A subscription-scope deployment of pricings: validated, authorized, applied, reported Succeeded. */
  private deployment(method: string, name: string, body: Json): Reply {
    const id = `${this.subscription}/providers/Microsoft.Resources/deployments/${name}`;
    if (method === 'GET') {
      const deployment = this.deployments.get(name.toLowerCase());
      if (!deployment) throw new ArmError(404, 'DeploymentNotFound', `Deployment '${name}' could not be found.`);
      return { status: 200, body: deployment };
    }
    if (method !== 'PUT') throw new ArmError(405, 'MethodNotAllowed', `The method '${method}' is not allowed.`);
    this.authorizeWrite('Microsoft.Resources/deployments/write');
    const properties = isObject(body['properties']) ? body['properties'] : {};
    const template = properties['template'];
    if (typeof body['location'] !== 'string')
      throw new ArmError(400, 'InvalidDeployment', 'A deployment at subscription scope needs a location: it is where its data is kept.');
    if (!isObject(template) || !Array.isArray(template['resources']))
      throw new ArmError(400, 'InvalidTemplate', 'The template has no resources.');
    const resources = template['resources'] as Json[];
    for (const resource of resources) {
      if (String(resource['type']).toLowerCase() !== PRICING.toLowerCase())
        throw new ArmError(
          400,
          'InvalidTemplate',
          `The sandbox deploys only ${PRICING} at subscription scope, not ${String(resource['type'])}.`,
        );
      this.checkPricing(String(resource['name']), { ...resource });
      this.authorizeWrite(`${PRICING}/write`);
    }
    for (const resource of resources) this.storePricing(String(resource['name']), resource['properties'] as Json);
    const deployment: SubscriptionDeployment = {
      id,
      name,
      location: body['location'],
      properties: {
        mode: 'Incremental',
        provisioningState: 'Succeeded',
        correlationId: randomUUID(),
        timestamp: new Date().toISOString(),
        outputResources: resources.map((resource) => ({ id: `${this.subscription}/providers/${PRICING}/${String(resource['name'])}` })),
      },
    };
    const existed = this.deployments.has(name.toLowerCase());
    this.deployments.set(name.toLowerCase(), deployment);
    return { status: existed ? 200 : 201, body: deployment };
  }

  private checkPricing(name: string, resource: Json): void {
    const result = validateResourceBody({ ...resource, type: PRICING, apiVersion: String(resource['apiVersion']), name });
    if (!result.ok) throw new ArmError(400, 'InvalidTemplate', `${PRICING} ${name}: ${result.errors.join('; ')}`);
    if (!PLANS.some((plan) => plan.toLowerCase() === name.toLowerCase()))
      throw new ArmError(404, 'PricingNotFound', `The pricing '${name}' is not a Microsoft Defender for Cloud plan.`);
  }

  private storePricing(name: string, properties: Json): void {
    const plan = PLANS.find((item) => item.toLowerCase() === name.toLowerCase()) as string;
    this.pricings.set(plan.toLowerCase(), { ...properties });
  }

  private pricingView(plan: string): Json {
    const properties = this.pricings.get(plan.toLowerCase()) ?? { pricingTier: 'Free' };
    return {
      id: `${this.subscription}/providers/${PRICING}/${plan}`,
      name: plan,
      type: PRICING,
      // As Pricings_Get answers (2024-01-01 examples): `enforce` defaults to False, coverage is read-only, no extensions unless set.
      properties: {
        enforce: 'False',
        extensions: [],
        ...properties,
        resourcesCoverageStatus: 'FullyCovered',
        freeTrialRemainingTime: 'PT0S',
        enablementTime: '2026-01-01T00:00:00Z',
      },
    };
  }

  private pricing(method: string, name: string | undefined, body: Json, apiVersion: string): Reply {
    if (method === 'GET') {
      if (!name) return { status: 200, body: { value: PLANS.map((plan) => this.pricingView(plan)) } };
      const plan = PLANS.find((item) => item.toLowerCase() === name.toLowerCase());
      if (!plan) throw new ArmError(404, 'PricingNotFound', `The pricing '${name}' was not found.`);
      return { status: 200, body: this.pricingView(plan) };
    }
    if (method !== 'PUT' || !name) throw new ArmError(405, 'MethodNotAllowed', `The method '${method}' is not allowed.`);
    this.authorizeWrite(`${PRICING}/write`);
    this.checkPricing(name, { apiVersion, properties: body['properties'] });
    this.storePricing(name, body['properties'] as Json);
    return { status: 200, body: this.pricingView(name) };
  }

  /** The assignments whose scope is the group (ListForResourceGroup with `$filter=atScope()` adds those above it: none in the sandbox). */
  private assignments(group: string): Reply {
    this.plane.requireResourceGroup(group);
    const prefix = `${this.plane.resourceGroupId(group)}/providers/Microsoft.Authorization/policyAssignments/`.toLowerCase();
    const value = [...this.plane.resources.values()]
      .filter((resource) => resource.id.toLowerCase().startsWith(prefix))
      .map((resource) => this.plane.view(resource));
    return { status: 200, body: { value } };
  }

  /** The latest states of the group's resources, `$filter=complianceState eq '<state>'` honoured (the one filter the gate sends). */
  private queryResults(group: string, url: URL): Reply {
    this.plane.requireResourceGroup(group);
    const groupId = this.plane.resourceGroupId(group).toLowerCase();
    const filter = url.searchParams.get('$filter') ?? '';
    const wanted = /complianceState eq '([A-Za-z]+)'/i.exec(filter)?.[1];
    if (filter !== '' && !wanted)
      throw new ArmError(
        400,
        'InvalidFilterInQueryString',
        `The sandbox understands only $filter=complianceState eq '<state>', not ${filter}.`,
      );
    const context = `https://management.azure.com${this.subscription}/resourcegroups/${group}/providers/Microsoft.PolicyInsights/policyStates/$metadata#latest`;
    const value = this.policyStates
      .filter((state) => state.resourceId.toLowerCase().startsWith(`${groupId}/`))
      .filter((state) => !wanted || (state.complianceState ?? 'NonCompliant').toLowerCase() === wanted.toLowerCase())
      .map((state) => this.stateView(state, group, context));
    return { status: 200, body: { '@odata.nextLink': null, '@odata.context': context, '@odata.count': value.length, value } };
  }

  private stateView(state: PolicyStateSeed, group: string, context: string): Json {
    const complianceState = state.complianceState ?? 'NonCompliant';
    const lastSegment = (id: string | undefined) => (id ? (id.split('/').at(-1) ?? null) : null);
    const resource = this.plane.resources.get(state.resourceId.toLowerCase());
    return {
      '@odata.id': null,
      '@odata.context': `${context}/$entity`,
      timestamp: new Date().toISOString(),
      resourceId: state.resourceId,
      policyAssignmentId: state.policyAssignmentId,
      policyDefinitionId: state.policyDefinitionId,
      effectiveParameters: null,
      isCompliant: complianceState === 'Compliant',
      subscriptionId: this.plane.identity.subscriptionId,
      resourceType: `/${resource?.type ?? state.resourceId.split('/providers/').at(-1)?.split('/').slice(0, 2).join('/') ?? ''}`,
      resourceLocation: String(resource?.envelope['location'] ?? 'eastus2'),
      resourceGroup: group,
      resourceTags: 'tbd',
      policyAssignmentName: lastSegment(state.policyAssignmentId),
      policyAssignmentOwner: 'tbd',
      policyAssignmentParameters: '{}',
      policyAssignmentScope: state.policyAssignmentId.split('/providers/Microsoft.Authorization/')[0] ?? this.subscription,
      policyDefinitionName: lastSegment(state.policyDefinitionId),
      policyDefinitionAction: state.policyDefinitionAction ?? 'audit',
      policyDefinitionCategory: 'tbd',
      policySetDefinitionId: state.policySetDefinitionId ?? null,
      policySetDefinitionName: lastSegment(state.policySetDefinitionId),
      policySetDefinitionOwner: null,
      policySetDefinitionCategory: null,
      policySetDefinitionParameters: null,
      managementGroupIds: '',
      policyDefinitionReferenceId: state.policyDefinitionReferenceId ?? null,
      complianceState,
      policyDefinitionGroupNames: state.policyDefinitionGroupNames ?? [],
      policyDefinitionVersion: '1.0.0',
      policySetDefinitionVersion: '1.0.0',
      policyAssignmentVersion: '1.0.0',
    };
  }
}

const scopes = new WeakMap<ArmPlane, SubscriptionScope>();

/** The plane's subscription-scope state, made on first use. */
export function subscriptionScopeOf(plane: ArmPlane): SubscriptionScope {
  let scope = scopes.get(plane);
  if (!scope) scopes.set(plane, (scope = new SubscriptionScope(plane)));
  return scope;
}
