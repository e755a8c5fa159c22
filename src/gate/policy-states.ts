import { describeArmFailure, armFailureOf, type ArmPort } from '../azure/arm-port.js';
import { controlById } from '../compliance/catalog.js';
import type { Finding } from '../compliance/model.js';

/**
 * Azure Policy's own verdicts on the resource group, read live from Policy Insights
 * (PolicyStates_ListQueryResultsForResourceGroup, `complianceState eq 'NonCompliant'`) and
 * reported beside the gate's findings as `policy.azure`. A policy that means the same as one of
 * our controls names it and blocks as that control does (`required`); any other is `advisory`:
 * the HITRUST/HIPAA initiative also audits things this environment does not run (virtual machines,
 * say), which Azure reports as non-compliant or not applicable, and those are for the team to read,
 * not to stop a deploy.
 */

export const POLICY_AZURE = 'policy.azure';
const API_VERSION = '2024-10-01';

/**
 * Built-in policy definitions (their `name`, a GUID) that judge what one of our controls judges,
 * from the definitions in reference/azure-policy (Microsoft's built-in policy JSON).
 */
export const POLICY_CONTROLS: Readonly<Record<string, string>> = {
  '0b60c0b2-2dc2-4e1c-b5c9-abbed971de53': 'keyvault.purge-protection',
  '1e66c121-a66a-4b1f-9b83-0fd99bf0fc2d': 'keyvault.soft-delete',
  '12d4fa5e-1f9f-4c21-97a9-b99b3c6611b5': 'keyvault.rbac',
  '405c5871-3e91-4644-8a63-58e19d68ff5b': 'keyvault.public-network',
  'cf820ca0-f99e-4f3e-84fb-66e913812d21': 'diagnostics.audit-logs',
  '5450f5bd-9c72-4390-a9c4-a7aba4edfdd2': 'cosmos.local-auth-disabled',
  '9d83ccb1-f313-46ce-9d39-a198bfdb51a0': 'cosmos.metadata-write-locked',
  '797b37f7-06b8-444c-b1ad-fc62867f335a': 'cosmos.public-network',
  'a6fb4358-5bf4-4ad7-ba82-2cd2f41ce5e9': 'sql.auditing',
  'abda6d70-9778-44e7-84a8-06713e6db027': 'sql.entra-only-auth',
  'abfb4388-5bf4-4ad7-ba82-2cd2f41ceae9': 'sql.threat-protection',
  '32e6bbec-16b6-44c2-be37-c5b672d103cf': 'sql.tls',
  '1b8ca024-1d5c-4dec-8995-b1a932b41780': 'sql.public-network',
  '4fa4b6c0-31ca-4c0d-b10d-24b96f62a751': 'storage.no-public-blob',
  'fe83a0eb-a853-422d-aac2-1bffd182c5d0': 'storage.min-tls',
  '404c3081-a854-4457-ae30-26a93ef643f9': 'storage.https-only',
  '22bee202-a82f-4305-9a2a-6d7f44d4dedb': 'redis.tls-only',
  '3827af20-8f80-4b15-8300-6db0873ec901': 'redis.entra-auth',
  '470baccb-7e51-4549-8b1a-3e5be069f663': 'redis.public-network',
  '0e80e269-43a4-4ae9-b5bc-178126b8a5cb': 'containerapp.https-only',
  'b874ab2d-72dd-47f1-8cb5-4a306478a4e7': 'containerapp.managed-identity',
  'dc921057-6b28-4fbe-9b83-f7bec05db6c2': 'registry.admin-disabled',
  '9f2dea28-e834-476c-99c5-3507b4728395': 'registry.anonymous-pull-disabled',
};

interface PolicyState {
  resourceId?: string;
  resourceType?: string;
  policyAssignmentName?: string | null;
  policyDefinitionName?: string | null;
  policyDefinitionReferenceId?: string | null;
  policySetDefinitionName?: string | null;
  policyDefinitionAction?: string | null;
}

/** The group's non-compliant policy states as findings; one `unknown` finding when they cannot be read (fail closed). */
export async function readPolicyFindings(arm: ArmPort, resourceGroup: string): Promise<Finding[]> {
  const path = `/subscriptions/${arm.subscriptionId}/resourceGroups/${resourceGroup}/providers/Microsoft.PolicyInsights/policyStates/latest/queryResults`;
  const states: PolicyState[] = [];
  let next: string | undefined = `${path}?api-version=${API_VERSION}&$filter=${encodeURIComponent("complianceState eq 'NonCompliant'")}`;
  try {
    // A query answers a page at a time; @odata.nextLink is the whole address of the next one.
    while (next) {
      const { status, body } = await arm.send('POST', next);
      if (status >= 300) return [unreadable(resourceGroup, describe(body, status))];
      const page = body as { value?: PolicyState[]; '@odata.nextLink'?: string | null };
      states.push(...(page.value ?? []));
      next = page['@odata.nextLink'] ?? undefined;
    }
  } catch (error) {
    return [unreadable(resourceGroup, error instanceof Error ? error.message : String(error))];
  }
  return states.map(findingOf);
}

function findingOf(state: PolicyState): Finding {
  const definition = state.policyDefinitionName ?? 'an unnamed policy';
  const mapped = POLICY_CONTROLS[definition.toLowerCase()];
  const control = mapped ? controlById(mapped) : undefined;
  const resourceId = state.resourceId ?? '';
  const where = [
    state.policyAssignmentName ? `assignment ${state.policyAssignmentName}` : undefined,
    state.policySetDefinitionName ? `initiative ${state.policySetDefinitionName}` : undefined,
    state.policyDefinitionReferenceId ? `reference ${state.policyDefinitionReferenceId}` : undefined,
  ].filter(Boolean);
  return {
    control: POLICY_AZURE,
    status: 'fail',
    severity: control ? 'required' : 'advisory',
    hipaa: control ? [...control.hipaa] : ['164.308(a)(1)(ii)(D)'],
    resource: {
      type: (state.resourceType ?? '').replace(/^\//, ''),
      name: resourceId.split('/').at(-1) ?? '',
      id: resourceId,
    },
    message: `Azure Policy finds it non-compliant with policy ${definition}${where.length > 0 ? ` (${where.join(', ')})` : ''}${
      control ? `; the gate's control ${control.id} judges the same` : ''
    }`,
    remediation: control
      ? control.remediation
      : 'Read the policy in the Azure portal (Policy > Compliance) and fix the resource, or exempt it there with the reason.',
  };
}

function unreadable(resourceGroup: string, problem: string): Finding {
  return {
    control: POLICY_AZURE,
    status: 'unknown',
    severity: 'required',
    hipaa: ['164.308(a)(1)(ii)(D)'],
    resource: { type: 'environment', name: resourceGroup, id: '' },
    message: `Azure Policy's compliance states of ${resourceGroup} could not be read: ${problem}`,
    remediation: 'Give the identity Reader (Microsoft.PolicyInsights/policyStates/queryResults/read) on the resource group.',
  };
}

function describe(body: unknown, status: number): string {
  const failure = armFailureOf({ details: body });
  return failure ? describeArmFailure(failure) : `HTTP ${status}`;
}
