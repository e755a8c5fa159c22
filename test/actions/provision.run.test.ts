/** provision's run() in-process with a recorded IO and a fake ARM port: the gate, ARM's refusals and a failed deployment, fast. */
import { readFileSync } from 'node:fs';
import { copyFile, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DeploymentExtended, DeploymentOperation } from '@azure/arm-resources';
import type { Tokens } from 'marked';
import { parse } from 'yaml';
import { run } from '../../actions/provision/src/run.js';
import { loadConfig } from '../../src/config/load.js';
import { actionOutputName } from '../../src/provision/provision.js';
import { renderTemplate } from '../../src/template/render.js';
import { recordedIO } from '../helpers/action-io.js';
import { fakeArm } from '../helpers/fake-arm.js';
import { seen, visible } from '../helpers/markdown.js';
import { repoRoot } from '../helpers/run-action.js';
import type { ArmPort } from '../../src/azure/arm-port.js';

const SUBSCRIPTION = '00000000-0000-0000-0000-00000000000b';
let work: string;
beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'provision-run-'));
  await mkdir(join(work, 'compliance'));
  await copyFile(join(repoRoot, 'examples/compliance/azure-baa-sample.txt'), join(work, 'compliance/azure-baa-sample.txt'));
  const example = readFileSync(join(repoRoot, 'examples/azure-hipaa.yml'), 'utf8');
  await writeFile(join(work, 'azure-hipaa.yml'), example);
  await writeFile(
    join(work, 'short-logs.yml'),
    example.replace('auditTableTotalRetentionInDays: 2190', 'auditTableTotalRetentionInDays: 365'),
  );
});
afterAll(async () => rm(work, { recursive: true, force: true }));

const io = (inputs: Record<string, string>, env: NodeJS.ProcessEnv = { AZURE_SUBSCRIPTION_ID: SUBSCRIPTION }) =>
  recordedIO('provision', inputs, { GITHUB_WORKSPACE: work, RUNNER_TEMP: work, ...env });

/** ARM for an existing, empty resource group that accepts everything; `overrides` make one call fail or answer differently. */
function armWith(overrides: Partial<ArmPort> = {}): ArmPort & { calls: string[] } {
  const calls: string[] = [];
  const record =
    <T>(name: string, answer: () => T) =>
    async () => {
      calls.push(name);
      return answer();
    };
  const arm = fakeArm(SUBSCRIPTION, {
    get: record('get', () => ({ status: 404, body: { error: { code: 'ResourceNotFound', message: 'not found' } } })),
    getResourceGroup: record('getResourceGroup', () => ({ location: 'eastus2', tags: { Compliance: 'HIPAA', Environment: 'Production' } })),
    putResourceGroup: record('putResourceGroup', () => undefined),
    whatIf: record('whatIf', () => JSON.stringify({ status: 'Succeeded', properties: { changes: [] } })),
    validate: record('validate', () => undefined),
    startDeployment: record('startDeployment', () => 1),
    getDeployment: record('getDeployment', () => ({
      deployment: { properties: { provisioningState: 'Succeeded', outputs: {} } } as DeploymentExtended,
    })),
    listDeploymentOperations: record('listDeploymentOperations', () => [] as DeploymentOperation[]),
    ...overrides,
  });
  return { ...arm, calls };
}

const armFailure = (code: string, message: string) => ({ details: { error: { code, message } } });

