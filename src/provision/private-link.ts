import { apiVersionOf } from '../azure/resource-types.js';
import { armError, type ArmPort } from '../azure/arm-port.js';
import type { Logger } from '../core/logger.js';

/**
 * Front Door reaches the Container Apps environment through a private endpoint of its own, which
 * arrives at the environment as a pending connection: nothing passes until the environment's owner
 * approves it ("Integrate Azure Front Door with Azure Container Apps using Private Link"). Provision
 * approves the pending connections Front Door asked for (those whose request message names the
 * edge's profile) and waits until Azure reports them approved. Idempotent: an approved connection
 * is left as it is; a rejected or disconnected one is named, never re-approved behind the owner's back.
 */

interface Connection {
  id: string;
  name: string;
  properties?: {
    provisioningState?: string;
    privateLinkServiceConnectionState?: { status?: string; description?: string; actionsRequired?: string };
  };
}

export interface ApprovalRequest {
  environmentId: string;
  /** The edge's profile name: Front Door's request message names it (see src/template/edge.ts). */
  profileName: string;
  pollIntervalMs?: number;
  /** How long to wait for Azure to finish an approval. */
  timeoutMs?: number;
}

export interface ApprovalResult {
  approved: string[];
  alreadyApproved: string[];
}

const CONNECTIONS_TYPE = 'Microsoft.App/managedEnvironments';

export async function approveEdgeConnections(arm: ArmPort, request: ApprovalRequest, logger: Logger): Promise<ApprovalResult> {
  const apiVersion = apiVersionOf(CONNECTIONS_TYPE);
  const fromEdge = (connection: Connection) =>
    (connection.properties?.privateLinkServiceConnectionState?.description ?? '').includes(`Azure Front Door ${request.profileName} `);
  const ours = (await listConnections(arm, request.environmentId, apiVersion)).filter(fromEdge);
  if (ours.length === 0)
    throw new Error(
      `Front Door ${request.profileName} asked for no private endpoint connection to ${request.environmentId}: the origin's shared private link did not reach the environment; check the origin's sharedPrivateLinkResource and deploy again`,
    );
  const result: ApprovalResult = { approved: [], alreadyApproved: [] };
  for (const connection of ours) {
    const status = connection.properties?.privateLinkServiceConnectionState?.status ?? '';
    if (/^approved$/i.test(status)) {
      result.alreadyApproved.push(connection.name);
      continue;
    }
    if (!/^pending$/i.test(status))
      throw new Error(
        `Front Door's private endpoint connection ${connection.name} to the environment is ${status || 'in no known state'}; someone ${status ? 'changed it' : 'must look at it'}. Delete it (Front Door asks again on the next deployment) or approve it yourself.`,
      );
    const put = await arm.send('PUT', connection.id, apiVersion, {
      // The request's own description stays: it is how the next run knows the connection is Front Door's.
      properties: {
        privateLinkServiceConnectionState: {
          status: 'Approved',
          description: connection.properties?.privateLinkServiceConnectionState?.description ?? '',
          actionsRequired: 'None',
        },
      },
    });
    if (put.status >= 300) throw armError({ details: put.body }, `Approving private endpoint connection ${connection.name}`);
    await untilApproved(arm, connection, apiVersion, request);
    result.approved.push(connection.name);
  }
  logger.info(
    `Front Door ${request.profileName} reaches the environment through Private Link: ${[
      ...result.approved.map((name) => `${name} approved now`),
      ...result.alreadyApproved.map((name) => `${name} approved before`),
    ].join(', ')}.`,
  );
  return result;
}

async function listConnections(arm: ArmPort, environmentId: string, apiVersion: string): Promise<Connection[]> {
  const { status, body } = await arm.get(`${environmentId}/privateEndpointConnections`, apiVersion);
  if (status !== 200) throw armError({ details: body }, `Listing the private endpoint connections of ${environmentId}`);
  return (body as { value?: Connection[] }).value ?? [];
}

async function untilApproved(arm: ArmPort, connection: Connection, apiVersion: string, request: ApprovalRequest): Promise<void> {
  const deadline = Date.now() + (request.timeoutMs ?? 10 * 60_000);
  for (;;) {
    const { status, body } = await arm.get(connection.id, apiVersion);
    const properties = (body as Connection | undefined)?.properties;
    const state = properties?.privateLinkServiceConnectionState?.status ?? '';
    if (status === 200 && /^approved$/i.test(state) && /^succeeded$/i.test(properties?.provisioningState ?? '')) return;
    if (status === 200 && /^failed$/i.test(properties?.provisioningState ?? ''))
      throw new Error(
        `Approving private endpoint connection ${connection.name} failed in Azure; approve it in the portal and run provision again`,
      );
    if (Date.now() > deadline)
      throw new Error(
        `Private endpoint connection ${connection.name} was not approved within the wait (state ${state || 'unknown'}); run provision again`,
      );
    await new Promise((resolve) => setTimeout(resolve, request.pollIntervalMs ?? 5_000));
  }
}
