import type { RoleAssignmentCreateParameters } from '@azure/arm-authorization';
import type { DiagnosticSettingsResource, LogSettings } from '@azure/arm-monitor';
import { apiVersionOf } from '../azure/resource-types.js';
import type { EnvironmentConfig } from '../config/schema.js';
import type { JsonPath } from '../core/json-path.js';
import {
  DEPLOYMENT_TEMPLATE_SCHEMA,
  type ArmOutput,
  type ArmResource,
  type ArmTemplate,
  type FlattenedProperties,
  type TypedResource,
} from './arm-types.js';

/** What provision keeps from a Container App that already exists: deploy-container owns its image and traffic split. */
export interface LiveContainerApp {
  image: string;
  traffic?: unknown[];
}

export interface RenderOptions {
  liveContainerApp?: LiveContainerApp;
}

export function quote(text: string): string {
  return `'${text.replace(/'/g, "''")}'`;
}

export function isExpression(text: string): boolean {
  return text.startsWith('[') && !text.startsWith('[[');
}

/**
 * A string from the config (or from Azure) written so ARM reads it as the literal it is: ARM
 * evaluates a string that starts with `[` and ends with `]`, so such a string gets ARM's escape, a
 * second leading `[`. Every user string the renderer writes goes through here; otherwise a tag
 * value `[listKeys(...)]` would deploy a key.
 */
export function literal(text: string): string {
  return text.startsWith('[') && text.endsWith(']') ? `[${text}` : text;
}

/** `literal` on every string inside a value read from Azure (a live traffic split, say). */
export function literalDeep<T>(value: T): T {
  if (typeof value === 'string') return literal(value) as T;
  if (Array.isArray(value)) return value.map((item: unknown) => literalDeep(item)) as T;
  if (value !== null && typeof value === 'object')
    return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, literalDeep(item)])) as T;
  return value;
}

/** The value ARM gives a string that is not an expression (an escaped one loses its first `[`). */
function literalValue(text: string): string {
  return text.startsWith('[[') && text.endsWith(']') ? text.slice(1) : text;
}

/** The expression inside `[...]`, to nest it in another expression. */
export function inner(expression: string): string {
  return isExpression(expression) ? expression.slice(1, -1) : quote(expression);
}

export function resourceId(type: string, ...names: string[]): string {
  return `[resourceId(${[type, ...names].map(quote).join(', ')})]`;
}

/** `[reference(<id>, '<the registry's api-version of type>').<property>]`. */
export function reference(id: string, type: string, property: string): string {
  return `[reference(${inner(id)}, ${quote(apiVersionOf(type))}).${property}]`;
}

/** The `[resourceId(...)]` (or `[extensionResourceId(...)]`) expression of a rendered resource, as `dependsOn` uses it. */
export function resourceIdExpression(resource: Pick<ArmResource, 'type' | 'name' | 'scope'>): string {
  const nameArguments = isExpression(resource.name) ? [inner(resource.name)] : literalValue(resource.name).split('/').map(quote);
  if (resource.scope) return `[extensionResourceId(${inner(resource.scope)}, ${quote(resource.type)}, ${nameArguments.join(', ')})]`;
  return `[resourceId(${[quote(resource.type), ...nameArguments].join(', ')})]`;
}

export function originKey(type: string, name: string): string {
  return `${type.toLowerCase()}|${name}`;
}

export const IDENTITY_TYPE = 'Microsoft.ManagedIdentity/userAssignedIdentities';

/**
 * The template being rendered and what every section of it refers to: the resource ids, the
 * identity's principal, the network mode. Sections (`data-services.ts`, `platform.ts`) add
 * resources through `add`, which takes each resource's api-version from the type registry.
 */
export class TemplateBuilder {
  readonly resources: ArmResource[] = [];
  readonly origins = new Map<string, JsonPath>();
  readonly outputs: Record<string, ArmOutput> = {};
  readonly privateNetwork: boolean;
  readonly publicNetworkAccess: 'Enabled' | 'Disabled';
  readonly location = "[parameters('location')]";

  // Ids every section refers to.
  readonly identityId: string;
  readonly principalId: string;
  readonly workspaceId: string;
  readonly vaultId: string;
  readonly registryId: string;
  readonly cosmosId: string;
  readonly sqlServerId: string;
  readonly redisId: string;
  readonly environmentId: string;
  readonly storageId: string;
  /** Resources the Container App must wait for: its role grants, and the private endpoints it reads secrets and images through. */
  readonly appPrerequisites: string[] = [];

