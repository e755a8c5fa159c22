import type { AcrEndpoint } from './acr/endpoint.js';
import type { ArmPlane } from './arm/plane.js';
import { subscriptionScopeOf, type PolicyStateSeed } from './arm/subscription-scope.js';
import { reply, type Reply } from './http.js';
import type { KeyVaults } from './keyvault/plane.js';
import type { RequestLog } from './monitor/requests.js';

/**
 * The admin API under `/_sandbox` (HTTPS, no auth): what tests and the demo use to set the scene
 * and to look behind Azure's back. See sandbox/README.md for each call.
 */
export function handleAdmin(
  method: string,
  path: string,
  body: string,
  services: { arm: ArmPlane; keyVaults: KeyVaults; registries: AcrEndpoint; requests?: RequestLog },
): Reply {
  const { arm, keyVaults, registries } = services;
  const [collection, name, sub] = path.split('/').filter(Boolean);
  // PATCH `{ingestionDelayMs}`: how late the ingress's requests show in Azure Monitor's metrics and the HTTP logs.
  if (collection === 'monitor' && !name && method === 'PATCH' && services.requests) {
    const { ingestionDelayMs } = JSON.parse(body) as { ingestionDelayMs?: unknown };
    if (typeof ingestionDelayMs !== 'number' || !(ingestionDelayMs >= 0))
      return reply(400, { error: 'PATCH /monitor takes {"ingestionDelayMs": <milliseconds, 0 or more>}' });
    services.requests.ingestionDelayMs = ingestionDelayMs;
    return reply(200, { ingestionDelayMs });
  }
  if (collection === 'registries' && name) return registry(method, name.toLowerCase(), body, registries);
  if (collection === 'resources' && !name) return resources(method, body, arm);
  // Azure Policy's verdicts as its evaluation would leave them: POST seeds states, DELETE clears them.
  if (collection === 'policy-states' && !name) return policyStates(method, body, arm);
  if (collection === 'arm' && !name && method === 'PATCH') {
    const settings = JSON.parse(body) as {
      timeScale?: number;
      roles?: string[];
      takenNames?: { type: string; name: string }[];
      deniedReads?: string[];
      unregisteredProviders?: string[];
      operationSeconds?: Record<string, number>;
      subscriptionRoles?: string[] | null;
    };
    if (settings.timeScale !== undefined) arm.timeScale = settings.timeScale;
    for (const [type, seconds] of Object.entries(settings.operationSeconds ?? {}))
      if (seconds > 0) arm.operationSeconds.set(type.toLowerCase(), seconds);
      else arm.operationSeconds.delete(type.toLowerCase());
    if (settings.roles) arm.roles = settings.roles;
    // The caller's roles on the subscription itself, where they differ from those on the groups (null: the same).
    if (settings.subscriptionRoles !== undefined) subscriptionScopeOf(arm).roles = settings.subscriptionRoles ?? undefined;
    for (const taken of settings.takenNames ?? []) arm.takenNames.add(`${taken.type}|${taken.name}`.toLowerCase());
    for (const id of settings.deniedReads ?? []) arm.deniedReads.add(id.toLowerCase());
    if (settings.unregisteredProviders) {
      arm.unregisteredProviders.clear();
      for (const namespace of settings.unregisteredProviders) arm.unregisteredProviders.add(namespace.toLowerCase());
    }
    return reply(200, {
      timeScale: arm.timeScale,
      operationSeconds: Object.fromEntries(arm.operationSeconds),
      roles: arm.roles,
      takenNames: [...arm.takenNames],
      deniedReads: [...arm.deniedReads],
    });
  }
  if (collection !== 'vaults') return reply(404, { error: 'unknown admin path' });
  if (method === 'POST' && !name) return reply(201, { name: keyVaults.create((JSON.parse(body) as { name: string }).name).name });
  const vault = name ? keyVaults.get(name) : undefined;
  if (!vault) return reply(404, { error: `no vault ${name ?? ''}` });
  // PATCH `{insideNetwork}` puts the caller inside (or outside) a private vault's network, as a runner in the virtual network.
  if (method === 'PATCH' && !sub) {
    const { insideNetwork } = JSON.parse(body) as { insideNetwork?: boolean };
    if (typeof insideNetwork === 'boolean') vault.insideNetwork = insideNetwork;
    return reply(200, { name: vault.name, insideNetwork: vault.insideNetwork });
  }
  if (method === 'POST' && sub === 'secrets') {
    for (const seed of JSON.parse(body) as {
      name: string;
      value: string;
      contentType?: string;
      tags?: Record<string, string>;
      enabled?: boolean;
      managed?: boolean;
    }[]) {
      vault.put(seed.name, {
        value: seed.value,
        enabled: seed.enabled ?? true,
        ...(seed.contentType !== undefined ? { contentType: seed.contentType } : {}),
        ...(seed.tags ? { tags: seed.tags } : {}),
        ...(seed.managed ? { managed: true } : {}),
      });
    }
    return reply(204);
  }
  if (method === 'POST' && sub === 'deleted') {
    const entry = vault.get((JSON.parse(body) as { name: string }).name);
    if (!entry) return reply(404, { error: 'no such secret' });
    entry.secret.deletedAt = Math.floor(Date.now() / 1000);
    return reply(204);
  }
  if (method === 'GET' && !sub) {
    const secrets = [...vault.secrets.values()].map(({ name: secretName, secret }) => ({
      name: secretName,
      deleted: Boolean(secret.deletedAt),
      versions: secret.versions,
    }));
    return reply(200, { name: vault.name, secrets, requests: vault.requests, throttled: vault.throttled });
  }
  return reply(404, { error: 'unknown admin operation' });
}

