import type { ResourceManagementClient } from '@azure/arm-resources';
import { armError, armFailureOf, armGet, describeArmFailure, resourceManager, typeAndNameOf } from '../azure/arm.js';
import { API_VERSIONS } from '../template/render.js';
import { UnknownValue, type JudgedEnvironment, type JudgedResource } from './model.js';

/** The api-version the gate reads each type at: the one the renderer deploys with. */
const READ_API_VERSIONS: Record<string, string> = {
  'microsoft.managedidentity/userassignedidentities': API_VERSIONS.managedIdentity,
  'microsoft.operationalinsights/workspaces': API_VERSIONS.logAnalytics,
  'microsoft.operationalinsights/workspaces/tables': API_VERSIONS.logAnalytics,
  'microsoft.network/virtualnetworks': API_VERSIONS.network,
  'microsoft.network/privateendpoints': API_VERSIONS.network,
  'microsoft.network/privateendpoints/privatednszonegroups': API_VERSIONS.network,
  'microsoft.network/privatednszones': API_VERSIONS.privateDns,
  'microsoft.keyvault/vaults': API_VERSIONS.keyVault,
  'microsoft.documentdb/databaseaccounts': API_VERSIONS.cosmos,
  'microsoft.sql/servers': API_VERSIONS.sql,
  'microsoft.sql/servers/databases': API_VERSIONS.sql,
  'microsoft.sql/servers/auditingsettings': API_VERSIONS.sql,
  'microsoft.sql/servers/advancedthreatprotectionsettings': API_VERSIONS.sql,
  'microsoft.sql/servers/azureadonlyauthentications': API_VERSIONS.sql,
  'microsoft.sql/servers/databases/transparentdataencryption': API_VERSIONS.sql,
  'microsoft.sql/servers/databases/backuplongtermretentionpolicies': API_VERSIONS.sql,
  'microsoft.cache/redisenterprise': API_VERSIONS.redisEnterprise,
  'microsoft.cache/redisenterprise/databases': API_VERSIONS.redisEnterprise,
  'microsoft.cache/redis': API_VERSIONS.redis,
  'microsoft.storage/storageaccounts': API_VERSIONS.storage,
  'microsoft.storage/storageaccounts/blobservices': API_VERSIONS.storage,
  'microsoft.storage/storageaccounts/managementpolicies': API_VERSIONS.storage,
  'microsoft.containerregistry/registries': API_VERSIONS.registry,
  'microsoft.app/managedenvironments': API_VERSIONS.app,
  'microsoft.app/containerapps': API_VERSIONS.app,
  'microsoft.insights/diagnosticsettings': API_VERSIONS.diagnosticSettings,
};

/**
 * Child resources the controls judge, by parent type: listed (`list`), or the one a type always
 * has (`default`, where ARM offers no list).
 */
const CHILDREN: Record<string, { type: string; read: 'list' | 'default' }[]> = {
  'microsoft.sql/servers': [
    { type: 'auditingSettings', read: 'list' },
    { type: 'advancedThreatProtectionSettings', read: 'list' },
    { type: 'azureADOnlyAuthentications', read: 'list' },
    { type: 'databases', read: 'list' },
  ],
  'microsoft.sql/servers/databases': [
    { type: 'transparentDataEncryption', read: 'list' },
    { type: 'backupLongTermRetentionPolicies', read: 'list' },
  ],
  'microsoft.operationalinsights/workspaces': [{ type: 'tables', read: 'list' }],
  'microsoft.cache/redisenterprise': [{ type: 'databases', read: 'list' }],
  'microsoft.storage/storageaccounts': [
    { type: 'blobServices', read: 'list' },
    { type: 'managementPolicies', read: 'default' },
  ],
};

/** Where audit logs are configured: the diagnostic settings of these types are read. */
const DIAGNOSTIC_SCOPES = new Set([
  'microsoft.keyvault/vaults',
  'microsoft.documentdb/databaseaccounts',
  'microsoft.sql/servers',
  'microsoft.sql/servers/databases',
  'microsoft.cache/redis',
  'microsoft.cache/redisenterprise',
  'microsoft.storage/storageaccounts/blobservices',
  'microsoft.app/managedenvironments',
  'microsoft.containerregistry/registries',
]);

export interface LiveRequest {
  subscriptionId: string;
  resourceGroup: string;
  env: NodeJS.ProcessEnv;
  /** Reads in flight at once (default 16: well inside ARM's 250 reads per 5 s per principal). */
  concurrency?: number;
}

/**
 * Reads every resource of a resource group, and every child and extension resource the controls
 * need, into the JudgedEnvironment the controls judge. Reads run in parallel. What cannot be read
 * becomes an unknown (a resource's properties, or an unresolved input), which blocks.
 */
