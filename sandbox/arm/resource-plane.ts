/**
 * Resource Manager's state: resource groups and resources, the caller's roles, and each
 * resource's provisioning as its resource provider would do it (ArmPlane adds deployments).
 */
import { AVAILABLE_REGIONS, guidFrom, typeSpec } from './catalog.js';
import { hasSchemaFor, withSchemaSpelling } from './schema.js';
import { RESOURCE_GROUP_NAME, isValidName } from './names.js';
import { assignmentScope } from './role-assignments.js';
import type { ContainerAppsRuntime } from '../apps/runtime.js';
import type { KeyVaults } from '../keyvault/plane.js';
import type { AcrEndpoint } from '../acr/endpoint.js';
import { VAULT_SECRETS, vaultSecretNames, vaultSecretView, writeVaultSecret } from './vault-secrets.js';
import {
  ArmError,
  ENVELOPE_KEYS,
  apiVersionProblem,
  bodyProblems,
  isObject,
  mergeDeep,
  parentIdOf,
  parseResourceId,
  resourceIdOf,
  revisionProblem,
  type ArmErrorBody,
  type Json,
  type ParsedId,
  type StoredResource,
} from './resources.js';

/** Built-in roles the sandbox's caller can hold at subscription scope, by what they allow. */
const WRITERS = ['Owner', 'Contributor'];
const ROLE_WRITERS = ['Owner', 'User Access Administrator', 'Role Based Access Control Administrator'];
const READERS = ['Reader', ...WRITERS, ...ROLE_WRITERS];
const ROLE_ASSIGNMENTS = /^Microsoft\.Authorization\/roleAssignments$/i;
const PRIVATE_ENDPOINT_CONNECTIONS = 'microsoft.app/managedenvironments/privateendpointconnections';
const FRONT_DOOR_ORIGINS = 'microsoft.cdn/profiles/origingroups/origins';

export interface ResourceGroup {
  id: string;
  name: string;
  location: string;
  /** Only when the caller gave tags: a group created without them has none (no `"tags": {}`). */
  tags?: Record<string, string>;
  /** DELETE was accepted: the group answers `Deleting` and takes no new work until it is gone. */
  deleting?: boolean;
  /** Settles when the group is gone. */
  deletion?: Promise<void>;
}

/** A soft-deleted vault as Vaults_GetDeleted shows it (listDeletedVaults.json). */
export interface DeletedVault {
  name: string;
  location: string;
  vaultId: string;
  purgeProtectionEnabled: boolean;
  deletionDate: string;
  scheduledPurgeDate: string;
  tags: Record<string, string>;
}

function deletedVault(resource: StoredResource): DeletedVault {
  const deletedAt = Date.now();
  const retentionDays = Number(resource.properties['softDeleteRetentionInDays'] ?? 90);
  return {
    name: resource.name,
    location: String(resource.envelope['location'] ?? '').toLowerCase(),
    vaultId: resource.id,
    purgeProtectionEnabled: resource.properties['enablePurgeProtection'] === true,
    deletionDate: new Date(deletedAt).toISOString(),
    scheduledPurgeDate: new Date(deletedAt + retentionDays * 86_400_000).toISOString(),
    tags: { ...((resource.envelope['tags'] ?? {}) as Record<string, string>) },
  };
}

export interface PutResult {
  status: 200 | 201;
  view: Json;
  /** Settles when provisioning ends: undefined on success, the provider's error on failure. */
  done: Promise<ArmErrorBody | undefined>;
}

/**
 * The sandbox's Azure Resource Manager: resource groups, resources and their children and
 * extensions, and template deployments with preflight validation, what-if and operations. Holds
 * state only; `endpoint.ts` speaks HTTP for it.
 */
