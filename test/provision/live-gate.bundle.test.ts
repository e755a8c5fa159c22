/**
 * The gate in live mode against resources provision deployed into the sandbox: it passes, a
 * manual change made outside ARM fails the control it breaks with the drift shown, and what the
 * gate cannot read is unknown and blocks.
 */
import { copyFile, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSandbox, type Sandbox } from '../../sandbox/index.js';
import { armPort } from '../../src/azure/arm.js';
import { runGate } from '../../src/gate/gate.js';
import { renderReport } from '../../src/compliance/report/index.js';
import { runCli } from '../../src/cli/run.js';
import { silentLogger } from '../../src/core/logger.js';
import { provision } from '../../src/provision/provision.js';
import { actionRuntimes, repoRoot, runAction } from '../helpers/run-action.js';
import { adminRequest } from '../helpers/sandbox-admin.js';

let sandbox: Sandbox;
let env: NodeJS.ProcessEnv;
let subscriptionId: string;
const group = 'seniorly-prod-rg';
const idOf = (path: string) => `/subscriptions/${subscriptionId}/resourceGroups/${group}/providers/${path}`;

beforeAll(async () => {
  sandbox = await startSandbox({ latencyMs: 0, armTimeScale: 0.0005 });
  env = { ...process.env, ...sandbox.env };
  subscriptionId = sandbox.env['AZURE_SUBSCRIPTION_ID'] as string;
  await provision(
    { cwd: repoRoot, config: 'examples/azure-hipaa.yml', mode: 'deploy', gate: 'block', logger: silentLogger, pollIntervalMs: 20 },
    { arm: armPort(env, subscriptionId) },
  );
});
afterAll(async () => sandbox?.stop());

const live = () => runGate({ cwd: repoRoot, config: 'examples/azure-hipaa.yml', live: { arm: armPort(env, subscriptionId) } });