export async function readLiveEnvironment(request: LiveRequest): Promise<JudgedEnvironment> {
  const { subscriptionId, resourceGroup } = request;
  const client = resourceManager(request.env, subscriptionId);
  const source = `subscriptions/${subscriptionId}/resourceGroups/${resourceGroup}`;
  const environment: JudgedEnvironment = { input: { kind: 'live', source }, resources: [], unresolved: [] };
  const limit = limiter(request.concurrency ?? 16);

  let listed: { id: string; type: string; envelope: Record<string, unknown> }[] = [];
  try {
    for await (const resource of client.resources.listByResourceGroup(resourceGroup)) {
      const { id, type, location, tags, sku, kind, identity } = resource;
      if (id && type) listed.push({ id, type, envelope: { location, tags, sku, kind, identity } });
    }
  } catch (error) {
    throw armError(error, `Listing the resources of resource group ${resourceGroup}`, () => '--resource-group');
  }
  listed = listed.filter((resource) => resource.type.split('/').length === 2);

  const read = async (
    id: string,
    type: string,
    parent?: JudgedResource,
    envelope: Record<string, unknown> = {},
  ): Promise<JudgedResource | undefined> => {
    const apiVersion = READ_API_VERSIONS[type.toLowerCase()];
    const resource: JudgedResource = {
      type,
      name: typeAndNameOf(id).name,
      id,
      body: {},
      children: [],
      extensions: [],
      ...(apiVersion ? { apiVersion } : {}),
      ...(parent ? { parent } : {}),
    };
    if (/^microsoft\.sql\/servers\/databases$/i.test(type) && /\/master$/i.test(resource.name)) {
      // The system database is not the app's: only its diagnostic settings matter (server audit logs go through it).
      await readDiagnosticSettings(resource);
      return undefined;
    }
    if (!apiVersion) {
      // A type no control reads closely: its envelope from the list (tags, location) is enough.
      resource.body = { ...JSON.parse(JSON.stringify(envelope)), properties: {} };
    } else {
      const result = await limit(() => get(client, id, apiVersion));
      if (result.status === 404) return undefined;
      resource.body = result.ok
        ? (result.body as Record<string, unknown>)
        : { properties: new UnknownValue(`the gate could not read ${id}: ${result.problem}`) };
      if (!result.ok) environment.unresolved.push({ message: `could not read ${type} ${resource.name}: ${result.problem}` });
    }
    environment.resources.push(resource);
    await Promise.all([readChildren(resource), readDiagnosticSettings(resource)]);
    return resource;
  };

  const readChildren = async (parent: JudgedResource): Promise<void> => {
    const children = CHILDREN[parent.type.toLowerCase()] ?? [];
    await Promise.all(
      children.map(async (child) => {
        const type = `${parent.type}/${child.type}`;
        const apiVersion = READ_API_VERSIONS[type.toLowerCase()] as string;
        if (child.read === 'default') {
          const resource = await read(`${parent.id}/${child.type}/default`, type, parent);
          if (resource) parent.children.push(resource);
          return;
        }
        const result = await limit(() => get(client, `${parent.id}/${child.type}`, apiVersion));
        if (!result.ok) {
          if (result.status !== 404)
            environment.unresolved.push({ message: `could not list ${child.type} of ${parent.type} ${parent.name}: ${result.problem}` });
          return;
        }
        const items = ((result.body as { value?: { id?: string; type?: string }[] }).value ?? []).filter((item) => item.id);
        const resources = await Promise.all(items.map((item) => read(item.id as string, type, parent)));
        for (const resource of resources) if (resource) parent.children.push(resource);
      }),
    );
  };

  const readDiagnosticSettings = async (scope: JudgedResource): Promise<void> => {
    if (!DIAGNOSTIC_SCOPES.has(scope.type.toLowerCase())) return;
    const result = await limit(() =>
      get(client, `${scope.id}/providers/Microsoft.Insights/diagnosticSettings`, API_VERSIONS.diagnosticSettings),
    );
    if (!result.ok) {
      environment.unresolved.push({ message: `could not read the diagnostic settings of ${scope.type} ${scope.name}: ${result.problem}` });
      return;
    }
    for (const item of (result.body as { value?: Record<string, unknown>[] }).value ?? []) {
      const setting: JudgedResource = {
        type: 'Microsoft.Insights/diagnosticSettings',
        name: String(item['name']),
        id: String(item['id']),
        apiVersion: API_VERSIONS.diagnosticSettings,
        body: item,
        children: [],
        extensions: [],
      };
      scope.extensions.push(setting);
      environment.resources.push(setting);
    }
  };

  await Promise.all(listed.map((resource) => read(resource.id, resource.type, undefined, resource.envelope)));
  return environment;
}

type ReadResult = { ok: true; status: number; body: unknown } | { ok: false; status: number; problem: string };

async function get(client: ResourceManagementClient, path: string, apiVersion: string): Promise<ReadResult> {
  try {
    const { status, body } = await armGet(client, path, apiVersion);
    if (status >= 200 && status < 300) return { ok: true, status, body };
    const failure = armFailureOf({ details: body });
    return { ok: false, status, problem: failure ? describeArmFailure(failure) : `HTTP ${status}` };
  } catch (error) {
    return { ok: false, status: 0, problem: error instanceof Error ? error.message : String(error) };
  }
}

/** Runs at most `size` tasks at once. */
function limiter(size: number): <T>(task: () => Promise<T>) => Promise<T> {
  let active = 0;
  const queue: (() => void)[] = [];
  return async (task) => {
    if (active >= size) await new Promise<void>((resolve) => queue.push(resolve));
    active++;
    try {
      return await task();
    } finally {
      active--;
      queue.shift()?.();
    }
  };
}