export class ResourcePlane {
  readonly resourceGroups = new Map<string, ResourceGroup>();
  readonly resources = new Map<string, StoredResource>();
  /** Global names (`type|name`, lower case) another subscription holds. */
  readonly takenNames = new Set<string>();
  /** Resource ids (lower case) the caller may not read: a deny assignment, or a provider outage. */
  readonly deniedReads = new Set<string>();
  /**
   * Resource providers (lower-case namespaces) the subscription has not registered. Microsoft registers
   * the common ones for a new subscription; GitHub.Network must be registered by hand
   * (`az provider register --namespace GitHub.Network`, GitHub's private networking docs).
   */
  readonly unregisteredProviders = new Set<string>(['github.network']);
  /** The caller's roles at subscription scope. */
  roles: string[] = ['Contributor', 'Role Based Access Control Administrator'];
  /**
   * Vaults whose group or resource was deleted, by lower-case name: Key Vault keeps them soft-deleted
   * (Vaults_GetDeleted) until purged, which purge protection forbids (Vaults_PurgeDeleted).
   */
  readonly deletedVaults = new Map<string, DeletedVault>();
  /** Each registry's content: ARM's importImage copies between them. */
  registries?: AcrEndpoint;
  /** Each vault's data plane: ARM's vaults/secrets read and write the same secrets. */
  keyVaults?: KeyVaults;
  /** A secret's value from its PUT until provisioning writes it to the vault: never stored with the resource, never shown. */
  private readonly pendingSecretValues = new WeakMap<StoredResource, string>();
  /** The resource each PUT replaced, while it provisions: what a refused update goes back to. */
  private readonly replaced = new WeakMap<StoredResource, StoredResource>();
  /** Container Apps' revisions, run for real when the sandbox has a docker daemon. */
  apps?: ContainerAppsRuntime;
  /** Real provisioning seconds are multiplied by this (0.001: a 15-minute Redis takes 0.9 s). */
  timeScale = 0.001;
  /**
   * Real seconds a PUT or PATCH's long-running operation of a type (lower case) reports InProgress at
   * least, whatever the time scale: an operation that outlasts a cancelled job's grace. The change is in
   * effect, and the resource takes new writes, once its provider is done, as before.
   */
  readonly operationSeconds = new Map<string, number>();
  /** Resource PUTs received, counted for tests. */
  puts = 0;

  constructor(
    readonly identity: { subscriptionId: string; tenantId: string; clientId: string },
    protected readonly onVaultCreated: (name: string) => void,
    protected readonly onVaultDeleted: (name: string) => void = () => undefined,
  ) {}

  // ---------------------------------------------------------------- authorization

  authorize(action: string, scope: string): void {
    const allowed = action.endsWith('/read')
      ? READERS
      : action === 'Microsoft.Authorization/roleAssignments/write'
        ? ROLE_WRITERS
        : WRITERS;
    if (this.roles.some((role) => allowed.includes(role))) {
      if (action.endsWith('/read') && [...this.deniedReads].some((id) => scope.toLowerCase().startsWith(id)))
        throw this.authorizationFailed(action, scope);
      return;
    }
    throw this.authorizationFailed(action, scope);
  }

  /** ARM's answer to a resource of a namespace the subscription has not registered. */
  registrationProblem(type: string): ArmError | undefined {
    const namespace = type.split('/')[0] ?? '';
    if (!this.unregisteredProviders.has(namespace.toLowerCase())) return undefined;
    return new ArmError(
      409,
      'MissingSubscriptionRegistration',
      `The subscription is not registered to use namespace '${namespace}'. See https://aka.ms/rps-not-found for how to register subscriptions.`,
      [
        {
          code: 'MissingSubscriptionRegistration',
          target: namespace,
          message: `The subscription is not registered to use namespace '${namespace}'.`,
        },
      ],
    );
  }

  protected authorizationFailed(action: string, scope: string): ArmError {
    return new ArmError(
      403,
      'AuthorizationFailed',
      `The client '${this.identity.clientId}' with object id '${this.identity.clientId}' does not have authorization to perform action '${action}' over scope '${scope}' or the scope is invalid. If access was recently granted, please refresh your credentials.`,
    );
  }

  // ---------------------------------------------------------------- resource groups

  resourceGroupId(name: string): string {
    return `/subscriptions/${this.identity.subscriptionId}/resourceGroups/${name}`;
  }

  requireResourceGroup(name: string): ResourceGroup {
    const group = this.resourceGroups.get(name.toLowerCase());
    if (!group) throw new ArmError(404, 'ResourceGroupNotFound', `Resource group '${name}' could not be found.`);
    return group;
  }

  /** A group that takes new work: it exists and is not being deleted. */
  requireActiveResourceGroup(name: string): ResourceGroup {
    const group = this.requireResourceGroup(name);
    if (group.deleting)
      throw new ArmError(
        409,
        'ResourceGroupBeingDeleted',
        `The resource group '${group.name}' is in deprovisioning state and cannot perform this operation.`,
      );
    return group;
  }