describe('provision run()', () => {
  it('refuses to deploy what the gate rejects: no ARM write, the step fails, the summary says why', async () => {
    const arm = armWith();
    const recorded = io({ config: 'short-logs.yml', mode: 'deploy' });
    await run(recorded, { arm: () => arm });
    expect(recorded.failed).toMatch(/Not deployed: the HIPAA gate rejects this environment/);
    expect(recorded.outputs['changes']).toBe('0');
    expect(recorded.summaries[0]).toMatch(/## Not deployed: blocked by the HIPAA gate/);
    expect(arm.calls.filter((call) => ['putResourceGroup', 'validate', 'startDeployment', 'whatIf'].includes(call))).toEqual([]);
  });

  it('annotates what the gate blocks once per control and fix, within the 10 errors GitHub shows a step', async () => {
    await writeFile(join(work, 'untagged.yml'), readFileSync(join(work, 'azure-hipaa.yml'), 'utf8').replace('  Compliance: HIPAA\n', ''));
    const recorded = io({ config: 'untagged.yml', mode: 'what-if' });
    await run(recorded, { arm: () => armWith() });
    const errors = recorded.lines.filter((line) => line.startsWith('error: '));
    // The step's failure is the one more error.
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatch(/^error: tags\.required on \d{2} resources \(/);
    expect(recorded.failed).toBeDefined();
  });

  it('says a blocked preview is a preview, with the gate in one line that links to its whole report', async () => {
    const recorded = io(
      { config: 'short-logs.yml', mode: 'what-if' },
      {
        AZURE_SUBSCRIPTION_ID: SUBSCRIPTION,
        GITHUB_SERVER_URL: 'https://github.com',
        GITHUB_REPOSITORY: 'seniorly/voice-agent',
        GITHUB_RUN_ID: '42',
      },
    );
    await run(recorded, { arm: () => armWith() });
    expect(recorded.failed).toMatch(/^Preview only: the HIPAA gate rejects this environment/);
    const summary = recorded.summaries[0] ?? '';
    expect(seen(summary)).not.toMatch(/Not deployed/);
    const [heading, verdict, ...rest] = visible(summary);
    expect(seen((heading as Tokens.Heading).text)).toBe('Preview only: blocked by the HIPAA gate: seniorly-prod-rg');
    expect(verdict?.type).toBe('paragraph');
    expect(seen(verdict?.raw ?? '')).toMatch(
      /^❌ HIPAA gate: fail on the config, 1 blocking finding: logs\.retention \(1\)\. The whole report: /,
    );
    expect(verdict?.raw).toContain('(https://github.com/seniorly/voice-agent/actions/runs/42)');
    // Not the whole report again: no sections, no diagram.
    expect(rest).toEqual([]);
  });

  it('uses the built-in defaults when every input is at its default and the repository has no azure-hipaa.yml', async () => {
    const empty = await mkdtemp(join(tmpdir(), 'provision-empty-'));
    try {
      const recorded = recordedIO('provision', {}, { GITHUB_WORKSPACE: empty, RUNNER_TEMP: empty, AZURE_SUBSCRIPTION_ID: SUBSCRIPTION });
      await run(recorded, { arm: () => armWith() });
      // The defaults are compliant but for the BAA evidence only the user can give; the default mode only previews.
      expect(recorded.failed).toMatch(/^Preview only: the HIPAA gate rejects this environment/);
      expect(recorded.summaries[0]).toContain('baa.evidence');
    } finally {
      await rm(empty, { recursive: true, force: true });
    }
  });

  it('previews without deploying in what-if mode', async () => {
    const arm = armWith();
    const recorded = io({ mode: 'what-if' });
    await run(recorded, { arm: () => arm });
    expect(recorded.failed).toBeUndefined();
    expect(recorded.outputs['changes']).toBe('0');
    expect(arm.calls).toContain('whatIf');
    expect(arm.calls).not.toContain('startDeployment');
  });

  it('names the role to grant when validation is refused for role assignments', async () => {
    const arm = armWith({
      validate: async () => {
        throw armFailure(
          'AuthorizationFailed',
          "The client 'ci' does not have permission to perform action 'Microsoft.Authorization/roleAssignments/write' at scope '/x'.",
        );
      },
    });
    const recorded = io({ mode: 'deploy' });
    await run(recorded, { arm: () => arm });
    expect(recorded.failed).toMatch(/Validating deployment azure-hipaa-\d{8}T\d{6} failed/);
    expect(recorded.failed).toMatch(/Role Based Access Control Administrator/);
    expect(arm.calls).not.toContain('startDeployment');
  });

  it('reports each failing resource with its config key and what to change when the deployment fails', async () => {
    const appId = `/subscriptions/${SUBSCRIPTION}/resourceGroups/seniorly-prod-rg/providers/Microsoft.App/containerApps/voice-agent`;
    const arm = armWith({
      getDeployment: async () => ({ deployment: { properties: { provisioningState: 'Failed' } } as DeploymentExtended }),
      listDeploymentOperations: async () => [
        {
          properties: {
            provisioningState: 'Failed',
            provisioningOperation: 'Create',
            targetResource: { id: appId, resourceType: 'Microsoft.App/containerApps', resourceName: 'voice-agent' },
            statusMessage: { error: { code: 'ContainerAppOperationError', message: 'Failed to provision revision: probe failed' } },
          },
        } as DeploymentOperation,
      ],
    });
    const recorded = io({ mode: 'deploy' });
    await run(recorded, { arm: () => arm });
    expect(recorded.failed).toMatch(/1 resource\(s\) failed/);
    expect(recorded.failed).toMatch(/Microsoft\.App\/containerApps voice-agent \[config containerApp \(azure-hipaa\.yml:\d+\)\]/);
    expect(recorded.failed).toMatch(/check containerApp\.image, containerApp\.targetPort and containerApp\.healthPath/);
  });

  it.each([
    ['no subscription anywhere', { mode: 'deploy' }, {}, /No Azure subscription: set Input "subscription-id"/],
    ['a mode it does not know', { mode: 'apply' }, undefined, /Input "mode" must be one of what-if, deploy; got "apply"/],
    ['a gate it does not know', { gate: 'off' }, undefined, /Input "gate" must be one of block, warn; got "off"/],
    [
      'a what-if path outside the workspace and RUNNER_TEMP',
      { 'what-if-path': '../elsewhere/what-if.json' },
      undefined,
      /Input "what-if-path": \.\.\/elsewhere\/what-if\.json is outside .*; write it inside one of them/,
    ],
  ])('fails on %s, naming the input', async (_label, inputs, env, message) => {
    const arm = armWith();
    const recorded = env ? io(inputs, env) : io(inputs);
    await run(recorded, { arm: () => arm });
    expect(recorded.failed).toMatch(message);
    expect(arm.calls).toEqual([]);
  });

  it('declares in action.yml every output the example environment deploys, so a workflow can read each one', async () => {
    const loaded = await loadConfig('examples/azure-hipaa.yml', { cwd: repoRoot });
    const templateOutputs = Object.keys(renderTemplate(loaded.config).outputs ?? {}).map(actionOutputName);
    const metadata = parse(readFileSync(join(repoRoot, 'actions/provision/action.yml'), 'utf8')) as { outputs: Record<string, unknown> };
    expect(templateOutputs).toContain('openai-endpoint');
    expect(templateOutputs.filter((name) => !(name in metadata.outputs))).toEqual([]);
  });
});