/** A registry's content and bytes uploaded (GET); PATCH `{insideNetwork}` puts the caller inside its private network. */
function registry(method: string, name: string, body: string, registries: AcrEndpoint): Reply {
  if (!registries.exists(name)) return reply(404, { error: `no registry ${name}` });
  if (method === 'PATCH') {
    const { insideNetwork } = JSON.parse(body) as { insideNetwork?: boolean };
    if (insideNetwork === true) registries.insideNetwork.add(name);
    if (insideNetwork === false) registries.insideNetwork.delete(name);
  }
  return reply(200, { ...registries.content(name).summary(), insideNetwork: registries.insideNetwork.has(name) });
}

/** Every ARM resource with its body (GET), and manual changes that bypass ARM (PATCH `{id, properties}`), as a portal edit does. */
function resources(method: string, body: string, arm: ArmPlane): Reply {
  if (method === 'GET') return reply(200, { value: [...arm.resources.values()].map((resource) => arm.view(resource)) });
  if (method !== 'PATCH') return reply(405, { error: 'use GET or PATCH' });
  const change = JSON.parse(body) as { id?: string; properties?: Record<string, unknown> };
  if (typeof change.id !== 'string' || change.properties === null || typeof change.properties !== 'object')
    return reply(400, { error: 'PATCH /resources takes {"id": "<resource id>", "properties": {...}}' });
  if (!arm.resources.get(change.id.toLowerCase())) return reply(404, { error: `no resource ${change.id}` });
  return reply(200, arm.patchDirectly(change.id, change.properties));
}

/** Policy Insights' states (POST a list of seeds; GET them; DELETE all). */
function policyStates(method: string, body: string, arm: ArmPlane): Reply {
  const scope = subscriptionScopeOf(arm);
  if (method === 'POST') {
    const seeds = JSON.parse(body) as PolicyStateSeed[];
    if (!Array.isArray(seeds) || seeds.some((seed) => typeof seed.resourceId !== 'string' || typeof seed.policyDefinitionId !== 'string'))
      return reply(400, { error: 'POST /policy-states takes [{resourceId, policyAssignmentId, policyDefinitionId, ...}]' });
    scope.policyStates.push(...seeds);
  } else if (method === 'DELETE') scope.policyStates.length = 0;
  else if (method !== 'GET') return reply(405, { error: 'use GET, POST or DELETE' });
  return reply(200, { value: scope.policyStates });
}