  /** ResourceGroups_List: every group of the subscription the caller may read. */
  listResourceGroups(): ResourceGroup[] {
    this.authorize('Microsoft.Resources/subscriptions/resourceGroups/read', `/subscriptions/${this.identity.subscriptionId}`);
    return [...this.resourceGroups.values()];
  }

  /** ResourceGroups_Update (PATCH, ResourceGroupPatchable): tags given replace the group's tags; what is not given stays. */
  patchResourceGroup(name: string, body: Json): ResourceGroup {
    this.authorize('Microsoft.Resources/subscriptions/resourceGroups/write', this.resourceGroupId(name));
    const group = this.requireActiveResourceGroup(name);
    if (body['tags'] !== undefined) {
      if (!isObject(body['tags']) || Object.values(body['tags']).some((value) => typeof value !== 'string'))
        throw new ArmError(
          400,
          'InvalidRequestContent',
          "The request content was invalid and could not be deserialized: 'tags' must be an object of string values.",
        );
      group.tags = body['tags'] as Record<string, string>;
    }
    return group;
  }

  /**
   * ResourceGroups_Delete: accepted at once (202), then the group's resources go (each with what it
   * holds: children and extension resources), then the group. Resolves when the group is gone.
   */
  deleteResourceGroup(name: string): { group: ResourceGroup; done: Promise<void> } {
    this.authorize('Microsoft.Resources/subscriptions/resourceGroups/delete', this.resourceGroupId(name));
    const group = this.requireResourceGroup(name);
    if (group.deletion) return { group, done: group.deletion };
    group.deleting = true;
    const inGroup = [...this.resources.values()].filter((resource) => resource.resourceGroup.toLowerCase() === group.name.toLowerCase());
    const seconds = Math.max(10, ...inGroup.map((resource) => (typeSpec(resource.type)?.createSeconds ?? 5) / 2));
    const done = new Promise<void>((resolve) => {
      setTimeout(
        () => {
          for (const resource of [...this.resources.values()])
            if (resource.resourceGroup.toLowerCase() === group.name.toLowerCase()) this.removeResource(resource.id);
          this.resourceGroups.delete(group.name.toLowerCase());
          this.groupDeleted(group.name);
          resolve();
        },
        seconds * this.timeScale * 1000,
      );
    });
    group.deletion = done;
    return { group, done };
  }

  /** What else goes with a deleted group (ArmPlane: its deployments). */
  protected groupDeleted(_name: string): void {}

  /** Removes a resource with everything under it: its children and the extension resources scoped to it. */
  protected removeResource(id: string): void {
    const prefix = `${id.toLowerCase()}/`;
    for (const [key, resource] of this.resources) {
      if (key !== id.toLowerCase() && !key.startsWith(prefix)) continue;
      this.resources.delete(key);
      if (resource.type.toLowerCase() === 'microsoft.keyvault/vaults') {
        this.deletedVaults.set(resource.name.toLowerCase(), deletedVault(resource));
        this.onVaultDeleted(resource.name);
      }
    }
  }

  putResourceGroup(name: string, body: Json): { status: 200 | 201; group: ResourceGroup } {
    this.authorize('Microsoft.Resources/subscriptions/resourceGroups/write', this.resourceGroupId(name));
    if (!isValidName(RESOURCE_GROUP_NAME, name))
      throw new ArmError(
        400,
        'InvalidResourceGroup',
        `The provided resource group name '${name}' is not valid: use ${RESOURCE_GROUP_NAME.words}.`,
      );
    const location = typeof body['location'] === 'string' ? body['location'].toLowerCase().replace(/\s+/g, '') : '';
    if (!location) throw new ArmError(400, 'LocationRequired', 'The location property is required for this definition.');
    if (!AVAILABLE_REGIONS.includes(location)) {
      throw new ArmError(
        400,
        'LocationNotAvailableForResourceGroup',
        `The provided location '${String(body['location'])}' is not available for resource group. List of available regions is '${AVAILABLE_REGIONS.join(',')}'.`,
      );
    }
    const existing = this.resourceGroups.get(name.toLowerCase());
    if (existing?.deleting) this.requireActiveResourceGroup(name);
    if (existing && existing.location !== location) {
      throw new ArmError(
        409,
        'InvalidResourceGroupLocation',
        `Invalid resource group location '${location}'. The Resource group already exists in location '${existing.location}'.`,
      );
    }
    const group: ResourceGroup = {
      id: this.resourceGroupId(existing?.name ?? name),
      name: existing?.name ?? name,
      location,
      ...(isObject(body['tags']) ? { tags: body['tags'] as Record<string, string> } : {}),
    };
    this.resourceGroups.set(name.toLowerCase(), group);
    return { status: existing ? 200 : 201, group };
  }

