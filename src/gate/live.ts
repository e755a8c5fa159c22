import { AUDIT_LOG_SOURCES, REACHED_BY_ROLE, apiVersionOf, resourceType } from '../azure/resource-types.js';
import type { JudgedEnvironment, JudgedResource } from '../arm/deployed.js';
import { UnknownValue } from '../arm/values.js';
import { typeAndNameOf } from '../core/resource-id.js';
import { armError, armFailureOf, describeArmFailure, type ArmPort, type ListedResource } from '../azure/arm-port.js';

const DIAGNOSTIC_SETTINGS = 'Microsoft.Insights/diagnosticSettings';
const ROLE_ASSIGNMENTS = 'Microsoft.Authorization/roleAssignments';
const ROLE_SCOPES = new Set(REACHED_BY_ROLE.map((type) => type.toLowerCase()));

/** Types whose diagnostic settings carry audit logs: the live gate reads the settings of every resource of these. */
const DIAGNOSTIC_SCOPES = new Set(AUDIT_LOG_SOURCES.map((source) => source.scopeType.toLowerCase()));

/**
 * Reads every resource of a resource group, and every child and extension resource the controls
 * need (as the type registry lists them), into the JudgedEnvironment the controls judge. Reads run
 * in parallel. What cannot be read becomes an unknown, which blocks: a resource's properties, an
 * unresolved input, or a resource of a type the registry does not know (its properties are never
 * taken as empty).
 */