describe('the live gate', () => {
  it('passes on what provision deployed, judging every resource and the children the controls need', async () => {
    const { report } = await live();
    expect(report.input).toEqual({ kind: 'live', source: `subscriptions/${subscriptionId}/resourceGroups/${group}` });
    expect(
      report.findings
        .filter((f) => f.status === 'fail' || f.status === 'unknown')
        .map((f) => `${f.control} ${f.resource.name}: ${f.message}`),
    ).toEqual([]);
    expect(report.verdict).toBe('pass');
    const judged = new Set(report.findings.map((f) => f.control));
    for (const control of [
      'sql.tde',
      'sql.long-term-retention',
      'sql.auditing',
      'logs.retention',
      'diagnostics.audit-logs',
      'storage.backup-retention',
      'redis.tls-only',
      'keyvault.purge-protection',
      'cognitiveservices.local-auth-disabled',
      'search.local-auth-disabled',
      'openai.abuse-monitoring',
    ])
      expect(judged).toContain(control);
    expect(report.findings.find((f) => f.control === 'sql.tde')?.status).toBe('pass');
    // The AI services are read from Azure and judged: their audit logs, their network, their keys.
    for (const name of ['seniorly-prod-openai', 'seniorly-prod-speech', 'seniorly-prod-search'])
      expect(report.findings.filter((f) => f.resource.name === name && f.status === 'pass').map((f) => f.control)).toEqual(
        expect.arrayContaining(['diagnostics.audit-logs', 'tags.required', 'baa.scope']),
      );
  });

  it('fails cognitiveservices.local-auth-disabled after keys are switched back on by hand, with the drift', async () => {
    const speech = idOf('Microsoft.CognitiveServices/accounts/seniorly-prod-speech');
    sandbox.server.arm.patchDirectly(speech, { disableLocalAuth: false });
    try {
      const { report } = await live();
      const failed = report.findings.filter((f) => f.status === 'fail');
      expect(failed.map((f) => `${f.control} ${f.resource.name}`)).toEqual(['cognitiveservices.local-auth-disabled seniorly-prod-speech']);
      expect(failed[0]?.drift).toEqual([{ path: 'seniorly-prod-speech: properties.disableLocalAuth', planned: true, live: false }]);
    } finally {
      sandbox.server.arm.patchDirectly(speech, { disableLocalAuth: true });
    }
  });

  it('checks a recorded abuse-monitoring approval against the account: it fails until Microsoft turns ContentLogging off', async () => {
    const work = await mkdtemp(join(tmpdir(), 'live-abuse-'));
    const openai = idOf('Microsoft.CognitiveServices/accounts/seniorly-prod-openai');
    try {
      await mkdir(join(work, 'compliance'));
      await copyFile(join(repoRoot, 'examples/compliance/azure-baa-sample.txt'), join(work, 'compliance/azure-baa-sample.txt'));
      const example = await readFile(join(repoRoot, 'examples/azure-hipaa.yml'), 'utf8');
      const withApproval = example.replace(
        /\n {4}abuseMonitoring:\n( {6}.*\n)+/,
        '\n    abuseMonitoring:\n      approval: {approvedDate: 2026-03-02, reference: "Limited Access case 4711"}\n',
      );
      expect(withApproval).toContain('Limited Access case 4711');
      await writeFile(join(work, 'azure-hipaa.yml'), withApproval);
      const judge = async () =>
        (await runGate({ cwd: work, config: 'azure-hipaa.yml', live: { arm: armPort(env, subscriptionId) } })).report.findings.find(
          (f) => f.control === 'openai.abuse-monitoring' && f.resource.name === 'seniorly-prod-openai',
        );
      const before = await judge();
      expect(before?.status).toBe('fail');
      expect(before?.message).toMatch(/does not show the capability ContentLogging=false/);
      // Microsoft applies the approval to the account (the admin API stands in for it).
      sandbox.server.arm.patchDirectly(openai, { capabilities: [{ name: 'VirtualNetworks' }, { name: 'ContentLogging', value: 'false' }] });
      const after = await judge();
      expect(after?.status).toBe('pass');
      expect(after?.message).toMatch(/ContentLogging=false: Microsoft turned abuse-monitoring storage off .*Limited Access case 4711/);
    } finally {
      // Back to what the provider reports on its own (what-if after this suite must see no change).
      sandbox.server.arm.patchDirectly(openai, { capabilities: undefined });
      await rm(work, { recursive: true, force: true });
    }
  });

  it('fails logs.retention after a table retention is lowered by hand, with planned and live values side by side', async () => {
    sandbox.server.arm.patchDirectly(idOf('Microsoft.OperationalInsights/workspaces/seniorly-prod-logs/tables/AZKVAuditLogs'), {
      totalRetentionInDays: 90,
    });
    try {
      const { report, policy } = await live();
      expect(report.verdict).toBe('fail');
      const failed = report.findings.filter((f) => f.status === 'fail');
      expect(failed.map((f) => f.control)).toEqual(['logs.retention']);
      expect(failed[0]?.drift).toEqual([
        { path: 'seniorly-prod-logs/AZKVAuditLogs: properties.totalRetentionInDays', planned: 2190, live: 90 },
      ]);
      expect(renderReport('text', report, policy)).toContain(
        'drift: seniorly-prod-logs/AZKVAuditLogs: properties.totalRetentionInDays: planned 2190, live 90',
      );
    } finally {
      sandbox.server.arm.patchDirectly(idOf('Microsoft.OperationalInsights/workspaces/seniorly-prod-logs/tables/AZKVAuditLogs'), {
        totalRetentionInDays: 2190,
      });
    }
  });

  it('fails redis.tls-only after plain-text access is switched on through the admin API', async () => {
    const database = idOf('Microsoft.Cache/redisEnterprise/seniorly-prod-redis/databases/default');
    const response = await adminRequest(sandbox, 'PATCH', '/resources', { id: database, properties: { clientProtocol: 'Plaintext' } });
    expect(response.status).toBe(200);
    try {
      const { report } = await live();
      const finding = report.findings.find((f) => f.control === 'redis.tls-only');
      expect(finding?.status).toBe('fail');
      expect(finding?.drift).toEqual([
        { path: 'seniorly-prod-redis/default: properties.clientProtocol', planned: 'Encrypted', live: 'Plaintext' },
      ]);
    } finally {
      sandbox.server.arm.patchDirectly(database, { clientProtocol: 'Encrypted' });
    }
  });

  it('judges a resource it cannot read as unknown, which blocks', async () => {
    const vault = idOf('Microsoft.KeyVault/vaults/seniorly-prod-secrets');
    sandbox.server.arm.deniedReads.add(vault.toLowerCase());
    try {
      const { report } = await live();
      expect(report.verdict).toBe('fail');
      const unknown = report.findings.filter((f) => f.status === 'unknown');
      expect(unknown.map((f) => f.control)).toEqual(expect.arrayContaining(['keyvault.purge-protection', 'input.resolvable']));
      expect(unknown.find((f) => f.control === 'input.resolvable')?.message).toContain('AuthorizationFailed');
    } finally {
      sandbox.server.arm.deniedReads.clear();
    }
  });

  it('runs from the CLI: gate --live exits 0 on a compliant group and 2 on an unknown one', async () => {
    const out: string[] = [];
    const io = { stdout: (t: string) => out.push(t), stderr: (t: string) => out.push(t), env, cwd: repoRoot, logger: silentLogger };
    expect(await runCli(['gate', '--live', '--config', 'examples/azure-hipaa.yml', '--resource-group', group], io)).toBe(0);
    expect(await runCli(['gate', '--live', '--config', 'examples/azure-hipaa.yml', '--resource-group', 'no-such-rg'], io)).toBe(2);
    expect(out.join('')).toContain("ResourceGroupNotFound: Resource group 'no-such-rg' could not be found.");
  });
});

describe.each(actionRuntimes())('the bundled actions against the sandbox on $label', ({ node }) => {
  it('hipaa-gate with live: true passes and writes its summary', async () => {
    const run = await runAction('hipaa-gate', { node, env: sandbox.env, inputs: { live: 'true', config: 'examples/azure-hipaa.yml' } });
    expect(run.stderr).toBe('');
    expect(run.exitCode).toBe(0);
    expect(run.outputs['verdict']).toBe('pass');
    expect(run.summary).toContain('live');
  });

  it('provision in what-if mode reports no changes, writes the what-if JSON, and changes nothing', async () => {
    const puts = sandbox.server.arm.puts;
    const run = await runAction('provision', { node, env: sandbox.env, inputs: { config: 'examples/azure-hipaa.yml', mode: 'what-if' } });
    expect(run.exitCode, run.stdout).toBe(0);
    expect(run.outputs['changes']).toBe('0');
    expect(run.summary).toContain('### What-if: `seniorly-prod-rg`');
    expect(run.summary).toContain('0 resource(s) would be created or modified');
    expect(sandbox.server.arm.puts).toBe(puts);
  });
});