  // ---------------------------------------------------------------- resources

  /** A resource as GET returns it: the stored body plus the provider's read-only properties. */
  view(resource: StoredResource): Json {
    if (resource.type.toLowerCase() === VAULT_SECRETS && this.keyVaults) {
      const fromVault = this.secretView(resource.id);
      if (fromVault) return fromVault;
    }
    const spec = typeSpec(resource.type);
    const location = resource.envelope['location'];
    const kind = resource.envelope['kind'];
    const readOnly =
      spec?.readOnly?.(
        {
          id: resource.id,
          name: resource.name.split('/').at(-1) as string,
          properties: resource.properties,
          ...(typeof location === 'string' ? { location } : {}),
          ...(typeof kind === 'string' ? { kind } : {}),
        },
        (id) => {
          const other = this.resources.get(id.toLowerCase());
          return other ? (this.view(other)['properties'] as Json) : undefined;
        },
      ) ?? {};
    const providerTags = spec?.readOnlyTags?.({ id: resource.id });
    const properties = mergeDeep(mergeDeep(resource.properties, readOnly), this.providerView(resource));
    return {
      id: resource.id,
      name: resource.name.split('/').at(-1),
      type: resource.type,
      ...spec?.readOnlyEnvelope?.({ id: resource.id, properties: resource.properties }),
      ...resource.envelope,
      ...(providerTags ? { tags: { ...(isObject(resource.envelope['tags']) ? resource.envelope['tags'] : {}), ...providerTags } } : {}),
      ...this.identityView(resource),
      properties: spec?.provisioningState === false ? properties : mergeDeep(properties, { provisioningState: resource.provisioningState }),
    };
  }

  /** ARM fills in each user-assigned identity's principalId and clientId on the resources that use it, and a system-assigned one's own. */
  private identityView(resource: StoredResource): Json {
    const identity = resource.envelope['identity'];
    if (!isObject(identity)) return {};
    const systemAssigned = /SystemAssigned/i.test(String(identity['type']))
      ? { principalId: guidFrom('principal', resource.id), tenantId: this.identity.tenantId }
      : {};
    if (!isObject(identity['userAssignedIdentities'])) return { identity: { ...identity, ...systemAssigned } };
    const userAssignedIdentities = Object.fromEntries(
      Object.keys(identity['userAssignedIdentities']).map((id) => {
        const assigned = this.resources.get(id.toLowerCase());
        const properties = assigned ? (this.view(assigned)['properties'] as Json) : {};
        return [id, { principalId: properties['principalId'], clientId: properties['clientId'] }];
      }),
    );
    return { identity: { ...identity, ...systemAssigned, userAssignedIdentities } };
  }

  /** What a provider running the resource adds to its GET (an app's latest revisions). */
  private providerView(resource: StoredResource): Json {
    return resource.type.toLowerCase() === 'microsoft.app/containerapps' && this.apps ? this.apps.appView(resource) : {};
  }

  /** The provisioned resource of this type and name in any group (global names: vaults, registries), or undefined. */
  findResource(type: string, name: string): StoredResource | undefined {
    return [...this.resources.values()].find(
      (stored) =>
        stored.type.toLowerCase() === type.toLowerCase() &&
        stored.name.toLowerCase() === name.toLowerCase() &&
        stored.provisioningState === 'Succeeded',
    );
  }

  /** A secret as Key Vault's management API shows it, from the vault itself: data-plane writes show too. */
  private secretView(id: string): Json | undefined {
    const parsed = parseResourceId(id);
    if (!parsed || !this.keyVaults) return undefined;
    const vaultId = parentIdOf(id) ?? '';
    return vaultSecretView(this.keyVaults, id, parsed.name, this.resources.get(vaultId.toLowerCase())?.envelope['location']);
  }