  constructor(
    readonly config: EnvironmentConfig,
    readonly options: RenderOptions,
  ) {
    this.privateNetwork = config.network.mode === 'private';
    this.publicNetworkAccess = this.privateNetwork ? 'Disabled' : 'Enabled';
    this.identityId = resourceId(IDENTITY_TYPE, config.identity.name);
    this.principalId = reference(this.identityId, IDENTITY_TYPE, 'principalId');
    this.workspaceId = resourceId('Microsoft.OperationalInsights/workspaces', config.logAnalytics.name);
    this.vaultId = resourceId('Microsoft.KeyVault/vaults', config.keyVault.name);
    this.registryId = resourceId('Microsoft.ContainerRegistry/registries', config.registry.name);
    this.cosmosId = resourceId('Microsoft.DocumentDB/databaseAccounts', config.cosmos.name);
    this.sqlServerId = resourceId('Microsoft.Sql/servers', config.sql.serverName);
    this.redisId = resourceId(this.redisType, config.redis.name);
    this.environmentId = resourceId('Microsoft.App/managedEnvironments', config.containerAppsEnvironment.name);
    this.storageId = resourceId('Microsoft.Storage/storageAccounts', config.storage.name);
  }

  get redisType(): string {
    return this.config.redis.kind === 'managed' ? 'Microsoft.Cache/redisEnterprise' : 'Microsoft.Cache/redis';
  }

  template(): ArmTemplate {
    return {
      $schema: DEPLOYMENT_TEMPLATE_SCHEMA,
      contentVersion: '1.0.0.0',
      metadata: {
        description: `HIPAA-ready production environment in resource group ${this.config.resourceGroup}, rendered from the azure-hipaa environment config.`,
      },
      parameters: {
        location: {
          type: 'string',
          defaultValue: this.config.region,
          metadata: { description: 'Region of every regional resource (the config’s region).' },
        },
      },
      resources: this.resources,
      outputs: this.outputs,
    };
  }

  /** Adds a resource at the registry's api-version for its type; `Properties` is the SDK model its `properties` must satisfy. */
  add<Properties extends object | undefined>(origin: JsonPath, resource: Omit<TypedResource<Properties>, 'apiVersion'>): ArmResource {
    const { type, ...rest } = resource;
    // `rest` is the envelope without `type`; its conditional `properties` type hides that from the checker.
    const added: ArmResource = { ...(rest as Omit<ArmResource, 'type' | 'apiVersion'>), type, apiVersion: apiVersionOf(type) };
    this.resources.push(added);
    this.origins.set(originKey(added.type, added.name), origin);
    return added;
  }

  tags(): Record<string, string> {
    return Object.fromEntries(Object.entries(this.config.tags).map(([name, value]) => [name, literal(value)]));
  }

  /**
   * A diagnostic setting that sends the resource's audit logs to the workspace: the configured category
   * group (and `also`, categories the audit group lacks but something here reads, e.g. the environment's
   * HTTP logs for the canary analysis), or `only` where the service's audit logs are named categories
   * (the edge's).
   */
  diagnosticSetting(
    origin: JsonPath,
    scope: string,
    dependsOn: string[],
    categories: { also?: readonly string[]; only?: readonly string[] } = {},
  ): ArmResource {
    const { diagnostics } = this.config;
    // arm-monitor's LogSettings predates category groups; the 2021-05-01-preview schema has `categoryGroup`.
    const named = (names: readonly string[]) => names.map((category) => ({ category, enabled: true }));
    const logs: (LogSettings & { categoryGroup?: string })[] = categories.only
      ? named(categories.only)
      : [
          { categoryGroup: diagnostics.categoryGroup, enabled: true },
          // allLogs has every category already; the audit group needs the others named.
          ...(diagnostics.categoryGroup === 'allLogs' ? [] : named(categories.also ?? [])),
        ];
    return this.add<FlattenedProperties<DiagnosticSettingsResource>>(origin, {
      type: 'Microsoft.Insights/diagnosticSettings',
      name: literal(diagnostics.settingName),
      scope,
      properties: {
        workspaceId: this.workspaceId,
        // Resource-specific tables (AZKVAuditLogs, CDBDataPlaneRequests, ...), each kept per logAnalytics.auditTableTotalRetentionInDays.
        logAnalyticsDestinationType: 'Dedicated',
        logs,
      },
      dependsOn: [...dependsOn, this.workspaceId],
    });
  }

  /** Grants the app's identity a built-in role on `scope`; the app waits for the grant. */
  roleAssignment(origin: JsonPath, scope: string, roleDefinition: string): ArmResource {
    const assignment = this.add<RoleAssignmentCreateParameters>(origin, {
      type: 'Microsoft.Authorization/roleAssignments',
      name: `[guid(${inner(scope)}, ${quote(roleDefinition)}, ${inner(this.identityId)})]`,
      scope,
      properties: {
        roleDefinitionId: `[subscriptionResourceId('Microsoft.Authorization/roleDefinitions', ${quote(roleDefinition)})]`,
        principalId: this.principalId,
        // Lets ARM grant the role before Entra replication reaches every region.
        principalType: 'ServicePrincipal',
      },
      dependsOn: [scope, this.identityId],
    });
    this.appPrerequisites.push(resourceIdExpression(assignment));
    return assignment;
  }

  subnetId(subnet: 'containerAppsSubnet' | 'privateEndpointsSubnet'): string {
    return resourceId(
      'Microsoft.Network/virtualNetworks/subnets',
      this.config.network.virtualNetworkName,
      this.config.network[subnet].name,
    );
  }
}
