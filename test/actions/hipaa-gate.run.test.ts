/** hipaa-gate's run() in-process with a recorded IO and a fake ARM port: every failure branch, fast. */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { run } from '../../actions/hipaa-gate/src/run.js';
import { isBlocking } from '../../src/compliance/evaluate.js';
import { DEFAULT_GATE_POLICY, type GateReport } from '../../src/compliance/model.js';
import { loadConfig } from '../../src/config/load.js';
import { renderDefenderTemplate } from '../../src/template/operations.js';
import { renderTemplate } from '../../src/template/render.js';
import { recordedIO } from '../helpers/action-io.js';
import { seen } from '../helpers/markdown.js';
import { repoRoot } from '../helpers/run-action.js';
import { fakeArm } from '../helpers/fake-arm.js';
import type { ArmPort } from '../../src/azure/arm-port.js';

let temp: string;
beforeAll(async () => void (temp = await mkdtemp(join(tmpdir(), 'gate-run-'))));
afterAll(async () => rm(temp, { recursive: true, force: true }));

const io = (inputs: Record<string, string>, env: NodeJS.ProcessEnv = {}) => recordedIO('hipaa-gate', inputs, { RUNNER_TEMP: temp, ...env });

/** ARM as an identity without Reader meets it. */
const forbiddenArm = (subscriptionId: string): ArmPort =>
  fakeArm(subscriptionId, {
    listResources: async () => {
      throw {
        details: {
          error: {
            code: 'AuthorizationFailed',
            message: `The client 'ci' does not have authorization to perform action 'Microsoft.Resources/subscriptions/resourceGroups/resources/read' over scope '/subscriptions/${subscriptionId}/resourceGroups/seniorly-prod-rg' or the scope is invalid.`,
          },
        },
      };
    },
  });