  getResource(id: string): Json {
    this.authorize(`${parseResourceId(id)?.type ?? 'Microsoft.Resources/resources'}/read`, id);
    if (parseResourceId(id)?.type.toLowerCase() === VAULT_SECRETS && this.keyVaults) {
      const secret = this.secretView(id);
      if (!secret) throw this.notFound(id);
      return secret;
    }
    const resource = this.resources.get(id.toLowerCase());
    if (!resource) throw this.notFound(id);
    return this.view(resource);
  }

  notFound(id: string): ArmError {
    const parsed = parseResourceId(id);
    return new ArmError(
      404,
      'ResourceNotFound',
      `The Resource '${parsed ? `${parsed.type}/${parsed.name}` : id}' under resource group '${parsed?.resourceGroup ?? ''}' was not found. For more details please go to https://aka.ms/ARMResourceNotFoundFix`,
    );
  }

  /** Resources of a collection: a group's top-level resources, a parent's children of one type, or a resource's extensions of one type. */
  list(filter: { resourceGroup: string; parentId?: string; type?: string; scopeId?: string }): Json[] {
    this.requireResourceGroup(filter.resourceGroup);
    if (filter.type?.toLowerCase() === VAULT_SECRETS && filter.parentId && this.keyVaults) {
      const vault = parseResourceId(filter.parentId)?.name ?? '';
      return vaultSecretNames(this.keyVaults, vault).flatMap((name): Json[] => {
        const secret = this.secretView(`${filter.parentId}/secrets/${name}`);
        return secret ? [secret] : [];
      });
    }
    return [...this.resources.values()]
      .filter((resource) => {
        if (resource.resourceGroup.toLowerCase() !== filter.resourceGroup.toLowerCase()) return false;
        const parsed = parseResourceId(resource.id) as ParsedId;
        // A role assignment applies where its id says, a group included: it is no resource of the group's list.
        const scopeId = ROLE_ASSIGNMENTS.test(resource.type) ? assignmentScope(resource.id) : parsed.scopeId;
        if (filter.scopeId !== undefined) {
          if (resource.type.toLowerCase() !== filter.type?.toLowerCase() || !scopeId) return false;
          const [scope, target] = [scopeId.toLowerCase(), filter.scopeId.toLowerCase()];
          // Role assignments "List For Scope" (no $filter) returns those at, above and below the scope; other extensions only their own.
          return ROLE_ASSIGNMENTS.test(resource.type)
            ? scope === target || target.startsWith(`${scope}/`) || scope.startsWith(`${target}/`)
            : scope === target;
        }
        if (scopeId) return false;
        if (filter.parentId !== undefined)
          return (
            parentIdOf(resource.id)?.toLowerCase() === filter.parentId.toLowerCase() &&
            resource.type.toLowerCase() === filter.type?.toLowerCase()
          );
        return resource.type.split('/').length === 2;
      })
      .map((resource) => this.view(resource));
  }