export async function readLiveEnvironment(arm: ArmPort, resourceGroup: string, concurrency = 16): Promise<JudgedEnvironment> {
  const source = `subscriptions/${arm.subscriptionId}/resourceGroups/${resourceGroup}`;
  const environment: JudgedEnvironment = { input: { kind: 'live', source }, resources: [], unresolved: [] };
  // 16 reads in flight stay well inside ARM's 250 reads per 5 s per principal.
  const limit = limiter(concurrency);

  let listed: ListedResource[];
  try {
    listed = await arm.listResources(resourceGroup);
  } catch (error) {
    throw armError(error, `Listing the resources of resource group ${resourceGroup}`, () => '--resource-group');
  }

  const read = async (
    id: string,
    type: string,
    parent?: JudgedResource,
    envelope: ListedResource['envelope'] = {},
  ): Promise<JudgedResource | undefined> => {
    const apiVersion = resourceType(type)?.apiVersion;
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
      await readExtensions(resource, DIAGNOSTIC_SCOPES, DIAGNOSTIC_SETTINGS, 'diagnostic settings');
      return undefined;
    }
    if (!apiVersion) {
      // A type the registry does not know: its envelope (tags, location) from the list, and properties no control may take as read.
      resource.body = {
        ...(JSON.parse(JSON.stringify(envelope)) as Record<string, unknown>),
        properties: new UnknownValue(`the gate does not read ${type} (it is not in src/azure/resource-types.ts)`),
      };
    } else {
      const result = await limit(() => get(arm, id, apiVersion));
      if (result.status === 404) return undefined;
      resource.body = result.ok
        ? (result.body as Record<string, unknown>)
        : { properties: new UnknownValue(`the gate could not read ${id}: ${result.problem}`) };
      if (!result.ok) environment.unresolved.push({ message: `could not read ${type} ${resource.name}: ${result.problem}` });
    }
    environment.resources.push(resource);
    await Promise.all([
      readChildren(resource),
      readExtensions(resource, DIAGNOSTIC_SCOPES, DIAGNOSTIC_SETTINGS, 'diagnostic settings'),
      // Listed for a scope, ARM returns the assignments at it and at the scopes above it, where the app's role may also be granted.
      readExtensions(resource, ROLE_SCOPES, ROLE_ASSIGNMENTS, 'role assignments'),
    ]);
    return resource;
  };

  const readChildren = async (parent: JudgedResource): Promise<void> => {
    const children = resourceType(parent.type)?.children ?? [];
    await Promise.all(
      children.map(async (child) => {
        const type = `${parent.type}/${child.type}`;
        if (child.read === 'default') {
          const resource = await read(`${parent.id}/${child.type}/default`, type, parent);
          if (resource) parent.children.push(resource);
          return;
        }
        const result = await limit(() => get(arm, `${parent.id}/${child.type}`, apiVersionOf(type)));
        if (!result.ok) {
          if (result.status !== 404)
            environment.unresolved.push({ message: `could not list ${child.type} of ${parent.type} ${parent.name}: ${result.problem}` });
          return;
        }
        const items = ((result.body as { value?: { id?: string }[] }).value ?? []).filter((item) => item.id);
        const resources = await Promise.all(items.map((item) => read(item.id as string, type, parent)));
        for (const resource of resources) if (resource) parent.children.push(resource);
      }),
    );
  };

  const extensionIds = new Set<string>();
  const readExtensions = async (scope: JudgedResource, scopeTypes: Set<string>, type: string, what: string): Promise<void> => {
    if (!scopeTypes.has(scope.type.toLowerCase())) return;
    const apiVersion = apiVersionOf(type);
    const items: Record<string, unknown>[] = [];
    // A list answers a page at a time; nextLink is the whole address of the next one.
    for (let next: string | undefined = `${scope.id}/providers/${type}`; next;) {
      const page = next;
      const result = await limit(() => get(arm, page, apiVersion));
      if (!result.ok) {
        environment.unresolved.push({ message: `could not read the ${what} of ${scope.type} ${scope.name}: ${result.problem}` });
        return;
      }
      const body = result.body as { value?: Record<string, unknown>[]; nextLink?: string | null };
      items.push(...(body.value ?? []));
      next = typeof body.nextLink === 'string' && body.nextLink !== '' ? body.nextLink : undefined;
    }
    for (const item of items) {
      // Listed for a scope, ARM also returns the role assignments below it (on a child resource): they give no role on this one.
      const itemScope = (item['properties'] as { scope?: unknown } | undefined)?.scope;
      if (typeof itemScope === 'string' && itemScope.toLowerCase().startsWith(`${scope.id.toLowerCase()}/`)) continue;
      const extension: JudgedResource = {
        type,
        name: String(item['name']),
        id: String(item['id']),
        apiVersion,
        body: item,
        children: [],
        extensions: [],
      };
      scope.extensions.push(extension);
      // A role assignment above the scope is listed for every resource under it; the environment holds it once.
      if (!extensionIds.has(extension.id.toLowerCase())) environment.resources.push(extension);
      extensionIds.add(extension.id.toLowerCase());
    }
  };

  // The list names children and extension resources too; they are read under their parents.
  const topLevel = listed.filter((resource) => resource.type.split('/').length === 2);
  await Promise.all(topLevel.map((resource) => read(resource.id, resource.type, undefined, resource.envelope)));
  // Not in the group's list: the subscription's Defender plans, and the policy assignments that reach the group.
  const readIds = new Set(environment.resources.map((resource) => resource.id.toLowerCase()));
  for (const [type, path] of [
    [PRICINGS, `/subscriptions/${arm.subscriptionId}/providers/${PRICINGS}`],
    [POLICY_ASSIGNMENTS, `/subscriptions/${arm.subscriptionId}/resourceGroups/${resourceGroup}/providers/${POLICY_ASSIGNMENTS}`],
  ] as const) {
    const result = await limit(() => get(arm, path, apiVersionOf(type)));
    // Nothing there reads as none: the controls that need them then fail, closed either way.
    if (!result.ok && result.status === 404) continue;
    if (!result.ok) {
      environment.unresolved.push({ message: `could not list ${type} (${path}): ${result.problem}` });
      continue;
    }
    for (const item of (result.body as { value?: Record<string, unknown>[] }).value ?? []) {
      const id = String(item['id']);
      if (readIds.has(id.toLowerCase())) continue;
      const name = String(item['name']);
      environment.resources.push({ type, name, id, apiVersion: apiVersionOf(type), body: item, children: [], extensions: [] });
    }
  }
  return environment;
}

const PRICINGS = 'Microsoft.Security/pricings';
const POLICY_ASSIGNMENTS = 'Microsoft.Authorization/policyAssignments';

type ReadResult = { ok: true; status: number; body: unknown } | { ok: false; status: number; problem: string };

async function get(arm: ArmPort, path: string, apiVersion: string): Promise<ReadResult> {
  try {
    const { status, body } = await arm.get(path, apiVersion);
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
