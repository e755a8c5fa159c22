/**
 * Who holds which built-in role where, as data planes (a registry, later an app's image pull)
 * check it: role assignments ARM recorded, assigned at a scope or above it, plus the roles the
 * sandbox's own caller holds on the whole subscription.
 */
import type { ResourcePlane } from './resource-plane.js';

/** Built-in role definition GUIDs (learn.microsoft.com, "Azure built-in roles") by name. */
const BUILT_IN_ROLES: Record<string, string> = {
  '8e3af657-a8ff-443c-a75c-2fe8c4bcb635': 'Owner',
  'b24988ac-6180-42a0-ab88-20f7382dd24c': 'Contributor',
  'acdd72a7-3385-48ef-bd42-f606fba81ae7': 'Reader',
  '8311e382-0749-4cb8-b61a-304f252e45ec': 'AcrPush',
  '7f951dda-4ed3-4680-a7ca-43fe172d538d': 'AcrPull',
  '577a9874-89fd-4f24-9dbd-b5034d0ad23a': 'Container Registry Data Importer and Data Reader',
  '4633458b-17de-408a-b874-0445c86b69e6': 'Key Vault Secrets User',
  'b86a8fe4-44ce-4948-aee5-eccb2c155cd7': 'Key Vault Secrets Officer',
  '00482a5a-887f-4fb3-b363-3b7fe8e74483': 'Key Vault Administrator',
};

const ASSIGNMENT = /^(.*)\/providers\/Microsoft\.Authorization\/roleAssignments\/[^/]+$/i;

/** Where a role assignment applies, read from its id: the resource, group or subscription it is under; undefined for any other id. */
export function assignmentScope(id: string): string | undefined {
  return ASSIGNMENT.exec(id)?.[1];
}

/** Role names `principalId` holds on `scopeId` (a resource id), assigned at it or at a scope containing it. */
export function rolesOn(plane: ResourcePlane, principalId: string, scopeId: string): string[] {
  const target = scopeId.toLowerCase();
  const roles = principalId === plane.identity.clientId ? [...plane.roles] : [];
  for (const resource of plane.resources.values()) {
    const scope = assignmentScope(resource.id)?.toLowerCase();
    if (scope === undefined || resource.properties['principalId'] !== principalId) continue;
    if (target !== scope && !target.startsWith(`${scope}/`)) continue;
    const definition =
      String(resource.properties['roleDefinitionId'] ?? '')
        .split('/')
        .at(-1)
        ?.toLowerCase() ?? '';
    const role = BUILT_IN_ROLES[definition];
    if (role) roles.push(role);
  }
  return roles;
}