  /** PUT (or PATCH) of one resource, as its provider takes it: checks, stores, and provisions it over simulated time. */
  putResource(id: string, apiVersion: string | undefined, asSent: Json, options: { patch?: boolean } = {}): PutResult {
    const parsed = parseResourceId(id);
    if (!parsed) throw new ArmError(400, 'InvalidResourceId', `'${id}' is not a valid resource id.`);
    const body =
      apiVersion && hasSchemaFor(parsed.type, apiVersion) ? schemaSpelling(asSent, parsed.type, apiVersion, parsed.name) : asSent;
    this.authorize(`${parsed.type}/write`, id);
    this.requireActiveResourceGroup(parsed.resourceGroup);
    const unregistered = this.registrationProblem(parsed.type);
    if (unregistered) throw unregistered;
    const existing = this.resources.get(id.toLowerCase());
    const problem = apiVersionProblem(parsed.type, apiVersion, typeof body['location'] === 'string' ? body['location'] : undefined);
    if (problem) throw problem;
    const parentId = parentIdOf(id);
    if (parentId && !this.resources.has(parentId.toLowerCase())) {
      throw new ArmError(
        404,
        'ParentResourceNotFound',
        `Can not perform requested operation on nested resource. Parent resource '${parsed.name.split('/').slice(0, -1).join('/')}' not found.`,
      );
    }
    if (parsed.scopeId && !this.resources.has(parsed.scopeId.toLowerCase())) throw this.notFound(parsed.scopeId);
    if (options.patch && !existing) throw this.notFound(id);
    // A private endpoint connection is made by the endpoint's side; a PUT only changes its state (approve, reject).
    const connection = parsed.type.toLowerCase() === PRIVATE_ENDPOINT_CONNECTIONS;
    if (connection && !existing) throw this.notFound(id);
    if (parsed.type.toLowerCase() === 'microsoft.app/containerapps') {
      const next =
        options.patch && existing
          ? mergeDeep(existing.properties, isObject(body['properties']) ? body['properties'] : {})
          : body['properties'];
      this.apps?.validate(existing, id, isObject(next) ? next : {});
    }
    const full: Json = options.patch && existing ? mergeDeep({ ...existing.envelope, properties: existing.properties }, body) : body;
    const problems = bodyProblems({ id, type: parsed.type, name: parsed.name }, apiVersion as string, full, {
      nameTaken: !existing && this.takenNames.has(`${parsed.type}|${parsed.name}`.toLowerCase()),
    }).map(({ problem }) => problem);
    const first = problems[0];
    if (first) throw new ArmError(400, first.code, first.message, problems.length > 1 ? problems : [], first.target);

    const envelope = Object.fromEntries(ENVELOPE_KEYS.filter((key) => full[key] !== undefined).map((key) => [key, full[key]]));
    const isSecret = parsed.type.toLowerCase() === VAULT_SECRETS;
    const given = isObject(full['properties']) ? full['properties'] : {};
    // A secret's value goes to the vault alone: the stored resource, its views and every read of ARM never hold it.
    const { value: secretValue, ...withoutValue } = given;
    // A connection keeps what its endpoint's side set (group, endpoint); the PUT changes its state.
    const properties = isSecret ? withoutValue : connection && existing ? mergeDeep(existing.properties, given) : given;
    const unchanged =
      existing !== undefined &&
      JSON.stringify({ e: existing.envelope, p: existing.properties }) === JSON.stringify({ e: envelope, p: properties });
    const spec = typeSpec(parsed.type);
    const seconds = !existing ? (spec?.createSeconds ?? 5) : unchanged ? (spec?.noopSeconds ?? 1) : (spec?.createSeconds ?? 5) / 2;
    const resource: StoredResource = {
      id: existing?.id ?? id,
      type: parsed.type,
      name: parsed.name,
      resourceGroup: parsed.resourceGroup,
      apiVersion: apiVersion as string,
      envelope,
      properties,
      provisioningState: existing ? 'Updating' : 'Creating',
    };
    this.resources.set(id.toLowerCase(), resource);
    if (isSecret) this.pendingSecretValues.set(resource, typeof secretValue === 'string' ? secretValue : '');
    if (existing) this.replaced.set(resource, existing);
    this.puts++;
    const done = new Promise<ArmErrorBody | undefined>((resolve) => {
      setTimeout(() => resolve(this.finishProvisioning(resource)), seconds * this.timeScale * 1000);
    });
    return { status: existing || typeSpec(parsed.type)?.createdWith200 ? 200 : 201, view: this.view(resource), done };
  }

  protected finishProvisioning(resource: StoredResource): ArmErrorBody | undefined | Promise<ArmErrorBody | undefined> {
    // Deleted meanwhile (its group, or a complete-mode deployment), or replaced by a newer PUT: nothing left to finish.
    if (this.resources.get(resource.id.toLowerCase()) !== resource) return undefined;
    if (resource.type.toLowerCase() === VAULT_SECRETS && this.keyVaults) {
      const value = this.pendingSecretValues.get(resource) ?? '';
      this.pendingSecretValues.delete(resource);
      const failure = writeVaultSecret(this.keyVaults, resource.name, value, { ...resource.envelope, properties: resource.properties });
      if (failure) {
        resource.provisioningState = 'Failed';
        return failure;
      }
    }
    if (resource.type.toLowerCase() === 'microsoft.app/containerapps') {
      const problem = revisionProblem(resource.name, resource.properties);
      if (problem) {
        resource.provisioningState = 'Failed';
        return problem;
      }
      // The Container Apps runtime validates and starts the revision; the app's operation ends once it exists.
      if (this.apps)
        return this.apps.provision(resource).then((failure) => {
          if (!failure) return this.succeed(resource);
          // The provider refused the update: the app keeps the configuration it had.
          const before = this.replaced.get(resource);
          if (before) Object.assign(resource, { properties: before.properties, envelope: before.envelope });
          resource.provisioningState = 'Failed';
          return failure;
        });
    }
    return this.succeed(resource);
  }