describe('hipaa-gate run()', () => {
  it.each([
    ['report-path', '../../escaped-report.json'],
    ['sarif-path', '/etc/hipaa-gate.sarif'],
  ])('refuses %s outside the workspace and RUNNER_TEMP before judging anything', async (input, path) => {
    const recorded = io({ config: 'examples/azure-hipaa.yml', [input]: path });
    await run(recorded);
    expect(recorded.failed).toMatch(new RegExp(`^Input "${input}": ${path.replace(/[./]/g, '\\$&')} is outside`));
    expect(recorded.summaries).toHaveLength(0);
    expect(existsSync(resolve(repoRoot, path))).toBe(false);
  });

  it('passes on the example config and sets every output', async () => {
    const recorded = io({ config: 'examples/azure-hipaa.yml' });
    await run(recorded);
    expect(recorded.failed).toBeUndefined();
    expect(recorded.outputs).toMatchObject({ verdict: 'pass', 'failed-count': '0', 'report-path': join(temp, 'hipaa-gate-report.json') });
    expect(recorded.summaries).toHaveLength(1);
  });

  it('fails the step when the built-in defaults lack BAA evidence, and reports without failing under fail-on: never', async () => {
    const failing = io({ config: '' }, { GITHUB_WORKSPACE: temp });
    await run(failing);
    expect(failing.outputs['verdict']).toBe('fail');
    // The evidence only the user can give: the BAA, and Azure OpenAI's abuse-monitoring approval or waiver.
    expect(failing.failed).toMatch(/HIPAA gate: 2 blocking finding/);
    expect(failing.lines.some((line) => line.startsWith('error: baa.evidence'))).toBe(true);
    expect(failing.lines.some((line) => line.startsWith('error: openai.abuse-monitoring'))).toBe(true);
    const reporting = io({ config: '', 'fail-on': 'never' }, { GITHUB_WORKSPACE: temp });
    await run(reporting);
    expect(reporting.outputs['verdict']).toBe('fail');
    expect(reporting.failed).toBeUndefined();
    // Nothing is blocked, so nothing is called blocking: not in the summary, the annotations or the log.
    expect(seen(reporting.summaries[0] ?? '')).not.toMatch(/blocking/i);
    expect(reporting.lines.join('\n')).not.toMatch(/blocking/i);
    expect(reporting.annotations.filter((a) => a.level === 'error')).toEqual([]);
  });

  it('annotates each failing control once, within the 10 errors GitHub shows a step, the last naming the rest', async () => {
    const untagged = { properties: {} };
    const template = {
      $schema: 'https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#',
      contentVersion: '1.0.0.0',
      resources: [
        {
          type: 'Microsoft.KeyVault/vaults',
          apiVersion: '2026-02-01',
          name: 'kv',
          location: 'eastus2',
          properties: {
            tenantId: 't',
            sku: { family: 'A', name: 'standard' },
            enablePurgeProtection: false,
            enableRbacAuthorization: false,
            softDeleteRetentionInDays: 7,
          },
        },
        {
          type: 'Microsoft.Storage/storageAccounts',
          apiVersion: '2025-06-01',
          name: 'st',
          location: 'eastus2',
          kind: 'StorageV2',
          sku: { name: 'Standard_LRS' },
          properties: { supportsHttpsTrafficOnly: false, minimumTlsVersion: 'TLS1_0', allowBlobPublicAccess: true },
        },
        {
          type: 'Microsoft.Sql/servers',
          apiVersion: '2023-08-01',
          name: 'sql',
          location: 'eastus2',
          properties: { minimalTlsVersion: '1.0' },
        },
        ...Array.from({ length: 20 }, (_, i) => ({
          type: 'Microsoft.ManagedIdentity/userAssignedIdentities',
          apiVersion: '2023-01-31',
          name: `id-${i}`,
          location: 'eastus2',
          ...untagged,
        })),
      ],
    };
    const templatePath = join(temp, 'many-controls.json');
    await writeFile(templatePath, JSON.stringify(template, null, 2));
    const reportPath = join(temp, 'many-controls-report.json');
    const recorded = io({ template: templatePath, 'report-path': reportPath }, { GITHUB_WORKSPACE: temp });
    await run(recorded);
    const report = JSON.parse(await readFile(reportPath, 'utf8')) as GateReport;
    const blocking = report.findings.filter((finding) => isBlocking(finding, DEFAULT_GATE_POLICY));
    const controls = [...new Set(blocking.map((finding) => finding.control))];
    expect(controls.length).toBeGreaterThan(10);
    expect(recorded.failed).toMatch(new RegExp(`HIPAA gate: ${blocking.length} blocking finding`));
    // The step's failure is one more error annotation.
    const errors = recorded.lines.filter((line) => line.startsWith('error: '));
    expect(errors.length + 1).toBeLessThanOrEqual(10);
    for (const control of controls)
      expect(
        errors.some((error) => error.includes(control)),
        control,
      ).toBe(true);
    expect(errors.at(-1)).toMatch(/Each with its fix in the job summary/);
    // Each blocker once in the log: its fix is in its annotation, nowhere else.
    const log = recorded.lines.join('\n');
    for (const finding of blocking) expect(log.split(finding.remediation ?? '').length - 1, finding.control).toBeLessThanOrEqual(1);
    // Twenty-odd untagged resources are one annotation.
    expect(errors.filter((error) => error.includes('tags.required'))).toHaveLength(1);
  });

  it('points each annotation at the config key to change, workspace-relative, and leaves out a file outside the workspace', async () => {
    const workspace = await mkdtemp(join(temp, 'workspace-'));
    const example = await readFile(join(repoRoot, 'examples/azure-hipaa.yml'), 'utf8');
    const config = example
      .replace('softDeleteRetentionInDays: 90', 'softDeleteRetentionInDays: 30')
      .replace('  Compliance: HIPAA\n', '')
      .replace('  file: compliance/azure-baa-sample.txt', '  file: compliance/missing.pdf');
    await writeFile(join(workspace, 'azure-hipaa.yml'), config);
    const lineOf = (text: string) => config.split('\n').findIndex((line) => line.startsWith(text)) + 1;
    const recorded = io({ config: join(workspace, 'azure-hipaa.yml') }, { GITHUB_WORKSPACE: workspace });
    await run(recorded);
    const at = (control: string) =>
      recorded.annotations.find((a) => a.level === 'error' && a.message.startsWith(`${control} on`))?.location;
    expect(at('keyvault.soft-delete')).toMatchObject({ file: 'azure-hipaa.yml', line: lineOf('  softDeleteRetentionInDays: 30') });
    expect(at('tags.required')).toMatchObject({ file: 'azure-hipaa.yml', line: lineOf('tags:') });
    expect(at('baa.evidence')).toMatchObject({ file: 'azure-hipaa.yml', line: lineOf('baa:') });

    const elsewhere = await mkdtemp(join(temp, 'other-'));
    const outside = io({ config: join(workspace, 'azure-hipaa.yml') }, { GITHUB_WORKSPACE: elsewhere });
    await run(outside);
    const errors = outside.annotations.filter((a) => a.level === 'error');
    expect(errors.length).toBeGreaterThan(0);
    for (const error of errors) expect(error.location?.file).toBeUndefined();
  });

  it('judges a template with the config beside it, whose BAA evidence lets it pass', async () => {
    const loaded = await loadConfig('examples/azure-hipaa.yml', { cwd: repoRoot });
    const templatePath = join(temp, 'main.json');
    const template = renderTemplate(loaded.config);
    // Defender's plans are the subscription's (provision deploys them apart): one template holds them as a nested deployment.
    const defender = {
      type: 'Microsoft.Resources/deployments',
      apiVersion: '2025-04-01',
      name: 'defender-plans',
      subscriptionId: '[subscription().subscriptionId]',
      location: "[parameters('location')]",
      properties: { mode: 'Incremental', template: renderDefenderTemplate(loaded.config.operations) },
    };
    await writeFile(templatePath, JSON.stringify({ ...template, resources: [...template.resources, defender] }, null, 2));
    const recorded = io({ template: templatePath, config: 'examples/azure-hipaa.yml' });
    await run(recorded);
    expect(recorded.failed).toBeUndefined();
    expect(recorded.outputs['verdict']).toBe('pass');
    const alone = io({ template: templatePath });
    await run(alone);
    expect(alone.failed).toMatch(/HIPAA gate: 2 blocking finding/);
  });

  it('judges a template where the resource-group, subscription-id and location inputs say it deploys, and unknown without them', async () => {
    const templatePath = join(temp, 'targeted.json');
    await writeFile(
      templatePath,
      JSON.stringify({
        $schema: 'https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#',
        contentVersion: '1.0.0.0',
        resources: [
          {
            type: 'Microsoft.KeyVault/vaults',
            apiVersion: '2026-02-01',
            name: 'kv',
            location: '[resourceGroup().location]',
            properties: {
              enablePurgeProtection: "[and(equals(resourceGroup().location, 'eastus2'), equals(resourceGroup().name, 'rg-prod'))]",
              publicNetworkAccess:
                "[if(equals(subscription().subscriptionId, '00000000-0000-0000-0000-00000000000b'), 'Disabled', 'Enabled')]",
            },
          },
        ],
      }),
    );
    const statusOf = async (inputs: Record<string, string>) => {
      const recorded = io({ template: templatePath, 'fail-on': 'never', ...inputs });
      await run(recorded);
      expect(recorded.failed).toBeUndefined();
      const report = JSON.parse(await readFile(recorded.outputs['report-path'] as string, 'utf8')) as {
        findings: { control: string; status: string }[];
      };
      return ['keyvault.purge-protection', 'keyvault.public-network'].map((id) => report.findings.find((f) => f.control === id)?.status);
    };
    expect(await statusOf({})).toEqual(['unknown', 'unknown']);
    expect(
      await statusOf({ 'resource-group': 'rg-prod', location: 'eastus2', 'subscription-id': '00000000-0000-0000-0000-00000000000b' }),
    ).toEqual(['pass', 'pass']);
    expect(
      await statusOf({ 'resource-group': 'rg-dev', location: 'eastus2', 'subscription-id': '00000000-0000-0000-0000-00000000000c' }),
    ).toEqual(['fail', 'fail']);
  });

  it.each([
    ['a fail-on it does not know', { 'fail-on': 'sometimes' }, /Input "fail-on" "sometimes" is not valid/],
    ['live mode without a subscription', { live: 'true' }, /No Azure subscription: set Input "subscription-id"/],
    [
      'a location in live mode',
      { live: 'true', 'subscription-id': '00000000-0000-0000-0000-00000000000a', location: 'eastus2' },
      /Input "location" is the target of a planned deployment/,
    ],
    ['parameters without a template', { parameters: 'p.json' }, /Input "parameters" was given without Input "template"/],
    ['a live value that is not a boolean', { live: 'yes' }, /Input "live" must be true or false, not "yes"/],
  ])('fails on %s, naming the input', async (_label, inputs, message) => {
    const recorded = io(inputs);
    await run(recorded);
    expect(recorded.failed).toMatch(message);
    expect(recorded.outputs).toEqual({});
  });

  it('fails with ARM’s words and the role to grant when live mode cannot read the resource group', async () => {
    const recorded = io({ live: 'true', 'subscription-id': '00000000-0000-0000-0000-00000000000a', config: 'examples/azure-hipaa.yml' });
    await run(recorded, { arm: forbiddenArm });
    expect(recorded.failed).toMatch(
      /Listing the resources of resource group seniorly-prod-rg failed\. Azure Resource Manager says:\n\s+AuthorizationFailed/,
    );
    expect(recorded.failed).toMatch(/Grant the workflow identity "Reader" on the resource group/);
  });
});
