/**
 * Operations against the sandbox: the example config provisions the alerts, the availability
 * test, the HITRUST/HIPAA assignment and the budget in the group, and Defender's plans in a
 * deployment of their own at subscription scope; an identity without a role on the subscription
 * gets the grant to ask for and everything else deployed; the live gate reports a seeded
 * non-compliant Azure Policy state beside its own findings, mapped to our control where it means
 * the same. All traffic goes to 127.0.0.1.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { run as runGateAction } from '../../actions/hipaa-gate/src/run.js';
import { startSandbox, type Sandbox } from '../../sandbox/index.js';
import { armPort } from '../../src/azure/arm.js';
import type { Logger } from '../../src/core/logger.js';
import { silentLogger } from '../../src/core/logger.js';
import { runGate } from '../../src/gate/gate.js';
import { provision } from '../../src/provision/provision.js';
import { recordedIO } from '../helpers/action-io.js';
import { repoRoot } from '../helpers/run-action.js';
import { adminRequest } from '../helpers/sandbox-admin.js';

let sandbox: Sandbox;
let env: NodeJS.ProcessEnv;
let subscriptionId: string;
const group = 'seniorly-prod-rg';

function recordingLogger(): Logger & { warnings: string[] } {
  const warnings: string[] = [];
  return { ...silentLogger, warnings, warning: (message: string) => void warnings.push(message), group: (_title, fn) => fn() };
}

const provisionExample = (logger: Logger = silentLogger) =>
  provision(
    { cwd: repoRoot, config: 'examples/azure-hipaa.yml', mode: 'deploy', gate: 'block', logger, pollIntervalMs: 20 },
    { arm: armPort(env, subscriptionId) },
  );

beforeAll(async () => {
  sandbox = await startSandbox({ latencyMs: 0, armTimeScale: 0.0005 });
  env = { ...process.env, ...sandbox.env };
  subscriptionId = sandbox.env['AZURE_SUBSCRIPTION_ID'] as string;
});
afterAll(async () => sandbox?.stop());

describe('provisioning operations', () => {
  it('refuses Defender without a role on the subscription, says what to grant, and deploys everything else', async () => {
    await adminRequest(sandbox, 'PATCH', '/arm', { subscriptionRoles: ['Reader'] });
    try {
      const logger = recordingLogger();
      const result = await provisionExample(logger);
      expect(result.status).toBe('deployed');
      expect(result.subscriptionScope?.status).toBe('not-authorized');
      const warning = logger.warnings.find((message) => /Defender/.test(message)) ?? '';
      expect(warning).toContain(`"Security Admin" on the subscription (scope /subscriptions/${subscriptionId})`);
      expect(warning).toContain('AuthorizationFailed');
      // Everything else is there: the action group, the alerts, the assignment.
      const { body } = await adminRequest(sandbox, 'GET', '/resources');
      const types = (body as { value: { type: string }[] }).value.map((resource) => resource.type);
      for (const type of [
        'Microsoft.Insights/actionGroups',
        'Microsoft.Insights/metricAlerts',
        'Microsoft.Insights/webtests',
        'Microsoft.Authorization/policyAssignments',
      ])
        expect(types).toContain(type);
      const pricings = await armPort(env, subscriptionId).get(
        `/subscriptions/${subscriptionId}/providers/Microsoft.Security/pricings/KeyVaults`,
        '2024-01-01',
      );
      expect((pricings.body as { properties: { pricingTier: string } }).properties.pricingTier).toBe('Free');
    } finally {
      await adminRequest(sandbox, 'PATCH', '/arm', { subscriptionRoles: null });
    }
  });

  it('turns the Defender plans on at subscription scope once the role is there', async () => {
    const result = await provisionExample();
    expect(result.subscriptionScope).toEqual({ status: 'deployed' });
    const arm = armPort(env, subscriptionId);
    const { body } = await arm.get(`/subscriptions/${subscriptionId}/providers/Microsoft.Security/pricings`, '2024-01-01');
    const tiers = Object.fromEntries(
      (body as { value: { name: string; properties: { pricingTier: string } }[] }).value.map((plan) => [
        plan.name,
        plan.properties.pricingTier,
      ]),
    );
    expect(tiers).toMatchObject({
      Containers: 'Standard',
      KeyVaults: 'Standard',
      SqlServers: 'Standard',
      StorageAccounts: 'Standard',
      CosmosDbs: 'Standard',
      Arm: 'Standard',
    });
    expect(tiers['VirtualMachines']).toBe('Free');
  });
});

describe('the live gate with Azure Policy', () => {
  const live = () => runGate({ cwd: repoRoot, config: 'examples/azure-hipaa.yml', live: { arm: armPort(env, subscriptionId) } });
  const vaultId = () =>
    `/subscriptions/${subscriptionId}/resourceGroups/${group}/providers/Microsoft.KeyVault/vaults/seniorly-prod-secrets`;
  const assignmentId = () =>
    `/subscriptions/${subscriptionId}/resourceGroups/${group}/providers/Microsoft.Authorization/policyAssignments/hipaa-hitrust`;

  it('passes the operations controls on what provision deployed, Defender and the assignment read live', async () => {
    const { report } = await live();
    for (const control of [
      'monitoring.action-group',
      'monitoring.alerts',
      'monitoring.availability-test',
      'defender.plans',
      'policy.hipaa-initiative',
    ])
      expect(report.findings.find((finding) => finding.control === control)?.status, control).toBe('pass');
    expect(report.findings.filter((finding) => finding.control === 'policy.azure')).toEqual([]);
    expect(report.verdict).toBe('pass');
  });

  it('reports a seeded non-compliant policy state beside its own findings, mapped to the control that means the same', async () => {
    await adminRequest(sandbox, 'POST', '/policy-states', [
      {
        resourceId: vaultId(),
        policyAssignmentId: assignmentId(),
        // Built-in "Key vaults should have deletion protection enabled" (reference/azure-policy: Key-Vault_Recoverable_Audit.json).
        policyDefinitionId: '/providers/Microsoft.Authorization/policyDefinitions/0b60c0b2-2dc2-4e1c-b5c9-abbed971de53',
        policySetDefinitionId: '/providers/Microsoft.Authorization/policySetDefinitions/a169a624-5599-4385-a696-c8d643089fab',
        complianceState: 'NonCompliant',
      },
      {
        resourceId: vaultId(),
        policyAssignmentId: assignmentId(),
        policyDefinitionId: '/providers/Microsoft.Authorization/policyDefinitions/00000000-0000-0000-0000-00000000beef',
        complianceState: 'NonCompliant',
      },
      {
        resourceId: vaultId(),
        policyAssignmentId: assignmentId(),
        policyDefinitionId: '/providers/Microsoft.Authorization/policyDefinitions/12d4fa5e-1f9f-4c21-97a9-b99b3c6611b5',
        complianceState: 'Compliant',
      },
    ]);
    try {
      const { report } = await live();
      const azure = report.findings.filter((finding) => finding.control === 'policy.azure');
      expect(azure.map((finding) => [finding.status, finding.severity, finding.resource.name])).toEqual([
        ['fail', 'required', 'seniorly-prod-secrets'],
        ['fail', 'advisory', 'seniorly-prod-secrets'],
      ]);
      expect(azure[0]?.message).toMatch(
        /non-compliant with policy 0b60c0b2-2dc2-4e1c-b5c9-abbed971de53 .*assignment hipaa-hitrust.*keyvault\.purge-protection/,
      );
      expect(azure[0]?.resource.type).toBe('Microsoft.KeyVault/vaults');
      // Beside the gate's own: its purge-protection finding is still there, passing.
      expect(report.findings.find((finding) => finding.control === 'keyvault.purge-protection')?.status).toBe('pass');
      expect(report.summary.fail).toBe(report.findings.filter((finding) => finding.status === 'fail').length);
      expect(report.verdict).toBe('fail');
    } finally {
      await adminRequest(sandbox, 'DELETE', '/policy-states');
    }
  });
});

describe('the nightly issue', () => {
  it('lists the gate’s own findings and Azure Policy’s non-compliant policies', async () => {
    // A stand-in for GitHub's issues API on 127.0.0.1 that keeps the bodies it is given.
    const bodies: string[] = [];
    const server = createServer((request, response) => {
      let raw = '';
      request.on('data', (chunk: Buffer) => (raw += chunk.toString()));
      request.on('end', () => {
        const answer = (status: number, value: unknown) =>
          void response.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(value));
        if (request.method === 'GET') return answer(200, []);
        const body = JSON.parse(raw) as { title: string; body: string };
        bodies.push(body.body);
        return answer(201, { number: 1, title: body.title, body: body.body, state: 'open', labels: [] });
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const temp = await mkdtemp(join(tmpdir(), 'gate-issue-policy-'));
    const vault = `/subscriptions/${subscriptionId}/resourceGroups/${group}/providers/Microsoft.KeyVault/vaults/seniorly-prod-secrets`;
    // The gate's own finding: the vault's purge protection switched off by hand. Azure Policy's: its deletion-protection policy.
    sandbox.server.arm.patchDirectly(vault, { enablePurgeProtection: false });
    await adminRequest(sandbox, 'POST', '/policy-states', [
      {
        resourceId: vault,
        policyAssignmentId: `/subscriptions/${subscriptionId}/resourceGroups/${group}/providers/Microsoft.Authorization/policyAssignments/hipaa-hitrust`,
        policyDefinitionId: '/providers/Microsoft.Authorization/policyDefinitions/0b60c0b2-2dc2-4e1c-b5c9-abbed971de53',
      },
    ]);
    try {
      const io = recordedIO(
        'hipaa-gate',
        { config: 'examples/azure-hipaa.yml', live: 'true', 'subscription-id': subscriptionId, issue: 'true', 'fail-on': 'never' },
        {
          RUNNER_TEMP: temp,
          GITHUB_API_URL: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
          GITHUB_REPOSITORY: 'example/voice-agent',
          GITHUB_RUN_ID: '7',
        },
      );
      await runGateAction(io, { arm: async () => armPort(env, subscriptionId) });
      expect(io.lines).toContain('Issue "HIPAA gate fails": opened issue #1.');
      const [body = ''] = bodies;
      expect(body).toMatch(/keyvault\.purge-protection/);
      expect(body).toContain("### Azure Policy's verdicts on the group");
      expect(body).toMatch(
        /\| seniorly-prod-secrets \| fail \| required \| Azure Policy finds it non-compliant with policy 0b60c0b2-2dc2-4e1c-b5c9-abbed971de53 .*keyvault\.purge-protection/,
      );
    } finally {
      sandbox.server.arm.patchDirectly(vault, { enablePurgeProtection: true });
      await adminRequest(sandbox, 'DELETE', '/policy-states');
      server.close();
      await rm(temp, { recursive: true, force: true });
    }
  });
});