  private succeed(resource: StoredResource): undefined {
    resource.provisioningState = 'Succeeded';
    const parsed = parseResourceId(resource.id) as ParsedId;
    for (const child of typeSpec(resource.type)?.implicitChildren ?? []) {
      const childId = resourceIdOf(parsed.subscriptionId, parsed.resourceGroup, child.type, `${resource.name}/${child.name}`);
      if (this.resources.has(childId.toLowerCase())) continue;
      this.resources.set(childId.toLowerCase(), {
        id: childId,
        type: child.type,
        name: `${resource.name}/${child.name}`,
        resourceGroup: resource.resourceGroup,
        apiVersion: resource.apiVersion,
        envelope: {},
        properties: { ...child.properties },
        provisioningState: 'Succeeded',
        implicit: true,
      });
    }
    if (resource.type.toLowerCase() === 'microsoft.keyvault/vaults') this.onVaultCreated(resource.name);
    if (resource.type.toLowerCase() === FRONT_DOOR_ORIGINS) this.requestPrivateLink(resource);
    return undefined;
  }

  /**
   * A Front Door origin with a shared private link resource: Front Door makes a private endpoint of
   * its own into the target, and the target's owner sees it as a pending connection to approve
   * ("Integrate Azure Front Door with Azure Container Apps using Private Link"). One per origin.
   */
  private requestPrivateLink(origin: StoredResource): void {
    const shared = origin.properties['sharedPrivateLinkResource'];
    const target = isObject(shared) && isObject(shared['privateLink']) ? shared['privateLink']['id'] : undefined;
    const targetResource = typeof target === 'string' ? this.resources.get(target.toLowerCase()) : undefined;
    if (!isObject(shared) || !targetResource) return;
    const name = `${origin.name.split('/')[0] ?? 'afd'}-${guidFrom('afd-connection', origin.id).slice(0, 8)}`;
    const id = `${targetResource.id}/privateEndpointConnections/${name}`;
    if (this.resources.has(id.toLowerCase())) return;
    const subscription = (parseResourceId(origin.id) as ParsedId).subscriptionId;
    this.resources.set(id.toLowerCase(), {
      id,
      type: `${targetResource.type}/privateEndpointConnections`,
      name: `${targetResource.name}/${name}`,
      resourceGroup: targetResource.resourceGroup,
      apiVersion: targetResource.apiVersion,
      envelope: {},
      properties: {
        groupIds: [typeof shared['groupId'] === 'string' ? shared['groupId'] : 'managedEnvironments'],
        // Front Door's endpoint lives in a subscription and group of Microsoft's, not the customer's.
        privateEndpoint: {
          id: `/subscriptions/${guidFrom('afd-subscription', subscription)}/resourceGroups/eafd-prod-${String(shared['privateLinkLocation'] ?? 'eastus2')}/providers/Microsoft.Network/privateEndpoints/${guidFrom('afd-endpoint', origin.id)}`,
        },
        privateLinkServiceConnectionState: {
          status: 'Pending',
          description: typeof shared['requestMessage'] === 'string' ? shared['requestMessage'] : '',
          actionsRequired: 'None',
        },
      },
      provisioningState: 'Waiting',
      implicit: true,
    });
  }

  /** A manual change (the portal, `az`), not through ARM's checks: merges into the stored properties. */
  patchDirectly(id: string, properties: Json): Json {
    const resource = this.resources.get(id.toLowerCase());
    if (!resource) throw this.notFound(id);
    resource.properties = mergeDeep(resource.properties, properties);
    return this.view(resource);
  }
}

/** The body as the provider reads it: property names in its schema's spelling (ARM's names are case-insensitive). */
function schemaSpelling(body: Json, type: string, apiVersion: string, name: string): Json {
  const spelled = withSchemaSpelling({ ...body, type, apiVersion, name });
  const added = ['type', 'apiVersion', 'name'].filter((key) => !(key in body));
  return Object.fromEntries(Object.entries(spelled).filter(([key]) => !added.includes(key)));
}
