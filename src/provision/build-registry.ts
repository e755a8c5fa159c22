/**
 * The promotion path from outside the network: the build registry (created here when the config
 * says `registry.build.create: true`, in a resource group of its own, public, holding images only)
 * and the deploy identity's "Container Registry Data Importer and Data Reader" on both registries,
 * which ACR's importImage needs (Microsoft's "Import container images"). Written directly, not in
 * the environment's template: the build registry lives outside the HIPAA group, and the deploy
 * identity is whoever runs provision, known only at run time.
 */
import type { EnvironmentConfig } from '../config/schema.js';
import type { ArmPort } from '../azure/arm-port.js';
import { writeAndWait } from '../azure/operations.js';
import { apiVersionOf, roleDefinitionOf } from '../azure/resource-types.js';
import type { Logger } from '../core/logger.js';
import { stableGuid } from '../core/resource-id.js';
import { environmentRegistries, IMPORTER_ROLE, type EnvironmentRegistry } from '../deploy/promote.js';

const REGISTRY_TYPE = 'Microsoft.ContainerRegistry/registries';
const ROLE_ASSIGNMENTS = 'Microsoft.Authorization/roleAssignments';

export interface PromotionPath {
  /** The build registry, when the config names one. */
  build?: EnvironmentRegistry;
  /** Role grants made, and the ones a person must make (`az` commands). */
  granted: string[];
  toGrant: string[];
}

/**
 * Creates the build registry when asked and grants the deploy identity (`principalId`, the identity
 * running provision) what import needs. Without a principal id, or for a registry provision did not
 * create, the grants are returned as commands to run.
 */
export async function ensurePromotionPath(
  arm: ArmPort,
  config: EnvironmentConfig,
  principalId: string | undefined,
  logger: Logger,
  pollMs?: number,
): Promise<PromotionPath> {
  const { production, build } = environmentRegistries(config, arm.subscriptionId);
  const result: PromotionPath = { ...(build ? { build } : {}), granted: [], toGrant: [] };
  if (!build) return result;
  const sleep =
    pollMs === undefined ? undefined : (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, Math.min(ms, pollMs)));
  const wait = sleep ? { sleep } : {};
  if (config.registry.build?.create) {
    await writeAndWait(
      arm,
      'PUT',
      `/subscriptions/${build.subscriptionId}/resourceGroups/${build.resourceGroup}`,
      '2024-03-01',
      { location: config.region, tags: { Purpose: 'container images built outside the environment network; no patient data' } },
      { doing: `Creating resource group ${build.resourceGroup} for the build registry`, ...wait },
    );
    await writeAndWait(
      arm,
      'PUT',
      build.id,
      apiVersionOf(REGISTRY_TYPE),
      {
        location: config.region,
        sku: { name: 'Standard' },
        properties: { adminUserEnabled: false, anonymousPullEnabled: false, publicNetworkAccess: 'Enabled' },
      },
      { doing: `Creating the build registry ${build.name}`, ...wait },
    );
    logger.info(`Build registry ${build.loginServer} in ${build.resourceGroup}: public, admin user and anonymous pull off, images only.`);
  }
  const grants: { registry: EnvironmentRegistry; role: string }[] = [
    { registry: production, role: IMPORTER_ROLE },
    { registry: build, role: IMPORTER_ROLE },
    { registry: build, role: 'AcrPush' },
  ];
  for (const { registry, role } of grants) {
    const ours = registry === production || config.registry.build?.create === true;
    const command = `az role assignment create --role "${role}" --assignee-object-id ${principalId ?? '<the deploy identity’s object id>'} --assignee-principal-type ServicePrincipal --scope ${registry.id}`;
    if (!ours || !principalId) {
      result.toGrant.push(command);
      continue;
    }
    const definition = roleDefinitionOf(REGISTRY_TYPE, role);
    const assignment = `${registry.id}/providers/${ROLE_ASSIGNMENTS}/${stableGuid(registry.id.toLowerCase(), definition, principalId)}`;
    try {
      await writeAndWait(
        arm,
        'PUT',
        assignment,
        apiVersionOf(ROLE_ASSIGNMENTS),
        {
          properties: {
            roleDefinitionId: `/subscriptions/${registry.subscriptionId}/providers/Microsoft.Authorization/roleDefinitions/${definition}`,
            principalId,
            principalType: 'ServicePrincipal',
          },
        },
        { doing: `Granting the deploy identity '${role}' on ${registry.name}`, ...wait },
      );
      result.granted.push(`${role} on ${registry.name}`);
    } catch (error) {
      // Already granted under another assignment name is what we want; anything else is reported with its command.
      if (/RoleAssignmentExists/.test(String(error))) continue;
      logger.warning(
        `Could not grant '${role}' on ${registry.name} (${String((error as Error).message).split('\n')[0]}); grant it: ${command}`,
      );
      result.toGrant.push(command);
    }
  }
  if (result.toGrant.length > 0)
    logger.warning(
      `Images are promoted from ${build.loginServer} by digest; the deploy identity needs these grants, which provision did not make:\n${result.toGrant.map((command) => `  ${command}`).join('\n')}`,
    );
  return result;
}
